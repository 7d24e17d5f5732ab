//! Pool users: accounts, their ticket address (set once) and its derivation index, vote
//! preferences, API token, admin flag. E-mail addresses are stored in canonical form
//! ([`crate::email_address::canonical`]).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError};
use crate::email_address::canonical;

/// One row of `users`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub created: i64,
    pub email_verified: bool,
    pub api_token: String,
    pub address: Option<TicketAddress>,
    pub vote_bits: u16,
    pub vote_bits_version: u32,
    /// Moves on at every password or e-mail change and sign-out: sessions of an older epoch
    /// are void.
    pub session_epoch: i64,
    /// The index of the user's pool key and fee address (`xpub/0/INDEX`), assigned at the
    /// first address submission ([`Db::address_index`]); `None` before.
    pub address_index: Option<i64>,
    /// Made an admin with `exccstakepool admin add`.
    pub is_admin: bool,
}

/// What a user's submitted public key became: the 1-of-2 multisig ticket address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketAddress {
    /// P2SH address tickets commit their voting rights to.
    pub multisig_address: String,
    /// Its redeem script, hex.
    pub multisig_script: String,
    pub pool_pubkey_addr: String,
    pub user_pubkey_addr: String,
    /// Where the user's tickets pay the pool fee.
    pub fee_address: String,
    /// Best height when the script was imported.
    pub height_registered: i64,
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("an account with this e-mail address exists already")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// `SELECT` of a whole user (a macro so that the queries stay string literals).
macro_rules! select_user {
    ($where:literal) => {
        concat!(
            "SELECT user_id, email, password_hash, created, email_verified, api_token, multisig_address, multisig_script, pool_pubkey_addr, user_pubkey_addr, user_fee_addr, height_registered, vote_bits, vote_bits_version, session_epoch, address_index, is_admin FROM users WHERE ",
            $where
        )
    };
}

fn from_row(r: &AnyRow) -> Result<User, sqlx::Error> {
    let multisig_address: String = r.try_get("multisig_address")?;
    let address = if multisig_address.is_empty() {
        None
    } else {
        Some(TicketAddress {
            multisig_address,
            multisig_script: r.try_get("multisig_script")?,
            pool_pubkey_addr: r.try_get("pool_pubkey_addr")?,
            user_pubkey_addr: r.try_get("user_pubkey_addr")?,
            fee_address: r.try_get("user_fee_addr")?,
            height_registered: r.try_get("height_registered")?,
        })
    };
    Ok(User {
        id: r.try_get("user_id")?,
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        created: r.try_get("created")?,
        email_verified: r.try_get::<i64, _>("email_verified")? != 0,
        api_token: r.try_get("api_token")?,
        address,
        vote_bits: r.try_get::<i64, _>("vote_bits")? as u16,
        vote_bits_version: r.try_get::<i64, _>("vote_bits_version")? as u32,
        session_epoch: r.try_get("session_epoch")?,
        address_index: r.try_get("address_index")?,
        is_admin: r.try_get::<i64, _>("is_admin")? != 0,
    })
}

/// A user with a ticket address: what every voting node must know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VotingUser {
    pub id: i64,
    pub multisig_address: String,
    /// Redeem script, hex.
    pub multisig_script: String,
    pub height_registered: i64,
    pub vote_bits: u16,
    pub vote_bits_version: u32,
}

impl Db {
    /// A new, unverified account. E-mail addresses are unique in canonical form.
    pub async fn create_user(&self, email: &str, password_hash: &str) -> Result<i64, CreateError> {
        self.create_user_with_link(email, password_hash, "", 0)
            .await
    }

