//! What every answer tells the browser (pages, API, health, 404, 429 and errors alike): no
//! framing, no scripts or foreign resources (the pages have none), forms post only here,
//! no sniffing, no caching (pages carry CSRF and API tokens, the API per-user data), no
//! referrer to other sites.

use axum::http::{HeaderValue, header};
use axum::response::Response;

pub async fn add(mut r: Response) -> Response {
    let h = r.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    r
}
