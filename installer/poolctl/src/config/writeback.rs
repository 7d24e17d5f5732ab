//! Changing single values in `pool.toml` without touching anything else: comments, order,
//! spacing and quoting of every other line stay as the operator wrote them (toml_edit).

use std::path::Path;

use toml_edit::{DocumentMut, value};

use crate::host::Fingerprint;

/// Why a write-back failed.
#[derive(Debug, thiserror::Error)]
pub enum WritebackError {
    #[error("cannot update {path}: {cause}")]
    Io { path: String, cause: String },
    #[error("cannot update {path}: it is no longer valid TOML ({cause}); fix it and rerun")]
    Parse { path: String, cause: String },
    #[error("cannot update {path}: no [[hosts]] entry named {host}")]
    NoHost { path: String, host: String },
}

/// Sets `host_key` of the `[[hosts]]` entry named `host` in the text of a pool.toml.
pub fn set_host_key_in(text: &str, host: &str, key: &Fingerprint) -> Result<String, String> {
    set_host_field_in(text, host, "host_key", &key.to_string())
}

/// Sets a string field of the `[[hosts]]` entry named `host`.
pub fn set_host_field_in(text: &str, host: &str, field: &str, new: &str) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    let hosts = doc
        .get_mut("hosts")
        .and_then(|h| h.as_array_of_tables_mut())
        .ok_or_else(|| "no [[hosts]]".to_owned())?;
    let entry = hosts
        .iter_mut()
        .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(host))
        .ok_or_else(|| format!("no host {host}"))?;
    match entry.get_mut(field).and_then(|i| i.as_value_mut()) {
        // Keep the value's own decoration (comment after it, spacing).
        Some(v) => {
            let decor = v.decor().clone();
            *v = new.into();
            *v.decor_mut() = decor;
        }
        None => {
            entry.insert(field, value(new));
        }
    }
    Ok(doc.to_string())
}

/// Pins `key` for `host` in the file `path`, atomically (temp file + rename).
pub fn pin_host_key(path: &Path, host: &str, key: &Fingerprint) -> Result<(), WritebackError> {
    let p = path.display().to_string();
    let io = |e: std::io::Error| WritebackError::Io {
        path: p.clone(),
        cause: e.to_string(),
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let new = set_host_key_in(&text, host, key).map_err(|cause| {
        if cause.starts_with("no host") || cause == "no [[hosts]]" {
            WritebackError::NoHost {
                path: p.clone(),
                host: host.to_owned(),
            }
        } else {
            WritebackError::Parse {
                path: p.clone(),
                cause,
            }
        }
    })?;
    write_atomic(path, &new).map_err(io)
}

/// Writes `text` to `path` via a temporary file in the same directory, keeping the mode.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("toml.poolctl-tmp");
    std::fs::write(&tmp, text)?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(&tmp, meta.permissions())?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_comments_and_formatting() {
        let text = r#"# The pool.
network = "simnet"   # simulated

[[hosts]]
name = "voting1"
address    = "10.0.0.1"   # aligned on purpose

[[hosts]]
# second
name = "voting2"
address = "10.0.0.2"
host_key = "SHA256:old"  # pinned
"#;
        let fp: Fingerprint = "SHA256:OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ"
            .parse()
            .unwrap();
        let new = set_host_key_in(text, "voting1", &fp).unwrap();
        assert_eq!(
            new,
            text.replace(
                "address    = \"10.0.0.1\"   # aligned on purpose\n",
                "address    = \"10.0.0.1\"   # aligned on purpose\nhost_key = \"SHA256:OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ\"\n"
            )
        );
        let new = set_host_key_in(text, "voting2", &fp).unwrap();
        assert_eq!(
            new,
            text.replace(
                "\"SHA256:old\"",
                "\"SHA256:OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ\""
            )
        );
        assert!(set_host_key_in(text, "voting3", &fp).is_err());
    }
}
