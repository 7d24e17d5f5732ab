//! The cold wallet's part of a plan: the wallet that receives the pool fees must watch the
//! fee addresses the voting wallets send fees to (`pool.cold_wallet_xpub / 0 / 0..=COUNT`),
//! or the operator never sees the fees. With `[cold_wallet]` in pool.toml, plan checks that
//! the wallet's account really is `pool.cold_wallet_xpub` and how far its external branch
//! is synced; apply runs `accountsyncaddressindex ACCOUNT 0 COUNT` when it is behind.
//! Without `[cold_wallet]` (an offline cold wallet) nothing here runs.

use excc_rpc::{ClientConfig, PinnedCert, WalletClient};

use super::PlanError;
use crate::config::{ColdWallet, PoolConfig};
use crate::runtime::CALL_TIMEOUT;

/// What the cold wallet needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColdPlan {
    /// `[cold_wallet].rpc`.
    pub rpc: String,
    pub account: String,
    /// `accountaddressindex ACCOUNT 0` now.
    pub now: u32,
    /// `pool.fee_address_count`.
    pub to: u32,
}

impl ColdPlan {
    pub fn is_empty(&self) -> bool {
        self.now >= self.to
    }
}

fn client(cold: &ColdWallet) -> Result<WalletClient, PlanError> {
    let cert = PinnedCert::from_pem(cold.cert_pem.as_bytes(), "cold_wallet.cert")
        .map_err(|e| unreachable(cold, e.to_string()))?;
    let cfg = ClientConfig::new(&cold.rpc, &cold.user, cold.password.expose(), cert)
        .with_timeout(CALL_TIMEOUT);
    Ok(WalletClient::new(cfg))
}

fn unreachable(cold: &ColdWallet, why: String) -> PlanError {
    PlanError::ColdWallet(format!(
        "cold wallet at {}: {why}; check [cold_wallet] (rpc, cert, user) and secrets.cold_wallet_rpc_password, or remove [cold_wallet] while that wallet is offline",
        cold.rpc
    ))
}

/// Reads the cold wallet's state; `None` without `[cold_wallet]`. Changes nothing.
pub async fn observe(config: &PoolConfig) -> Result<Option<ColdPlan>, PlanError> {
    let Some(cold) = &config.cold_wallet else {
        return Ok(None);
    };
    let c = client(cold)?;
    let xpub = c
        .get_master_pub_key(&cold.account)
        .await
        .map_err(|e| unreachable(cold, e.to_string()))?;
    if xpub != config.pool.cold_wallet_xpub {
        return Err(PlanError::ColdWallet(format!(
            "the cold wallet's account {:?} has xpub {xpub}, but pool.cold_wallet_xpub is {}: fees would go to addresses that wallet does not own; fix [cold_wallet].account or pool.cold_wallet_xpub",
            cold.account, config.pool.cold_wallet_xpub
        )));
    }
    let now = c
        .account_address_index(&cold.account, 0)
        .await
        .map_err(|e| unreachable(cold, e.to_string()))?;
    Ok(Some(ColdPlan {
        rpc: cold.rpc.clone(),
        account: cold.account.clone(),
        now,
        to: config.pool.fee_address_count,
    }))
}

/// Syncs the cold wallet's fee addresses up to the plan's index (if still behind).
pub async fn sync(config: &PoolConfig, plan: &ColdPlan) -> Result<(), String> {
    let cold = config
        .cold_wallet
        .as_ref()
        .ok_or("pool.toml has no [cold_wallet]")?;
    let c = client(cold).map_err(|e| e.to_string())?;
    let now = c
        .account_address_index(&cold.account, 0)
        .await
        .map_err(|e| e.to_string())?;
    if now < plan.to {
        c.account_sync_address_index(&cold.account, 0, plan.to)
            .await
            .map_err(|e| format!("accountsyncaddressindex failed: {e}"))?;
    }
    Ok(())
}
