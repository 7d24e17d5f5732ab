//! Wire types shared by the client and the simulator. Every type derives
//! `Serialize` and `Deserialize`; field order is the order exccd/exccwallet
//! 2.7.6 write, and `skip_serializing_if` mirrors Go's `omitempty`, so
//! serialising a value reproduces the real software's JSON (checked against
//! every captured fixture by `tests/types_roundtrip.rs`). Amounts are
//! [`excc_chain::Amount`] written like Go floats ([`gofloat`]); hashes are
//! [`excc_chain::ChainHash`].

pub mod chain;
pub mod envelope;
pub mod gofloat;
pub mod header;
pub mod notification;
pub mod serde_util;
pub mod stakepool;
pub mod tickets;
pub mod tx;
pub mod validate;
pub mod wallet;

pub use chain::{
    Agenda, AgendaChoice, BestBlock, BlockHeaderVerbose, StakeDifficulty, StakeVersion,
    StakeVersions, VersionBits, VersionInfo, VersionMap, VoteInfo,
};
pub use envelope::{
    Incoming, NotificationFrame, Request, Response, RpcError, codes, encode_error_reply,
    encode_reply,
};
pub use gofloat::GoFloat;
pub use header::BlockHeader;
pub use notification::{Notification, NotificationError, RawHeader, TicketSpend};
pub use stakepool::{PoolTicketStatus, PoolUserTicket, StakePoolUserInfo};
pub use tickets::{BitsetError, TicketList, decode_exists_bitset, encode_exists_bitset};
pub use tx::{RawTransaction, ScriptPubKey, ScriptSig, TxOut, Vin, Vout};
pub use validate::{NodeValidateAddress, WalletValidateAddress};
pub use wallet::{
    AccountBalance, Balance, CreateMultisig, GeneratedVote, StakeInfo, TicketHashes,
    TransactionDetail, VoteChoice, VoteChoices, WalletInfo, WalletTransaction,
};
