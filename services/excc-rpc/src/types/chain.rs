//! exccd chain-query results: `getbestblock`, `getblockheader` (verbose),
//! `getstakedifficulty`, `getstakeversions`, `getvoteinfo`, `version`.
//! Field order and `omitempty` follow exccd 2.7.6 (`rpc/jsonrpc/types/chainsvrresults.go`)
//! as captured in the simnet fixtures.

use std::collections::BTreeMap;

use excc_chain::{Amount, ChainHash};
use serde::{Deserialize, Serialize};

use super::gofloat;
use super::serde_util::null_as_empty;

/// `getbestblock` (node and wallet): the tip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BestBlock {
    /// Tip block hash.
    pub hash: ChainHash,
    /// Tip height.
    pub height: i64,
}

/// `getblockheader "hash" true`. The non-verbose form is a 560-character hex string.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockHeaderVerbose {
    /// Block hash (SHA-256 of the 280-byte header).
    pub hash: ChainHash,
    /// Confirmations (1 for the tip; -1 for a side-chain block).
    pub confirmations: i64,
    /// Block version.
    pub version: i32,
    /// Merkle root of the regular transaction tree.
    pub merkleroot: ChainHash,
    /// Merkle root of the stake transaction tree.
    pub stakeroot: ChainHash,
    /// Vote bits.
    pub votebits: u16,
    /// Final lottery state, hex.
    pub finalstate: String,
    /// Number of votes in the block.
    pub voters: u16,
    /// Number of new tickets in the block.
    pub freshstake: u8,
    /// Number of revocations in the block.
    pub revocations: u8,
    /// Live ticket pool size.
    pub poolsize: u32,
    /// Compact difficulty target, hex.
    pub bits: String,
    /// Stake difficulty (ticket price).
    #[serde(with = "gofloat::amount")]
    pub sbits: Amount,
    /// Height.
    pub height: u32,
    /// Serialised block size in bytes.
    pub size: u32,
    /// Block timestamp (unix seconds).
    pub time: i64,
    /// Median time of the past blocks.
    pub mediantime: i64,
    /// Header nonce.
    pub nonce: u32,
    /// Extra data, hex.
    pub extradata: String,
    /// Stake version.
    pub stakeversion: u32,
    /// Proof-of-work difficulty as a float.
    #[serde(with = "gofloat::float")]
    pub difficulty: f64,
    /// Cumulative chain work, hex.
    pub chainwork: String,
    /// Previous block (absent only for genesis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previousblockhash: Option<ChainHash>,
    /// Next block on the main chain (absent at the tip).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nextblockhash: Option<ChainHash>,
    /// Equihash solution: a Go `[]byte`, hence **base64** (see [`Self::equihash_solution_bytes`]).
    pub equihashsolution: String,
}

impl BlockHeaderVerbose {
    /// Decodes the base64 `equihashsolution` (100 bytes on EXCC).
    pub fn equihash_solution_bytes(&self) -> Result<Vec<u8>, base64::DecodeError> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.decode(&self.equihashsolution)
    }
}

/// `getstakedifficulty`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StakeDifficulty {
    /// Ticket price for the next block.
    #[serde(with = "gofloat::amount")]
    pub current: Amount,
    /// Estimated price of the next window.
    #[serde(with = "gofloat::amount")]
    pub next: Amount,
}

/// One `(version, bits)` vote of a block (`getstakeversions`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionBits {
    /// Vote version.
    pub version: u32,
    /// Vote bits.
    pub bits: u16,
}

/// One block of `getstakeversions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakeVersion {
    /// Block hash.
    pub hash: ChainHash,
    /// Block height.
    pub height: i64,
    /// Block version.
    pub blockversion: i32,
    /// Stake version.
    pub stakeversion: u32,
    /// Votes in the block.
    #[serde(deserialize_with = "null_as_empty")]
    pub votes: Vec<VersionBits>,
}

/// `getstakeversions "hash" count`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakeVersions {
    /// Blocks from `hash` backwards.
    #[serde(deserialize_with = "null_as_empty")]
    pub stakeversions: Vec<StakeVersion>,
}

/// One choice of an agenda (`getvoteinfo`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgendaChoice {
    /// Choice id.
    pub id: String,
    /// Description.
    pub description: String,
    /// Bits of this choice.
    pub bits: u16,
    /// Abstain choice.
    pub isabstain: bool,
    /// "No" choice.
    pub isno: bool,
    /// Votes counted.
    pub count: u32,
    /// Progress fraction.
    #[serde(with = "gofloat::float")]
    pub progress: f64,
}

/// One agenda (`getvoteinfo`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agenda {
    /// Agenda id.
    pub id: String,
    /// Description.
    pub description: String,
    /// Vote-bits mask.
    pub mask: u16,
    /// Start time (unix).
    pub starttime: u64,
    /// Expire time (unix).
    pub expiretime: u64,
    /// Status (`defined`, `started`, `lockedin`, `active`, `failed`).
    pub status: String,
    /// Quorum progress fraction.
    #[serde(with = "gofloat::float")]
    pub quorumprogress: f64,
    /// Choices.
    #[serde(deserialize_with = "null_as_empty")]
    pub choices: Vec<AgendaChoice>,
}

/// `getvoteinfo version` (errors with -8 on EXCC 2.7.6: no deployments).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoteInfo {
    /// Tip height.
    pub currentheight: i64,
    /// Start of the voting interval.
    pub startheight: i64,
    /// End of the voting interval.
    pub endheight: i64,
    /// Tip hash.
    pub hash: ChainHash,
    /// Vote version asked about.
    pub voteversion: u32,
    /// Quorum.
    pub quorum: u32,
    /// Total votes in the interval.
    pub totalvotes: u32,
    /// Agendas (omitted when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agendas: Vec<Agenda>,
}

/// One entry of the `version` result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Full version string, e.g. `"2.7.6+release.local"`.
    pub versionstring: String,
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
    /// Pre-release tag.
    pub prerelease: String,
    /// Build metadata.
    pub buildmetadata: String,
}

/// `version`: keyed by program/API name (`exccd`, `exccdjsonrpcapi`,
/// `exccwalletjsonrpcapi`). A Go map, so keys are written sorted, as a `BTreeMap` does.
pub type VersionMap = BTreeMap<String, VersionInfo>;
