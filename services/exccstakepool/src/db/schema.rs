//! Schema versions. Each step runs once, in order, recorded in `schema_version`; where SQLite
//! and MySQL differ (auto-increment keys, `ADD COLUMN IF NOT EXISTS`, collations) a
//! placeholder is filled in per dialect; a statement starting with `{mysql}` runs on MySQL
//! only, and [`LOWERCASE_EMAILS`] is a data migration done in Rust.

use std::collections::HashMap;

use super::{Db, DbError, Dialect};

/// Stands for the migration that stores every e-mail address in canonical form (see
/// [`lowercase_emails`]).
const LOWERCASE_EMAILS: &str = "{lowercase_emails}";

/// `{pk}` becomes the dialect's auto-increment primary key.
const STEPS: &[&[&str]] = &[
    // 1: accounts, e-mail and password tokens, admin-added low-fee tickets.
    &[
        "CREATE TABLE IF NOT EXISTS users (
            user_id {pk},
            email VARCHAR(255) NOT NULL,
            password_hash VARCHAR(255) NOT NULL,
            created BIGINT NOT NULL,
            email_verified BIGINT NOT NULL DEFAULT 0,
            email_token VARCHAR(64) NOT NULL DEFAULT '',
            api_token VARCHAR(512) NOT NULL DEFAULT '',
            multisig_address VARCHAR(64) NOT NULL DEFAULT '',
            multisig_script VARCHAR(512) NOT NULL DEFAULT '',
            pool_pubkey_addr VARCHAR(128) NOT NULL DEFAULT '',
            user_pubkey_addr VARCHAR(128) NOT NULL DEFAULT '',
            user_fee_addr VARCHAR(64) NOT NULL DEFAULT '',
            height_registered BIGINT NOT NULL DEFAULT 0,
            vote_bits BIGINT NOT NULL DEFAULT 1,
            vote_bits_version BIGINT NOT NULL DEFAULT 0,
            UNIQUE (email)
        )",
        "CREATE TABLE IF NOT EXISTS email_changes (
            email_change_id {pk},
            user_id BIGINT NOT NULL,
            new_email VARCHAR(255) NOT NULL,
            token VARCHAR(64) NOT NULL,
            created BIGINT NOT NULL,
            expires BIGINT NOT NULL,
            UNIQUE (token)
        )",
        "CREATE TABLE IF NOT EXISTS password_resets (
            password_reset_id {pk},
            user_id BIGINT NOT NULL,
            token VARCHAR(64) NOT NULL,
            created BIGINT NOT NULL,
            expires BIGINT NOT NULL,
            UNIQUE (token)
        )",
        "CREATE TABLE IF NOT EXISTS low_fee_tickets (
            low_fee_ticket_id {pk},
            added_by BIGINT NOT NULL,
            ticket_address VARCHAR(64) NOT NULL,
            ticket_hash VARCHAR(64) NOT NULL,
            created BIGINT NOT NULL,
            expires BIGINT NOT NULL,
            UNIQUE (ticket_hash)
        )",
    ],
    // 2: e-mail verification links expire; a password or e-mail change ends older sessions.
    &[
        "ALTER TABLE users ADD COLUMN {if_absent} email_token_expires BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE users ADD COLUMN {if_absent} session_epoch BIGINT NOT NULL DEFAULT 0",
    ],
    // 3: a user's derivation index is assigned when the first address is submitted (rows
    // with an address keep index = user id, the legacy rule); admins added by command;
    // e-mail addresses in canonical (lower-case) form, compared byte-wise on both engines;
    // failed sign-ins counted per address; notices to the owner of an address someone tried
    // to use for another account throttled.
    &[
        "ALTER TABLE users ADD COLUMN {if_absent} address_index BIGINT NULL",
        "UPDATE users SET address_index = user_id WHERE multisig_address <> '' AND address_index IS NULL",
        "CREATE UNIQUE INDEX IF NOT EXISTS users_address_index ON users (address_index)",
        "CREATE TABLE IF NOT EXISTS address_indices (next_index BIGINT NOT NULL)",
        "INSERT INTO address_indices (next_index) SELECT COALESCE(MAX(address_index), 0) + 1 FROM users WHERE NOT EXISTS (SELECT 1 FROM address_indices)",
        "ALTER TABLE users ADD COLUMN {if_absent} is_admin BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE users ADD COLUMN {if_absent} taken_notice_sent BIGINT NOT NULL DEFAULT 0",
        "CREATE TABLE IF NOT EXISTS sign_in_failures (
            email VARCHAR(255) {bin} NOT NULL PRIMARY KEY,
            failures BIGINT NOT NULL,
            window_start BIGINT NOT NULL
        )",
        LOWERCASE_EMAILS,
        "{mysql} ALTER TABLE users MODIFY email VARCHAR(255) COLLATE utf8mb4_bin NOT NULL",
        "{mysql} ALTER TABLE email_changes MODIFY new_email VARCHAR(255) COLLATE utf8mb4_bin NOT NULL",
    ],
    // 4: accounts moved from the legacy Go pool (`exccstakepool migrate-legacy`) are marked,
    // so that a second run knows them.
    &["ALTER TABLE users ADD COLUMN {if_absent} migrated_from_legacy BIGINT NOT NULL DEFAULT 0"],
];

