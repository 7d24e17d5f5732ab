//! The manifest beside every backup (`<file>.json`): what the backup is (kind, schema
//! version, time), its SHA-256, and how many rows each table of the snapshot holds; and
//! `last-verification.json`, the outcome of the latest verification in a backup directory
//! (read by `poolctl status`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{BackupError, Refusal, files};

/// What a backup file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A SQLite database file.
    Sqlite,
    /// SQL written by `mariadb-dump`.
    MariadbDump,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Sqlite => "SQLite",
            Kind::MariadbDump => "MariaDB",
        })
    }
}

/// `<file>.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub kind: Kind,
    /// The backup's file name (without its directory).
    pub file: String,
    /// The database schema version of the snapshot (`db::latest_schema` of its time).
    pub schema_version: u32,
    /// RFC 3339, UTC.
    pub created: String,
    pub created_unix: i64,
    /// Of the backup file, hex.
    pub sha256: String,
    /// Rows per table in the snapshot.
    pub tables: BTreeMap<String, u64>,
    /// When a verification (a restore into a scratch database) last succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<String>,
}

/// The manifest's path for a backup file.
pub fn path_for(backup: &Path) -> PathBuf {
    let mut name = backup.file_name().unwrap_or_default().to_owned();
    name.push(".json");
    backup.with_file_name(name)
}

impl Manifest {
    /// The manifest beside `backup`.
    pub fn read(backup: &Path) -> Result<Manifest, BackupError> {
        let path = path_for(backup);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Refusal::ManifestMissing {
                    file: backup.to_owned(),
                    manifest: path,
                }
                .into());
            }
            Err(e) => return Err(BackupError::io("cannot read", &path, e)),
        };
        serde_json::from_slice(&text).map_err(|e| {
            Refusal::ManifestInvalid {
                manifest: path,
                detail: e.to_string(),
            }
            .into()
        })
    }

    /// Writes it beside `backup` (0600, atomically).
    pub fn write(&self, backup: &Path) -> Result<(), BackupError> {
        let json = serde_json::to_vec_pretty(self).expect("a manifest serialises");
        files::write_atomic(&path_for(backup), &json)
    }
}

/// `DIR/last-verification.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastVerification {
    /// The backup's file name; `None` when the backup could not even be taken.
    pub file: Option<String>,
    pub ok: bool,
    /// RFC 3339, UTC.
    pub checked_at: String,
    /// What was checked, or why it failed.
    pub detail: String,
}

pub const LAST_VERIFICATION: &str = "last-verification.json";

impl LastVerification {
    pub fn write(&self, dir: &Path) -> Result<(), BackupError> {
        let json = serde_json::to_vec_pretty(self).expect("serialises");
        files::write_atomic(&dir.join(LAST_VERIFICATION), &json)
    }

    pub fn read(dir: &Path) -> Result<LastVerification, BackupError> {
        let path = dir.join(LAST_VERIFICATION);
        let text = std::fs::read(&path).map_err(|e| BackupError::io("cannot read", &path, e))?;
        serde_json::from_slice(&text).map_err(|e| {
            Refusal::ManifestInvalid {
                manifest: path,
                detail: e.to_string(),
            }
            .into()
        })
    }
}
