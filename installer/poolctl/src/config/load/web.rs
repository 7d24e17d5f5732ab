//! The web side: `[web]` (with `[web.limits]` and `[web.smtp]`), `[database]`, `[backup]`,
//! `[[web_hosts]]`, `[binaries.exccstakepool]` and the web secrets of `[secrets]`.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use toml_edit::{Item, TableLike};

use super::hosts::HOST_KEYS;
use super::secrets::{DATABASE_PASSWORD, SMTP_PASSWORD, WEB_API_SECRET, WEB_TLS_KEY};
use super::{Loader, short_io};
use crate::config::Secret;
use crate::config::generated::generated_secret;
use crate::config::model::{
    BackupSettings, BinaryName, Database, HostEntry, Smtp, WebSettings, WebSide, WebTls,
};

/// `[web.limits]`: each key and the values that make sense (the web service's own checks
/// only refuse 0; these also catch a misplaced digit).
const LIMITS: [(&str, RangeInclusive<i64>); 9] = [
    ("form_posts_per_minute", 1..=10_000),
    ("api_requests_per_minute", 1..=100_000),
    ("signed_in_posts_per_minute", 1..=10_000),
    // Below the unit's LimitNOFILE=65536, with room for the database and voting nodes.
    ("max_connections", 1..=60_000),
    ("connections_per_client", 1..=60_000),
    ("requests_in_flight", 1..=60_000),
    ("header_timeout_secs", 1..=3_600),
    ("body_timeout_secs", 1..=3_600),
    ("request_timeout_secs", 1..=3_600),
];

const WEB_KEYS: [&str; 9] = [
    "base_url",
    "pool_email",
    "closed",
    "admin_emails",
    "sync_interval_secs",
    "voting_node_timeout_secs",
    "tls_cert",
    "limits",
    "smtp",
];

/// The web side's secret `name` from `[secrets]`, if set.
fn secret<'r>(root: &'r dyn TableLike, name: &str) -> Option<&'r Item> {
    root.get("secrets")
        .and_then(Item::as_table_like)
        .and_then(|s| s.get(name))
}

fn secret_key(name: &str) -> String {
    format!("secrets.{name}")
}

