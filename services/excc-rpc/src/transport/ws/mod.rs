//! WebSocket transport: one connection actor per socket ([`conn`]) and a
//! reconnecting session with subscriptions and typed events ([`session`]).

pub(crate) mod conn;
pub mod session;