    /// [`Db::create_user`] with its e-mail verification link (hash and expiry) in the same
    /// write.
    pub async fn create_user_with_link(
        &self,
        email: &str,
        password_hash: &str,
        token_hash: &str,
        token_expires: i64,
    ) -> Result<i64, CreateError> {
        let email = &canonical(email);
        let r = sqlx::query(
            "INSERT INTO users (email, password_hash, created, email_token, email_token_expires) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(email)
        .bind(password_hash)
        .bind(Db::now())
        .bind(token_hash)
        .bind(token_expires)
        .execute(&self.pool)
        .await;
        match r {
            // The Any driver reports no insert id for SQLite: read it back by the unique e-mail.
            Ok(_) => Ok(
                sqlx::query_scalar("SELECT user_id FROM users WHERE email = ?")
                    .bind(email)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(DbError::from)?,
            ),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(CreateError::EmailTaken)
            }
            Err(e) => Err(CreateError::Db(e.into())),
        }
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>, DbError> {
        let row = sqlx::query(select_user!("user_id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// The account of an address in any case (also an account from before canonical
    /// storage that kept its exact address).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, DbError> {
        let row = sqlx::query(select_user!(
            "email = ? OR email = ? ORDER BY email = ? DESC"
        ))
        .bind(canonical(email))
        .bind(email.trim())
        .bind(canonical(email))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Makes the account of `email` an admin or not; `false` if there is none.
    pub async fn set_admin(&self, email: &str, admin: bool) -> Result<bool, DbError> {
        let done = sqlx::query("UPDATE users SET is_admin = ? WHERE email = ?")
            .bind(i64::from(admin))
            .bind(canonical(email))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The user's derivation index: the one assigned before, or the next free one from the
    /// counter (kept by the user from then on, also if the submission then fails).
    pub async fn address_index(&self, user: i64) -> Result<i64, DbError> {
        let assigned = || {
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT address_index FROM users WHERE user_id = ?",
            )
            .bind(user)
        };
        let mut tx = self.pool.begin().await?;
        if let Some(index) = assigned().fetch_one(&mut *tx).await? {
            return Ok(index);
        }
        sqlx::query("UPDATE address_indices SET next_index = next_index + 1")
            .execute(&mut *tx)
            .await?;
        let index: i64 = sqlx::query_scalar("SELECT next_index - 1 FROM address_indices")
            .fetch_one(&mut *tx)
            .await?;
        let set = sqlx::query(
            "UPDATE users SET address_index = ? WHERE user_id = ? AND address_index IS NULL",
        )
        .bind(index)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        if set.rows_affected() == 1 {
            tx.commit().await?;
            return Ok(index);
        }
        // Another submission of this user assigned one meanwhile: the counter stays.
        tx.rollback().await?;
        Ok(assigned()
            .fetch_one(&self.pool)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?)
    }

    /// Whether a notice that someone tried to use `user`'s address for another account (a
    /// sign-up or an e-mail change) may go to it now (at most one per `interval` seconds);
    /// if so, its time is recorded.
    pub async fn take_taken_address_notice(
        &self,
        user: i64,
        now: i64,
        interval: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE users SET taken_notice_sent = ? WHERE user_id = ? AND taken_notice_sent <= ?",
        )
        .bind(now)
        .bind(user)
        .bind(now - interval)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_email_verified(&self, id: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE users SET email_verified = 1, email_token = '' WHERE user_id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_api_token(&self, id: i64, token: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE users SET api_token = ? WHERE user_id = ?")
            .bind(token)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores the user's ticket address unless one is stored already (then `false`: an
    /// account has one address, also when two submissions race).
    pub async fn set_ticket_address(&self, id: i64, a: &TicketAddress) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE users SET multisig_address = ?, multisig_script = ?, pool_pubkey_addr = ?, user_pubkey_addr = ?, user_fee_addr = ?, height_registered = ? WHERE user_id = ? AND multisig_address = ''",
        )
        .bind(&a.multisig_address)
        .bind(&a.multisig_script)
        .bind(&a.pool_pubkey_addr)
        .bind(&a.user_pubkey_addr)
        .bind(&a.fee_address)
        .bind(a.height_registered)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_vote_bits(&self, id: i64, bits: u16, version: u32) -> Result<(), DbError> {
        sqlx::query("UPDATE users SET vote_bits = ?, vote_bits_version = ? WHERE user_id = ?")
            .bind(i64::from(bits))
            .bind(i64::from(version))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every user with a ticket address, by id: what stakepoold votes with.
    pub async fn voting_users(&self) -> Result<Vec<VotingUser>, DbError> {
        let rows = sqlx::query(
            "SELECT user_id, multisig_address, multisig_script, height_registered, vote_bits, vote_bits_version FROM users WHERE multisig_address <> '' ORDER BY user_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(VotingUser {
                    id: r.try_get("user_id")?,
                    multisig_address: r.try_get("multisig_address")?,
                    multisig_script: r.try_get("multisig_script")?,
                    height_registered: r.try_get("height_registered")?,
                    vote_bits: r.try_get::<i64, _>("vote_bits")? as u16,
                    vote_bits_version: r.try_get::<i64, _>("vote_bits_version")? as u32,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(DbError::from)
    }

    /// (all accounts, accounts with a ticket address).
    pub async fn user_counts(&self) -> Result<(i64, i64), DbError> {
        let all: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        let active: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE multisig_address <> ''")
                .fetch_one(&self.pool)
                .await?;
        Ok((all, active))
    }
}
