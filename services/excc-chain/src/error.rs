//! The one error type of the chain library. Every message says what was wrong
//! and, where it helps, what the caller should do instead.

use crate::network::Network;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("not valid base58: {0}")]
    Base58(String),
    #[error("checksum mismatch: the string is mistyped or truncated")]
    Checksum,
    #[error("wrong length: {what} must be {expected} bytes, got {got}")]
    Length {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("unknown address prefix {0:#06x}: not an EXCC address of any network")]
    UnknownAddressPrefix(u16),
    #[error("address is for {found}, but {expected} was expected")]
    WrongNetwork { expected: Network, found: Network },
    #[error(
        "extended public key is for wrong network: it is for {found}, but {expected} was expected"
    )]
    XpubWrongNetwork { expected: Network, found: Network },
    #[error("unknown extended key version {0:02x?}: not an EXCC xpub/tpub/spub/rpub")]
    UnknownXpubVersion([u8; 4]),
    #[error(
        "this is an extended private key; give the extended public key (xpub/tpub/spub) instead"
    )]
    PrivateXpub,
    #[error("invalid public key: {0}")]
    BadPubKey(String),
    #[error("{0} is not a secp256k1 public-key address (expected one starting with {1}k…)")]
    NotPubKeyAddress(String, char),
    #[error(
        "hardened derivation (index {0}) needs the private key; only non-hardened indices < 2^31 work from a public key"
    )]
    Hardened(u32),
    #[error("derivation at index {0} produced an invalid key; use the next index")]
    InvalidChild(u32),
    #[error("invalid amount {input:?}: {reason}")]
    Amount { input: String, reason: String },
    #[error("invalid hash: {0}")]
    BadHash(String),
    #[error("invalid script: {0}")]
    Script(String),
    #[error("invalid transaction: {0}")]
    Tx(String),
    #[error("unknown network {0:?}: expected mainnet, testnet, simnet or regnet")]
    UnknownNetwork(String),
    #[error(
        "invalid pool fee percent {0}: must be between 0.01 and 100.00 with at most two decimals"
    )]
    PoolFeePercent(String),
}
