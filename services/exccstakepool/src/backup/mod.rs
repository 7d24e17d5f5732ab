//! `exccstakepool backup create|verify|restore`: backups that are known to restore. They need
//! no `exccstakepool.toml` (they run on the database's host): the database is given by URL
//! (`sqlite://PATH` or `mysql://USER@HOST[:PORT]/DB[?socket=PATH]`, the password in
//! `--password-file`).
//!
//! - `create` takes a consistent online backup (SQLite `VACUUM INTO`; MariaDB `mariadb-dump
//!   --single-transaction`) into `DIR/pool-<UTC stamp>.sqlite|sql`, writes its manifest
//!   (`manifest.rs`), verifies it, records the outcome in `DIR/last-verification.json` and
//!   keeps the newest `--keep` verified backups.
//! - `verify` refuses a file that is not a whole backup of ours before anything else
//!   (format, truncation, integrity, our tables, manifest and SHA-256), then restores it into
//!   a scratch database (a private copy; MariaDB `<db>_verify`, dropped after) and compares
//!   every table's rows with the manifest.
//! - `restore` verifies, then replaces the database's contents in one step (a rename of the
//!   verified SQLite copy; an atomic `RENAME TABLE` from the verified scratch database), so a
//!   failure leaves the old data in place. The web services must be stopped around it.

mod files;
pub mod manifest;
mod mariadb;
mod sqlite;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use manifest::{Kind, LastVerification, Manifest};

use crate::db::latest_schema;

/// A backup without these tables is not ours.
const REQUIRED: &[&str] = &["schema_version", "users"];

/// Backups kept by default.
pub const DEFAULT_KEEP: usize = 7;

const USAGE: &str = "usage: exccstakepool backup create --database URL [--password-file FILE] --dir DIR [--keep N]\n       exccstakepool backup verify --database URL [--password-file FILE] BACKUP\n       exccstakepool backup restore --database URL [--password-file FILE] BACKUP";

/// Why a backup file is refused (nothing was changed).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(
        "{}: not an exccstakepool backup (neither a SQLite database nor a mariadb-dump file)",
        .file.display()
    )]
    NotABackup { file: PathBuf },
    #[error("{}: a {found} backup cannot be restored into a {want} database", .file.display())]
    WrongKind {
        file: PathBuf,
        found: Kind,
        want: Kind,
    },
    #[error("{}: truncated ({detail}): use another backup", .file.display())]
    Truncated { file: PathBuf, detail: String },
    #[error("{}: corrupt ({detail}): use another backup", .file.display())]
    Corrupt { file: PathBuf, detail: String },
    #[error(
        "{}: not an exccstakepool database (it has no table {table})",
        .file.display()
    )]
    Foreign { file: PathBuf, table: &'static str },
    #[error(
        "{}: no manifest {} beside it: copy the backup together with its .json manifest",
        .file.display(), .manifest.display()
    )]
    ManifestMissing { file: PathBuf, manifest: PathBuf },
    #[error("{}: not a valid manifest ({detail})", .manifest.display())]
    ManifestInvalid { manifest: PathBuf, detail: String },
    #[error(
        "{}: its SHA-256 is {actual}, its manifest says {expected}: the file changed after the backup, use another one",
        .file.display()
    )]
    Checksum {
        file: PathBuf,
        expected: String,
        actual: String,
    },
    #[error(
        "{}: schema version {found} is newer than this exccstakepool's ({latest}): restore it with the exccstakepool version that took it",
        .file.display()
    )]
    TooNew {
        file: PathBuf,
        found: u32,
        latest: u32,
    },
    #[error(
        "{}: {what}: table {table} has {found} rows, the manifest says {expected}",
        .file.display()
    )]
    Rows {
        file: PathBuf,
        what: &'static str,
        table: String,
        found: String,
        expected: String,
    },
}

/// Why a backup command failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Usage(String),
    #[error("--database: {0}")]
    Url(String),
    #[error("--password-file {}: {why}", .path.display())]
    PasswordFile { path: PathBuf, why: String },
    #[error("{what} {}: {source}", .path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    #[error("SQLite database {}: {source}", .path.display())]
    Sqlite { path: PathBuf, source: sqlx::Error },
    #[error("{program} failed: {detail}")]
    Tool {
        program: &'static str,
        detail: String,
    },
    #[error(
        "another `exccstakepool backup create` is running in {}: wait for it",
        .0.display()
    )]
    Busy(PathBuf),
}

impl BackupError {
    fn io(what: &'static str, path: &Path, source: std::io::Error) -> BackupError {
        BackupError::Io {
            what,
            path: path.to_owned(),
            source,
        }
    }