impl Loader<'_> {
    /// The web side, `None` when pool.toml declares none (or it has problems, reported).
    pub(super) fn web(&mut self, root: &dyn TableLike, hosts: &[HostEntry]) -> Option<WebSide> {
        let has_web = root.contains_key("web");
        let has_hosts = root.contains_key("web_hosts");
        if !has_web && !has_hosts {
            self.no_web(root);
            return None;
        }
        let web_line = root.get("web").map(|i| self.line(i)).unwrap_or(0);
        let hosts_line = root.get("web_hosts").map(|i| self.line(i)).unwrap_or(0);
        if !has_web {
            self.push(
                hosts_line,
                "web",
                "missing: [[web_hosts]] need the site's settings: add a [web] table with base_url and pool_email (or remove the [[web_hosts]])",
            );
        }
        if !has_hosts {
            self.push(
                web_line,
                "web_hosts",
                "missing: [web] needs at least one [[web_hosts]] table to run on (or remove [web])",
            );
        }
        let declares_binary = root
            .get("binaries")
            .and_then(Item::as_table_like)
            .is_some_and(|b| b.contains_key(BinaryName::Exccstakepool.as_str()));
        if has_hosts && !declares_binary {
            self.push(
                hosts_line,
                "binaries.exccstakepool",
                "missing: [[web_hosts]] run the web service: add [binaries.exccstakepool] with version, path and sha256",
            );
        }
        let table = self.table(root, "", "web", false);
        let site = table.and_then(|t| self.site(root, t));
        let tls = table.map_or(Some(None), |t| self.web_tls(root, t));
        let web_hosts = self.host_array(root, "web_hosts", "");
        let web_host_count = web_hosts.as_ref().map_or(0, Vec::len);
        let database = self.database(root, web_host_count, hosts_line);
        let backup = self.backup(root);
        let name_lines: Vec<usize> = root
            .get("web_hosts")
            .and_then(Item::as_array_of_tables)
            .map(|a| {
                a.iter()
                    .map(|t| t.get("name").map_or(0, |i| self.line(i)))
                    .collect()
            })
            .unwrap_or_default();
        let db_name_line = root
            .get("database")
            .and_then(Item::as_table_like)
            .and_then(|t| t.get("name"))
            .map_or(0, |i| self.line(i));
        self.unique_names(
            hosts,
            web_hosts.as_deref().unwrap_or(&[]),
            &name_lines,
            database.as_ref().map(|d| (d, db_name_line)),
        );
        let api_secret = match secret(root, WEB_API_SECRET) {
            Some(item) => {
                let key = secret_key(WEB_API_SECRET);
                let line = self.line(item);
                self.resolve_secret(item, &key).0.and_then(|s| {
                    if s.expose().len() >= 32 {
                        Some(s)
                    } else {
                        self.push(
                            line,
                            key,
                            "must be at least 32 characters (e.g. `openssl rand -hex 32`), or leave it out and poolctl generates one",
                        );
                        None
                    }
                })
            }
            None => self.generated(WEB_API_SECRET, web_line),
        };
        Some(WebSide {
            site: site?,
            hosts: web_hosts?,
            database: database?,
            backup,
            api_secret: api_secret?,
            tls: tls?,
        })
    }

    /// Without a web side, its tables and secrets are leftovers.
    fn no_web(&mut self, root: &dyn TableLike) {
        for table in ["database", "backup"] {
            if let Some(item) = root.get(table) {
                let line = self.line(item);
                self.push(
                    line,
                    table,
                    "set, but pool.toml declares no web side: add [web] and [[web_hosts]], or remove this table",
                );
            }
        }
        for name in [
            WEB_API_SECRET,
            DATABASE_PASSWORD,
            WEB_TLS_KEY,
            SMTP_PASSWORD,
        ] {
            if let Some(item) = secret(root, name) {
                let line = self.line(item);
                self.push(
                    line,
                    secret_key(name),
                    "set, but pool.toml declares no web side ([web], [[web_hosts]]): remove it",
                );
            }
        }
    }

    /// A secret poolctl makes when pool.toml sets none (`.poolctl/secrets/NAME`).
    fn generated(&mut self, name: &str, line: usize) -> Option<Secret> {
        match generated_secret(&self.dir, name) {
            Ok(s) => Some(s),
            Err(reason) => {
                self.push(line, secret_key(name), reason);
                None
            }
        }
    }

    /// `[web]` without `tls_cert` (see [`web_tls`](Self::web_tls)).
    fn site(&mut self, root: &dyn TableLike, t: &dyn TableLike) -> Option<WebSettings> {
        let p = "web";
        self.unknown(t, p, &WEB_KEYS);
        let url =
            self.string(t, p, "base_url", None)
                .and_then(|(url, line)| match site_url(&url) {
                    Ok(parts) => Some(parts),
                    Err(why) => {
                        self.push(line, "web.base_url", format!("{url:?} {why}"));
                        None
                    }
                });
        let pool_email = self.string(t, p, "pool_email", None).and_then(|(e, line)| {
            if plausible_email(&e) {
                Some(e)
            } else {
                self.push(
                    line,
                    "web.pool_email",
                    format!("{e:?} is not an e-mail address (NAME@DOMAIN)"),
                );
                None
            }
        });
        let closed = self.boolean(t, p, "closed");
        let admin_emails = self.admin_emails(t);
        let sync = self.integer(t, p, "sync_interval_secs", 10..=86_400, Some(300));
        let timeout = self.integer(t, p, "voting_node_timeout_secs", 1..=300, Some(10));
        let limits = self.limits(t);
        let smtp = self.smtp(root, t);
        let (base_url, server_name) = url?;
        Some(WebSettings {
            base_url,
            server_name,
            pool_email: pool_email?,
            closed,
            admin_emails: admin_emails?,
            sync_interval_secs: sync? as u64,
            voting_node_timeout_secs: timeout? as u64,
            limits: limits?,
            smtp: smtp?,
        })
    }

    fn admin_emails(&mut self, t: &dyn TableLike) -> Option<Vec<String>> {
        let Some(item) = t.get("admin_emails") else {
            return Some(Vec::new());
        };
        let line = self.line(item);
        let list: Option<Vec<String>> = item
            .as_array()
            .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_owned)).collect());
        let Some(list) = list else {
            self.push(
                line,
                "web.admin_emails",
                "must be a list of e-mail addresses in quotes, e.g. [\"you@example.org\"]",
            );
            return None;
        };
        let bad: Vec<&String> = list.iter().filter(|e| !plausible_email(e)).collect();
        if !bad.is_empty() {
            self.push(
                line,
                "web.admin_emails",
                format!("not e-mail addresses (NAME@DOMAIN): {bad:?}"),
            );
            return None;
        }
        Some(list)
    }

    /// `[web.limits]`: the keys set, in [`LIMITS`] order.
    fn limits(&mut self, web: &dyn TableLike) -> Option<Vec<(String, i64)>> {
        let p = "web.limits";
        let Some(t) = self.table(web, "web", "limits", false) else {
            return Some(Vec::new());
        };
        let mut allowed: Vec<&str> = LIMITS.iter().map(|(k, _)| *k).collect();
        allowed.push("real_ip_header");
        self.unknown(t, p, &allowed);
        if let Some(item) = t.get("real_ip_header") {
            let line = self.line(item);
            self.push(
                line,
                "web.limits.real_ip_header",
                "poolctl sets it to the header its nginx sends (clients cannot forge it): remove it here",
            );
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (key, range) in LIMITS {
            if !t.contains_key(key) {
                continue;
            }
            match self.integer(t, p, key, range, Some(0)) {
                Some(v) => out.push((key.to_owned(), v)),
                None => ok = false,
            }
        }
        let get = |k: &str| out.iter().find(|(key, _)| key == k).map(|(_, v)| *v);
        if let (Some(per_client), Some(all)) =
            (get("connections_per_client"), get("max_connections"))
            && per_client > all
        {
            let line = t
                .get("connections_per_client")
                .map(|i| self.line(i))
                .unwrap_or(0);
            self.push(
                line,
                "web.limits.connections_per_client",
                format!("{per_client} is more than max_connections ({all})"),
            );
            ok = false;
        }
        ok.then_some(out)
    }

    /// `[web.smtp]` and `secrets.smtp_password` (needed with `user`, refused without).
    fn smtp(&mut self, root: &dyn TableLike, web: &dyn TableLike) -> Option<Option<Smtp>> {
        let p = "web.smtp";
        let password = secret(root, SMTP_PASSWORD);
        let pw_key = secret_key(SMTP_PASSWORD);
        let Some(t) = self.table(web, "web", "smtp", false) else {
            if let Some(item) = password {
                let line = self.line(item);
                self.push(
                    line,
                    pw_key,
                    "set, but there is no [web.smtp]: add the table or remove this secret",
                );
                return None;
            }
            return Some(None);
        };
        let keys = ["host", "security", "port", "user", "from"];
        for (k, item) in t.iter() {
            if k == "password" || k == "password_file" {
                let line = self.line(item);
                self.push(
                    line,
                    format!("{p}.{k}"),
                    "the password is a secret reference in [secrets]: write it as secrets.smtp_password",
                );
            }
        }
        let mut allowed = keys.to_vec();
        allowed.extend(["password", "password_file"]);
        self.unknown(t, p, &allowed);
        let host = self.string(t, p, "host", None).and_then(|(h, line)| {
            if h.is_empty() || h.contains(|c: char| c.is_whitespace() || c == ':' || c == '/') {
                self.push(
                    line,
                    "web.smtp.host",
                    format!("{h:?} is not a host name (the port is `port`)"),
                );
                None
            } else {
                Some(h)
            }
        });
        let security = self
            .string(t, p, "security", Some("starttls"))
            .and_then(|(s, line)| match s.as_str() {
                "starttls" | "tls" | "none" => Some((s, line)),
                _ => {
                    self.push(
                        line,
                        "web.smtp.security",
                        "must be \"starttls\" (port 587), \"tls\" (implicit TLS, port 465) or \"none\" (a relay on the web host itself)",
                    );
                    None
                }
            });
        let default_port = match security.as_ref().map(|(s, _)| s.as_str()) {
            Some("tls") => 465,
            Some("none") => 25,
            _ => 587,
        };
        let port = self.integer(t, p, "port", 1..=65_535, Some(default_port));
        if let (Some(h), Some((s, line))) = (&host, &security)
            && s == "none"
            && !is_loopback(h)
        {
            self.push(
                *line,
                "web.smtp.security",
                format!("\"none\" sends mail and password in clear: only for a relay on the web host itself (localhost), not {h}; use \"starttls\" or \"tls\""),
            );
        }
        let user = match t.get("user") {
            None => Some(None),
            Some(_) => self
                .string(t, p, "user", None)
                .and_then(|(u, line)| {
                    if u.is_empty() {
                        self.push(line, "web.smtp.user", "must not be empty (or leave it out)");
                        None
                    } else {
                        Some(u)
                    }
                })
                .map(Some),
        };
        let from = self.string(t, p, "from", None).and_then(|(f, line)| {
            if f.contains('@') && !f.contains(['\n', '\r']) {
                Some(f)
            } else {
                self.push(
                    line,
                    "web.smtp.from",
                    "must be a sender address, e.g. \"EXCC stake pool <pool@example.org>\"",
                );
                None
            }
        });
        let pw = match (&user, password) {
            (Some(Some(_)), Some(item)) => self.resolve_secret(item, &pw_key).0.map(Some),
            (Some(Some(_)), None) => {
                let line = t.get("user").map(|i| self.line(i)).unwrap_or(0);
                self.push(
                    line,
                    pw_key,
                    "missing: [web.smtp] user needs its password as a reference (secrets.smtp_password = { file = \"…\" })",
                );
                None
            }
            (_, Some(item)) => {
                let line = self.line(item);
                self.push(
                    line,
                    pw_key,
                    "set, but [web.smtp] has no user: add user or remove this secret",
                );
                None
            }
            (_, None) => Some(None),
        };
        Some(Some(Smtp {
            host: host?,
            security: security?.0,
            port: port? as u16,
            user: user?,
            password: pw?,
            from: from?,
        }))
    }

    /// `[web] tls_cert` with `secrets.web_tls_key`: both or neither.
    fn web_tls(&mut self, root: &dyn TableLike, web: &dyn TableLike) -> Option<Option<WebTls>> {
        let key_name = secret_key(WEB_TLS_KEY);
        match (web.get("tls_cert"), secret(root, WEB_TLS_KEY)) {
            (None, None) => Some(None),
            (Some(cert), None) => {
                let line = self.line(cert);
                self.pem_file(web, "web", "tls_cert", "CERTIFICATE");
                self.push(
                    line,
                    key_name,
                    "missing: [web] tls_cert needs its private key as a reference (secrets.web_tls_key = { file = \"…\" }), or leave tls_cert out for a pool-CA certificate",
                );
                None
            }
            (None, Some(item)) => {
                let line = self.line(item);
                self.push(
                    line,
                    key_name,
                    "set, but [web] has no tls_cert: add the certificate chain or remove this key",
                );
                None
            }
            (Some(_), Some(item)) => {
                let cert_pem = self.pem_file(web, "web", "tls_cert", "CERTIFICATE");
                let line = self.line(item);
                let key = self
                    .resolve_secret_as(item, &key_name, true)
                    .0
                    .and_then(|k| {
                        if k.expose().contains("PRIVATE KEY-----") {
                            Some(k)
                        } else {
                            self.push(
                                line,
                                key_name,
                                "is not a PEM private key (-----BEGIN PRIVATE KEY-----)",
                            );
                            None
                        }
                    });
                Some(Some(WebTls {
                    cert_pem: cert_pem?,
                    key: key?,
                }))
            }
        }
    }

    /// A PEM file named by `key` (a path), read now; it must hold a `-----BEGIN LABEL-----`.
    fn pem_file(
        &mut self,
        t: &dyn TableLike,
        prefix: &str,
        key: &str,
        label: &str,
    ) -> Option<String> {
        let (path, line) = self.string(t, prefix, key, None)?;
        let path = self.path(&path);
        let full = format!("{prefix}.{key}");
        match std::fs::read_to_string(&path) {
            Ok(pem) if pem.contains(&format!("-----BEGIN {label}-----")) => Some(pem),
            Ok(_) => {
                self.push(
                    line,
                    full,
                    format!(
                        "{} holds no PEM {} (-----BEGIN {label}-----)",
                        path.display(),
                        label.to_lowercase()
                    ),
                );
                None
            }
            Err(e) => {
                self.push(
                    line,
                    full,
                    format!("cannot read {}: {}", path.display(), short_io(&e)),
                );
                None
            }
        }
    }

    /// `[database]` and `secrets.database_password`.
    fn database(
        &mut self,
        root: &dyn TableLike,
        web_host_count: usize,
        hosts_line: usize,
    ) -> Option<Database> {
        let p = "database";
        let password = secret(root, DATABASE_PASSWORD);
        let pw_key = secret_key(DATABASE_PASSWORD);
        let header = root.get(p).map(|i| self.line(i)).unwrap_or(0);
        let table = self.table(root, "", p, false);
        let (kind, kind_line) = match table {
            Some(t) => self.string(t, p, "kind", Some("sqlite"))?,
            None => ("sqlite".to_owned(), 0),
        };
        let kind_line = if kind_line > 0 { kind_line } else { header };
        let allowed: &[&str] = match kind.as_str() {
            "sqlite" => &["kind"],
            "mariadb" => &[
                "kind", "name", "address", "ssh_user", "ssh_port", "host_key",
            ],
            "external" => &["kind", "url", "ca"],
            _ => {
                self.push(
                    kind_line,
                    "database.kind",
                    "must be \"sqlite\", \"mariadb\" or \"external\"",
                );
                return None;
            }
        };
        if let Some(t) = table {
            self.kind_keys(t, &kind, allowed);
        }
        match kind.as_str() {
            "sqlite" => {
                if let Some(item) = password {
                    let line = self.line(item);
                    self.push(
                        line,
                        pw_key,
                        "set, but the database is sqlite (no password): remove it, or set [database] kind",
                    );
                }
                if web_host_count > 1 {
                    self.push(
                        if kind_line > 0 { kind_line } else { hosts_line },
                        "database.kind",
                        format!(
                            "sqlite keeps the database in a file on one web host, so {web_host_count} web hosts cannot share it: set kind = \"mariadb\" (poolctl installs MariaDB on a host you name here) or \"external\" (a server you run), or keep one [[web_hosts]]"
                        ),
                    );
                    return None;
                }
                Some(Database::Sqlite)
            }
            "mariadb" => {
                let t = table.expect("kind was read from the table");
                let host = self.host_entry(t, p, header);
                let password = match password {
                    Some(item) => self.resolve_secret(item, &pw_key).0,
                    None => self.generated(DATABASE_PASSWORD, header),
                };
                Some(Database::Mariadb {
                    host: host?,
                    password: password?,
                })
            }
            _ => {
                let t = table.expect("kind was read from the table");
                let url = self.string(t, p, "url", None).and_then(|(url, line)| {
                    match check_mysql_url(&url) {
                        Ok(()) => Some(url),
                        // The URL is not repeated: it may hold a password by mistake.
                        Err(why) => {
                            self.push(line, "database.url", why);
                            None
                        }
                    }
                });
                let ca_pem = self.pem_file(t, p, "ca", "CERTIFICATE");
                let password = match password {
                    Some(item) => self.resolve_secret(item, &pw_key).0,
                    None => {
                        self.push(
                            kind_line,
                            pw_key,
                            "missing: kind = \"external\" needs the password of the url's user as a reference (secrets.database_password = { file = \"…\" })",
                        );
                        None
                    }
                };
                Some(Database::External {
                    url: url?,
                    ca_pem: ca_pem?,
                    password: password?,
                })
            }
        }
    }

    /// Keys of `[database]` that belong to another kind, or to none.
    fn kind_keys(&mut self, t: &dyn TableLike, kind: &str, allowed: &[&str]) {
        let wrong: Vec<(String, usize, Option<&str>)> = t
            .iter()
            .filter(|(k, _)| !allowed.contains(k))
            .map(|(k, item)| {
                let owner = if HOST_KEYS.contains(&k) {
                    Some("mariadb")
                } else if k == "url" || k == "ca" {
                    Some("external")
                } else {
                    None
                };
                (k.to_owned(), self.line(item), owner)
            })
            .collect();
        for (k, line, owner) in wrong {
            let why = match owner {
                Some(owner) => format!("only with kind = \"{owner}\" (this is \"{kind}\")"),
                None => format!("unknown key (expected one of: {})", allowed.join(", ")),
            };
            self.push(line, format!("database.{k}"), why);
        }
    }

    fn backup(&mut self, root: &dyn TableLike) -> BackupSettings {
        let d = BackupSettings::default();
        let Some(t) = self.table(root, "", "backup", false) else {
            return d;
        };
        self.unknown(t, "backup", &["every_hours", "keep"]);
        let every = self.integer(
            t,
            "backup",
            "every_hours",
            1..=168,
            Some(d.every_hours.into()),
        );
        let keep = self.integer(t, "backup", "keep", 1..=365, Some(d.keep.into()));
        BackupSettings {
            every_hours: every.map_or(d.every_hours, |v| v as u32),
            keep: keep.map_or(d.keep, |v| v as u32),
        }
    }

    /// Host names name certificates, units and journal entries: unique over every role.
    fn unique_names(
        &mut self,
        voting: &[HostEntry],
        web: &[HostEntry],
        web_name_lines: &[usize],
        database: Option<(&Database, usize)>,
    ) {
        let mut seen: BTreeMap<&str, &str> = voting
            .iter()
            .map(|h| (h.name.as_str(), "[[hosts]]"))
            .collect();
        let db = match database {
            Some((Database::Mariadb { host, .. }, line)) => Some((host, line)),
            _ => None,
        };
        let entries = web
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let line = web_name_lines.get(i).copied().unwrap_or(h.line);
                (
                    h,
                    line,
                    format!("web_hosts[{}].name", i + 1),
                    "[[web_hosts]]",
                )
            })
            .chain(db.map(|(h, line)| (h, line, "database.name".to_owned(), "[database]")));
        let mut clashes = Vec::new();
        for (h, line, key, role) in entries {
            match seen.get(h.name.as_str()) {
                Some(other) => clashes.push((line, key, h.name.clone(), *other)),
                None => {
                    seen.insert(&h.name, role);
                }
            }
        }
        for (line, key, name, other) in clashes {
            self.push(
                line,
                key,
                format!("{name} is already the name of a {other} entry: names are unique across [[hosts]], [[web_hosts]] and [database]"),
            );
        }
    }
}

