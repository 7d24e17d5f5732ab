//! Accounts and admin-added low-fee tickets moved from the legacy Go pool's database
//! (`exccstakepool migrate-legacy`, [`crate::migrate`]). Everything goes in one transaction:
//! a refused or failed run leaves the database as it was. Accounts keep their legacy user
//! id, which is also their derivation index (`address_index`), and are marked
//! (`migrated_from_legacy`), so a second run skips them whatever changed since.

use sqlx::Row;

use super::low_fee::AddedTicket;
use super::users::TicketAddress;
use super::{Db, DbError};

/// A legacy account as it is stored here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigratedUser {
    /// The legacy `UserId`: user id and derivation index here.
    pub id: i64,
    pub email: String,
    /// The legacy bcrypt hash, replaced by Argon2id at the next sign-in.
    pub password_hash: String,
    pub email_verified: bool,
    /// SHA-256 (hex) of an unverified account's pending verification link, or empty.
    pub email_token_hash: String,
    pub email_token_expires: i64,
    /// The legacy API token (a JWT signed with the legacy `apisecret`), or empty.
    pub api_token: String,
    pub address: Option<TicketAddress>,
    pub vote_bits: u16,
    pub vote_bits_version: u32,
}

/// What a run changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub users_added: usize,
    /// Moved by an earlier run: left as they are.
    pub users_present: usize,
    pub tickets_added: usize,
    /// Stored already (by an earlier run or an admin).
    pub tickets_present: usize,
}

/// Why nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "the target database has accounts that are not the legacy ones (nothing was changed; migrate into a new database, or into the one an earlier run filled):\n  {}",
        .0.join("\n  ")
    )]
    Conflicts(Vec<String>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Db(e.into())
    }
}

impl Db {
    /// Stores the legacy accounts not moved before and the tickets not stored yet, at `now`;
    /// refuses (changing nothing) if an account here that was not moved from the legacy
    /// pool has one of their ids, e-mail addresses or derivation indices.
    pub async fn import_migrated(
        &self,
        users: &[MigratedUser],
        tickets: &[AddedTicket],
        now: i64,
    ) -> Result<Imported, ImportError> {
        let mut tx = self.pool.begin().await?;
        let mut done = Imported::default();
        let mut conflicts = Vec::new();
        for u in users {
            let same_id =
                sqlx::query("SELECT email, migrated_from_legacy FROM users WHERE user_id = ?")
                    .bind(u.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(row) = same_id {
                let (email, migrated): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
                if migrated != 0 {
                    done.users_present += 1;
                } else {
                    conflicts.push(format!(
                        "user {} ({}): user id {} here is another account ({email})",
                        u.id, u.email, u.id
                    ));
                }
                continue;
            }
            let taken: Option<i64> = sqlx::query_scalar(
                "SELECT user_id FROM users WHERE email = ? OR address_index = ?",
            )
            .bind(&u.email)
            .bind(u.id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(other) = taken {
                conflicts.push(format!(
                    "user {} ({}): account {other} here has this e-mail address or derivation index {}",
                    u.id, u.email, u.id
                ));
                continue;
            }
            insert_user(&mut tx, u, now).await?;
            done.users_added += 1;
        }
        if !conflicts.is_empty() {
            tx.rollback().await?;
            return Err(ImportError::Conflicts(conflicts));
        }
        // New addresses are assigned after the highest legacy user id.
        if let Some(next) = users.iter().map(|u| u.id + 1).max() {
            sqlx::query("UPDATE address_indices SET next_index = ? WHERE next_index < ?")
                .bind(next)
                .bind(next)
                .execute(&mut *tx)
                .await?;
        }
        for t in tickets {
            let present: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM low_fee_tickets WHERE ticket_hash = ?")
                    .bind(&t.hash)
                    .fetch_optional(&mut *tx)
                    .await?;
            if present.is_some() {
                done.tickets_present += 1;
                continue;
            }
            sqlx::query(
                "INSERT INTO low_fee_tickets (added_by, ticket_address, ticket_hash, created, expires) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(t.added_by)
            .bind(&t.address)
            .bind(&t.hash)
            .bind(now)
            .bind(t.expires)
            .execute(&mut *tx)
            .await?;
            done.tickets_added += 1;
        }
        tx.commit().await?;
        Ok(done)
    }
}

async fn insert_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    u: &MigratedUser,
    now: i64,
) -> Result<(), sqlx::Error> {
    let empty = TicketAddress {
        multisig_address: String::new(),
        multisig_script: String::new(),
        pool_pubkey_addr: String::new(),
        user_pubkey_addr: String::new(),
        fee_address: String::new(),
        height_registered: 0,
    };
    let a = u.address.as_ref().unwrap_or(&empty);
    sqlx::query(
        "INSERT INTO users (user_id, email, password_hash, created, email_verified, email_token, email_token_expires, api_token, multisig_address, multisig_script, pool_pubkey_addr, user_pubkey_addr, user_fee_addr, height_registered, vote_bits, vote_bits_version, address_index, migrated_from_legacy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
    )
    .bind(u.id)
    .bind(&u.email)
    .bind(&u.password_hash)
    .bind(now)
    .bind(i64::from(u.email_verified))
    .bind(&u.email_token_hash)
    .bind(u.email_token_expires)
    .bind(&u.api_token)
    .bind(&a.multisig_address)
    .bind(&a.multisig_script)
    .bind(&a.pool_pubkey_addr)
    .bind(&a.user_pubkey_addr)
    .bind(&a.fee_address)
    .bind(a.height_registered)
    .bind(i64::from(u.vote_bits))
    .bind(i64::from(u.vote_bits_version))
    .bind(u.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
