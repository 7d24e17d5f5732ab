//! Builds pool.toml (toml_edit) from the checked legacy configs.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use super::ini::{Ini, host_part, port_part};
use super::keys::{self, Fate};
use super::{ImportError, Legacy, SecretValue, secret_path};
use crate::config::{BinaryName, random_hex};

/// A program found in `--binaries-dir`.
#[derive(Clone, Debug)]
pub struct BinaryFile {
    pub name: BinaryName,
    pub path: PathBuf,
    pub sha256: String,
}

const PROGRAMS: [BinaryName; 4] = [
    BinaryName::Exccd,
    BinaryName::Exccwallet,
    BinaryName::Stakepoold,
    BinaryName::Exccstakepool,
];

/// The four programs in `dir`, with their sha256.
pub fn binaries_in(dir: &Path) -> Result<Vec<BinaryFile>, ImportError> {
    PROGRAMS
        .iter()
        .map(|&name| {
            let path = dir.join(name.as_str());
            let bytes = std::fs::read(&path).map_err(|e| ImportError::Binary {
                path: path.clone(),
                cause: crate::config::short_io(&e),
            })?;
            Ok(BinaryFile {
                name,
                sha256: crate::host::sha256_hex(&bytes),
                path,
            })
        })
        .collect()
}

/// `# ` before every line of `text`.
fn comment(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "#\n".to_owned()
            } else {
                format!("# {l}\n")
            }
        })
        .collect()
}

/// Sets `key` with `text` as the comment above it.
fn set(t: &mut Table, key: &str, v: impl Into<Value>, text: Option<&str>) {
    t.insert(key, Item::Value(v.into()));
    if let Some(text) = text
        && let Some(mut k) = t.key_mut(key)
    {
        k.leaf_decor_mut().set_prefix(comment(text));
    }
}

/// A table with `text` as the comment above its header (after a blank line).
fn table(text: &str) -> Table {
    let mut t = Table::new();
    t.decor_mut().set_prefix(format!("\n{}", comment(text)));
    t
}

/// Not a loopback, unspecified or empty address: one other machines can reach.
fn routable(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b':'))
        && host != "localhost"
        && !host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

struct Builder<'a> {
    legacy: &'a Legacy,
    todos: Vec<String>,
    /// Imported options whose value could not be used, for the web app's comment list.
    web_dropped: Vec<String>,
    secrets: Vec<SecretValue>,
}

impl Builder<'_> {
    fn todo(&mut self, text: impl Into<String>) -> String {
        let text = text.into();
        self.todos.push(text.clone());
        format!("TODO: {text}")
    }

    fn web(&self) -> &Ini {
        &self.legacy.web
    }
}

/// pool.toml's text, the secrets it references and the TODO list.
pub fn document(
    legacy: &Legacy,
    secrets_dir: &Path,
    binaries: Option<Vec<BinaryFile>>,
) -> Result<(String, Vec<SecretValue>, Vec<String>), ImportError> {
    let mut b = Builder {
        legacy,
        todos: Vec::new(),
        web_dropped: Vec::new(),
        secrets: Vec::new(),
    };
    let mut doc = DocumentMut::new();
    let sources: Vec<String> = std::iter::once(&legacy.web)
        .chain(&legacy.stakepoolds)
        .map(|i| i.path.display().to_string())
        .collect();
    set(
        doc.as_table_mut(),
        "network",
        legacy.network.to_string(),
        Some(&format!(
            "pool.toml written by `poolctl import` from the legacy pool's configs:\n  {}\nEach key is documented in sample-configs/pool.toml. Do every TODO below, then run\n`poolctl plan -f pool.toml`. Options with no equivalent are listed at the end.\n",
            sources.join("\n  ")
        )),
    );
    doc.insert("pool", Item::Table(b.pool()));
    doc.insert("ssh", Item::Table(b.ssh()));
    doc.insert("binaries", Item::Table(b.binaries(binaries)));
    let secrets = b.secrets(secrets_dir)?;
    doc.insert("secrets", Item::Table(secrets));
    doc.insert("hosts", Item::ArrayOfTables(b.hosts()));
    doc.insert("web", Item::Table(b.site()));
    doc.insert("database", Item::Table(b.database()));
    doc.insert("web_hosts", Item::ArrayOfTables(b.web_hosts()));
    doc.set_trailing(b.not_imported());
    let mut text = doc.to_string();
    if !b.todos.is_empty() {
        let list: String = b.todos.iter().map(|t| format!("#  - {t}\n")).collect();
        text = format!(
            "# TODO before `poolctl plan` ({}):\n{list}\n{text}",
            b.todos.len()
        );
    }
    Ok((text, b.secrets, b.todos))
}