fn sql(dialect: Dialect, statement: &str) -> String {
    let pk = match dialect {
        Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Dialect::MySql => "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
    };
    // SQLite runs a step in one transaction; MariaDB commits each ALTER at once, so a step
    // re-run after a crash must skip the columns it added already.
    let add_column = match dialect {
        Dialect::Sqlite => "ADD COLUMN",
        Dialect::MySql => "ADD COLUMN IF NOT EXISTS",
    };
    let bin = match dialect {
        Dialect::Sqlite => "",
        Dialect::MySql => "COLLATE utf8mb4_bin",
    };
    let s = statement
        .replace("{pk}", pk)
        .replace("{bin}", bin)
        .replace("ADD COLUMN {if_absent}", add_column);
    match dialect {
        Dialect::MySql if s.starts_with("CREATE TABLE") => {
            s + " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        }
        _ => s,
    }
}

/// The schema's version now (0 = empty database).
pub async fn version(db: &Db) -> Result<u32, DbError> {
    let step = |source| DbError::Schema { step: 0, source };
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .execute(&db.pool)
        .await
        .map_err(step)?;
    let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_version")
        .fetch_one(&db.pool)
        .await
        .map_err(step)?;
    Ok(v.unwrap_or(0) as u32)
}

/// Runs the steps after the database's version up to step `last`, each in a transaction where
/// the dialect allows. MySQL commits DDL implicitly, so a step that failed half-way is simply
/// run again from its start: its statements are idempotent (`IF NOT EXISTS`).
pub async fn upgrade_to(db: &Db, last: u32) -> Result<(), DbError> {
    let have = version(db).await?;
    let steps = STEPS.iter().take(last as usize);
    for (i, statements) in steps.enumerate().skip(have as usize) {
        let step = i as u32 + 1;
        let fail = |source| DbError::Schema { step, source };
        let mut tx = db.pool.begin().await.map_err(fail)?;
        for s in *statements {
            let s = match (db.dialect, s.strip_prefix("{mysql} ")) {
                (Dialect::Sqlite, Some(_)) => continue,
                (Dialect::MySql, Some(mysql)) => mysql,
                _ => s,
            };
            if s == LOWERCASE_EMAILS {
                lowercase_emails(&mut tx).await.map_err(fail)?;
                continue;
            }
            // The statements are this file's constants with the dialect's key syntax.
            sqlx::query(sqlx::AssertSqlSafe(sql(db.dialect, s)))
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
        }
        sqlx::query("INSERT INTO schema_version (version) VALUES (?)")
            .bind(i64::from(step))
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        tracing::info!(step, "database schema upgraded");
    }
    Ok(())
}

/// Stores every account's e-mail address in canonical form, except where two accounts
/// differ only by case (possible on SQLite before): those keep theirs as they are, and
/// sign-in finds them by the exact address ([`Db::user_by_email`]).
async fn lowercase_emails(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), sqlx::Error> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT user_id, email FROM users")
        .fetch_all(&mut **tx)
        .await?;
    let mut owners: HashMap<String, usize> = HashMap::new();
    for (_, email) in &rows {
        *owners
            .entry(crate::email_address::canonical(email))
            .or_default() += 1;
    }
    let mut kept = 0;
    for (id, email) in rows {
        let canonical = crate::email_address::canonical(&email);
        if canonical == email {
            continue;
        }
        if owners[&canonical] > 1 {
            kept += 1;
            continue;
        }
        sqlx::query("UPDATE users SET email = ? WHERE user_id = ?")
            .bind(canonical)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    if kept > 0 {
        tracing::warn!(
            accounts = kept,
            "accounts whose e-mail addresses differ only by case keep them as they were"
        );
    }
    Ok(())
}

/// Every table the steps create (sorted), for backups: a restore replaces these.
pub const TABLES: &[&str] = &[
    "address_indices",
    "email_changes",
    "low_fee_tickets",
    "password_resets",
    "schema_version",
    "sign_in_failures",
    "users",
];

/// The latest schema version this build knows.
pub const fn latest() -> u32 {
    STEPS.len() as u32
}
