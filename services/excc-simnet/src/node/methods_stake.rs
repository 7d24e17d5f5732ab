//! Ticket queries: live/missed lists, existence bitsets, tickets by address,
//! stake difficulty, stake versions and vote info.

use std::sync::Arc;

use excc_chain::{Address, Amount, ChainHash};
use excc_rpc::types::{
    RpcError, StakeDifficulty, StakeVersion, StakeVersions, TicketList, VersionBits,
    encode_exists_bitset,
};
use serde_json::Value;

use super::Node;
use super::methods_chain::parse_hash;
use crate::chain::TicketStatus;
use crate::rpc::envelope::{Json, RpcResult, params};

pub fn existsliveticket(node: &Arc<Node>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "existsliveticket")?;
    let h = parse_hash(params::str_at(p, 0, "txhash")?)?;
    Ok(Json::of(&node.chain().is_live(&h)))
}

pub enum Which {
    Live,
    Missed,
    Expired,
}

pub fn exists_bitset(node: &Arc<Node>, p: &[Value], which: Which) -> RpcResult {
    params::require(p, 1, "existslivetickets")?;
    let list = p[0]
        .as_array()
        .ok_or_else(|| params::invalid("parameter #1 'txhashes' must be an array of hashes"))?;
    let c = node.chain();
    let mut flags = Vec::with_capacity(list.len());
    for v in list {
        let h = parse_hash(v.as_str().unwrap_or_default())?;
        let status = c.ticket(&h).map(|t| t.status);
        flags.push(match which {
            Which::Live => c.is_live(&h),
            Which::Missed => {
                matches!(status, Some(TicketStatus::Missed | TicketStatus::Expired))
            }
            Which::Expired => status == Some(TicketStatus::Expired),
        });
    }
    Ok(Json::of(&encode_exists_bitset(&flags)))
}

fn sorted(mut v: Vec<ChainHash>) -> Vec<ChainHash> {
    // exccd walks its ticket treap in key order: the hash's internal bytes,
    // i.e. the displayed hex compared from its end.
    v.sort_by_key(|a| a.0);
    v
}

pub fn livetickets(node: &Arc<Node>) -> RpcResult {
    let c = node.chain();
    Ok(Json::of(&TicketList {
        tickets: sorted(c.live_tickets().copied().collect()),
    }))
}

pub fn missedtickets(node: &Arc<Node>) -> RpcResult {
    Ok(Json::of(&TicketList {
        tickets: sorted(node.chain().unrevoked_missed()),
    }))
}

pub fn ticketsforaddress(node: &Arc<Node>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "ticketsforaddress")?;
    let s = params::str_at(p, 0, "address")?;
    let c = node.chain();
    let addr = Address::decode_for(s, c.network())
        .map_err(|e| RpcError::new(-5, format!("Invalid address: {e}")))?;
    let tickets = c
        .tickets_for_hash160(&addr.hash160())
        .iter()
        .filter(|t| c.is_live(t))
        .copied()
        .collect();
    Ok(Json::of(&TicketList { tickets }))
}

pub fn getstakedifficulty(node: &Arc<Node>) -> RpcResult {
    let c = node.chain();
    Ok(Json::of(&StakeDifficulty {
        current: Amount(c.next_ticket_price()),
        next: Amount(c.estimated_next_price()),
    }))
}

pub fn getstakeversions(node: &Arc<Node>, p: &[Value]) -> RpcResult {
    params::require(p, 2, "getstakeversions")?;
    let hash = parse_hash(params::str_at(p, 0, "hash")?)?;
    let count = params::i64_at(p, 1, "count")?;
    if count <= 0 {
        return Err(params::invalid("Invalid parameter, count must be > 0"));
    }
    let c = node.chain();
    let start = c
        .block(&hash)
        .ok_or_else(|| RpcError::new(-5, "Block not found"))?
        .height();
    let mut out = Vec::new();
    let mut h = i64::from(start);
    while h >= 0 && (out.len() as i64) < count {
        let b = c.block_at(h as u32).expect("height on chain");
        out.push(StakeVersion {
            hash: b.hash,
            height: h,
            blockversion: b.header.version,
            stakeversion: b.header.stake_version,
            votes: b
                .votes
                .iter()
                .map(|(_, _, bits, version)| VersionBits {
                    version: *version,
                    bits: *bits,
                })
                .collect(),
        });
        h -= 1;
    }
    Ok(Json::of(&StakeVersions { stakeversions: out }))
}

/// EXCC 2.7.6 has no deployments on any network, so every version is unknown.
pub fn getvoteinfo(p: &[Value]) -> RpcResult {
    params::require(p, 1, "getvoteinfo")?;
    let v = params::i64_at(p, 0, "version")?;
    Err(RpcError::new(-8, format!("{v}: unrecognized vote version")))
}
