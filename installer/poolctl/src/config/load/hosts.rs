//! `[[hosts]]`: the voting hosts.

use std::collections::BTreeSet;

use toml_edit::TableLike;

use super::{Loader, line_of};
use crate::config::model::HostEntry;
use crate::host::Fingerprint;

impl Loader<'_> {
    pub(super) fn hosts(&mut self, root: &dyn TableLike) -> Vec<HostEntry> {
        let Some(item) = root.get("hosts") else {
            self.push(0, "hosts", "no voting host: add a [[hosts]] table per host");
            return Vec::new();
        };
        let Some(array) = item.as_array_of_tables() else {
            let line = self.line(item);
            self.push(line, "hosts", "must be [[hosts]] tables");
            return Vec::new();
        };
        let mut names = BTreeSet::new();
        let mut addresses = BTreeSet::new();
        let mut out = Vec::new();
        for (i, t) in array.iter().enumerate() {
            let prefix = format!("hosts[{}]", i + 1);
            let line = t.span().map(|s| line_of(self.text, s.start)).unwrap_or(0);
            self.unknown(
                t,
                &prefix,
                &["name", "address", "ssh_user", "ssh_port", "host_key"],
            );
            let name = self.string(t, &prefix, "name", None);
            let address = self.string(t, &prefix, "address", None);
            let user = self.string(t, &prefix, "ssh_user", Some("root"));
            let port = self.integer(t, &prefix, "ssh_port", 1..=65535, Some(22));
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
            if let Some((n, l)) = &name {
                let valid = !n.is_empty()
                    && n.len() <= 63
                    && n.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
                if !valid {
                    self.push(
                        *l,
                        format!("{prefix}.name"),
                        "must be a host name of lowercase letters, digits and '-'",
                    );
                } else if !names.insert(n.clone()) {
                    self.push(*l, format!("{prefix}.name"), format!("{n} is listed twice"));
                }
            }
            if let Some((a, l)) = &address {
                if a.is_empty() || a.contains(char::is_whitespace) {
                    self.push(
                        *l,
                        format!("{prefix}.address"),
                        "must be an IP address or DNS name",
                    );
                } else if !addresses.insert(a.clone()) {
                    self.push(
                        *l,
                        format!("{prefix}.address"),
                        format!("{a} is listed twice"),
                    );
                }
            }
            if let (
                Some((name, _)),
                Some((address, _)),
                Some((ssh_user, _)),
                Some(port),
                Some(host_key),
            ) = (name, address, user, port, host_key)
            {
                out.push(HostEntry {
                    name,
                    address,
                    ssh_user,
                    ssh_port: port as u16,
                    host_key,
                    line,
                });
            }
        }
        if array.is_empty() {
            let line = self.line(item);
            self.push(line, "hosts", "no voting host");
        }
        out
    }
}
