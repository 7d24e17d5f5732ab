//! Chain queries: version, network, tip, block hashes and headers, addresses.

use std::sync::Arc;

use base64::Engine as _;
use excc_chain::{Address, Amount, ChainHash};
use excc_rpc::types::{
    BestBlock, BlockHeaderVerbose, NodeValidateAddress, RpcError, VersionInfo, VersionMap,
};
use serde_json::Value;

use super::Node;
use crate::chain::header::HeaderExt;
use crate::rpc::envelope::{Json, RpcResult, params};

pub fn version_info(s: &str, build: &str) -> VersionInfo {
    let mut it = s.split('.').map(|x| x.parse().unwrap_or(0));
    VersionInfo {
        versionstring: if build.starts_with("release") {
            format!("{s}+{}", "release.local")
        } else {
            s.to_string()
        },
        major: it.next().unwrap_or(0),
        minor: it.next().unwrap_or(0),
        patch: it.next().unwrap_or(0),
        prerelease: String::new(),
        buildmetadata: build.to_string(),
    }
}

pub fn node_versions() -> VersionMap {
    let mut m = VersionMap::new();
    m.insert(
        "exccd".into(),
        version_info("2.7.6", "release.local.go1-19-8"),
    );
    m.insert("exccdjsonrpcapi".into(), version_info("7.0.0", ""));
    m
}

pub fn version(node: &Arc<Node>) -> RpcResult {
    use crate::rpc::service::Service;
    let mut m = node_versions();
    if let Some(v) = node.faults().api_version {
        m.insert("exccdjsonrpcapi".into(), version_info(&v, ""));
    }
    Ok(Json::of(&m))
}

pub fn getcurrentnet(node: &Arc<Node>) -> RpcResult {
    Ok(Json::of(&node.chain().params().magic))
}

pub fn getbestblock(node: &Arc<Node>) -> RpcResult {
    let c = node.chain();
    Ok(Json::of(&BestBlock {
        hash: c.tip().hash,
        height: i64::from(c.height()),
    }))
}

pub fn getbestblockhash(node: &Arc<Node>) -> RpcResult {
    Ok(Json::of(&node.chain().tip().hash))
}

pub fn getblockcount(node: &Arc<Node>) -> RpcResult {
    Ok(Json::of(&node.chain().height()))
}

pub fn getblockhash(node: &Arc<Node>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "getblockhash")?;
    let h = params::i64_at(p, 0, "index")?;
    let c = node.chain();
    u32::try_from(h)
        .ok()
        .and_then(|h| c.block_at(h))
        .map(|b| Json::of(&b.hash))
        .ok_or_else(|| RpcError::new(-1, "Block number out of range"))
}

pub fn parse_hash(s: &str) -> Result<ChainHash, RpcError> {
    s.parse().map_err(|_| {
        RpcError::new(
            -8,
            format!("invalid hash {s:?}: must be 64 hexadecimal characters"),
        )
    })
}

pub fn getblockheader(node: &Arc<Node>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "getblockheader")?;
    let hash = parse_hash(params::str_at(p, 0, "hash")?)?;
    let verbose = params::opt_bool(p, 1).unwrap_or(true);
    let c = node.chain();
    let b = c
        .block(&hash)
        .ok_or_else(|| RpcError::new(-5, "Block not found"))?;
    let h = &b.header;
    if !verbose {
        return Ok(Json::of(&hex::encode(h.serialize())));
    }
    let height = b.height();
    let mut times: Vec<u32> = (height.saturating_sub(10)..=height)
        .filter_map(|i| c.block_at(i).map(|x| x.header.timestamp))
        .collect();
    times.sort_unstable();
    let median = times[times.len() / 2];
    let v = BlockHeaderVerbose {
        hash: b.hash,
        confirmations: i64::from(c.height() - height + 1),
        version: h.version,
        merkleroot: h.merkle_root,
        stakeroot: h.stake_root,
        votebits: h.vote_bits,
        finalstate: hex::encode(h.final_state),
        voters: h.voters,
        freshstake: h.fresh_stake,
        revocations: h.revocations,
        poolsize: h.pool_size,
        bits: format!("{:08x}", h.bits),
        sbits: Amount(h.sbits),
        height,
        size: h.size,
        time: i64::from(h.timestamp),
        mediantime: i64::from(median),
        nonce: h.nonce,
        extradata: hex::encode(h.extra_data),
        stakeversion: h.stake_version,
        difficulty: h.difficulty(),
        chainwork: format!("{:064x}", 2 * (u64::from(height) + 1)),
        previousblockhash: (height > 0).then_some(h.prev_block),
        nextblockhash: c.block_at(height + 1).map(|n| n.hash),
        equihashsolution: base64::engine::general_purpose::STANDARD.encode(h.equihash_solution),
    };
    Ok(Json::of(&v))
}

pub fn validateaddress(node: &Arc<Node>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "validateaddress")?;
    let s = params::str_at(p, 0, "address")?;
    let net = node.chain().network();
    Ok(Json::of(&match Address::decode_for(s, net) {
        Ok(_) => NodeValidateAddress {
            isvalid: true,
            address: s.to_string(),
        },
        Err(_) => NodeValidateAddress {
            isvalid: false,
            address: String::new(),
        },
    }))
}
