//! exccstakepool, the pool's web service (in progress): the database of users and their
//! ticket addresses, the JSON API wallets call and the HTML pages. See ARCHITECTURE.md.

pub mod accounts;
pub mod address;
pub mod admins;
pub mod api;
pub mod backup;
pub mod config;
pub mod db;
pub mod email_address;
pub mod health;
pub mod low_fee;
pub mod mail;
pub mod migrate;
pub mod outbox;
pub mod password_policy;
pub mod passwords;
pub mod pool;
pub mod rate_limit;
pub mod request_limits;
pub mod security_headers;
pub mod serve;
pub mod sync;
pub mod tickets;
pub mod token;
pub mod votebits;
pub mod voting;
pub mod voting_nodes;
pub mod web;

/// The whole HTTP application: the JSON API under `/api`, the pages and `/healthz`, with
/// (outermost first) the security headers on every answer, the rate limits, the session
/// check of signed-in posts (before their body), then the body and in-flight limits.
/// Serve it with [`serve::serve`]: the rate limits key on the client's address.
pub fn app(pool: std::sync::Arc<pool::Pool>) -> axum::Router {
    use axum::middleware::{from_fn_with_state, map_response};
    use std::sync::Arc;
    let requests = request_limits::RequestLimits::new(&pool.settings.server);
    api::router(Arc::clone(&pool))
        .merge(web::router(Arc::clone(&pool)))
        .route(
            "/healthz",
            axum::routing::get(health::healthz).with_state(Arc::clone(&pool)),
        )
        .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "page not found") })
        .layer(axum::extract::DefaultBodyLimit::max(
            request_limits::BODY_LIMIT,
        ))
        .layer(from_fn_with_state(requests, request_limits::limit))
        .layer(from_fn_with_state(
            Arc::clone(&pool),
            web::signed_in_posts::check,
        ))
        .layer(from_fn_with_state(pool, rate_limit::limit))
        .layer(map_response(security_headers::add))
}