/// `https://NAME[:PORT]` (one trailing `/` dropped) → (the URL, NAME).
fn site_url(url: &str) -> Result<(String, String), &'static str> {
    let rest = url
        .strip_prefix("https://")
        .ok_or("must start with https:// (nginx serves the site over TLS)")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '#', '@']) {
        return Err(
            "must be https://NAME or https://NAME:PORT, without a path or query (the site is served at the root)",
        );
    }
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => {
            let (addr, after) = v6.split_once(']').ok_or("has an unclosed [")?;
            if addr.parse::<std::net::Ipv6Addr>().is_err() {
                return Err("has no valid IPv6 address in [ ]");
            }
            (&rest[..addr.len() + 2], after.strip_prefix(':'))
        }
        None => match rest.rsplit_once(':') {
            Some((h, port)) => (h, Some(port)),
            None => (rest, None),
        },
    };
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return Err("has a port that is not 1-65535");
    }
    let valid_name = !host.is_empty()
        && (host.starts_with('[')
            || host.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            }));
    if !valid_name {
        return Err("has no valid host name after https://");
    }
    Ok((format!("https://{rest}"), host.to_ascii_lowercase()))
}

/// `LOCAL@DOMAIN` with a dotted domain and no spaces: catches typos, not every RFC case.
pub(crate) fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !s.contains(|c: char| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && domain.contains('.')
        && domain
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `mysql://USER@HOST[:PORT]/DATABASE`, no password and no query. The reason never
/// repeats the URL (it may hold a password by mistake).
fn check_mysql_url(url: &str) -> Result<(), &'static str> {
    const FORM: &str = "must be mysql://USER@HOST[:PORT]/DATABASE";
    let rest = url.strip_prefix("mysql://").ok_or(FORM)?;
    if rest.contains(['?', '#']) {
        return Err(
            "must have no query: poolctl adds the TLS settings (with `ca`) itself; write mysql://USER@HOST[:PORT]/DATABASE",
        );
    }
    let (user, place) = rest.split_once('@').ok_or(FORM)?;
    if user.contains(':') {
        return Err(
            "must not contain a password: remove it from the URL and reference it as secrets.database_password",
        );
    }
    let (host, db) = place.split_once('/').ok_or(FORM)?;
    let (host, port) = match host.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    if user.is_empty() || host.is_empty() || db.is_empty() || db.contains('/') || !port_ok {
        return Err(FORM);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_urls() {
        assert_eq!(
            site_url("https://Pool.Example.org/"),
            Ok((
                "https://Pool.Example.org".to_owned(),
                "pool.example.org".to_owned()
            ))
        );
        assert_eq!(
            site_url("https://10.0.0.5:8443").map(|(_, n)| n),
            Ok("10.0.0.5".to_owned())
        );
        assert_eq!(
            site_url("https://[::1]:8443").map(|(_, n)| n),
            Ok("[::1]".to_owned())
        );
        for bad in [
            "http://pool.example.org",
            "https://pool.example.org/pool",
            "https://pool.example.org?x=1",
            "https://",
            "https://pool..org",
            "https://pool.example.org:0",
            "https://user@pool.example.org",
        ] {
            assert!(site_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_and_database_urls() {
        assert!(plausible_email("admin@pool.example.org"));
        for bad in [
            "admin",
            "@example.org",
            "a@localhost",
            "a b@example.org",
            "a@b..c",
        ] {
            assert!(!plausible_email(bad), "{bad}");
        }
        assert_eq!(
            check_mysql_url("mysql://pool@db.example.org:3306/pool"),
            Ok(())
        );
        assert_eq!(check_mysql_url("mysql://pool@db/pool"), Ok(()));
        let err = check_mysql_url("mysql://pool:hunter2@db/pool").unwrap_err();
        assert!(
            err.contains("password") && !err.contains("hunter2"),
            "{err}"
        );
        for bad in [
            "postgres://pool@db/pool",
            "mysql://db/pool",
            "mysql://pool@db",
            "mysql://pool@db:x/pool",
            "mysql://pool@db/pool?ssl-mode=DISABLED",
        ] {
            assert!(check_mysql_url(bad).is_err(), "{bad}");
        }
    }
}
