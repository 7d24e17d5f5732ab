//! Requests that need a signed-in session are refused before their body is read: posts of
//! the signed-in pages (address, voting, settings, sign out) without a session go to the
//! sign-in page, the admin pages answer 403 to everyone but the pool's admins. The
//! handlers check again (and the CSRF token) once the form is read.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::pool::Pool;

/// Who may send a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    SignedIn,
    Admin,
}

fn need(method: &Method, path: &str) -> Option<Need> {
    if path.starts_with("/admin/") {
        return Some(Need::Admin);
    }
    let signed_in = ["/address", "/voting", "/settings", "/logout"];
    (method == Method::POST && signed_in.contains(&path)).then_some(Need::SignedIn)
}

/// The middleware: the session from the headers, before the body.
pub async fn check(State(pool): State<Arc<Pool>>, req: Request, next: Next) -> Response {
    let refused = match need(req.method(), req.uri().path()) {
        None => None,
        Some(Need::SignedIn) => super::render::signed_in(&pool, req.headers()).await.err(),
        Some(Need::Admin) => super::admin::admin(&pool, req.headers()).await.err(),
    };
    match refused {
        Some(answer) => answer,
        None => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_needs_a_session() {
        assert_eq!(need(&Method::POST, "/voting"), Some(Need::SignedIn));
        assert_eq!(need(&Method::POST, "/logout"), Some(Need::SignedIn));
        assert_eq!(need(&Method::GET, "/voting"), None);
        assert_eq!(need(&Method::POST, "/signin"), None);
        assert_eq!(need(&Method::POST, "/admin/tickets"), Some(Need::Admin));
        assert_eq!(need(&Method::GET, "/admin/status"), Some(Need::Admin));
    }
}
