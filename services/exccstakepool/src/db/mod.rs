//! The pool's database: SQLite (a file, the default) or MariaDB/MySQL, chosen by the URL
//! (`sqlite://PATH` or `mysql://USER:PASS@HOST/DB`). Every query is parameterised; the
//! schema is created and upgraded by [`Db::open`] (versioned steps in `schema.rs`).
//! Timestamps are Unix seconds.

pub mod accounts;
pub mod low_fee;
pub mod migrated;
mod schema;
pub mod sign_in_failures;
pub mod users;

pub use schema::{TABLES, latest as latest_schema, version as schema_version};

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

/// Which SQL dialect the URL chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    MySql,
}

/// Why the database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "database URL must start with sqlite:// or mysql:// (got {0:?}); e.g. sqlite:///var/lib/exccstakepool/pool.db"
    )]
    Url(String),
    #[error("cannot open the database ({0}): is it running and are the URL's credentials right?")]
    Open(sqlx::Error),
    #[error("database schema step {step} failed: {source}")]
    Schema { step: u32, source: sqlx::Error },
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

/// A pool of connections to the pool's database.
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) pool: AnyPool,
    pub dialect: Dialect,
}

impl Db {
    /// Connects (creating a missing SQLite file) and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Db, DbError> {
        Db::open_at_schema(url, latest_schema()).await
    }

    /// [`Db::open`] with the schema brought up to version `version` only: for tests of an
    /// upgrade step, which fill a database as it was before the step.
    pub async fn open_at_schema(url: &str, version: u32) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let (dialect, url) = if let Some(rest) = url.strip_prefix("sqlite://") {
            let sep = if rest.contains('?') { '&' } else { '?' };
            (Dialect::Sqlite, format!("sqlite://{rest}{sep}mode=rwc"))
        } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            (Dialect::MySql, url.replacen("mariadb://", "mysql://", 1))
        } else {
            return Err(DbError::Url(redact(url)));
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(5));
        if dialect == Dialect::Sqlite {
            // One writer at a time; SQLite serialises writes anyway.
            options = options.max_connections(1);
        }
        let pool = options.connect(&url).await.map_err(DbError::Open)?;
        let db = Db { pool, dialect };
        schema::upgrade_to(&db, version).await?;
        Ok(db)
    }

    /// Closes every connection (waits for queries in flight).
    pub async fn pool_close(&self) {
        self.pool.close().await;
    }

    /// Current Unix time in seconds.
    pub fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite:///x.db"), "sqlite:///x.db");
    }
}
