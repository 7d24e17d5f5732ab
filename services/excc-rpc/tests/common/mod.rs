//! Shared test helpers: fixtures, order-preserving JSON, a TLS test server.
#![allow(dead_code)]

pub mod calls;
pub mod certs;
pub mod fixtures;
pub mod http_fixture_server;
pub mod ordered;
pub mod server;
pub mod typed;
pub mod ws_fixtures;
