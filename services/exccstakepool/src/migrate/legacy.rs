//! Reading the legacy Go pool's MySQL/MariaDB database (schema: its `Users` and
//! `LowFeeTicket` tables) in one read-only transaction with a consistent snapshot: the
//! server refuses any write in it, and it is rolled back at the end. Columns may be NULL
//! (the legacy pool created them nullable and fixed some up at start): NULL reads as empty.

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::{ConnectOptions, Connection, Row};

/// One legacy `Users` row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LegacyUser {
    pub id: i64,
    pub email: String,
    /// The stored bcrypt hash (`$2a$10$…`), as text.
    pub password: Vec<u8>,
    pub multisig_address: String,
    pub multisig_script: String,
    pub pool_pubkey_addr: String,
    pub user_pubkey_addr: String,
    pub fee_address: String,
    pub height_registered: i64,
    /// 0 unverified, 1 verified, 2 grandfathered (verified).
    pub email_verified: i64,
    pub email_token: String,
    pub api_token: String,
    pub vote_bits: i64,
    pub vote_bits_version: i64,
}

/// One legacy `LowFeeTicket` row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LegacyTicket {
    pub added_by: i64,
    pub address: String,
    pub hash: String,
    pub expires: i64,
}

/// What the legacy database holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LegacyData {
    pub users: Vec<LegacyUser>,
    pub tickets: Vec<LegacyTicket>,
}

/// Why the legacy database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LegacyDbError {
    #[error(
        "--from {url}: not a MySQL/MariaDB URL ({why}); write mysql://USER@HOST[:PORT]/DBNAME (the legacy dbuser, dbhost, dbport, dbname) and the password into --from-password-file"
    )]
    Url { url: String, why: String },
    #[error(
        "--from {0}: the URL holds a password; put it into a file (chmod 600) named by --from-password-file instead"
    )]
    PasswordInUrl(String),
    #[error("--from {url}: {why}")]
    Insecure { url: String, why: String },
    #[error(
        "cannot connect to the legacy database {url}: {source} (are host, user and --from-password-file right?)"
    )]
    Connect { url: String, source: sqlx::Error },
    #[error(
        "reading the legacy database {url} ({what}): {source} (is it the legacy exccstakepool's database, started at least once by its pool so that its columns exist?)"
    )]
    Read {
        url: String,
        what: &'static str,
        source: sqlx::Error,
    },
}

/// Whether `url`'s authority holds `user:password@`.
fn has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(creds, _)| creds.contains(':'))
}

/// Checks `url` (a password never in it) and makes the connection options with `password`.
pub fn options(url: &str, password: Option<&str>) -> Result<MySqlConnectOptions, LegacyDbError> {
    if has_password(url) {
        return Err(LegacyDbError::PasswordInUrl(url.to_owned()));
    }
    let url = url.replacen("mariadb://", "mysql://", 1);
    if !url.starts_with("mysql://") {
        return Err(LegacyDbError::Url {
            url: url.clone(),
            why: "it must start with mysql://".into(),
        });
    }
    if let Some(why) = crate::config::unverified_remote_mysql(&url) {
        return Err(LegacyDbError::Insecure {
            url: url.clone(),
            why,
        });
    }
    let options: MySqlConnectOptions =
        url.parse().map_err(|e: sqlx::Error| LegacyDbError::Url {
            url: url.clone(),
            why: e.to_string(),
        })?;
    Ok(match password {
        Some(p) => options.password(p),
        None => options,
    })
}

