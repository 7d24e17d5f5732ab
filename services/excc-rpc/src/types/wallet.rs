//! exccwallet 2.7.6 results: `createmultisig`, `getstakeinfo`, `walletinfo`,
//! `getbalance`, `gettickets`, `gettransaction`, `generatevote`, `getvotechoices`.

use excc_chain::{Amount, ChainHash};
use serde::{Deserialize, Serialize};

use super::gofloat::{self, is_zero_amount, is_zero_f64};
use super::serde_util::{hash_or_empty, is_false, is_zero, null_as_empty};

/// `createmultisig n ["key",…]`. Note the camelCase `redeemScript`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateMultisig {
    /// The P2SH address.
    pub address: String,
    /// Redeem script, hex.
    #[serde(rename = "redeemScript")]
    pub redeem_script: String,
}

/// `getstakeinfo`. 2.7.6 omits the optional fields when zero (and always for SPV wallets).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StakeInfo {
    /// Wallet tip height.
    pub blockheight: i64,
    /// Current ticket price.
    #[serde(with = "gofloat::amount")]
    pub difficulty: Amount,
    /// Total vote subsidy earned.
    #[serde(with = "gofloat::amount")]
    pub totalsubsidy: Amount,
    /// Own tickets in the mempool.
    pub ownmempooltix: u32,
    /// Own immature tickets.
    pub immature: u32,
    /// Own unspent tickets.
    pub unspent: u32,
    /// Own voted tickets.
    pub voted: u32,
    /// Own revoked tickets.
    pub revoked: u32,
    /// Own unspent expired tickets.
    pub unspentexpired: u32,
    /// Live pool size.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub poolsize: u32,
    /// All tickets in the mempool.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub allmempooltix: u32,
    /// Own live tickets.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub live: u32,
    /// Own live / pool size.
    #[serde(default, with = "gofloat::float", skip_serializing_if = "is_zero_f64")]
    pub proportionlive: f64,
    /// Own missed tickets.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub missed: u32,
    /// Missed / (voted + missed).
    #[serde(default, with = "gofloat::float", skip_serializing_if = "is_zero_f64")]
    pub proportionmissed: f64,
    /// Own expired tickets.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub expired: u32,
}

/// `walletinfo` (2.7.6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WalletInfo {
    /// Connected to exccd (RPC mode) or peers (SPV).
    pub daemonconnected: bool,
    /// SPV mode (the pool needs RPC mode: `false`).
    pub spv: bool,
    /// Wallet unlocked (needed for `generatevote`, `purchaseticket`).
    pub unlocked: bool,
    /// SLIP-0044 coin type (omitted when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cointype: u32,
    /// Transaction fee per kB.
    #[serde(with = "gofloat::amount")]
    pub txfee: Amount,
    /// Default vote bits.
    pub votebits: u16,
    /// Default extended vote bits, hex (`0a000000` on simnet/testnet).
    pub votebitsextended: String,
    /// Vote version.
    pub voteversion: u32,
    /// Wallet votes by itself (`--enablevoting`).
    pub voting: bool,
    /// Manual tickets mode.
    pub manualtickets: bool,
}

/// One account of `getbalance`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountBalance {
    /// Account name.
    pub accountname: String,
    /// Immature coinbase.
    #[serde(with = "gofloat::amount")]
    pub immaturecoinbaserewards: Amount,
    /// Immature vote rewards.
    #[serde(with = "gofloat::amount")]
    pub immaturestakegeneration: Amount,
    /// Locked in tickets.
    #[serde(with = "gofloat::amount")]
    pub lockedbytickets: Amount,
    /// Spendable.
    #[serde(with = "gofloat::amount")]
    pub spendable: Amount,
    /// Total.
    #[serde(with = "gofloat::amount")]
    pub total: Amount,
    /// Unconfirmed.
    #[serde(with = "gofloat::amount")]
    pub unconfirmed: Amount,
    /// Voting authority.
    #[serde(with = "gofloat::amount")]
    pub votingauthority: Amount,
}

