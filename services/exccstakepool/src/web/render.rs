//! What every page handler uses: the visit (session and signed-in user), rendering with
//! the session cookie, redirects, and the form checks (CSRF token, same-site origin).

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::session::{self, Session};
use crate::db::Db;
use crate::db::users::User;
use crate::pool::Pool;

pub const ERROR: &str = "error";
pub const OK: &str = "ok";

pub type St = State<Arc<Pool>>;
pub type Fields = Form<HashMap<String, String>>;

pub struct Nav {
    pub signed_in: bool,
    pub admin: bool,
    pub csrf: String,
}

/// The request's session (a new anonymous one if it has none) and the signed-in user.
pub struct Visit {
    pub session: Session,
    pub user: Option<User>,
    /// The signed-in user is one of the pool's admins.
    pub admin: bool,
}

impl Visit {
    pub async fn of(pool: &Pool, headers: &HeaderMap) -> Visit {
        let key = session::key(&pool.settings.api_secret);
        let now = Db::now();
        let session =
            Session::from_headers(headers, &key, now).unwrap_or_else(|| Session::new(0, 0, now));
        let user = if session.user > 0 {
            pool.db.user(session.user).await.ok().flatten()
        } else {
            None
        };
        // A session from before the account's last password or e-mail change is void.
        match user {
            Some(u) if session.epoch == u.session_epoch => Visit {
                session,
                admin: pool.settings.is_admin(&u),
                user: Some(u),
            },
            Some(_) => Visit::anonymous(now),
            None => Visit {
                session,
                user: None,
                admin: false,
            },
        }
    }

    /// A visit in a new session that is not signed in.
    pub fn anonymous(now: i64) -> Visit {
        Visit {
            session: Session::new(0, 0, now),
            user: None,
            admin: false,
        }
    }

    pub fn nav(&self) -> Nav {
        Nav {
            signed_in: self.user.is_some(),
            admin: self.admin,
            csrf: self.session.csrf.clone(),
        }
    }
}

pub fn secure(pool: &Pool) -> bool {
    pool.settings.base_url.starts_with("https://")
}

/// A page for this visit, status 200.
pub fn show(pool: &Pool, v: &Visit, t: &impl Template) -> Response {
    page(pool, &v.session, StatusCode::OK, t)
}

/// A rendered page with the session cookie.
pub fn page(pool: &Pool, session: &Session, status: StatusCode, t: &impl Template) -> Response {
    let key = session::key(&pool.settings.api_secret);
    match t.render() {
        Ok(html) => (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                (header::SET_COOKIE, session.cookie(&key, secure(pool))),
            ],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!("rendering a page: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "page error").into_response()
        }
    }
}

/// A redirect that also sets `session`'s cookie.
pub fn redirect(pool: &Pool, session: &Session, to: &str) -> Response {
    let key = session::key(&pool.settings.api_secret);
    (
        [(header::SET_COOKIE, session.cookie(&key, secure(pool)))],
        Redirect::to(to),
    )
        .into_response()
}

/// A form post is accepted only with the session's CSRF token and from the same site: a
/// browser's `Origin` must be the pool's public URL (behind a reverse proxy) or this
/// server's own host.
pub fn form_ok(
    pool: &Pool,
    visit: &Visit,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> bool {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "same-origin" && v != "none");
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let public = pool.settings.base_url.trim_end_matches('/');
    let foreign_origin = headers
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|o| o != public && o.split_once("://").map(|(_, h)| h) != Some(host));
    let token = form.get("csrf_token").map(String::as_str).unwrap_or("");
    !cross_site && !foreign_origin && visit.session.csrf_ok(token)
}

/// The e-mail address (trimmed) and password of a sign-up or sign-in form.
pub fn credentials(f: &HashMap<String, String>) -> (String, String) {
    let email = f
        .get("email")
        .map(|e| e.trim().to_owned())
        .unwrap_or_default();
    (email, f.get("password").cloned().unwrap_or_default())
}

pub fn bad_form() -> Response {
    (
        StatusCode::BAD_REQUEST,
        "Invalid CSRF token: reload the page and submit the form again.",
    )
        .into_response()
}

/// A page's template struct: the navigation, an optional message and the page's fields.
macro_rules! page_struct {
    ($name:ident, $path:literal { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(askama::Template)]
        #[template(path = $path)]
        struct $name {
            nav: $crate::web::render::Nav,
            message: String,
            message_class: &'static str,
            $($field: $ty),*
        }
    };
}
pub(crate) use page_struct;

/// The signed-in visit, or a redirect to the sign-in page.
pub async fn signed_in(pool: &Pool, headers: &HeaderMap) -> Result<(Visit, User), Response> {
    let v = Visit::of(pool, headers).await;
    match v.user.clone() {
        Some(u) => Ok((v, u)),
        None => Err(redirect(pool, &v.session, "/signin")),
    }
}
