//! Failed sign-ins counted per e-mail address (whether or not it has an account, so the
//! throttle tells nothing about who has one), in fixed windows of [`WINDOW`] seconds.

use super::{Db, DbError};
use crate::email_address::canonical;

/// The counting window in seconds.
pub const WINDOW: i64 = 15 * 60;
/// Failed sign-ins an address may have in a window; further attempts wait for its end.
pub const MAX_FAILURES: i64 = 10;

impl Db {
    /// Seconds until `email` may try to sign in again (`None`: it may now).
    pub async fn sign_in_wait(&self, email: &str, now: i64) -> Result<Option<i64>, DbError> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT failures, window_start FROM sign_in_failures WHERE email = ?")
                .bind(canonical(email))
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(failures, start)| {
            let ends = start + WINDOW;
            (failures >= MAX_FAILURES && ends > now).then_some(ends - now)
        }))
    }

    /// Counts a failed sign-in of `email` (a new window if the last one is over).
    pub async fn add_sign_in_failure(&self, email: &str, now: i64) -> Result<(), DbError> {
        let email = canonical(email);
        let fresh = now - WINDOW;
        for _ in 0..2 {
            let counted = sqlx::query(
                "UPDATE sign_in_failures SET failures = CASE WHEN window_start > ? THEN failures + 1 ELSE 1 END, window_start = CASE WHEN window_start > ? THEN window_start ELSE ? END WHERE email = ?",
            )
            .bind(fresh)
            .bind(fresh)
            .bind(now)
            .bind(&email)
            .execute(&self.pool)
            .await?;
            if counted.rows_affected() > 0 {
                return Ok(());
            }
            let inserted = sqlx::query(
                "INSERT INTO sign_in_failures (email, failures, window_start) VALUES (?, 1, ?)",
            )
            .bind(&email)
            .bind(now)
            .execute(&self.pool)
            .await;
            match inserted {
                // Another failure of this address was counted meanwhile: count this one too.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
                r => return Ok(r.map(drop)?),
            }
        }
        Ok(())
    }

    /// Forgets the failed sign-ins of `email` (it signed in).
    pub async fn clear_sign_in_failures(&self, email: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sign_in_failures WHERE email = ?")
            .bind(canonical(email))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
