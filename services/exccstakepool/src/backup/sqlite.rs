//! SQLite: a snapshot with `VACUUM INTO` (consistent while the service writes), checks on a
//! private copy (header, `PRAGMA integrity_check`, our tables, rows per table), and a
//! restore that renames a verified copy over the database file.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use super::{BackupError, Contents, Refusal, files};

/// The first 16 bytes of every SQLite 3 database.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The database file a `sqlite://PATH[?…]` URL names.
pub fn path_from_url(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    (!path.is_empty()).then(|| PathBuf::from(path))
}

async fn connect(path: &Path) -> Result<SqliteConnection, BackupError> {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .connect()
        .await
        .map_err(|source| BackupError::Sqlite {
            path: path.to_owned(),
            source,
        })
}

/// A consistent copy of the live database `db` into `out` (an empty file, already created
/// with mode 0600).
pub async fn snapshot(db: &Path, out: &Path) -> Result<(), BackupError> {
    if !db.exists() {
        return Err(BackupError::io(
            "no database at",
            db,
            std::io::ErrorKind::NotFound.into(),
        ));
    }
    let target = out
        .to_str()
        .ok_or_else(|| BackupError::Usage(format!("--dir: {} is not UTF-8", out.display())))?;
    let mut conn = connect(db).await?;
    let done = sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    done.map(drop).map_err(|source| BackupError::Sqlite {
        path: db.to_owned(),
        source,
    })
}

/// Refuses a file that is not a whole SQLite database: too short for a header, or shorter
/// than the page count its header records.
pub fn check_header(file: &Path) -> Result<(), BackupError> {
    let io = |e| BackupError::io("cannot read", file, e);
    let mut header = Vec::with_capacity(100);
    std::fs::File::open(file)
        .map_err(io)?
        .take(100)
        .read_to_end(&mut header)
        .map_err(io)?;
    let len = std::fs::metadata(file).map_err(io)?.len();
    let truncated = |detail: String| {
        Err(Refusal::Truncated {
            file: file.to_owned(),
            detail,
        }
        .into())
    };
    if header.len() < 100 {
        return truncated(format!("{len} bytes, less than a SQLite header"));
    }
    let be32 = |at: usize| u32::from_be_bytes(header[at..at + 4].try_into().expect("4 bytes"));
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    // The page count in the header is valid when written by the same change as the
    // "version-valid-for" number (every SQLite since 3.7.0).
    let pages = u64::from(be32(28));
    if be32(92) == be32(24) && pages > 0 && len < pages * page_size {
        return truncated(format!(
            "{len} bytes, its header says {pages} pages of {page_size}"
        ));
    }
    if page_size == 0 || len % page_size != 0 {
        return truncated(format!("{len} bytes, not whole pages of {page_size}"));
    }
    Ok(())
}

/// Checks a private copy of a backup (`file` names the original in messages): SQLite's
/// integrity check, our tables present; what it holds.
pub async fn inspect(copy: &Path, file: &Path) -> Result<Contents, BackupError> {
    let corrupt = |detail: String| -> BackupError {
        Refusal::Corrupt {
            file: file.to_owned(),
            detail,
        }
        .into()
    };
    let mut conn = connect(copy).await.map_err(|e| corrupt(e.to_string()))?;
    let contents = contents(&mut conn, file).await;
    let _ = conn.close().await;
    contents.map_err(|e| match e {
        Inspect::Sql(e) => corrupt(e.to_string()),
        Inspect::Refused(e) => e,
    })
}

enum Inspect {
    Sql(sqlx::Error),
    Refused(BackupError),
}

impl From<sqlx::Error> for Inspect {
    fn from(e: sqlx::Error) -> Self {
        Inspect::Sql(e)
    }
}

async fn contents(conn: &mut SqliteConnection, file: &Path) -> Result<Contents, Inspect> {
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await?;
    if problems != ["ok"] {
        let detail = format!("integrity check: {}", problems.join("; "));
        return Err(Inspect::Refused(
            Refusal::Corrupt {
                file: file.to_owned(),
                detail,
            }
            .into(),
        ));
    }
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    super::require_ours(file, names.iter().map(String::as_str)).map_err(Inspect::Refused)?;
    let mut tables = BTreeMap::new();
    for name in names {
        // Names read from the file's own catalogue, quoted as identifiers.
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\""));
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?;
        tables.insert(name, n as u64);
    }
    let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_version")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Contents {
        schema_version: version.unwrap_or(0) as u32,
        tables,
    })
}

/// A private copy of `file` at `copy` (mode 0600).
pub fn copy_private(file: &Path, copy: &Path) -> Result<(), BackupError> {
    let mut out = files::create_private(copy)?;
    let mut input =
        std::fs::File::open(file).map_err(|e| BackupError::io("cannot read", file, e))?;
    std::io::copy(&mut input, &mut out).map_err(|e| BackupError::io("cannot copy", file, e))?;
    out.sync_all()
        .map_err(|e| BackupError::io("cannot write", copy, e))
}

/// Puts the verified copy `copy` (on the database's file system) in place of `db`: with the
/// old file's owner and mode, the old write-ahead log and shared memory removed first (they
/// belong to the old contents), then one rename.
pub fn replace(copy: &Path, db: &Path) -> Result<(), BackupError> {
    let io = |what, path: &Path, e| BackupError::io(what, path, e);
    match std::fs::metadata(db) {
        Ok(old) => {
            std::os::unix::fs::chown(copy, Some(old.uid()), Some(old.gid()))
                .map_err(|e| io("cannot give the restored file its owner", copy, e))?;
            std::fs::set_permissions(copy, std::fs::Permissions::from_mode(old.mode() & 0o7777))
                .map_err(|e| io("cannot set the mode of", copy, e))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("cannot read", db, e)),
    }
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = db.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(&side) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io("cannot remove", Path::new(&side), e));
            }
            _ => {}
        }
    }
    std::fs::rename(copy, db).map_err(|e| io("cannot rename the restored copy over", db, e))?;
    files::sync_dir(files::parent(db))
}
