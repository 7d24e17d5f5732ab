//! `exccstakepool migrate-legacy --config FILE --from mysql://USER@HOST[:PORT]/DB
//! [--from-password-file FILE] [--check]`: moves a running legacy Go exccstakepool's
//! accounts and admin-added low-fee tickets into this pool's database (the config's
//! `database.url`, created or upgraded first), in place:
//!
//! - every user keeps their user id, which stays their derivation index (ticket address
//!   and fee address unchanged): each stored `MultiSigAddress`, `MultiSigScript` and
//!   `UserFeeAddr` is checked against what this pool derives from `voting_wallet_xpub`,
//!   `cold_wallet_xpub` and the stored `UserPubKeyAddr`, and any mismatch refuses the whole
//!   run, listing every user concerned;
//! - e-mail address, verification state (a pending verification link keeps working for
//!   48 hours), vote bits and version carry over; the bcrypt password hash is kept and
//!   replaced by Argon2id at the user's next sign-in;
//! - the stored API token is kept: with `legacy_api_secret_file` (the old `apisecret`) it
//!   keeps working until the user gets a new one;
//! - unexpired admin-added low-fee tickets carry over.
//!
//! The legacy database is only read (one read-only transaction); its password comes from a
//! file, never from the command line. Everything is written in one transaction, and a
//! second run adds only what is new (accounts moved before are left as they are now).

mod convert;
pub mod legacy;

use std::path::{Path, PathBuf};

use crate::config::{Config, ConfigError};
use crate::db::migrated::ImportError;
use crate::db::{Db, DbError};
pub use convert::{Converted, convert};
use legacy::LegacyDbError;

const USAGE: &str = "usage: exccstakepool migrate-legacy --config FILE --from mysql://USER@HOST[:PORT]/DBNAME [--from-password-file FILE] [--check]";

/// Why nothing was migrated.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{USAGE}")]
    Usage,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("--from-password-file {path}: {why}")]
    PasswordFile { path: PathBuf, why: String },
    #[error(transparent)]
    Legacy(#[from] LegacyDbError),
    #[error(
        "refused: {} legacy users cannot be moved as they are (nothing was changed; is the config's voting_wallet_xpub/cold_wallet_xpub the legacy votingwalletextpub/coldwalletextpub?):\n  {}",
        .0.len(),
        .0.join("\n  ")
    )]
    Mismatch(Vec<String>),
    #[error("refused: {0}")]
    Conflicts(ImportError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl MigrateError {
    /// 2 for a wrong command line, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            MigrateError::Usage => 2,
            _ => 1,
        }
    }
}

impl From<ImportError> for MigrateError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Db(e) => MigrateError::Db(e),
            conflicts => MigrateError::Conflicts(conflicts),
        }
    }
}

/// The command line after `migrate-legacy`.
#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    pub config: PathBuf,
    pub from: String,
    pub password_file: Option<PathBuf>,
    /// Read and check only; write nothing.
    pub check: bool,
}

impl Args {
    pub fn parse(args: &[String]) -> Result<Args, MigrateError> {
        let (mut config, mut from, mut password_file, mut check) = (None, None, None, false);
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().cloned().ok_or(MigrateError::Usage);
            match a.as_str() {
                "--config" => config = Some(PathBuf::from(value()?)),
                "--from" => from = Some(value()?),
                "--from-password-file" => password_file = Some(PathBuf::from(value()?)),
                "--check" => check = true,
                _ => return Err(MigrateError::Usage),
            }
        }
        Ok(Args {
            config: config.ok_or(MigrateError::Usage)?,
            from: from.ok_or(MigrateError::Usage)?,
            password_file,
            check,
        })
    }
}

/// The password in `path` (one line; the file must not be readable by others).
fn read_password(path: &Path) -> Result<String, MigrateError> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |why: String| MigrateError::PasswordFile {
        path: path.to_owned(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(fail("is readable by others: chmod 600 it".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

/// Runs `migrate-legacy` with the arguments after it; says what it did.
pub async fn command(args: &[String]) -> Result<String, MigrateError> {
    let args = Args::parse(args)?;
    let config = Config::load(&args.config)?;
    let password = args
        .password_file
        .as_deref()
        .map(read_password)
        .transpose()?;
    run(&config, &args.from, password.as_deref(), args.check).await
}

/// Reads the legacy database at `from` (with `password`), checks every row and, unless
/// `check`, writes the result into `config`'s database.
pub async fn run(
    config: &Config,
    from: &str,
    password: Option<&str>,
    check: bool,
) -> Result<String, MigrateError> {
    let options = legacy::options(from, password)?;
    let data = legacy::read(from, options).await?;
    let now = Db::now();
    let converted = convert(&config.settings, &data.users, &data.tickets, now)
        .map_err(MigrateError::Mismatch)?;
    let with_address = converted
        .users
        .iter()
        .filter(|u| u.address.is_some())
        .count();
    let mut lines = Vec::new();
    if check {
        lines.push(format!(
            "checked {from}: {} accounts ({with_address} with a ticket address) and {} low-fee tickets can be moved; nothing written (--check)",
            converted.users.len(),
            converted.tickets.len()
        ));
    } else {
        let db = Db::open(&config.database_url).await?;
        let done = db
            .import_migrated(&converted.users, &converted.tickets, now)
            .await;
        db.pool_close().await;
        let done = done?;
        lines.push(format!(
            "migrated from {from}: {} accounts added ({with_address} of all {} with a ticket address), {} already moved before and left as they are; {} low-fee tickets added, {} there already",
            done.users_added,
            converted.users.len(),
            done.users_present,
            done.tickets_added,
            done.tickets_present
        ));
        tracing::info!(
            users = done.users_added,
            tickets = done.tickets_added,
            "legacy pool migrated"
        );
    }
    lines.extend(notes(config, &converted));
    Ok(lines.join("\n"))
}

/// What the operator should know besides the counts.
fn notes(config: &Config, c: &Converted) -> Vec<String> {
    let mut notes = Vec::new();
    if c.expired_tickets > 0 {
        notes.push(format!(
            "note: {} expired low-fee tickets left out",
            c.expired_tickets
        ));
    }
    if !c.dead_tokens.is_empty() {
        let hint = match config.settings.legacy_api_secret.is_some() {
            true => "legacy_api_secret_file is not the secret that signed them",
            false => "set legacy_api_secret_file to a file holding the legacy apisecret",
        };
        notes.push(format!(
            "note: the API tokens of {} users (ids {}) do not verify ({hint}); they get a new token on their settings page",
            c.dead_tokens.len(),
            list(&c.dead_tokens)
        ));
    }
    if !c.kept_case.is_empty() {
        notes.push(format!(
            "note: users {} have e-mail addresses that differ only by case; each keeps it exactly as it was",
            list(&c.kept_case)
        ));
    }
    notes
}

fn list(ids: &[i64]) -> String {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    ids.join(", ")
}
