//! exccstakepool, the pool's web service (in progress): the database of users and their
//! ticket addresses, the JSON API wallets call and the HTML pages. See ARCHITECTURE.md.

pub mod accounts;
pub mod address;
pub mod admins;
pub mod api;
pub mod config;
pub mod db;
pub mod email_address;
pub mod health;
pub mod low_fee;
pub mod mail;
pub mod outbox;
pub mod password_policy;
pub mod passwords;
pub mod pool;
pub mod rate_limit;
pub mod sync;
pub mod tickets;
pub mod token;
pub mod votebits;
pub mod voting;
pub mod voting_nodes;
pub mod web;

/// The whole HTTP application: the JSON API under `/api` and the pages.
/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()`: the rate limits
/// key on the client's address.
pub fn app(pool: std::sync::Arc<pool::Pool>) -> axum::Router {
    api::router(std::sync::Arc::clone(&pool))
        .merge(web::router(std::sync::Arc::clone(&pool)))
        .route(
            "/healthz",
            axum::routing::get(health::healthz).with_state(std::sync::Arc::clone(&pool)),
        )
        .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "page not found") })
        .layer(axum::middleware::from_fn_with_state(
            pool,
            rate_limit::limit,
        ))
}
