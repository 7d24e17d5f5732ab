//! The daemon's own durable state: user preferences and the admin-added tickets,
//! so it votes correctly after a reboot even when the web service is down.
//! Written atomically (temporary file, fsync, rename, fsync of the directory), mode 0600.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use excc_chain::ChainHash;
use serde::{Deserialize, Serialize};

use crate::prefs::PrefsBook;

const FILE_NAME: &str = "state.json";
const SCHEMA: u32 = 1;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistedState {
    pub schema: u32,
    pub prefs: PrefsBook,
    pub added_tickets: Vec<ChainHash>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create state directory {path}: {source} (check state_dir and its permissions)")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is corrupt ({source}); move it aside to start with empty state, the web service will push preferences again"
    )]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path} has schema {found}, this stakepoold understands {SCHEMA}: use a matching stakepoold version"
    )]
    Schema { path: PathBuf, found: u32 },
    #[error("cannot write {path}: {source} (is the disk full or read-only?)")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The state file in one directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// Opens (creating with mode 0700 if needed) the state directory.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| StoreError::CreateDir {
                path: dir.into(),
                source,
            })?;
        Ok(Store { dir: dir.into() })
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Loads the state; a missing file is an empty state.
    pub fn load(&self) -> Result<PersistedState, StoreError> {
        let path = self.path();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(PersistedState {
                    schema: SCHEMA,
                    ..Default::default()
                });
            }
            Err(source) => return Err(StoreError::Read { path, source }),
        };
        let state: PersistedState =
            serde_json::from_str(&text).map_err(|source| StoreError::Corrupt {
                path: path.clone(),
                source,
            })?;
        if state.schema != SCHEMA {
            return Err(StoreError::Schema {
                path,
                found: state.schema,
            });
        }
        Ok(state)
    }

    /// Saves atomically: readers see the old or the new file, never a partial one.
    pub fn save(&self, state: &PersistedState) -> Result<(), StoreError> {
        let path = self.path();
        let tmp = self.dir.join(format!("{FILE_NAME}.tmp"));
        let wrap = |source| StoreError::Write {
            path: path.clone(),
            source,
        };
        let mut state = state.clone();
        state.schema = SCHEMA;
        state.added_tickets.sort();
        let json = serde_json::to_vec_pretty(&state).expect("state serializes");
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(wrap)?;
        f.write_all(&json).map_err(wrap)?;
        f.sync_all().map_err(wrap)?;
        drop(f);
        fs::rename(&tmp, &path).map_err(wrap)?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(wrap)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefs::UserPrefs;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn round_trip_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state")).unwrap();
        assert_eq!(store.load().unwrap().prefs.len(), 0);
        let mut prefs = PrefsBook::default();
        prefs.replace_all([(
            "Sc1".to_string(),
            UserPrefs {
                user_id: 7,
                vote_bits: 1,
                vote_bits_version: 10,
            },
        )]);
        let state = PersistedState {
            schema: SCHEMA,
            prefs,
            added_tickets: vec![ChainHash([3; 32])],
        };
        store.save(&state).unwrap();
        assert_eq!(store.load().unwrap(), state);
        let mode = fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn corrupt_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        fs::write(store.path(), "{not json").unwrap();
        let err = store.load().unwrap_err().to_string();
        assert!(
            err.contains("state.json") && err.contains("move it aside"),
            "{err}"
        );
    }
}
