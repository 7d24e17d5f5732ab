//! What the e-mail flows keep: e-mail verification links, password-reset links and pending
//! e-mail changes. Only a link token's SHA-256 is stored (a database leak reveals no link).

use sqlx::Row;

use super::{Db, DbError};
use crate::email_address::canonical;

/// An account whose address was never verified is deleted this long after its sign-up.
pub const UNVERIFIED_LIFETIME: i64 = 7 * 24 * 3600;

/// A stored link: whose it is and until when it works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub user_id: i64,
    pub created: i64,
    pub expires: i64,
}

/// A pending e-mail change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailChange {
    pub link: Link,
    pub new_email: String,
}

impl Db {
    /// Stores a user's e-mail verification link (replacing an older one).
    pub async fn set_email_token(
        &self,
        user: i64,
        token_hash: &str,
        expires: i64,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE users SET email_token = ?, email_token_expires = ? WHERE user_id = ?")
            .bind(token_hash)
            .bind(expires)
            .bind(user)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The unverified user whose verification link this is, and the link's expiry.
    pub async fn email_token(&self, token_hash: &str) -> Result<Option<(i64, i64)>, DbError> {
        let row = sqlx::query(
            "SELECT user_id, email_token_expires FROM users WHERE email_token = ? AND email_token <> ''",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?)
    }

    /// When the user's e-mail verification link expires (`None`: no link stored).
    pub async fn email_token_expiry(&self, user: i64) -> Result<Option<i64>, DbError> {
        let row = sqlx::query(
            "SELECT email_token_expires FROM users WHERE user_id = ? AND email_token <> ''",
        )
        .bind(user)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub async fn add_password_reset(
        &self,
        user: i64,
        token_hash: &str,
        created: i64,
        expires: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO password_resets (user_id, token, created, expires) VALUES (?, ?, ?, ?)",
        )
        .bind(user)
        .bind(token_hash)
        .bind(created)
        .bind(expires)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// When the user's newest password-reset link was made, if any.
    pub async fn last_password_reset(&self, user: i64) -> Result<Option<i64>, DbError> {
        Ok(
            sqlx::query_scalar("SELECT MAX(created) FROM password_resets WHERE user_id = ?")
                .bind(user)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn password_reset(&self, token_hash: &str) -> Result<Option<Link>, DbError> {
        let row =
            sqlx::query("SELECT user_id, created, expires FROM password_resets WHERE token = ?")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.as_ref().map(link).transpose()?)
    }

    /// Sets a new password, ends the user's sessions (next session epoch), revokes the API
    /// token (the settings page issues a new one), and voids every password-reset link,
    /// pending e-mail change and failed sign-in count of the user: whoever asked for a change
    /// with the old password must not take the account over after a reset.
    pub async fn set_password(&self, user: i64, hash: &str) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE users SET password_hash = ?, api_token = '', session_epoch = session_epoch + 1 WHERE user_id = ?",
        )
        .bind(hash)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        for q in [
            "DELETE FROM password_resets WHERE user_id = ?",
            "DELETE FROM email_changes WHERE user_id = ?",
            "DELETE FROM sign_in_failures WHERE email = (SELECT email FROM users WHERE user_id = ?)",
        ] {
            sqlx::query(q).bind(user).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the user's password hash `old` by `new`, a hash of the same password in a
    /// better form (a legacy bcrypt hash by Argon2id, after a sign-in with it): sessions, API
    /// token and links stay. `false` if the stored hash is no longer `old` (changed meanwhile).
    pub async fn upgrade_password_hash(
        &self,
        user: i64,
        old: &str,
        new: &str,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = ? WHERE user_id = ? AND password_hash = ?",
        )
        .bind(new)
        .bind(user)
        .bind(old)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends every session of the user (next session epoch), e.g. at sign-out.
    pub async fn end_sessions(&self, user: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE users SET session_epoch = session_epoch + 1 WHERE user_id = ?")
            .bind(user)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn add_email_change(
        &self,
        user: i64,
        new_email: &str,
        token_hash: &str,
        created: i64,
        expires: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO email_changes (user_id, new_email, token, created, expires) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(user)
        .bind(canonical(new_email))
        .bind(token_hash)
        .bind(created)
        .bind(expires)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn email_change(&self, token_hash: &str) -> Result<Option<EmailChange>, DbError> {
        let row = sqlx::query(
            "SELECT user_id, created, expires, new_email FROM email_changes WHERE token = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| {
                Ok::<_, sqlx::Error>(EmailChange {
                    link: link(&r)?,
                    new_email: r.try_get("new_email")?,
                })
            })
            .transpose()?)
    }

    /// Changes a user's e-mail address (`false` if another account has it), ends the user's
    /// sessions, voids pending e-mail changes and password-reset links.
    pub async fn set_email(&self, user: i64, email: &str) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE users SET email = ?, session_epoch = session_epoch + 1 WHERE user_id = ?",
        )
        .bind(canonical(email))
        .bind(user)
        .execute(&mut *tx)
        .await;
        match changed {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(false),
            r => r?,
        };
        for q in [
            "DELETE FROM email_changes WHERE user_id = ?",
            "DELETE FROM password_resets WHERE user_id = ?",
        ] {
            sqlx::query(q).bind(user).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

impl Db {
    /// Deletes password-reset links, pending e-mail changes, admin-added low-fee tickets and
    /// failed sign-in counts that expired before `now`, and accounts never verified within
    /// [`UNVERIFIED_LIFETIME`]; returns how many rows went.
    pub async fn prune_expired(&self, now: i64) -> Result<u64, DbError> {
        let mut pruned = 0;
        for (q, before) in [
            ("DELETE FROM password_resets WHERE expires < ?", now),
            ("DELETE FROM email_changes WHERE expires < ?", now),
            ("DELETE FROM low_fee_tickets WHERE expires < ?", now),
            (
                "DELETE FROM sign_in_failures WHERE window_start < ?",
                now - super::sign_in_failures::WINDOW,
            ),
            (
                "DELETE FROM users WHERE email_verified = 0 AND multisig_address = '' AND created < ?",
                now - UNVERIFIED_LIFETIME,
            ),
        ] {
            pruned += sqlx::query(q)
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        Ok(pruned)
    }
}

fn link(r: &sqlx::any::AnyRow) -> Result<Link, sqlx::Error> {
    Ok(Link {
        user_id: r.try_get("user_id")?,
        created: r.try_get("created")?,
        expires: r.try_get("expires")?,
    })
}