/// Reads every user and low-fee ticket of the legacy database in one read-only snapshot.
pub async fn read(url: &str, options: MySqlConnectOptions) -> Result<LegacyData, LegacyDbError> {
    let mut conn = options
        .connect()
        .await
        .map_err(|source| LegacyDbError::Connect {
            url: url.to_owned(),
            source,
        })?;
    let read = |what| {
        move |source| LegacyDbError::Read {
            url: url.to_owned(),
            what,
            source,
        }
    };
    sqlx::query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut conn)
        .await
        .map_err(read("starting a read-only transaction"))?;
    sqlx::query("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        .execute(&mut conn)
        .await
        .map_err(read("starting a read-only transaction"))?;
    let users = read_users(&mut conn).await.map_err(read("table Users"))?;
    let tickets = read_tickets(&mut conn)
        .await
        .map_err(read("table LowFeeTicket"))?;
    // Nothing was written; ending the snapshot.
    sqlx::query("ROLLBACK")
        .execute(&mut conn)
        .await
        .map_err(read("ending the read-only transaction"))?;
    let _ = conn.close().await;
    Ok(LegacyData { users, tickets })
}

async fn read_users(conn: &mut MySqlConnection) -> Result<Vec<LegacyUser>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT UserId, Email, Password, MultiSigAddress, MultiSigScript, PoolPubKeyAddr, UserPubKeyAddr, UserFeeAddr, HeightRegistered, EmailVerified, EmailToken, APIToken, VoteBits, VoteBitsVersion FROM `Users` ORDER BY UserId",
    )
    .fetch_all(&mut *conn)
    .await?;
    let text = |r: &sqlx::mysql::MySqlRow, c: &str| -> Result<String, sqlx::Error> {
        Ok(r.try_get::<Option<String>, _>(c)?.unwrap_or_default())
    };
    let int = |r: &sqlx::mysql::MySqlRow, c: &str| -> Result<Option<i64>, sqlx::Error> {
        r.try_get::<Option<i64>, _>(c)
    };
    rows.iter()
        .map(|r| {
            Ok(LegacyUser {
                id: r.try_get("UserId")?,
                email: text(r, "Email")?,
                password: r
                    .try_get::<Option<Vec<u8>>, _>("Password")?
                    .unwrap_or_default(),
                multisig_address: text(r, "MultiSigAddress")?,
                multisig_script: text(r, "MultiSigScript")?,
                pool_pubkey_addr: text(r, "PoolPubKeyAddr")?,
                user_pubkey_addr: text(r, "UserPubKeyAddr")?,
                fee_address: text(r, "UserFeeAddr")?,
                height_registered: int(r, "HeightRegistered")?.unwrap_or(0),
                email_verified: int(r, "EmailVerified")?.unwrap_or(0),
                email_token: text(r, "EmailToken")?,
                api_token: text(r, "APIToken")?,
                // The legacy pool's defaults for rows from before these columns.
                vote_bits: int(r, "VoteBits")?.unwrap_or(1),
                vote_bits_version: int(r, "VoteBitsVersion")?.unwrap_or(3),
            })
        })
        .collect()
}

async fn read_tickets(conn: &mut MySqlConnection) -> Result<Vec<LegacyTicket>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT AddedByUid, TicketAddress, TicketHash, Expires FROM `LowFeeTicket` ORDER BY LowFeeTicketID",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LegacyTicket {
                added_by: r.try_get::<Option<i64>, _>("AddedByUid")?.unwrap_or(0),
                address: r
                    .try_get::<Option<String>, _>("TicketAddress")?
                    .unwrap_or_default(),
                hash: r
                    .try_get::<Option<String>, _>("TicketHash")?
                    .unwrap_or_default(),
                expires: r.try_get::<Option<i64>, _>("Expires")?.unwrap_or(0),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_in_the_url() {
        assert!(matches!(
            options("mysql://stakepool:secret@127.0.0.1/stakepool", None),
            Err(LegacyDbError::PasswordInUrl(_))
        ));
        assert!(options("mysql://stakepool@127.0.0.1:3306/stakepool", Some("pw")).is_ok());
        assert!(matches!(
            options("postgres://u@h/db", None),
            Err(LegacyDbError::Url { .. })
        ));
        assert!(matches!(
            options("mysql://u@db.example.org/stakepool", None),
            Err(LegacyDbError::Insecure { .. })
        ));
    }
}
