//! The imported secrets, each in its own mode-0600 file (directory 0700 when import makes
//! it). An existing file with the same value is kept, as is one of a secret import made up
//! (a re-run keeps the first run's); one with another legacy value is never overwritten.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{ImportError, SecretValue, secret_path};
use crate::config::short_io;

/// Writes every known secret into `dir`; returns the files.
pub fn write_all(dir: &Path, secrets: &[SecretValue]) -> Result<Vec<PathBuf>, ImportError> {
    let known: Vec<(&str, &str, bool)> = secrets
        .iter()
        .filter_map(|s| s.value.as_deref().map(|v| (s.name, v, s.generated)))
        .collect();
    if known.is_empty() {
        return Ok(Vec::new());
    }
    let fail = |path: &Path, cause: String| ImportError::Secret {
        path: path.to_owned(),
        cause,
    };
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|e| fail(dir, short_io(&e)))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| fail(dir, short_io(&e)))?;
    }
    // Refuse before writing anything: no half-imported directory.
    for (name, value, generated) in &known {
        let path = secret_path(dir, name);
        if !generated
            && let Ok(old) = std::fs::read_to_string(&path)
            && old.trim_end_matches(['\n', '\r']) != *value
        {
            return Err(fail(
                &path,
                "it exists with another value; move it away or choose another --secrets-dir"
                    .to_owned(),
            ));
        }
    }
    let mut out = Vec::new();
    for (name, value, _) in known {
        let path = secret_path(dir, name);
        if !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .and_then(|mut f| f.write_all(format!("{value}\n").as_bytes()))
                .map_err(|e| fail(&path, short_io(&e)))?;
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| fail(&path, short_io(&e)))?;
        out.push(path);
    }
    Ok(out)
}
