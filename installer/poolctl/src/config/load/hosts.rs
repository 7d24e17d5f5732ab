//! `[[hosts]]`: the voting hosts; the same entry parser serves `[[web_hosts]]` and the
//! `[database]` host.

use std::collections::BTreeSet;

use toml_edit::TableLike;

use super::{Loader, line_of};
use crate::config::model::HostEntry;
use crate::host::Fingerprint;

/// The keys of one host entry.
pub(super) const HOST_KEYS: [&str; 5] = ["name", "address", "ssh_user", "ssh_port", "host_key"];

impl Loader<'_> {
    pub(super) fn hosts(&mut self, root: &dyn TableLike) -> Vec<HostEntry> {
        self.host_array(
            root,
            "hosts",
            "no voting host: add a [[hosts]] table per host",
        )
        .unwrap_or_default()
    }

    /// `[[KEY]]` host tables: `None` when absent (`missing` is then the reason, when given),
    /// each entry checked, names and addresses unique among them.
    pub(super) fn host_array(
        &mut self,
        root: &dyn TableLike,
        key: &str,
        missing: &str,
    ) -> Option<Vec<HostEntry>> {
        let Some(item) = root.get(key) else {
            if !missing.is_empty() {
                self.push(0, key, missing);
            }
            return None;
        };
        let Some(array) = item.as_array_of_tables() else {
            let line = self.line(item);
            self.push(line, key, format!("must be [[{key}]] tables"));
            return Some(Vec::new());
        };
        let mut names = BTreeSet::new();
        let mut addresses = BTreeSet::new();
        let mut out = Vec::new();
        for (i, t) in array.iter().enumerate() {
            let prefix = format!("{key}[{}]", i + 1);
            let line = t.span().map(|s| line_of(self.text, s.start)).unwrap_or(0);
            self.unknown(t, &prefix, &HOST_KEYS);
            let Some(entry) = self.host_entry(t, &prefix, line) else {
                continue;
            };
            let name_line = t.get("name").map(|i| self.line(i)).unwrap_or(line);
            let address_line = t.get("address").map(|i| self.line(i)).unwrap_or(line);
            if !names.insert(entry.name.clone()) {
                self.push(
                    name_line,
                    format!("{prefix}.name"),
                    format!("{} is listed twice", entry.name),
                );
            }
            if !addresses.insert(entry.address.clone()) {
                self.push(
                    address_line,
                    format!("{prefix}.address"),
                    format!("{} is listed twice", entry.address),
                );
            }
            out.push(entry);
        }
        if array.is_empty() {
            let line = self.line(item);
            self.push(line, key, "no host");
        }
        Some(out)
    }

    /// One host's `name`, `address`, `ssh_user`, `ssh_port` and `host_key` (other keys of
    /// `t` are the caller's to check). `line`: the entry's header, for messages.
    pub(super) fn host_entry(
        &mut self,
        t: &dyn TableLike,
        prefix: &str,
        line: usize,
    ) -> Option<HostEntry> {
        let name = self.string(t, prefix, "name", None);
        let address = self.string(t, prefix, "address", None);
        let user = self.string(t, prefix, "ssh_user", Some("root"));
        let port = self.integer(t, prefix, "ssh_port", 1..=65535, Some(22));
        let host_key = match t.get("host_key") {
            None => Some(None),
            Some(item) => {
                let line = self.line(item);
                match item.as_str().map(str::parse::<Fingerprint>) {
                    Some(Ok(fp)) => Some(Some(fp)),
                    Some(Err(reason)) => {
                        self.push(line, format!("{prefix}.host_key"), reason);
                        None
                    }
                    None => {
                        self.push(line, format!("{prefix}.host_key"), "must be a string");
                        None
                    }
                }
            }
        };
        let name = name.and_then(|(n, l)| {
            let valid = !n.is_empty()
                && n.len() <= 63
                && n.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
            if valid {
                Some(n)
            } else {
                self.push(
                    l,
                    format!("{prefix}.name"),
                    "must be a host name of lowercase letters, digits and '-'",
                );
                None
            }
        });
        let address = address.and_then(|(a, l)| {
            if a.is_empty() || a.contains(char::is_whitespace) {
                self.push(
                    l,
                    format!("{prefix}.address"),
                    "must be an IP address or DNS name",
                );
                None
            } else {
                Some(a)
            }
        });
        Some(HostEntry {
            name: name?,
            address: address?,
            ssh_user: user?.0,
            ssh_port: port? as u16,
            host_key: host_key?,
            line,
        })
    }
}
