//! Simulator-only methods (`simnet_*`), not part of exccd's API:
//!
//! * `simnet_tickets [["addr",…]]`: every ticket (mined or in the mempool)
//!   whose voting address is one of `addr`, with status and spend data. The
//!   simulated wallet uses it to learn about its tickets.
//! * `simnet_chaininfo []`: tip, pool size, mempool tickets, next price.
//! * `simnet_blocks [from, count]`: raw blocks for peers that sync from us.
//! * admin (only with `--simadmin`): `simnet_setdelay [ms]`, `simnet_dropnext [n]`,
//!   `simnet_closewebsockets []`, `simnet_reorg []` (one-block reorg),
//!   `simnet_setapiversion ["8.0.0"]` (the `exccdjsonrpcapi` that `version` reports).

use std::sync::Arc;

use excc_chain::Address;
use excc_rpc::types::RpcError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Node;
use crate::chain::stake_tx::parse_ticket;
use crate::rpc::envelope::{Json, RpcResult, params};

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SimTicket {
    pub ticket: String,
    pub hex: String,
    /// `unmined`, `immature`, `live`, `voted`, `missed`, `expired`.
    pub status: String,
    pub height: u32,
    pub spentby: String,
    pub spentbyheight: u32,
    pub revoked: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ChainInfo {
    pub height: u32,
    pub hash: String,
    pub poolsize: usize,
    pub immature: usize,
    pub mempooltickets: usize,
    pub ticketprice: i64,
    pub missed: usize,
    /// Tickets eligible to vote on the tip.
    pub winners: Vec<String>,
    /// Vote subsidy of a vote on the tip (atoms).
    pub votesubsidy: i64,
}

pub async fn dispatch(node: &Arc<Node>, method: &str, p: &[Value]) -> RpcResult {
    match method {
        "simnet_tickets" => tickets(node, p),
        "simnet_chaininfo" => chaininfo(node),
        "simnet_blocks" => super::peers::blocks(node, p),
        "simnet_setdelay"
        | "simnet_dropnext"
        | "simnet_closewebsockets"
        | "simnet_reorg"
        | "simnet_setapiversion"
            if !node.settings.admin =>
        {
            Err(RpcError::new(-32601, "Method not found"))
        }
        "simnet_setdelay" => {
            let ms = params::i64_at(p, 0, "milliseconds")?.max(0) as u64;
            node.set_faults(|f| f.delay_ms = ms);
            Ok(Json::null())
        }
        "simnet_dropnext" => {
            let n = params::i64_at(p, 0, "count")?.max(0) as u64;
            node.drop_next.store(n, std::sync::atomic::Ordering::SeqCst);
            Ok(Json::null())
        }
        "simnet_closewebsockets" => {
            node.set_faults(|f| f.close_generation += 1);
            Ok(Json::null())
        }
        "simnet_reorg" => reorg(node).await,
        "simnet_setapiversion" => {
            let v = params::str_at(p, 0, "version")?.to_string();
            node.set_faults(|f| f.api_version = Some(v));
            Ok(Json::null())
        }
        _ => Err(RpcError::new(-32601, "Method not found")),
    }
}

fn tickets(node: &Arc<Node>, p: &[Value]) -> RpcResult {
    let list = p
        .first()
        .and_then(Value::as_array)
        .ok_or_else(|| params::invalid("parameter #1 must be an array of addresses"))?;
    let c = node.chain();
    let mut hashes = std::collections::HashSet::new();
    for a in list {
        if let Some(addr) = a.as_str().and_then(|s| Address::decode(s).ok()) {
            hashes.insert(addr.hash160());
        }
    }
    let mut out = Vec::new();
    for h in &hashes {
        for t in c.tickets_for_hash160(h) {
            let rec = c.ticket(t).expect("indexed ticket");
            let hex_tx = c.tx(t).map(|r| hex::encode(&r.bytes)).unwrap_or_default();
            out.push(SimTicket {
                ticket: t.to_string(),
                hex: hex_tx,
                status: rec.status.as_str().into(),
                height: rec.height,
                spentby: rec
                    .spent_by
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "0".repeat(64)),
                spentbyheight: rec.spent_height,
                revoked: rec.spent_by.is_some() && rec.status != crate::chain::TicketStatus::Voted,
            });
        }
    }
    for t in &c.mempool.tickets {
        let Some(rec) = c.tx(t) else { continue };
        let Some((_, ticket)) = parse_ticket(c.network(), &rec.bytes) else {
            continue;
        };
        if hashes.contains(&ticket.voting_address.hash160()) {
            out.push(SimTicket {
                ticket: t.to_string(),
                hex: hex::encode(&rec.bytes),
                status: "unmined".into(),
                height: 0,
                spentby: "0".repeat(64),
                spentbyheight: 0,
                revoked: false,
            });
        }
    }
    out.sort_by(|a, b| (a.height, &a.ticket).cmp(&(b.height, &b.ticket)));
    Ok(Json::of(&out))
}

/// One-block reorg: the tip is disconnected (its votes and transactions go
/// back to the mempool) and a replacement block with another timestamp, hence
/// another hash and other winners, is mined. Returns the new tip hash.
async fn reorg(node: &Arc<Node>) -> RpcResult {
    let _guard = node.generate_lock.lock().await;
    let old = super::peers::disconnect_tip(node)
        .ok_or_else(|| RpcError::new(-1, "cannot reorganize the genesis block"))?;
    let mut chain = node.chain();
    let hash = chain
        .mine_block(old.header.timestamp + 1)
        .map_err(|e| RpcError::new(-1, e.to_string()))?;
    let block = chain.tip().clone();
    node.announce(&chain, &block);
    Ok(Json::of(&hash))
}

fn chaininfo(node: &Arc<Node>) -> RpcResult {
    let c = node.chain();
    Ok(Json::of(&ChainInfo {
        height: c.height(),
        hash: c.tip().hash.to_string(),
        poolsize: c.live_count(),
        immature: c.immature_count(),
        mempooltickets: c.mempool.tickets.len(),
        ticketprice: c.next_ticket_price(),
        missed: c.unrevoked_missed().len(),
        winners: c.tip().winners.iter().map(|w| w.to_string()).collect(),
        votesubsidy: c.vote_subsidy_for(c.height()),
    }))
}
