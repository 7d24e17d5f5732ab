//! Changing single values in `pool.toml` without touching anything else: comments, order,
//! spacing and quoting of every other line stay as the operator wrote them (toml_edit).

use std::path::Path;

use toml_edit::{DocumentMut, TableLike, value};

use crate::host::Fingerprint;

/// Why a write-back failed.
#[derive(Debug, thiserror::Error)]
pub enum WritebackError {
    #[error("cannot update {path}: {cause}")]
    Io { path: String, cause: String },
    #[error("cannot update {path}: it is no longer valid TOML ({cause}); fix it and rerun")]
    Parse { path: String, cause: String },
    #[error("cannot update {path}: no [[hosts]], [[web_hosts]] or [database] host named {host}")]
    NoHost { path: String, host: String },
}

/// Sets `host_key` of the host named `host` (a `[[hosts]]` or `[[web_hosts]]` entry, or the
/// `[database]` host) in the text of a pool.toml.
pub fn set_host_key_in(text: &str, host: &str, key: &Fingerprint) -> Result<String, String> {
    set_host_field_in(text, host, "host_key", &key.to_string())
}

/// Sets a string field of the host named `host`: the `[[hosts]]` or `[[web_hosts]]` entry,
/// or `[database]` when it names that host.
pub fn set_host_field_in(text: &str, host: &str, field: &str, new: &str) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    let named = |t: &dyn TableLike| t.get("name").and_then(|n| n.as_str()) == Some(host);
    let mut entry: Option<&mut dyn TableLike> = None;
    for (key, item) in doc.as_table_mut().iter_mut() {
        let found: Option<&mut dyn TableLike> = match key.get() {
            "hosts" | "web_hosts" => item
                .as_array_of_tables_mut()
                .and_then(|a| a.iter_mut().find(|t| named(*t)))
                .map(|t| t as &mut dyn TableLike),
            "database" => item.as_table_like_mut().filter(|t| named(&**t)),
            _ => None,
        };
        if found.is_some() {
            entry = found;
            break;
        }
    }
    let entry = entry.ok_or_else(|| format!("no host {host}"))?;
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
        if cause.starts_with("no host") {
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

    #[test]
    fn pins_web_and_database_hosts() {
        let text = r#"[[hosts]]
name = "voting1"

[database]
kind = "mariadb"
name = "db1"        # the database host

[[web_hosts]]
name = "web1"
host_key = "SHA256:old"

[[web_hosts]]
name = "web2"
"#;
        let fp: Fingerprint = "SHA256:OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ"
            .parse()
            .unwrap();
        let pinned = format!("host_key = \"{fp}\"\n");
        let new = set_host_key_in(text, "db1", &fp).unwrap();
        assert_eq!(
            new,
            text.replace(
                "# the database host\n",
                &format!("# the database host\n{pinned}")
            )
        );
        let new = set_host_key_in(text, "web1", &fp).unwrap();
        assert_eq!(new, text.replace("\"SHA256:old\"", &format!("\"{fp}\"")));
        let new = set_host_key_in(text, "web2", &fp).unwrap();
        assert_eq!(new, format!("{text}{pinned}"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pool.toml");
        std::fs::write(&path, text).unwrap();
        pin_host_key(&path, "web2", &fp).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{text}{pinned}")
        );
        let err = pin_host_key(&path, "web3", &fp).unwrap_err().to_string();
        assert!(
            err.contains("no [[hosts]], [[web_hosts]] or [database] host named web3"),
            "{err}"
        );
    }
}