    /// Exit status: 2 for a usage error, else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            BackupError::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// What a backup holds: its schema version and rows per table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contents {
    pub schema_version: u32,
    pub tables: BTreeMap<String, u64>,
}

fn require_ours<'a>(
    file: &Path,
    tables: impl IntoIterator<Item = &'a str>,
) -> Result<(), BackupError> {
    let tables: Vec<&str> = tables.into_iter().collect();
    match REQUIRED.iter().find(|r| !tables.contains(r)) {
        Some(table) => Err(Refusal::Foreign {
            file: file.to_owned(),
            table,
        }
        .into()),
        None => Ok(()),
    }
}

/// The database a command works on.
enum Target {
    Sqlite(PathBuf),
    MariaDb(mariadb::Server),
}

impl Target {
    fn parse(url: &str, password_file: Option<&Path>) -> Result<Target, BackupError> {
        if url.starts_with("sqlite://") {
            if password_file.is_some() {
                return Err(BackupError::Usage(
                    "--password-file is for MariaDB; a SQLite database has none".into(),
                ));
            }
            sqlite::path_from_url(url)
                .map(Target::Sqlite)
                .ok_or_else(|| BackupError::Url("sqlite:// needs a file path".into()))
        } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            mariadb::Server::from_url(url, password_file).map(Target::MariaDb)
        } else {
            Err(BackupError::Url(
                "must start with sqlite:// or mysql:// (e.g. sqlite:///var/lib/exccstakepool/pool.db)".into(),
            ))
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Target::Sqlite(_) => Kind::Sqlite,
            Target::MariaDb(_) => Kind::MariadbDump,
        }
    }
}

/// The parsed command line after `backup`.
struct Args {
    action: String,
    database: String,
    password_file: Option<PathBuf>,
    dir: Option<PathBuf>,
    keep: usize,
    file: Option<PathBuf>,
}

fn parse_args(args: &[String]) -> Result<Args, BackupError> {
    let usage = || BackupError::Usage(USAGE.into());
    let (action, rest) = args.split_first().ok_or_else(usage)?;
    let mut a = Args {
        action: action.clone(),
        database: String::new(),
        password_file: None,
        dir: None,
        keep: DEFAULT_KEEP,
        file: None,
    };
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(usage);
        match arg.as_str() {
            "--database" => a.database = value()?,
            "--password-file" => a.password_file = Some(value()?.into()),
            "--dir" => a.dir = Some(value()?.into()),
            "--keep" => {
                a.keep = value()?
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| BackupError::Usage("--keep: a number, at least 1".into()))?;
            }
            s if !s.starts_with("--") && a.file.is_none() => a.file = Some(s.into()),
            _ => return Err(usage()),
        }
    }
    let ok = !a.database.is_empty()
        && match a.action.as_str() {
            "create" => a.dir.is_some() && a.file.is_none(),
            "verify" | "restore" => a.file.is_some() && a.dir.is_none(),
            _ => false,
        };
    if ok { Ok(a) } else { Err(usage()) }
}

/// Runs `create|verify|restore …` (the arguments after `backup`); says what it did.
pub async fn command(args: &[String]) -> Result<String, BackupError> {
    let a = parse_args(args)?;
    let target = Target::parse(&a.database, a.password_file.as_deref())?;
    match (a.action.as_str(), a.dir, a.file) {
        ("create", Some(dir), _) => create(&target, &dir, a.keep).await,
        ("verify", _, Some(file)) => {
            let m = verify(&target, &file).await?;
            Ok(format!(
                "{}: verified ({}, schema version {}, {} rows restored in a scratch database)",
                file.display(),
                m.kind,
                m.schema_version,
                m.tables.values().sum::<u64>()
            ))
        }
        ("restore", _, Some(file)) => {
            let m = restore(&target, &file).await?;
            Ok(format!(
                "{}: restored (taken {}, {} users)",
                file.display(),
                m.created,
                m.tables.get("users").copied().unwrap_or(0)
            ))
        }
        _ => Err(BackupError::Usage(USAGE.into())),
    }
}

