//! The HTML pages: sign up, sign in/out, ticket address, tickets, voting, settings (API
//! token). Sessions are signed cookies ([`session`]); every form carries the session's
//! CSRF token and cross-site form posts are refused. Templates are in the repository's
//! `templates/` (askama, escaped by default).

mod pages;
pub mod session;

pub use pages::router;
