//! Changing a user's vote bits (web form and API `voting`): the text must be a number that
//! fits 16 bits and is valid for the agendas of the wallets' current vote version; the
//! database keeps bits and version, and every voting node gets the new preferences.

use stakepoold_proto::v1 as pb;

use crate::db::users::User;
use crate::pool::Pool;
use crate::votebits;

/// Why vote bits were not changed. `Display` is the text users see.
#[derive(Debug, thiserror::Error)]
pub enum VotingError {
    #[error("unable to convert votebits to uint16")]
    NotANumber,
    #[error("votebits invalid for current agendas")]
    Invalid,
    /// The voting nodes did not tell their vote version (details logged).
    #[error("RPC server error")]
    Nodes(String),
    #[error("failed to update voting prefs in database")]
    Db(String),
}

/// Sets `user`'s vote bits from `text`; returns the bits.
pub async fn set_vote_bits(pool: &Pool, user: &User, text: &str) -> Result<u16, VotingError> {
    let bits: u16 = text.trim().parse().map_err(|_| VotingError::NotANumber)?;
    let version = pool
        .nodes
        .vote_version()
        .await
        .map_err(|e| VotingError::Nodes(e.to_string()))?;
    if !votebits::valid(bits, votebits::agendas(version)) {
        return Err(VotingError::Invalid);
    }
    pool.db
        .set_vote_bits(user.id, bits, version)
        .await
        .map_err(|e| VotingError::Db(e.to_string()))?;
    if let Some(a) = &user.address {
        let prefs = pb::UserVotingPrefs {
            user_id: user.id,
            multisig_address: a.multisig_address.clone(),
            vote_bits: u32::from(bits),
            vote_bits_version: version,
        };
        // The periodic sync pushes them later if a node missed them now.
        if let Err(e) = pool.nodes.update_prefs(vec![prefs]).await {
            tracing::warn!(user = user.id, "voting preferences not pushed: {e}");
        }
    }
    Ok(bits)
}
