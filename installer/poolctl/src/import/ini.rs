//! The legacy Go programs' INI files (go-flags): `key=value` lines, `;` or `#` comments, an
//! optional `[Application Options]` header; a repeated key appends (lists) or wins (the
//! last value).

use std::path::{Path, PathBuf};

use super::ImportError;

/// One `key=value` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Lower case (go-flags matches option names without regard to case).
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// A parsed legacy config file.
#[derive(Clone, Debug)]
pub struct Ini {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

impl Ini {
    pub fn read(path: &Path) -> Result<Ini, ImportError> {
        let text = std::fs::read_to_string(path).map_err(|e| ImportError::Read {
            path: path.to_owned(),
            cause: crate::config::short_io(&e),
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Ini, ImportError> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
                continue;
            }
            if line.starts_with('[') && line.ends_with(']') {
                continue; // [Application Options]: go-flags' only group here.
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(ImportError::Syntax {
                    path: path.to_owned(),
                    line: i + 1,
                    reason: "not key=value".to_owned(),
                });
            };
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            entries.push(Entry {
                key: key.trim().to_ascii_lowercase(),
                value: value.to_owned(),
                line: i + 1,
            });
        }
        Ok(Ini {
            path: path.to_owned(),
            entries,
        })
    }

    /// The value of `key` (the last one when repeated), if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }

    /// The value of `key`, `None` when unset or empty.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// A list option: every value of `key`, each split on `,`, trimmed, empties dropped.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.key == key)
            .flat_map(|e| e.value.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A boolean option (`1`, `true`, `0`, `false`; unset = false).
    pub fn flag(&self, key: &str) -> Result<bool, ImportError> {
        match self.get(key).map(str::to_ascii_lowercase).as_deref() {
            None | Some("0" | "false" | "") => Ok(false),
            Some("1" | "true") => Ok(true),
            Some(_) => Err(self.invalid(key, "must be 1/true or 0/false")),
        }
    }

    /// An error about the value of `key` (the value is not repeated: it may be secret).
    pub fn invalid(&self, key: &str, reason: &str) -> ImportError {
        let line = self
            .entries
            .iter()
            .rev()
            .find(|e| e.key == key)
            .map_or(0, |e| e.line);
        ImportError::Syntax {
            path: self.path.clone(),
            line,
            reason: format!("{key}: {reason}"),
        }
    }
}

/// `host:port`, `[v6]:port` or `host` → the host part.
pub fn host_part(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match address.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.parse::<u16>().is_ok() => h,
        _ => address,
    }
}

/// The port of `host:port`, if any.
pub fn port_part(address: &str) -> Option<u16> {
    let (h, port) = address.rsplit_once(':')?;
    if h.contains(':') && !h.ends_with(']') {
        return None; // a bare IPv6 address
    }
    port.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_flags_ini() {
        let text = "[Application Options]\n; comment\n# another\nSimNet=1\nwallethosts=10.0.0.1:9110, 10.0.0.2\nwallethosts=10.0.0.3\nbaseurl = \"https://pool.example.org\"\npoolfees=7.5\npoolfees=5\n";
        let ini = Ini::parse(text, Path::new("x.conf")).unwrap();
        assert!(ini.flag("simnet").unwrap());
        assert!(!ini.flag("testnet").unwrap());
        assert_eq!(
            ini.list("wallethosts"),
            ["10.0.0.1:9110", "10.0.0.2", "10.0.0.3"]
        );
        assert_eq!(ini.get("baseurl"), Some("https://pool.example.org"));
        assert_eq!(ini.get("poolfees"), Some("5"));
        assert_eq!(ini.entries[0].line, 4);
        let err = Ini::parse("a=1\noops\n", Path::new("x.conf")).unwrap_err();
        assert_eq!(err.to_string(), "x.conf:2: not key=value");
        assert_eq!(host_part("10.0.0.1:9110"), "10.0.0.1");
        assert_eq!(host_part("[::1]:9110"), "::1");
        assert_eq!(host_part("node"), "node");
        assert_eq!(port_part("smtp.example.org:587"), Some(587));
        assert_eq!(port_part("smtp.example.org"), None);
    }
}