impl Builder<'_> {
    fn pool(&mut self) -> Table {
        let web = self.web();
        let mut t = table("The pool: fee and xpubs from the web app's config.");
        let fee = &self.legacy.fee;
        match fee.parse::<f64>() {
            Ok(f) if f.to_string() == *fee || format!("{f:.1}") == *fee => {
                set(&mut t, "fee_percent", f, None)
            }
            _ => set(&mut t, "fee_percent", fee.as_str(), None),
        }
        set(
            &mut t,
            "cold_wallet_xpub",
            web.get("coldwalletextpub").unwrap_or_default(),
            None,
        );
        set(
            &mut t,
            "fee_address_count",
            10_000i64,
            Some("The legacy pool watched the first 10000 fee and user addresses."),
        );
        set(
            &mut t,
            "voting_wallet_xpub",
            web.get("votingwalletextpub").unwrap_or_default(),
            None,
        );
        set(&mut t, "voting_address_count", 10_000i64, None);
        t
    }

    fn ssh(&mut self) -> Table {
        let mut t = table("How poolctl logs in to every host (the legacy pool had no such tool).");
        let note = self.todo(
            "[ssh] identity: the private key that logs in to every host as root (or ssh_user)",
        );
        set(&mut t, "identity", "~/.ssh/id_ed25519", Some(&note));
        set(&mut t, "connect_timeout_secs", 10i64, None);
        t
    }

    fn binaries(&mut self, found: Option<Vec<BinaryFile>>) -> Table {
        let mut t = Table::new();
        t.set_implicit(true);
        match found {
            Some(files) => {
                for f in files {
                    let mut b = table("From --binaries-dir (sha256 of the file as it is now).");
                    let note = self.todo(format!(
                        "binaries.{}.version: the version plan and status show",
                        f.name
                    ));
                    set(&mut b, "version", "unknown", Some(&note));
                    set(&mut b, "path", f.path.display().to_string(), None);
                    set(&mut b, "sha256", f.sha256, None);
                    t.insert(f.name.as_str(), Item::Table(b));
                }
            }
            None => {
                for name in PROGRAMS {
                    let note = self.todo(format!(
                        "binaries.{name}: put the program at this path (or use archive + member for a release .tar.gz) and its `sha256sum` here"
                    ));
                    let mut b = table(&note);
                    set(&mut b, "version", "unknown", None);
                    set(&mut b, "path", format!("bin/{name}"), None);
                    set(&mut b, "sha256", "0".repeat(64), None);
                    t.insert(name.as_str(), Item::Table(b));
                }
            }
        }
        t
    }

    /// `[secrets]`: references to files in `dir` (written by `secrets::write_all`).
    fn secrets(&mut self, dir: &Path) -> Result<Table, ImportError> {
        let web = &self.legacy.web;
        let spds = &self.legacy.stakepoolds;
        let fresh = || {
            random_hex().map_err(|e| ImportError::Secret {
                path: PathBuf::from("/dev/urandom"),
                cause: crate::config::short_io(&e),
            })
        };
        let mut list = Vec::new();
        // The nodes' RPC passwords: poolctl writes them into every node's configs, so a
        // new value works as well as the legacy one.
        for (name, key, web_key, daemon) in [
            ("exccd_rpc_password", "exccdpassword", None, "exccd"),
            (
                "exccwallet_rpc_password",
                "walletpassword",
                Some("walletpasswords"),
                "exccwallet",
            ),
        ] {
            let values: Vec<&str> = spds.iter().filter_map(|s| s.non_empty(key)).collect();
            let from_web = web_key.map(|k| web.list(k)).unwrap_or_default();
            let generated = values.is_empty() && from_web.is_empty();
            let (value, note) = match (values.first(), from_web.first()) {
                (Some(v), _) => {
                    let same = values.iter().all(|x| x == v);
                    (
                        v.to_string(),
                        if same {
                            format!("{daemon}'s RPC password, from stakepoold.conf {key}.")
                        } else {
                            format!(
                                "{daemon}'s RPC password, from the first stakepoold.conf's {key} (the nodes had\ndifferent ones; poolctl sets this one on every node)."
                            )
                        },
                    )
                }
                (None, Some(v)) => {
                    let list = web_key.unwrap_or(key);
                    let same = from_web.iter().all(|x| x == v);
                    (
                        v.clone(),
                        if same {
                            format!("{daemon}'s RPC password, from exccstakepool.conf {list}.")
                        } else {
                            format!(
                                "{daemon}'s RPC password, the first of exccstakepool.conf {list} (the nodes had\ndifferent ones; poolctl sets this one on every node)."
                            )
                        },
                    )
                }
                (None, None) => (
                    fresh()?,
                    format!(
                        "{daemon}'s RPC password: new (no legacy config gave it); poolctl configures {daemon} with it."
                    ),
                ),
            };
            list.push(SecretValue {
                name,
                value: Some(value),
                note,
                generated,
            });
        }
        list.push(SecretValue {
            name: "wallet_passphrase",
            value: Some(fresh()?),
            note: "The voting wallets' private passphrase: new, for the wallets poolctl creates from the seed."
                .to_owned(),
            generated: true,
        });
        let seed_todo = self.todo(format!(
            "write the voting wallets' seed (hex, the seed of votingwalletextpub) to {} (chmod 600)",
            secret_path(dir, "wallet_seed").display()
        ));
        list.push(SecretValue {
            name: "wallet_seed",
            value: None,
            note: seed_todo,
            generated: false,
        });
        match web.non_empty("apisecret") {
            Some(s) if s.len() >= 32 => list.push(SecretValue {
                name: "web_api_secret",
                value: Some(s.to_owned()),
                note: "Signs API tokens and session cookies: exccstakepool.conf apisecret.".to_owned(),
                generated: false,
            }),
            Some(_) => self.web_dropped.push(
                "apisecret = <secret, not shown> (shorter than 32 characters: poolctl generates secrets.web_api_secret; users get new API tokens on their settings page)".to_owned(),
            ),
            None => {}
        }
        match web.non_empty("dbpassword") {
            Some(p) => list.push(SecretValue {
                name: "database_password",
                value: Some(p.to_owned()),
                note: "The database user's password: exccstakepool.conf dbpassword.".to_owned(),
                generated: false,
            }),
            None => {
                let note = self.todo(format!(
                    "write the database user's password to {} (chmod 600)",
                    secret_path(dir, "database_password").display()
                ));
                list.push(SecretValue {
                    name: "database_password",
                    value: None,
                    note,
                    generated: false,
                });
            }
        }
        if web.non_empty("smtphost").is_some() && web.non_empty("smtpusername").is_some() {
            match web.non_empty("smtppassword") {
                Some(p) => list.push(SecretValue {
                    name: "smtp_password",
                    value: Some(p.to_owned()),
                    note: "The mail relay's password: exccstakepool.conf smtppassword.".to_owned(),
                    generated: false,
                }),
                None => {
                    let note = self.todo(format!(
                        "write the mail relay's password to {} (chmod 600)",
                        secret_path(dir, "smtp_password").display()
                    ));
                    list.push(SecretValue {
                        name: "smtp_password",
                        value: None,
                        note,
                        generated: false,
                    });
                }
            }
        }
        let mut t = table(&format!(
            "Secrets, each a mode-0600 file in {} written by import (never a value here).",
            dir.display()
        ));
        for s in &list {
            let mut r = InlineTable::new();
            r.insert(
                "file",
                Value::from(secret_path(dir, s.name).display().to_string()),
            );
            set(&mut t, s.name, r, Some(&s.note));
        }
        self.secrets = list;
        Ok(t)
    }

    /// One `[[hosts]]` per voting node: the web app's stakepooldhosts (else wallethosts)
    /// and the stakepoold configs, in order.
    fn hosts(&mut self) -> ArrayOfTables {
        let web = self.web();
        let spd_hosts = web.list("stakepooldhosts");
        let wallet_hosts = web.list("wallethosts");
        let spds = &self.legacy.stakepoolds;
        let n = spd_hosts.len().max(wallet_hosts.len()).max(spds.len());
        let mut used: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        for i in 0..n {
            let listens: Vec<String> = spds.get(i).map(|s| s.list("rpclisten")).unwrap_or_default();
            let candidates: Vec<(String, &str)> = spd_hosts
                .get(i)
                .map(|h| (h.clone(), "exccstakepool.conf stakepooldhosts"))
                .into_iter()
                .chain(
                    wallet_hosts
                        .get(i)
                        .map(|h| (h.clone(), "exccstakepool.conf wallethosts")),
                )
                .chain(
                    listens
                        .iter()
                        .map(|h| (h.clone(), "its stakepoold.conf rpclisten")),
                )
                .collect();
            let pick = candidates.iter().find(|(h, _)| {
                let host = host_part(h);
                routable(host) && !used.iter().any(|u| u == host)
            });
            let name = format!("voting{}", i + 1);
            let mut note = match spds.get(i) {
                Some(s) => format!(
                    "Voting node {} (stakepoold.conf {}).",
                    i + 1,
                    s.path.display()
                ),
                None => format!("Voting node {}.", i + 1),
            };
            let address = match pick {
                Some((h, from)) => {
                    note.push_str(&format!("\nAddress from {from}."));
                    host_part(h).to_owned()
                }
                None => {
                    let seen: Vec<&str> = candidates.iter().map(|(h, _)| h.as_str()).collect();
                    let todo = self.todo(format!(
                        "hosts[{}].address: the legacy configs give no address other machines reach ({}); write its SSH address",
                        i + 1,
                        if seen.is_empty() { "none".to_owned() } else { seen.join(", ") }
                    ));
                    note.push('\n');
                    note.push_str(&todo);
                    format!("{name}.example.invalid")
                }
            };
            used.push(address.clone());
            rows.push((name, address, note));
        }
        if n > 0 {
            let pin = self.todo(
                "pin each host's SSH key: `poolctl plan --accept-new-host-keys` once (or write host_key)",
            );
            if let Some(first) = rows.first_mut() {
                first.2.push('\n');
                first.2.push_str(&pin);
            }
        }
        let mut out = ArrayOfTables::new();
        for (name, address, note) in rows {
            let mut t = table(&note);
            set(&mut t, "name", name, None);
            set(&mut t, "address", address, None);
            set(&mut t, "ssh_user", "root", None);
            set(&mut t, "ssh_port", 22i64, None);
            out.push(t);
        }
        out
    }

    /// `[web]` with `[web.smtp]`.
    fn site(&mut self) -> Table {
        let web = &self.legacy.web;
        let mut t = table("The site, from exccstakepool.conf.");
        let (url, url_note) = match web.non_empty("baseurl") {
            None => (
                "https://pool.example.org".to_owned(),
                self.todo("web.base_url: the site's public https:// URL (the legacy config kept the default http://127.0.0.1:8000)"),
            ),
            Some(u) => {
                let u = u.trim_end_matches('/');
                let (https, was_http) = match u.strip_prefix("http://") {
                    Some(rest) => (format!("https://{rest}"), true),
                    None => (u.to_owned(), false),
                };
                let host = https
                    .strip_prefix("https://")
                    .map(|r| host_part(r.split('/').next().unwrap_or(r)))
                    .unwrap_or_default();
                if !routable(host) {
                    (
                        "https://pool.example.org".to_owned(),
                        self.todo(format!("web.base_url: the site's public https:// URL (the legacy baseurl {u} is local)")),
                    )
                } else if was_http {
                    (https, format!("baseurl was {u}: the site is now served over HTTPS only."))
                } else {
                    (https, "exccstakepool.conf baseurl.".to_owned())
                }
            }
        };
        set(&mut t, "base_url", url, Some(&url_note));
        match web.non_empty("poolemail") {
            Some(e) => set(&mut t, "pool_email", e, None),
            None => set(
                &mut t,
                "pool_email",
                "help@excc.co",
                Some("The legacy default (poolemail was not set)."),
            ),
        }
        let closed = web.flag("closepool").unwrap_or(false);
        set(&mut t, "closed", closed, None);
        let admins_note = if web.list("adminuserids").is_empty() {
            "Accounts (by e-mail) that may use the admin pages.".to_owned()
        } else {
            self.todo("web.admin_emails: the e-mail addresses of the legacy adminuserids accounts (see the end of this file)")
        };
        set(&mut t, "admin_emails", Array::new(), Some(&admins_note));
        let tls = self.todo("web: tls_cert = the site's certificate chain (PEM) + secrets.web_tls_key, or leave both out for a pool-CA certificate (labs only)");
        if let Some(mut k) = t.key_mut("admin_emails") {
            let prefix = k
                .leaf_decor()
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or_default()
                .to_owned();
            k.leaf_decor_mut().set_prefix(format!(
                "{}\n{prefix}",
                comment(&format!("{tls}\ntls_cert = \"certs/site.fullchain.pem\""))
            ));
        }
        if let Some(smtp) = self.smtp() {
            t.insert("smtp", Item::Table(smtp));
        }
        t
    }

    fn smtp(&mut self) -> Option<Table> {
        let web = &self.legacy.web;
        let relay = web.non_empty("smtphost")?;
        let host = host_part(relay).to_owned();
        let port = port_part(relay);
        let smtps = web.flag("usesmtps").unwrap_or(false);
        let security = if smtps || port == Some(465) {
            "tls"
        } else if !routable(&host) {
            "none"
        } else {
            "starttls"
        };
        let mut t = table(
            "Mail, from exccstakepool.conf smtp*. The legacy app used STARTTLS when offered;\nhere it is required (\"starttls\"), implicit TLS (\"tls\") or none (a relay on the web host only).",
        );
        set(&mut t, "host", host, None);
        set(&mut t, "security", security, None);
        if let Some(port) = port {
            set(&mut t, "port", i64::from(port), None);
        }
        if let Some(user) = web.non_empty("smtpusername") {
            set(&mut t, "user", user, None);
        }
        let from = web
            .non_empty("smtpfrom")
            .or(web.non_empty("poolemail"))
            .unwrap_or("help@excc.co");
        set(&mut t, "from", from, None);
        Some(t)
    }

    /// The legacy MySQL server as `kind = "external"`.
    fn database(&mut self) -> Table {
        let web = &self.legacy.web;
        let host = web.non_empty("dbhost").unwrap_or("localhost").to_owned();
        let port = web.non_empty("dbport").unwrap_or("3306").to_owned();
        let name = web.non_empty("dbname").unwrap_or("stakepool").to_owned();
        let user = web.non_empty("dbuser").unwrap_or("stakepool").to_owned();
        let mut note = "The legacy MySQL/MariaDB server (exccstakepool.conf db*), kept as an external server.\nOr set kind = \"mariadb\" with a host for poolctl to install, and restore a dump there.".to_owned();
        if !routable(&host) {
            let todo = self.todo(format!(
                "database.url: the legacy web app reached the database at {host}, its own machine; write the server's name as the web hosts reach it"
            ));
            note.push('\n');
            note.push_str(&todo);
        }
        let mut t = table(&note);
        set(&mut t, "kind", "external", None);
        set(
            &mut t,
            "url",
            format!("mysql://{user}@{host}:{port}/{name}"),
            None,
        );
        let ca = self.todo(
            "database.ca: the legacy web app reached MySQL without TLS; give the server a certificate and write its CA (PEM) at this path",
        );
        set(&mut t, "ca", "certs/database-ca.pem", Some(&ca));
        t
    }

    /// One `[[web_hosts]]`: where the legacy web app ran.
    fn web_hosts(&mut self) -> ArrayOfTables {
        let web = &self.legacy.web;
        let listen = web.non_empty("listen").unwrap_or(":8000");
        let listen_host = host_part(listen);
        let site_host = web
            .non_empty("baseurl")
            .and_then(|u| u.split("://").nth(1))
            .map(|r| host_part(r.split('/').next().unwrap_or(r)).to_owned())
            .unwrap_or_default();
        let (address, note) = if routable(listen_host) {
            (
                listen_host.to_owned(),
                format!("The web host: the legacy app listened on {listen}."),
            )
        } else if routable(&site_host) {
            let todo = self.todo(format!(
                "web_hosts[1].address: the SSH address of the machine that runs the web service (now the site's name, {site_host})"
            ));
            (site_host, format!("The web host.\n{todo}"))
        } else {
            let todo = self.todo(
                "web_hosts[1].address: the SSH address of the machine that runs the web service",
            );
            (
                "web1.example.invalid".to_owned(),
                format!("The web host.\n{todo}"),
            )
        };
        let mut t = table(&note);
        set(&mut t, "name", "web1", None);
        set(&mut t, "address", address, None);
        set(&mut t, "ssh_user", "root", None);
        set(&mut t, "ssh_port", 22i64, None);
        let mut out = ArrayOfTables::new();
        out.push(t);
        out
    }

    /// The closing comment: every legacy option with no equivalent, per file.
    fn not_imported(&self) -> String {
        let mut text = String::from(
            "\n# ───── Not imported from the legacy configs (no equivalent; secret values not shown) ─────\n",
        );
        let files = std::iter::once((&self.legacy.web, keys::WEB, self.web_dropped.as_slice()))
            .chain(
                self.legacy
                    .stakepoolds
                    .iter()
                    .map(|s| (s, keys::STAKEPOOLD, &[][..])),
            );
        for (ini, table, extra) in files {
            let mut lines: Vec<String> = Vec::new();
            for e in &ini.entries {
                let why = match keys::fate(table, &e.key) {
                    Some(Fate::Imported) => continue,
                    Some(Fate::Dropped(why)) => why,
                    None => "not an option of the legacy program",
                };
                let shown = if keys::SECRET.contains(&e.key.as_str()) {
                    "<secret, not shown>".to_owned()
                } else {
                    e.value.clone()
                };
                lines.push(format!("not imported: {} = {shown} ({why})", e.key));
            }
            lines.extend(extra.iter().map(|x| format!("not imported: {x}")));
            if lines.is_empty() {
                continue;
            }
            text.push_str(&format!("# {}:\n", ini.path.display()));
            for l in lines {
                text.push_str(&format!("# {l}\n"));
            }
        }
        text
    }
}
