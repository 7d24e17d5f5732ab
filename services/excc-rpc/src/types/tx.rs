//! Transactions as exccd shows them: `getrawtransaction "txid" 1` and `gettxout`.

use excc_chain::{Amount, ChainHash};
use serde::{Deserialize, Serialize};

use super::gofloat;
use super::serde_util::{is_zero, null_as_empty};

/// `getrawtransaction "txid" 1` (exccd `TxRawResult`). Block fields are omitted
/// for mempool transactions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawTransaction {
    /// Serialised transaction, hex.
    pub hex: String,
    /// Transaction id.
    pub txid: ChainHash,
    /// Transaction version.
    pub version: i32,
    /// Lock time.
    pub locktime: u32,
    /// Expiry height (0 = none).
    pub expiry: u32,
    /// Inputs.
    #[serde(deserialize_with = "null_as_empty")]
    pub vin: Vec<Vin>,
    /// Outputs.
    #[serde(deserialize_with = "null_as_empty")]
    pub vout: Vec<Vout>,
    /// Containing block (absent in the mempool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blockhash: Option<ChainHash>,
    /// Height of the containing block (omitted when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blockheight: i64,
    /// Index in the block (omitted when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blockindex: u32,
    /// Confirmations (omitted when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub confirmations: i64,
    /// Time (omitted when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub time: i64,
    /// Block time (omitted when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blocktime: i64,
}

/// A transaction input. exccd writes one of four shapes (coinbase, stakebase,
/// treasury, regular); every shape is a subsequence of this field order, so one
/// struct with optional fields reproduces them all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vin {
    /// Coinbase script, hex (coinbase inputs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coinbase: Option<String>,
    /// Stakebase script, hex (the first input of a vote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stakebase: Option<String>,
    /// Treasury base marker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treasurybase: Option<bool>,
    /// Treasury spend script, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treasuryspend: Option<String>,
    /// Spent transaction (regular inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txid: Option<ChainHash>,
    /// Spent output index (regular inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vout: Option<u32>,
    /// Tree of the spent output: 0 regular, 1 stake (regular inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<i8>,
    /// Sequence number.
    pub sequence: u32,
    /// Value of the spent output.
    #[serde(with = "gofloat::amount")]
    pub amountin: Amount,
    /// Height of the spent output's block.
    pub blockheight: u32,
    /// Index of the spent output's transaction in its block.
    pub blockindex: u32,
    /// Signature script (regular inputs).
    #[serde(rename = "scriptSig", default, skip_serializing_if = "Option::is_none")]
    pub script_sig: Option<ScriptSig>,
}

impl Vin {
    /// True for a coinbase input.
    pub fn is_coinbase(&self) -> bool {
        self.coinbase.is_some()
    }

    /// True for the stakebase input of a vote.
    pub fn is_stakebase(&self) -> bool {
        self.stakebase.is_some()
    }
}

/// A signature script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptSig {
    /// Disassembly.
    pub asm: String,
    /// Hex.
    pub hex: String,
}

/// A transaction output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vout {
    /// Output value (0 for commitments and change placeholders).
    #[serde(with = "gofloat::amount")]
    pub value: Amount,
    /// Output index.
    pub n: u32,
    /// Script version.
    pub version: u16,
    /// The output script.
    #[serde(rename = "scriptPubKey")]
    pub script_pub_key: ScriptPubKey,
}

/// An output script as exccd describes it (`ScriptPubKeyResult`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScriptPubKey {
    /// Disassembly.
    pub asm: String,
    /// Hex (omitted when empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hex: String,
    /// Required signatures (omitted when 0, e.g. for `sstxcommitment`).
    #[serde(rename = "reqSigs", default, skip_serializing_if = "is_zero")]
    pub req_sigs: i32,
    /// Script class, e.g. `stakesubmission-scripthash`, `sstxcommitment`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Addresses paid (omitted when none, e.g. `nulldata`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// Committed amount of an `sstxcommitment` output (ticket `vout[1]`, `vout[3]`, …).
    #[serde(
        default,
        with = "gofloat::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub commitamt: Option<Amount>,
    /// Script version.
    pub version: u16,
}

/// `gettxout "txid" vout tree includemempool` (2.7.6 parameter list). The
/// call returns `null` for a spent or unknown output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TxOut {
    /// Tip hash at the time of the query.
    pub bestblock: ChainHash,
    /// Confirmations of the output's transaction.
    pub confirmations: i64,
    /// Output value.
    #[serde(with = "gofloat::amount")]
    pub value: Amount,
    /// Output script.
    #[serde(rename = "scriptPubKey")]
    pub script_pub_key: ScriptPubKey,
    /// True for a coinbase output.
    pub coinbase: bool,
}