/// Takes a backup into `dir`, verifies it, keeps the newest `keep` verified ones. Writes
/// `DIR/last-verification.json` whatever happens after the directory exists.
async fn create(target: &Target, dir: &Path, keep: usize) -> Result<String, BackupError> {
    files::private_dir(dir)?;
    let _lock = files::lock(dir)?;
    files::remove_partials(dir)?;
    let now = crate::db::Db::now();
    let ext = match target {
        Target::Sqlite(_) => "sqlite",
        Target::MariaDb(_) => "sql",
    };
    let file = files::new_name(dir, &files::stamp(now), ext)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let outcome = take_and_verify(target, &file, now).await;
    let (ok, detail) = match &outcome {
        Ok(m) => (
            true,
            format!(
                "restored into a scratch database: {} tables, {} rows as in the manifest",
                m.tables.len(),
                m.tables.values().sum::<u64>()
            ),
        ),
        Err(e) => (false, e.to_string()),
    };
    LastVerification {
        file: file.exists().then(|| name.clone()),
        ok,
        checked_at: files::rfc3339(crate::db::Db::now()),
        detail,
    }
    .write(dir)?;
    let manifest = match outcome {
        Ok(m) => m,
        Err(e) => {
            // The failed backup stays for inspection; those of earlier failures go.
            prune(dir, None, &file)?;
            return Err(e);
        }
    };
    let removed = prune(dir, Some(keep), &file)?;
    tracing::info!(backup = %file.display(), removed, "backup taken and verified");
    Ok(format!(
        "{}: taken and verified (schema version {}, {} users); {} older removed",
        file.display(),
        manifest.schema_version,
        manifest.tables.get("users").copied().unwrap_or(0),
        removed
    ))
}

async fn take_and_verify(target: &Target, file: &Path, now: i64) -> Result<Manifest, BackupError> {
    let dir = files::parent(file);
    let partial = dir.join(format!(
        ".partial-{}",
        file.file_name().unwrap_or_default().to_string_lossy()
    ));
    let taken = take(target, &partial).await;
    let contents = match taken {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let mut manifest = Manifest {
        kind: target.kind(),
        file: file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        schema_version: contents.schema_version,
        created: files::rfc3339(now),
        created_unix: now,
        sha256: files::sha256(&partial)?,
        tables: contents.tables,
        verified: None,
    };
    manifest.write(file)?;
    std::fs::rename(&partial, file).map_err(|e| BackupError::io("cannot rename", &partial, e))?;
    files::sync_dir(dir)?;
    verify(target, file).await?;
    manifest.verified = Some(files::rfc3339(crate::db::Db::now()));
    manifest.write(file)?;
    Ok(manifest)
}

/// The snapshot into `out` (a new 0600 file); what it holds.
async fn take(target: &Target, out: &Path) -> Result<Contents, BackupError> {
    let file = files::create_private(out)?;
    match target {
        Target::Sqlite(db) => {
            drop(file);
            sqlite::snapshot(db, out).await?;
            sqlite::inspect(out, db).await
        }
        Target::MariaDb(server) => {
            server.client()?.dump(file)?;
            let contents = mariadb::read_dump(out)?;
            require_ours(out, contents.tables.keys().map(String::as_str))?;
            Ok(contents)
        }
    }
}

/// Deletes, with their manifests, every backup in `dir` that was not verified, and the
/// verified ones beyond the newest `keep` (all kept when `None`); never `except`. How many
/// it deleted.
fn prune(dir: &Path, keep: Option<usize>, except: &Path) -> Result<usize, BackupError> {
    let io = |e| BackupError::io("cannot list", dir, e);
    let mut backups = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let name = entry
            .map_err(io)?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if let Some(order) = files::backup_order(&name) {
            backups.push((order, dir.join(name)));
        }
    }
    backups.sort_by(|a, b| b.0.cmp(&a.0));
    let mut kept = 0;
    let mut removed = 0;
    for (_, path) in backups {
        if path == except {
            // The backup just taken: verified (and counted) unless it failed.
            kept += 1;
            continue;
        }
        let verified = Manifest::read(&path).is_ok_and(|m| m.verified.is_some());
        if verified && keep.is_none_or(|k| kept < k) {
            kept += 1;
            continue;
        }
        for p in [manifest::path_for(&path), path] {
            match std::fs::remove_file(&p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(BackupError::io("cannot remove", &p, e));
                }
                _ => {}
            }
        }
        removed += 1;
    }
    Ok(removed)
}

/// What the file's first bytes say it is.
fn detect(file: &Path) -> Result<Kind, BackupError> {
    use std::io::Read;
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(file)
        .and_then(|f| f.take(512).read_to_end(&mut head))
        .map_err(|e| BackupError::io("cannot read", file, e))?;
    if head.starts_with(sqlite::MAGIC) {
        Ok(Kind::Sqlite)
    } else if mariadb::looks_like_dump(&head) {
        Ok(Kind::MariadbDump)
    } else {
        Err(Refusal::NotABackup {
            file: file.to_owned(),
        }
        .into())
    }
}

