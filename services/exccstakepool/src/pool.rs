//! The pool's settings the web service works with, and its shared state.

use std::sync::Arc;
use std::time::Duration;

use excc_chain::{ExtendedKey, Network, PoolFeePercent};

use crate::db::Db;
use crate::mail::Mailer;
use crate::voting_nodes::VotingNodes;

/// What the operator configured.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub network: Network,
    /// Public URL of the pool (the API tokens' issuer).
    pub base_url: String,
    pub pool_fees: PoolFeePercent,
    /// Fee addresses are `cold_wallet_xpub/0/USER_ID`.
    pub cold_wallet_xpub: ExtendedKey,
    /// Pool keys are `voting_wallet_xpub/0/USER_ID`.
    pub voting_wallet_xpub: ExtendedKey,
    /// User ids must stay below this (the voting wallets' and fee addresses' synced range).
    pub max_users: u32,
    pub pool_email: String,
    /// A closed pool takes no new accounts.
    pub closed: bool,
    /// Accounts (by id) that may use the admin pages.
    pub admins: Vec<i64>,
    /// Per-client rate limits.
    pub limits: crate::rate_limit::Limits,
    /// Connection, body and time limits of the HTTP server.
    pub server: crate::serve::ServerLimits,
    /// Key of the API tokens' HMAC.
    pub api_secret: Vec<u8>,
}

/// Everything a request handler needs.
pub struct Pool {
    pub settings: PoolSettings,
    pub db: Db,
    pub nodes: VotingNodes,
    /// The mail relay; `None` = this pool sends no e-mail (accounts are active at sign-up).
    pub mailer: Option<Mailer>,
    pub limiter: crate::rate_limit::RateLimiter,
}

/// Runs `duty` now and then every `interval` while the pool exists.
pub fn every<F, Fut>(pool: &Arc<Pool>, interval: Duration, duty: F)
where
    F: Fn(Arc<Pool>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let weak = Arc::downgrade(pool);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(pool) = weak.upgrade() else { return };
            duty(pool).await;
        }
    });
}
