//! Low-fee tickets: stakepoold does not vote a pool ticket whose fee is below the pool's
//! ("ignored"); an admin can add such a ticket so that it is voted anyway, until it expires.
//! The set lives in the database and every voting node gets all of it, after each change
//! and at every sync.

use std::collections::HashMap;

use stakepoold_proto::v1 as pb;

use crate::db::low_fee::AddedTicket;
use crate::db::{Db, DbError};
use crate::pool::Pool;
use crate::voting_nodes::NodeError;

#[derive(Debug, thiserror::Error)]
pub enum LowFeeError {
    #[error("no ticket selected")]
    NoneSelected,
    #[error("{0:?} is not a ticket hash (64 hexadecimal characters)")]
    BadHash(String),
    #[error("ticket {0} is not among the ignored low-fee tickets (any more)")]
    NotIgnored(String),
    #[error(transparent)]
    Nodes(#[from] NodeError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// How long an added ticket is kept: its network's ticket lifetime plus 5 %.
pub fn lifetime_secs(pool: &Pool) -> i64 {
    let p = pool.settings.network.params();
    (i64::from(p.stake.ticket_expiry) * p.target_block_time_secs as i64) * 105 / 100
}

fn check_hashes(hashes: &[String]) -> Result<(), LowFeeError> {
    if hashes.is_empty() {
        return Err(LowFeeError::NoneSelected);
    }
    match hashes
        .iter()
        .find(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        Some(bad) => Err(LowFeeError::BadHash(bad.clone())),
        None => Ok(()),
    }
}

/// Adds ignored tickets (by hash) so that they are voted; returns how many were new.
pub async fn add(pool: &Pool, admin: i64, hashes: &[String]) -> Result<usize, LowFeeError> {
    check_hashes(hashes)?;
    let ignored: HashMap<String, String> = pool
        .nodes
        .ignored_low_fee_tickets()
        .await?
        .into_iter()
        .map(|t| (t.hash, t.multisig_address))
        .collect();
    if let Some(h) = hashes.iter().find(|h| !ignored.contains_key(*h)) {
        return Err(LowFeeError::NotIgnored(h.clone()));
    }
    let now = Db::now();
    let mut added = 0;
    for h in hashes {
        let t = AddedTicket {
            hash: h.clone(),
            address: ignored[h].clone(),
            added_by: admin,
            expires: now + lifetime_secs(pool),
        };
        added += usize::from(pool.db.add_low_fee_ticket(&t, now).await?);
    }
    tracing::info!(admin, added, "low-fee tickets added");
    push(pool).await?;
    Ok(added)
}

/// Removes added tickets; returns how many were there.
pub async fn remove(pool: &Pool, admin: i64, hashes: &[String]) -> Result<u64, LowFeeError> {
    check_hashes(hashes)?;
    let removed = pool.db.remove_low_fee_tickets(hashes).await?;
    tracing::info!(admin, removed, "low-fee tickets removed");
    push(pool).await?;
    Ok(removed)
}

/// The added tickets as stakepoold takes them.
pub async fn current(db: &Db) -> Result<Vec<pb::Ticket>, DbError> {
    Ok(db
        .low_fee_tickets(Db::now())
        .await?
        .into_iter()
        .map(|t| pb::Ticket {
            hash: t.hash,
            multisig_address: t.address,
        })
        .collect())
}

/// Gives every node the whole current set.
async fn push(pool: &Pool) -> Result<(), LowFeeError> {
    pool.nodes
        .set_added_low_fee_tickets(current(&pool.db).await?)
        .await?;
    Ok(())
}
