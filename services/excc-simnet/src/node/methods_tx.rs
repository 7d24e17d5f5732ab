//! Transactions: getrawtransaction, sendrawtransaction, gettxout, getrawmempool.

use std::sync::Arc;

use excc_chain::Amount;
use excc_rpc::types::{RawTransaction, RpcError, ScriptSig, TxOut, Vin, Vout};
use serde_json::Value;

use super::Node;
use super::methods_chain::parse_hash;
use super::script_json::{script_pub_key, sig_disasm};
use crate::chain::wire::WireTx;
use crate::chain::{Chain, TicketStatus, TxReject};
use crate::rpc::envelope::{Json, RpcResult, params};

fn no_tx(txid: &excc_chain::ChainHash) -> RpcError {
    RpcError::new(
        -5,
        format!("No information available about transaction {txid}"),
    )
}

pub fn raw_json(c: &Chain, bytes: &[u8]) -> Option<RawTransaction> {
    let tx = WireTx::parse(bytes).ok()?;
    let txid = tx.txid();
    let rec = c.tx(&txid);
    let loc = rec.and_then(|r| r.location);
    let is_vote = crate::chain::stake_tx::parse_vote(&tx).is_some();
    let vin = tx
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let base = Vin {
                coinbase: None,
                stakebase: None,
                treasurybase: None,
                treasuryspend: None,
                txid: None,
                vout: None,
                tree: None,
                sequence: input.sequence,
                amountin: Amount(input.value_in),
                blockheight: input.block_height,
                blockindex: input.block_index,
                script_sig: None,
            };
            if input.is_null() {
                let script = hex::encode(&input.sig_script);
                if is_vote && i == 0 {
                    Vin {
                        stakebase: Some(script),
                        ..base
                    }
                } else {
                    Vin {
                        coinbase: Some(script),
                        ..base
                    }
                }
            } else {
                Vin {
                    txid: Some(input.prev_hash),
                    vout: Some(input.prev_index),
                    tree: Some(input.tree as i8),
                    script_sig: Some(ScriptSig {
                        asm: sig_disasm(&input.sig_script),
                        hex: hex::encode(&input.sig_script),
                    }),
                    ..base
                }
            }
        })
        .collect();
    let vout = tx
        .outputs
        .iter()
        .enumerate()
        .map(|(n, o)| Vout {
            value: Amount(o.value),
            n: n as u32,
            version: o.version,
            script_pub_key: script_pub_key(c.network(), &o.script, o.version),
        })
        .collect();
    let block = loc.and_then(|l| c.block_at(l.height));
    Some(RawTransaction {
        hex: hex::encode(bytes),
        txid,
        version: i32::from(tx.version),
        locktime: tx.lock_time,
        expiry: tx.expiry,
        vin,
        vout,
        blockhash: block.map(|b| b.hash),
        blockheight: loc.map(|l| i64::from(l.height)).unwrap_or(0),
        blockindex: loc.map(|l| l.index).unwrap_or(0),
        confirmations: loc
            .map(|l| i64::from(c.height() - l.height + 1))
            .unwrap_or(0),
        time: block.map(|b| i64::from(b.header.timestamp)).unwrap_or(0),
        blocktime: block.map(|b| i64::from(b.header.timestamp)).unwrap_or(0),
    })
}

/// exccd's answer for a mined transaction when it runs without `--txindex`.
fn no_txindex() -> RpcError {
    RpcError::new(
        -32603,
        "The transaction index must be enabled to query the blockchain (specify --txindex)",
    )
}

/// `getrawtransaction`; without a transaction index only mempool transactions
/// are served (exccd looks in its mempool first).
pub fn getrawtransaction(node: &Arc<Node>, p: &[Value], txindex: bool) -> RpcResult {
    params::require(p, 1, "getrawtransaction")?;
    let txid = parse_hash(params::str_at(p, 0, "txid")?)?;
    let verbose = params::opt_i64(p, 1).unwrap_or(0) != 0 || params::opt_bool(p, 1) == Some(true);
    let c = node.chain();
    let rec = c.tx(&txid);
    if !txindex && rec.is_none_or(|r| r.location.is_some()) {
        return Err(no_txindex());
    }
    let rec = rec.ok_or_else(|| no_tx(&txid))?;
    if !verbose {
        return Ok(Json::of(&hex::encode(&rec.bytes)));
    }
    raw_json(&c, &rec.bytes)
        .map(|r| Json::of(&r))
        .ok_or_else(|| no_tx(&txid))
}

pub fn sendrawtransaction(node: &Arc<Node>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "sendrawtransaction")?;
    let hex_tx = params::str_at(p, 0, "hextx")?;
    let bytes =
        hex::decode(hex_tx).map_err(|e| RpcError::new(-22, format!("TX decode failed: {e}")))?;
    let res = node.chain().accept_tx(&bytes);
    match res {
        Ok(txid) => {
            node.changed.notify_waiters();
            node.relay(hex_tx);
            Ok(Json::of(&txid))
        }
        Err(e @ (TxReject::Duplicate(_) | TxReject::Exists(_))) => {
            Err(RpcError::new(-40, e.to_string()))
        }
        Err(e @ TxReject::Decode(_)) => Err(RpcError::new(-22, e.to_string())),
        Err(e @ TxReject::Rule { .. }) => Err(RpcError::new(-1, e.to_string())),
    }
}

pub fn gettxout(node: &Arc<Node>, p: &[Value]) -> RpcResult {
    params::require(p, 2, "gettxout")?;
    let txid = parse_hash(params::str_at(p, 0, "txid")?)?;
    let index = params::i64_at(p, 1, "vout")? as usize;
    let include_mempool = params::opt_bool(p, 3).unwrap_or(true);
    let c = node.chain();
    let Some(rec) = c.tx(&txid) else {
        return Ok(Json::null());
    };
    if rec.location.is_none() && !include_mempool {
        return Ok(Json::null());
    }
    let Ok(tx) = WireTx::parse(&rec.bytes) else {
        return Ok(Json::null());
    };
    let Some(out) = tx.outputs.get(index) else {
        return Ok(Json::null());
    };
    // A ticket's vout[0] is spent once it voted or was revoked.
    if index == 0
        && let Some(t) = c.ticket(&txid)
        && (t.status == TicketStatus::Voted || t.spent_by.is_some())
    {
        return Ok(Json::null());
    }
    let loc = rec.location;
    Ok(Json::of(&TxOut {
        bestblock: c.tip().hash,
        confirmations: loc
            .map(|l| i64::from(c.height() - l.height + 1))
            .unwrap_or(0),
        value: Amount(out.value),
        script_pub_key: script_pub_key(c.network(), &out.script, out.version),
        coinbase: loc.is_some_and(|l| l.index == 0 && l.tree == 0),
    }))
}

pub fn getrawmempool(node: &Arc<Node>, _p: &[Value]) -> RpcResult {
    let c = node.chain();
    let mut all: Vec<String> = c
        .mempool
        .votes
        .keys()
        .chain(c.mempool.tickets.iter())
        .chain(c.mempool.regular.iter())
        .map(|h| h.to_string())
        .collect();
    all.sort();
    Ok(Json::of(&all))
}
