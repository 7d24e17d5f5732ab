//! `gettransaction` for the wallet's stake transactions (tickets voting to its
//! addresses or imported scripts, and their votes/revocations), which is what
//! stakepoold asks for: `details[].address` maps a ticket to its pool user.

use std::sync::Arc;

use excc_chain::{Address, Amount, ChainHash};
use excc_rpc::types::{RawTransaction, RpcError, TransactionDetail, WalletTransaction};
use serde_json::Value;

use super::Wallet;
use super::methods_stake::tickets_for;
use crate::rpc::envelope::{Json, RpcResult, params};

fn no_info() -> RpcError {
    RpcError::new(-5, "No information for transaction")
}

pub async fn gettransaction(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "gettransaction")?;
    let s = params::str_at(p, 0, "txid")?;
    let txid: ChainHash = s.parse().map_err(|_| no_info())?;
    let raw = w
        .node_call(
            "simnet_getrawtransaction",
            &[Value::from(s), Value::from(1)],
        )
        .await
        .map_err(|_| no_info())?;
    let raw: RawTransaction = serde_json::from_value(raw).map_err(|_| no_info())?;
    let kind = match raw.vout.first().map(|o| o.script_pub_key.kind.as_str()) {
        Some(k) if k.starts_with("stakesubmission") => "ticket",
        _ if raw.vin.first().is_some_and(|v| v.stakebase.is_some()) => "vote",
        Some(k) if k.starts_with("stakerevoke") => "revocation",
        _ => "regular",
    };
    // The ticket this transaction is or spends.
    let ticket_id = match kind {
        "ticket" => Some(txid),
        "vote" => raw.vin.get(1).and_then(|v| v.txid),
        "revocation" => raw.vin.first().and_then(|v| v.txid),
        _ => None,
    };
    let (net, owned) = {
        let st = w.state();
        (st.keys.network(), st.owned_addresses())
    };
    let mut details = Vec::new();
    for (n, o) in raw.vout.iter().enumerate() {
        let Some(addr) = o.script_pub_key.addresses.first() else {
            continue;
        };
        if o.script_pub_key.kind == "sstxcommitment" || !owned.contains(addr) {
            continue;
        }
        let imported = Address::decode_for(addr, net).is_ok_and(|a| a.is_p2sh());
        details.push(TransactionDetail {
            account: if imported { "imported" } else { "default" }.into(),
            address: addr.clone(),
            amount: o.value,
            category: if kind == "ticket" {
                "ticket"
            } else {
                "receive"
            }
            .into(),
            involveswatchonly: false,
            fee: None,
            vout: n as u32,
        });
    }
    let mut status = String::new();
    if let Some(t) = ticket_id {
        let hex_ticket = w
            .node_call(
                "simnet_getrawtransaction",
                &[Value::from(t.to_string()), Value::from(1)],
            )
            .await
            .ok()
            .and_then(|v| serde_json::from_value::<RawTransaction>(v).ok());
        let voting = hex_ticket
            .as_ref()
            .and_then(|r| r.vout.first())
            .and_then(|o| o.script_pub_key.addresses.first().cloned());
        if let Some(voting) = voting {
            if details.is_empty() && !owned.contains(&voting) {
                return Err(no_info());
            }
            if kind == "ticket"
                && let Some(rec) = tickets_for(w, vec![voting])
                    .await?
                    .into_iter()
                    .find(|r| r.ticket == t.to_string())
            {
                status = if rec.revoked {
                    "revoked".into()
                } else {
                    rec.status
                };
            }
        }
    } else if details.is_empty() {
        return Err(no_info());
    }
    let committed: i64 = raw
        .vout
        .iter()
        .filter_map(|o| o.script_pub_key.commitamt.map(Amount::atoms))
        .sum();
    let out_total: i64 = raw.vout.iter().map(|o| o.value.atoms()).sum();
    let fee = if kind == "ticket" {
        committed - out_total
    } else {
        0
    };
    Ok(Json::of(&WalletTransaction {
        amount: Amount(0),
        fee: Amount(fee.max(0)),
        confirmations: raw.confirmations,
        blockhash: raw.blockhash,
        blockindex: i64::from(raw.blockindex),
        blocktime: raw.blocktime,
        txid,
        walletconflicts: vec![],
        time: raw.time,
        timereceived: raw.time,
        details,
        hex: raw.hex,
        kind: kind.into(),
        ticketstatus: status,
    }))
}
