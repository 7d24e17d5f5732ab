//! Low-fee tickets an admin chose to have voted anyway (legacy `LowFeeTicket`). Each is kept
//! until its expiry: past the ticket's possible lifetime it cannot win any more.

use sqlx::Row;

use super::{Db, DbError};

/// One admin-added ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedTicket {
    pub hash: String,
    /// The multisig ticket address it was bought for.
    pub address: String,
    pub added_by: i64,
    pub expires: i64,
}

impl Db {
    /// Adds a ticket (`false` if it was added already).
    pub async fn add_low_fee_ticket(&self, t: &AddedTicket, now: i64) -> Result<bool, DbError> {
        let r = sqlx::query(
            "INSERT INTO low_fee_tickets (added_by, ticket_address, ticket_hash, created, expires) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(t.added_by)
        .bind(&t.address)
        .bind(&t.hash)
        .bind(now)
        .bind(t.expires)
        .execute(&self.pool)
        .await;
        match r {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The added tickets that have not expired at `now`, by hash.
    pub async fn low_fee_tickets(&self, now: i64) -> Result<Vec<AddedTicket>, DbError> {
        let rows = sqlx::query(
            "SELECT ticket_hash, ticket_address, added_by, expires FROM low_fee_tickets WHERE expires > ? ORDER BY ticket_hash",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AddedTicket {
                    hash: r.try_get("ticket_hash")?,
                    address: r.try_get("ticket_address")?,
                    added_by: r.try_get("added_by")?,
                    expires: r.try_get("expires")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(DbError::from)
    }

    /// Removes these tickets; returns how many were there.
    pub async fn remove_low_fee_tickets(&self, hashes: &[String]) -> Result<u64, DbError> {
        let mut tx = self.pool.begin().await?;
        let mut removed = 0;
        for h in hashes {
            removed += sqlx::query("DELETE FROM low_fee_tickets WHERE ticket_hash = ?")
                .bind(h)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(removed)
    }
}
