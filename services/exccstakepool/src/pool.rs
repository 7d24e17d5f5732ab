//! The pool's settings the web service works with, and its shared state.

use std::sync::Arc;
use std::time::Duration;

use excc_chain::{ExtendedKey, Network, PoolFeePercent};

use crate::db::Db;
use crate::db::users::User;
use crate::outbox::Outbox;
use crate::voting_nodes::VotingNodes;

/// What the operator configured.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub network: Network,
    /// Public URL of the pool (the API tokens' issuer).
    pub base_url: String,
    pub pool_fees: PoolFeePercent,
    /// Fee addresses are `cold_wallet_xpub/0/INDEX` (the user's derivation index).
    pub cold_wallet_xpub: ExtendedKey,
    /// Pool keys are `voting_wallet_xpub/0/INDEX`.
    pub voting_wallet_xpub: ExtendedKey,
    /// Derivation indices must stay below this (the voting wallets' and fee addresses'
    /// synced range).
    pub max_users: u32,
    pub pool_email: String,
    /// A closed pool takes no new accounts.
    pub closed: bool,
    /// Accounts (by e-mail address, canonical form) that may use the admin pages, besides
    /// those made admins with `exccstakepool admin add`.
    pub admin_emails: Vec<String>,
    /// Deprecated `admin_user_ids`: accounts by id that may use the admin pages.
    pub admins: Vec<i64>,
    /// Per-client rate limits.
    pub limits: crate::rate_limit::Limits,
    /// Connection, body and time limits of the HTTP server.
    pub server: crate::serve::ServerLimits,
    /// Key of the API tokens' HMAC.
    pub api_secret: Vec<u8>,
    /// The legacy Go pool's `apisecret` (`legacy_api_secret_file`): tokens it issued, moved
    /// by `exccstakepool migrate-legacy`, work while they are the user's stored token.
    pub legacy_api_secret: Option<Vec<u8>>,
}

/// Everything a request handler needs.
pub struct Pool {
    pub settings: PoolSettings,
    pub db: Db,
    pub nodes: VotingNodes,
    /// Where mail for the relay is queued; `None` = this pool sends no e-mail (accounts are
    /// active at sign-up).
    pub mailer: Option<Outbox>,
    pub limiter: crate::rate_limit::RateLimiter,
}

impl PoolSettings {
    /// Whether `user` may use the admin pages.
    pub fn is_admin(&self, user: &User) -> bool {
        user.is_admin || self.admin_emails.contains(&user.email) || self.admins.contains(&user.id)
    }
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
