//! Submitting a user's public-key address (web form or API `address`): the pool's key for
//! the user (`voting xpub/0/INDEX`, the user's derivation index, assigned here at the first
//! submission: sign-ups alone use up no index) and the user's key make the 1-of-2 multisig
//! ticket address. It is computed here and every voting node's wallet must make exactly the same
//! script; every node imports it, then the user's row stores it (once) and the nodes get
//! the user's voting preferences. Nothing is stored unless every node succeeded.

use excc_chain::script::{Multisig, pool_ticket_multisig};
use excc_chain::{Address, ChainError};
use stakepoold_proto::v1 as pb;

use crate::db::DbError;
use crate::db::users::{TicketAddress, User};
use crate::pool::{Pool, PoolSettings};

/// Why an address was not accepted. `Display` is the text users see.
#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    #[error("address already submitted")]
    AlreadySubmitted,
    #[error("address too short")]
    TooShort,
    #[error("address too long")]
    TooLong,
    #[error("couldn't decode address")]
    Decode,
    #[error("address is for {found}, but this pool runs on {expected}")]
    WrongNetwork { found: String, expected: String },
    #[error("incorrect address type: submit a public-key address (validateaddress's pubkeyaddr)")]
    WrongType,
    #[error("the pool is full (address index {0} is beyond its address range)")]
    Full(i64),
    /// A voting node or the database failed; details go to the log, not to the user.
    #[error("unable to process wallet commands")]
    System(String),
}

impl From<DbError> for AddressError {
    fn from(e: DbError) -> Self {
        AddressError::System(e.to_string())
    }
}

/// Checks the text of a submitted address: length, encoding, network and kind.
pub fn parse_user_key(pool: &Pool, text: &str) -> Result<excc_chain::PubKey, AddressError> {
    let text = text.trim();
    if text.len() < 40 {
        return Err(AddressError::TooShort);
    }
    if text.len() > 65 {
        return Err(AddressError::TooLong);
    }
    let network = pool.settings.network;
    match Address::decode_pubkey_for(text, network) {
        Ok(key) => Ok(key),
        Err(ChainError::WrongNetwork { expected, found }) => Err(AddressError::WrongNetwork {
            found: found.name().to_owned(),
            expected: expected.name().to_owned(),
        }),
        Err(ChainError::NotPubKeyAddress(..)) => Err(AddressError::WrongType),
        Err(_) => Err(AddressError::Decode),
    }
}

/// What the pool derives for a derivation index and a user's key.
pub struct Derived {
    /// The 1-of-2 multisig ticket address and its redeem script.
    pub multisig: Multisig,
    /// The pool's key for the user (`voting_wallet_xpub/0/INDEX`), as a pubkey address.
    pub pool_pubkey_addr: String,
    pub user_pubkey_addr: String,
    /// P2PKH of `cold_wallet_xpub/0/INDEX`.
    pub fee_address: String,
}

/// The pool key, ticket address and fee address of derivation index `index` for a user's
/// key (also what `migrate-legacy` checks each legacy user's stored addresses against).
pub fn derive(
    s: &PoolSettings,
    index: u32,
    user_key: excc_chain::PubKey,
) -> Result<Derived, AddressError> {
    let child = |xpub: &excc_chain::ExtendedKey| {
        xpub.child(0)
            .and_then(|b| b.child(index))
            .map(|k| k.pubkey())
            .map_err(|e| AddressError::System(format!("deriving key {index}: {e}")))
    };
    let pool_key = child(&s.voting_wallet_xpub)?;
    let fee_key = child(&s.cold_wallet_xpub)?;
    Ok(Derived {
        multisig: pool_ticket_multisig(s.network, &pool_key, &user_key),
        pool_pubkey_addr: Address::p2pk(s.network, pool_key).encode(),
        user_pubkey_addr: Address::p2pk(s.network, user_key).encode(),
        fee_address: Address::p2pkh_from_pubkey(s.network, &fee_key).encode(),
    })
}

/// The whole submission for `user`; returns what was stored.
pub async fn submit(pool: &Pool, user: &User, text: &str) -> Result<TicketAddress, AddressError> {
    if user.address.is_some() {
        return Err(AddressError::AlreadySubmitted);
    }
    let user_key = parse_user_key(pool, text)?;
    let s = &pool.settings;
    let assigned = pool.db.address_index(user.id).await?;
    let index = u32::try_from(assigned)
        .ok()
        .filter(|i| *i < s.max_users)
        .ok_or(AddressError::Full(assigned))?;
    let derived = derive(s, index, user_key)?;
    let expected = derived.multisig;
    let (pool_pka, user_pka) = (derived.pool_pubkey_addr, derived.user_pubkey_addr);

    let system = |e: crate::voting_nodes::NodeError| AddressError::System(e.to_string());
    let (script, multisig) = pool
        .nodes
        .create_multisig(&[pool_pka.clone(), user_pka.clone()])
        .await
        .map_err(system)?;
    if script != hex::encode(&expected.redeem_script) || multisig != expected.address.encode() {
        return Err(AddressError::System(format!(
            "the voting wallets made {multisig} for user {} (index {index}), expected {}: is voting_wallet_xpub the voting wallets' account xpub?",
            user.id,
            expected.address.encode()
        )));
    }
    let height = pool
        .nodes
        .import_script(&expected.redeem_script)
        .await
        .map_err(system)?;
    let stored = TicketAddress {
        multisig_address: multisig,
        multisig_script: script,
        pool_pubkey_addr: pool_pka,
        user_pubkey_addr: user_pka,
        fee_address: derived.fee_address,
        height_registered: height,
    };
    if !pool.db.set_ticket_address(user.id, &stored).await? {
        return Err(AddressError::AlreadySubmitted);
    }
    // Stored is stored: a node that misses the preferences votes with its wallet's
    // defaults until the next push, which is no reason to refuse the address.
    if let Err(e) = pool
        .nodes
        .update_prefs(vec![pb::UserVotingPrefs {
            user_id: user.id,
            multisig_address: stored.multisig_address.clone(),
            vote_bits: u32::from(user.vote_bits),
            vote_bits_version: user.vote_bits_version,
        }])
        .await
    {
        tracing::warn!(user = user.id, "voting preferences not pushed: {e}");
    }
    tracing::info!(user = user.id, address = %stored.multisig_address, "ticket address registered");
    Ok(stored)
}
