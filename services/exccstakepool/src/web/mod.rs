//! The HTML pages. Sessions are signed cookies ([`session`]); every form carries the
//! session's CSRF token and cross-site form posts are refused ([`render`]). Templates are in
//! the repository's `templates/` (askama, escaped by default).

mod account;
mod admin;
mod pool_pages;
mod render;
pub mod session;
pub mod signed_in_posts;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::pool::Pool;

pub fn router(pool: Arc<Pool>) -> Router {
    Router::new()
        .route("/", get(pool_pages::index))
        .route("/signup", get(account::signup_form).post(account::signup))
        .route("/signin", get(account::signin_form).post(account::signin))
        .route("/logout", post(account::logout))
        .route("/emailverify", get(account::email_verify))
        .route("/emailupdate", get(account::email_update))
        .route(
            "/passwordreset",
            get(account::password_reset_form).post(account::password_reset),
        )
        .route(
            "/passwordupdate",
            get(account::password_update_form).post(account::password_update),
        )
        .route(
            "/settings",
            get(account::settings).post(account::settings_post),
        )
        .route(
            "/address",
            get(pool_pages::address_form).post(pool_pages::address_post),
        )
        .route("/tickets", get(pool_pages::tickets))
        .route("/stats", get(pool_pages::stats))
        .route(
            "/voting",
            get(pool_pages::voting_form).post(pool_pages::voting_post),
        )
        .route("/admin/status", get(admin::status))
        .route(
            "/admin/tickets",
            get(admin::tickets).post(admin::tickets_post),
        )
        .with_state(pool)
}
