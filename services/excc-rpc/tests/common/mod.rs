//! Shared test helpers: fixtures, order-preserving JSON, a TLS test server.
#![allow(dead_code)]

pub mod fixtures;
pub mod ordered;
pub mod typed;