/// `getbalance "account" minconf`. The totals are omitted when zero (and when
/// one account was asked for).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// Per-account balances.
    #[serde(deserialize_with = "null_as_empty")]
    pub balances: Vec<AccountBalance>,
    /// Wallet tip.
    pub blockhash: ChainHash,
    /// Sum of immature coinbase.
    #[serde(
        default,
        with = "gofloat::amount",
        skip_serializing_if = "is_zero_amount"
    )]
    pub totalimmaturecoinbaserewards: Amount,
    /// Sum of immature vote rewards.
    #[serde(
        default,
        with = "gofloat::amount",
        skip_serializing_if = "is_zero_amount"
    )]
    pub totalimmaturestakegeneration: Amount,
    /// Sum locked by tickets.
    #[serde(
        default,
        with = "gofloat::amount",
        skip_serializing_if = "is_zero_amount"
    )]
    pub totallockedbytickets: Amount,
    /// Sum spendable.
    #[serde(
        default,
        with = "gofloat::amount",
        skip_serializing_if = "is_zero_amount"
    )]
    pub totalspendable: Amount,
    /// Sum of totals.
    #[serde(
        default,
        with = "gofloat::amount",
        skip_serializing_if = "is_zero_amount"
    )]
    pub cumulativetotal: Amount,
    /// Sum unconfirmed.
    #[serde(
        default,
        with = "gofloat::amount",
        skip_serializing_if = "is_zero_amount"
    )]
    pub totalunconfirmed: Amount,
    /// Sum of voting authority.
    #[serde(
        default,
        with = "gofloat::amount",
        skip_serializing_if = "is_zero_amount"
    )]
    pub totalvotingauthority: Amount,
}

/// `gettickets includeimmature`: `{"hashes":[…]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketHashes {
    /// Ticket hashes.
    #[serde(deserialize_with = "null_as_empty")]
    pub hashes: Vec<ChainHash>,
}

/// One entry of `gettransaction` `details`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransactionDetail {
    /// Account.
    pub account: String,
    /// Address involved (the pool's P2SH for a pool ticket).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
    /// Amount (negative for sends).
    #[serde(with = "gofloat::amount")]
    pub amount: Amount,
    /// Category (`send`, `receive`, `ticket`, `vote`, …).
    pub category: String,
    /// Involves a watch-only address.
    #[serde(default, skip_serializing_if = "is_false")]
    pub involveswatchonly: bool,
    /// Fee (sends only).
    #[serde(
        default,
        with = "gofloat::amount_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub fee: Option<Amount>,
    /// Output index.
    pub vout: u32,
}

/// `gettransaction "txid" includewatchonly`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WalletTransaction {
    /// Net amount.
    #[serde(with = "gofloat::amount")]
    pub amount: Amount,
    /// Fee (omitted when 0).
    #[serde(
        default,
        with = "gofloat::amount",
        skip_serializing_if = "is_zero_amount"
    )]
    pub fee: Amount,
    /// Confirmations.
    pub confirmations: i64,
    /// Containing block (`""` on the wire while unmined).
    #[serde(default, with = "hash_or_empty")]
    pub blockhash: Option<ChainHash>,
    /// Index in the block.
    pub blockindex: i64,
    /// Block time.
    pub blocktime: i64,
    /// Transaction id.
    pub txid: ChainHash,
    /// Conflicting transactions.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub walletconflicts: Vec<String>,
    /// Time first seen.
    pub time: i64,
    /// Time received.
    pub timereceived: i64,
    /// Per-output details.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub details: Vec<TransactionDetail>,
    /// Serialised transaction, hex.
    pub hex: String,
    /// `regular`, `ticket`, `vote`, `revocation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Ticket status for tickets (omitted otherwise).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ticketstatus: String,
}

/// `generatevote`: the signed vote, to be sent with exccd `sendrawtransaction`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedVote {
    /// Signed vote transaction, hex.
    pub hex: String,
}

/// One vote choice of `getvotechoices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteChoice {
    /// Agenda id.
    pub agendaid: String,
    /// Agenda description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub agendadescription: String,
    /// Chosen choice id.
    pub choiceid: String,
    /// Choice description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub choicedescription: String,
}

/// `getvotechoices` (empty `choices` on EXCC 2.7.6: no agendas).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteChoices {
    /// Vote version.
    pub version: u32,
    /// Choices.
    #[serde(deserialize_with = "null_as_empty")]
    pub choices: Vec<VoteChoice>,
}