/// The manifest beside `file`, checked against the file (`sha256` of what is restored) and
/// what it holds (`contents`, read from the file itself).
fn checked_manifest(
    file: &Path,
    kind: Kind,
    sha256: &str,
    contents: &Contents,
) -> Result<Manifest, BackupError> {
    let m = Manifest::read(file)?;
    let invalid = |detail: String| -> BackupError {
        Refusal::ManifestInvalid {
            manifest: manifest::path_for(file),
            detail,
        }
        .into()
    };
    if m.kind != kind {
        return Err(invalid(format!("it says {}, the file is {kind}", m.kind)));
    }
    if m.sha256 != sha256 {
        return Err(Refusal::Checksum {
            file: file.to_owned(),
            expected: m.sha256,
            actual: sha256.to_owned(),
        }
        .into());
    }
    if m.schema_version > latest_schema() || contents.schema_version > latest_schema() {
        return Err(Refusal::TooNew {
            file: file.to_owned(),
            found: m.schema_version.max(contents.schema_version),
            latest: latest_schema(),
        }
        .into());
    }
    if m.schema_version != contents.schema_version {
        return Err(invalid(format!(
            "it says schema version {}, the file has {}",
            m.schema_version, contents.schema_version
        )));
    }
    compare(file, "in the file", &contents.tables, &m)?;
    Ok(m)
}

/// Every table's rows in `found` equal the manifest's.
fn compare(
    file: &Path,
    what: &'static str,
    found: &BTreeMap<String, u64>,
    m: &Manifest,
) -> Result<(), BackupError> {
    let show = |n: Option<&u64>| n.map_or_else(|| "no such table".to_owned(), u64::to_string);
    let names = found.keys().chain(m.tables.keys());
    for table in names {
        let (f, e) = (found.get(table), m.tables.get(table));
        if f != e {
            return Err(Refusal::Rows {
                file: file.to_owned(),
                what,
                table: table.clone(),
                found: show(f),
                expected: show(e),
            }
            .into());
        }
    }
    Ok(())
}

/// Checks `file` and restores it into a scratch database, which is left for the caller:
/// SQLite, the verified copy (in `scratch`); MariaDB, the `<db>_verify` database.
async fn verify_into_scratch(
    target: &Target,
    file: &Path,
    scratch: &Path,
) -> Result<(Manifest, PathBuf), BackupError> {
    let kind = detect(file)?;
    if kind != target.kind() {
        return Err(Refusal::WrongKind {
            file: file.to_owned(),
            found: kind,
            want: target.kind(),
        }
        .into());
    }
    match target {
        Target::Sqlite(_) => {
            sqlite::check_header(file)?;
            let copy = scratch.join("restore.sqlite");
            sqlite::copy_private(file, &copy)?;
            // What is checked is what would be restored: the copy.
            let sha = files::sha256(&copy)?;
            let contents = sqlite::inspect(&copy, file).await?;
            let m = checked_manifest(file, kind, &sha, &contents)?;
            Ok((m, copy))
        }
        Target::MariaDb(server) => {
            let contents = mariadb::read_dump(file)?;
            require_ours(file, contents.tables.keys().map(String::as_str))?;
            let m = checked_manifest(file, kind, &files::sha256(file)?, &contents)?;
            let client = server.client()?;
            let scratch_db = client.create_scratch()?;
            let restored = client
                .load(&scratch_db, file)
                .and_then(|()| client.counts(&scratch_db))
                .and_then(|counts| compare(file, "restored into a scratch database", &counts, &m));
            if let Err(e) = restored {
                let _ = client.drop_scratch();
                return Err(e);
            }
            Ok((m, PathBuf::new()))
        }
    }
}

async fn verify(target: &Target, file: &Path) -> Result<Manifest, BackupError> {
    let scratch = files::scratch_dir(file)?;
    let (m, _) = verify_into_scratch(target, file, scratch.path()).await?;
    if let Target::MariaDb(server) = target {
        server.client()?.drop_scratch()?;
    }
    Ok(m)
}

/// Verifies `file`, then replaces the database's contents with it in one step.
async fn restore(target: &Target, file: &Path) -> Result<Manifest, BackupError> {
    match target {
        Target::Sqlite(db) => {
            // The copy is made next to the database, so it can be renamed over it.
            let scratch = files::scratch_dir(db)?;
            let (m, copy) = verify_into_scratch(target, file, scratch.path()).await?;
            sqlite::replace(&copy, db)?;
            tracing::info!(backup = %file.display(), database = %db.display(), "restored");
            Ok(m)
        }
        Target::MariaDb(server) => {
            let (m, _) = verify_into_scratch(target, file, Path::new(".")).await?;
            let client = server.client()?;
            if let Err(e) = client.swap_in_scratch(crate::db::TABLES) {
                let _ = client.drop_scratch();
                return Err(e);
            }
            tracing::info!(backup = %file.display(), database = %server.database, "restored");
            Ok(m)
        }
    }
}
