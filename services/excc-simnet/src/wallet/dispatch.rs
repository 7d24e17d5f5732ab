//! Method table of the simulated exccwallet; unknown methods go to the node.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use excc_chain::Amount;
use excc_rpc::types::{RpcError, VoteChoices, WalletInfo};
use serde_json::Value;

use super::{Wallet, help_texts, methods_addr as a, methods_stake as s, purchase, store, vote};
use crate::node::methods_chain_versions;
use crate::rpc::envelope::{Json, RpcResult, params};

pub async fn dispatch(w: &Arc<Wallet>, method: &str, p: &[Value]) -> RpcResult {
    match method {
        "version" => version(w).await,
        "help" => help(p),
        "walletinfo" => walletinfo(w),
        "walletlock" => walletlock(w),
        "walletpassphrase" => walletpassphrase(w, p),
        "getnewaddress" => a::getnewaddress(w, p),
        "validateaddress" => a::validateaddress(w, p),
        "createmultisig" => a::createmultisig(w, p),
        "importscript" => a::importscript(w, p),
        "getmasterpubkey" => a::getmasterpubkey(w, p),
        "accountsyncaddressindex" => a::accountsyncaddressindex(w, p),
        "accountaddressindex" => a::accountaddressindex(w, p),
        "getaddressesbyaccount" => a::getaddressesbyaccount(w, p),
        "stakepooluserinfo" => s::stakepooluserinfo(w, p).await,
        "ticketsforaddress" => s::ticketsforaddress(w, p).await,
        "getstakeinfo" => s::getstakeinfo(w).await,
        "gettickets" => s::gettickets(w, p).await,
        "getbalance" => s::getbalance(w, p).await,
        "purchaseticket" => purchase::purchaseticket(w, p).await,
        "gettransaction" => super::methods_tx::gettransaction(w, p).await,
        "generatevote" => vote::generatevote(w, p).await,
        "addtransaction" => addtransaction(p),
        "getvotechoices" => Ok(Json::of(&VoteChoices {
            version: 10,
            choices: vec![],
        })),
        m if m.starts_with("simnet_") => admin(w, m, p),
        _ => w.node_raw(method, p).await.map(Json),
    }
}

async fn version(w: &Arc<Wallet>) -> RpcResult {
    let mut m = methods_chain_versions();
    if let Ok(v) = w.node_call("version", &[]).await
        && let Ok(node) = serde_json::from_value::<excc_rpc::types::VersionMap>(v)
    {
        m = node;
    }
    let api = {
        use crate::rpc::service::Service;
        w.faults().api_version.unwrap_or_else(|| "8.9.0".into())
    };
    m.insert(
        "exccwalletjsonrpcapi".into(),
        crate::node::version_info_of(&api, ""),
    );
    Ok(Json::of(&m))
}

fn help(p: &[Value]) -> RpcResult {
    let Some(m) = params::opt_str(p, 0) else {
        let mut names: Vec<&str> = help_texts::HELP.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        return Ok(Json::of(&names.join("\n")));
    };
    help_texts::HELP
        .iter()
        .find(|(n, _)| *n == m)
        .map(|(_, t)| Json::of(t))
        .ok_or_else(|| RpcError::new(-32601, "Method not found"))
}

fn walletinfo(w: &Arc<Wallet>) -> RpcResult {
    let unlocked = w.state().unlocked;
    Ok(Json::of(&WalletInfo {
        daemonconnected: w.node_connected(),
        spv: false,
        unlocked,
        cointype: w.state().keys.network().params().legacy_coin_type,
        txfee: Amount(100_000),
        votebits: 1,
        votebitsextended: "0a000000".into(),
        voteversion: 10,
        voting: w.settings.voting,
        manualtickets: false,
    }))
}

fn walletlock(w: &Arc<Wallet>) -> RpcResult {
    let mut st = w.state();
    st.unlocked = false;
    st.lock_generation += 1;
    Ok(Json::null())
}

fn walletpassphrase(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 2, "walletpassphrase")?;
    let pass = params::str_at(p, 0, "passphrase")?;
    let timeout = params::i64_at(p, 1, "timeout")?;
    let generation = {
        let mut st = w.state();
        if store::hash_pass(pass) != st.file.passphrase_sha256 {
            return Err(RpcError::new(
                -14,
                "invalid passphrase for master private key",
            ));
        }
        st.unlocked = true;
        st.lock_generation += 1;
        st.lock_generation
    };
    if timeout > 0 {
        let w = w.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(timeout as u64)).await;
            let mut st = w.state();
            if st.lock_generation == generation {
                st.unlocked = false;
            }
        });
    }
    Ok(Json::null())
}

fn addtransaction(p: &[Value]) -> RpcResult {
    params::require(p, 2, "addtransaction")?;
    let tx = params::str_at(p, 1, "transaction")?;
    let bytes =
        hex::decode(tx).map_err(|e| RpcError::new(-22, format!("TX decode failed: {e}")))?;
    crate::chain::wire::WireTx::parse(&bytes)
        .map_err(|e| RpcError::new(-22, format!("TX decode failed: {e}")))?;
    Ok(Json::null())
}

/// Fault injection (`--simadmin`): `simnet_setdelay [ms]`, `simnet_dropnext [n]`,
/// `simnet_disconnectnode [bool]`, `simnet_closewebsockets []`.
fn admin(w: &Arc<Wallet>, m: &str, p: &[Value]) -> RpcResult {
    if !w.settings.admin {
        return Err(RpcError::new(-32601, "Method not found"));
    }
    let mut f = w.faults.lock().unwrap_or_else(|e| e.into_inner());
    match m {
        "simnet_setdelay" => f.delay_ms = params::i64_at(p, 0, "milliseconds")?.max(0) as u64,
        "simnet_dropnext" => w.drop_next.store(
            params::i64_at(p, 0, "count")?.max(0) as u64,
            Ordering::SeqCst,
        ),
        "simnet_disconnectnode" => w
            .node_cut
            .store(params::opt_bool(p, 0).unwrap_or(true), Ordering::SeqCst),
        "simnet_closewebsockets" => f.close_generation += 1,
        "simnet_setapiversion" => {
            f.api_version = Some(params::str_at(p, 0, "version")?.to_string())
        }
        _ => return Err(RpcError::new(-32601, "Method not found")),
    }
    Ok(Json::null())
}
