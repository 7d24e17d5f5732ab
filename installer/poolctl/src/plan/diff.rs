//! Desired state + facts → the changes a host needs, in the order apply makes them.

use std::collections::BTreeSet;

use crate::host::sha256_hex;
use crate::runtime::WalletFacts;

use super::facts::{Facts, Meta, PathFact};
use super::resource::{BinaryRes, DirRes, FileRes, HostDesired, Secrecy, Service};

/// How a file differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileChange {
    /// It does not exist (or is not a regular file).
    Create,
    /// Its content differs (owner and mode are set too).
    Content,
    /// Only owner or mode differ.
    Meta { was: Meta },
}

/// One change to a host. Apply makes them in the order they are listed.
#[derive(Clone, Debug)]
pub enum Change {
    /// Distribution packages to install (apt-get).
    Packages(Vec<String>),
    User(String),
    Dir {
        res: DirRes,
        was: Option<Meta>,
    },
    Binary {
        res: BinaryRes,
        /// The version the wrapper points to now, if any.
        previous: Option<String>,
    },
    File {
        res: FileRes,
        change: FileChange,
        /// Unified diff (secrets masked), `<secret changed>`, or empty for metadata.
        diff: String,
    },
    DaemonReload,
    Enable(Service),
    Restart {
        service: Service,
        reason: String,
    },
    Start(Service),
    UnlockWallet,
    SyncAddresses {
        now: Option<u32>,
        to: u32,
    },
    /// Once the services run, before the health wait: the users' scripts (one rescan),
    /// preferences and admin-added low-fee tickets the host lacks, from a healthy peer.
    Restore(crate::restore::RestorePlan),
    /// Once the wallet exists and the host is healthy: exccwallet.conf without `privpass`
    /// (no restart), the seed file and any previous copies of either removed.
    ForgetWalletSecrets,
}

/// The plan of one host.
#[derive(Clone, Debug)]
pub struct HostPlan {
    pub desired: HostDesired,
    pub changes: Vec<Change>,
}

impl HostPlan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// The version named in a wrapper written by poolctl (`# NAME VERSION (sha256 …)`).
pub fn wrapper_version(content: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(content).ok()?;
    let line = text.lines().nth(1)?.strip_prefix("# ")?;
    let mut words = line.split_whitespace();
    words.next()?;
    words.next().map(str::to_owned)
}

/// Computes the changes `desired` needs given `facts` and, when the wallet answered, `wallet`.
pub fn diff(desired: &HostDesired, facts: &Facts, wallet: Option<&WalletFacts>) -> HostPlan {
    let mut changes = Vec::new();
    let missing: Vec<String> = desired
        .packages
        .iter()
        .filter(|p| !facts.packages.contains(*p))
        .cloned()
        .collect();
    if !missing.is_empty() {
        changes.push(Change::Packages(missing));
    }
    for u in &desired.users {
        if !facts.users.contains(&u.name) {
            changes.push(Change::User(u.name.clone()));
        }
    }
    for d in &desired.dirs {
        let want = Meta {
            mode: d.mode,
            owner: d.owner.clone(),
            group: d.group.clone(),
        };
        match facts.paths.get(&d.path) {
            Some(PathFact::Dir(meta)) if *meta == want => {}
            Some(PathFact::Dir(meta)) => changes.push(Change::Dir {
                res: d.clone(),
                was: Some(meta.clone()),
            }),
            _ => changes.push(Change::Dir {
                res: d.clone(),
                was: None,
            }),
        }
    }
    let mut restart: BTreeSet<Service> = facts
        .pending
        .iter()
        .filter_map(|n| Service::from_name(n))
        .collect();
    let pending = restart.clone();
    for b in &desired.binaries {
        let present = matches!(
            facts.paths.get(&b.path),
            Some(PathFact::File { size, .. }) if *size == b.bytes.len() as u64
        );
        if !present {
            let wrapper = format!("/usr/local/bin/{}", b.name);
            let previous = match facts.paths.get(&wrapper) {
                Some(PathFact::File {
                    content: Some(c), ..
                }) => wrapper_version(c),
                _ => None,
            };
            changes.push(Change::Binary {
                res: b.clone(),
                previous,
            });
        }
    }
    let mut reload = false;
    let (files, forget) = wallet_files(desired, facts);
    for f in &files {
        let want = Meta {
            mode: f.mode,
            owner: f.owner.clone(),
            group: f.group.clone(),
        };
        let (change, diff) = match facts.paths.get(&f.path) {
            Some(PathFact::File {
                meta,
                content,
                sha256,
                ..
            }) => {
                let same = match f.secrecy {
                    Secrecy::Whole => sha256.as_deref() == Some(sha256_hex(&f.content).as_str()),
                    _ => content.as_deref() == Some(f.content.as_slice()),
                };
                if !same {
                    let old = content.as_deref().unwrap_or(b"");
                    (Some(FileChange::Content), render_diff(f, old))
                } else if *meta != want {
                    (Some(FileChange::Meta { was: meta.clone() }), String::new())
                } else {
                    (None, String::new())
                }
            }
            _ => (Some(FileChange::Create), render_diff(f, b"")),
        };
        let Some(change) = change else { continue };
        if !matches!(change, FileChange::Meta { .. }) {
            restart.extend(f.restarts.iter().copied());
            reload |= f.path.starts_with("/etc/systemd/system/");
        }
        changes.push(Change::File {
            res: f.clone(),
            change,
            diff,
        });
    }
    if reload {
        changes.push(Change::DaemonReload);
    }
    for s in &desired.services {
        let fact = facts.services.get(s).cloned().unwrap_or_default();
        if fact.enabled != "enabled" {
            changes.push(Change::Enable(*s));
        }
    }
    let mut wallet_starts = false;
    for s in &desired.services {
        let fact = facts.services.get(s).cloned().unwrap_or_default();
        let active = fact.active == "active";
        if restart.contains(s) && active {
            let mut reason = if pending.contains(s) {
                "an interrupted apply changed its inputs"
            } else {
                "its program, config or unit changed"
            }
            .to_owned();
            // The units' Requires= chain restarts the dependants too.
            match s {
                Service::Exccd => reason.push_str("; exccwallet and stakepoold restart with it"),
                Service::Exccwallet => reason.push_str("; stakepoold restarts with it"),
                _ => {}
            }
            changes.push(Change::Restart {
                service: *s,
                reason,
            });
        } else if !active {
            changes.push(Change::Start(*s));
        } else {
            continue;
        }
        // A wallet that (re)starts, also through exccd's restart, comes up locked.
        wallet_starts |= matches!(s, Service::Exccd | Service::Exccwallet);
    }
    if let Some(desired_wallet) = &desired.wallet {
        wallet_changes(
            &mut changes,
            desired_wallet.sync_index,
            wallet,
            wallet_starts,
        );
    }
    if forget {
        changes.push(Change::ForgetWalletSecrets);
    }
    HostPlan {
        desired: desired.clone(),
        changes,
    }
}

/// Unlocking the voting wallet and syncing its address index.
fn wallet_changes(
    changes: &mut Vec<Change>,
    to: u32,
    wallet: Option<&WalletFacts>,
    wallet_starts: bool,
) {
    match wallet {
        Some(w) if !wallet_starts => {
            if !w.unlocked {
                changes.push(Change::UnlockWallet);
            }
            if w.address_index < to {
                changes.push(Change::SyncAddresses {
                    now: Some(w.address_index),
                    to,
                });
            }
        }
        // A (re)started wallet comes up locked; its address index survives in its file.
        Some(w) => {
            changes.push(Change::UnlockWallet);
            if w.address_index < to {
                changes.push(Change::SyncAddresses {
                    now: Some(w.address_index),
                    to,
                });
            }
        }
        None => {
            changes.push(Change::UnlockWallet);
            changes.push(Change::SyncAddresses { now: None, to });
        }
    }
}

/// The files `desired` needs given whether the wallet exists, and whether apply must then
/// remove the wallet's secrets. Without a wallet: exccwallet.conf in its creating form and
/// the seed file. With one: neither; a host conf that differs from the final one only by
/// the creation lines is left to [`Change::ForgetWalletSecrets`] (no restart for that).
fn wallet_files(desired: &HostDesired, facts: &Facts) -> (Vec<FileRes>, bool) {
    let mut files = desired.files.clone();
    let Some(wallet) = &desired.wallet else {
        return (files, false);
    };
    let c = &wallet.creation;
    if facts.wallet_files.is_empty() {
        if let Some(conf) = files.iter_mut().find(|f| f.path == c.conf_path) {
            conf.content = c.creating_conf.clone();
        }
        files.push(c.seed.clone());
        return (files, true);
    }
    let host_conf = match facts.paths.get(&c.conf_path) {
        Some(PathFact::File {
            content: Some(text),
            ..
        }) => Some(text.as_slice()),
        _ => None,
    };
    let mut forget = !matches!(facts.paths.get(&c.seed.path), None | Some(PathFact::Absent));
    if host_conf == Some(c.creating_conf.as_slice()) {
        files.retain(|f| f.path != c.conf_path);
        forget = true;
    } else if host_conf.is_some_and(|t| {
        t.split(|&b| b == b'\n')
            .any(|l| l.starts_with(b"privpass="))
    }) {
        // Rewritten (and the wallet restarted) as a content change; its previous copy goes.
        forget = true;
    }
    (files, forget)
}

/// Replaces the values of secret keys (`key=value`, `key = "value"`) with `<secret>`.
fn mask(text: &str, keys: &[&str]) -> String {
    text.lines()
        .map(|line| match line.split_once('=') {
            Some((k, _)) if keys.contains(&k.trim()) => format!("{}=<secret>", k.trim_end()),
            _ => line.to_owned(),
        })
        .fold(String::new(), |mut acc, l| {
            acc.push_str(&l);
            acc.push('\n');
            acc
        })
}

/// The plan's view of a content change: a unified diff with secrets masked, or
/// `<secret changed>` when only secret values differ (or the file is a secret).
fn render_diff(f: &FileRes, old: &[u8]) -> String {
    let new = &f.content;
    let (old_text, new_text) = match (std::str::from_utf8(old), std::str::from_utf8(new)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return "<binary content changed>".to_owned(),
    };
    let (old_text, new_text) = match f.secrecy {
        Secrecy::Whole => return "<secret changed>".to_owned(),
        Secrecy::Public => (old_text.to_owned(), new_text.to_owned()),
        Secrecy::Keys(keys) => {
            let (a, b) = (mask(old_text, keys), mask(new_text, keys));
            if a == b {
                return "<secret changed>".to_owned();
            }
            (a, b)
        }
    };
    similar::TextDiff::from_lines(&old_text, &new_text)
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{} (host)", f.path),
            &format!("{} (pool.toml)", f.path),
        )
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_values() {
        let text = "a=1\nrpcpass=hunter2\npassword = \"x\"\n";
        assert_eq!(
            mask(text, &["rpcpass", "password"]),
            "a=1\nrpcpass=<secret>\npassword=<secret>\n"
        );
    }

    fn conf(content: &str) -> FileRes {
        FileRes {
            path: "/etc/exccd/exccd.conf".into(),
            owner: "exccd".into(),
            group: "exccd".into(),
            mode: 0o600,
            content: content.as_bytes().to_vec(),
            secrecy: Secrecy::Keys(&["rpcpass"]),
            restarts: vec![Service::Exccd],
        }
    }

    #[test]
    fn diffs_never_show_secrets() {
        let f = conf("a=1\nrpcpass=new\n");
        assert_eq!(render_diff(&f, b"a=1\nrpcpass=old\n"), "<secret changed>");
        let d = render_diff(&f, b"a=2\nrpcpass=old\n");
        assert!(d.contains("-a=2") && d.contains("+a=1"), "{d}");
        assert!(!d.contains("new") && !d.contains("old"), "{d}");
        let mut whole = conf("k");
        whole.secrecy = Secrecy::Whole;
        assert_eq!(render_diff(&whole, b""), "<secret changed>");
    }

    const WALLET_CONF: &str = "/etc/exccwallet/exccwallet.conf";
    const SEED: &str = "/etc/exccwallet/seed";
    const FINAL_WALLET_CONF: &str = "username=u\n";
    const CREATING_WALLET_CONF: &str =
        "username=u\ncreate=1\nseedfile=/etc/exccwallet/seed\nprivpass=pw\n";

    fn wallet_file(path: &str, content: &str) -> FileRes {
        FileRes {
            path: path.into(),
            owner: "exccwallet".into(),
            group: "exccwallet".into(),
            mode: 0o600,
            content: content.as_bytes().to_vec(),
            secrecy: Secrecy::Keys(&["privpass"]),
            restarts: vec![Service::Exccwallet],
        }
    }

    fn desired() -> HostDesired {
        use crate::config::HostEntry;
        use crate::plan::resource::{WalletCreation, WalletRes};
        HostDesired {
            host: HostEntry {
                name: "voting1".into(),
                address: "10.0.0.1".into(),
                ssh_user: "root".into(),
                ssh_port: 22,
                host_key: None,
                line: 1,
            },
            role: crate::plan::resource::Role::Voting,
            packages: Vec::new(),
            users: Vec::new(),
            dirs: Vec::new(),
            binaries: Vec::new(),
            files: vec![conf("a=1\n"), wallet_file(WALLET_CONF, FINAL_WALLET_CONF)],
            services: vec![Service::Exccd, Service::Exccwallet, Service::Stakepoold],
            wallet: Some(WalletRes {
                rpc_port: 1,
                rpc_user: "u".into(),
                cert_pem: String::new(),
                voting_xpub: "x".into(),
                sync_index: 10,
                creation: WalletCreation {
                    conf_path: WALLET_CONF.into(),
                    creating_conf: CREATING_WALLET_CONF.as_bytes().to_vec(),
                    seed: FileRes {
                        secrecy: Secrecy::Whole,
                        ..wallet_file(SEED, "00ff\n")
                    },
                },
            }),
            health: crate::plan::resource::HealthCheck::Stakepoold { port: 2 },
        }
    }

    fn host_file(owner: &str, content: &str) -> PathFact {
        PathFact::File {
            meta: Meta {
                mode: 0o600,
                owner: owner.into(),
                group: owner.into(),
            },
            size: content.len() as u64,
            content: Some(content.as_bytes().to_vec()),
            sha256: None,
        }
    }

    fn converged() -> (Facts, WalletFacts) {
        use super::super::facts::ServiceFact;
        let mut facts = Facts::default();
        facts
            .paths
            .insert("/etc/exccd/exccd.conf".into(), host_file("exccd", "a=1\n"));
        facts.paths.insert(
            WALLET_CONF.into(),
            host_file("exccwallet", FINAL_WALLET_CONF),
        );
        facts.paths.insert(SEED.into(), PathFact::Absent);
        facts
            .wallet_files
            .push("/var/lib/exccwallet/simnet/wallet.json".into());
        for s in [Service::Exccd, Service::Exccwallet, Service::Stakepoold] {
            facts.services.insert(
                s,
                ServiceFact {
                    active: "active".into(),
                    enabled: "enabled".into(),
                },
            );
        }
        let wallet = WalletFacts {
            unlocked: true,
            connected: true,
            voting: false,
            address_index: 10,
            master_pubkey: "x".into(),
        };
        (facts, wallet)
    }

    #[test]
    fn converged_host_needs_nothing() {
        let (facts, wallet) = converged();
        assert!(diff(&desired(), &facts, Some(&wallet)).is_empty());
    }

    #[test]
    fn interrupted_apply_still_restarts() {
        // The file was written but the restart never happened: the marker says so.
        let (mut facts, wallet) = converged();
        facts.pending.insert("exccd".into());
        let plan = diff(&desired(), &facts, Some(&wallet));
        assert!(
            matches!(
                plan.changes.as_slice(),
                [Change::Restart { service: Service::Exccd, reason }, Change::UnlockWallet] if reason.contains("interrupted")
            ),
            "{:?}",
            plan.changes
        );
    }

    #[test]
    fn exccd_restart_relocks_the_wallet() {
        let (facts, wallet) = converged();
        let mut d = desired();
        d.files[0].content = b"a=2\n".to_vec();
        let plan = diff(&d, &facts, Some(&wallet));
        assert!(
            matches!(
                plan.changes.as_slice(),
                [
                    Change::File { .. },
                    Change::Restart { service: Service::Exccd, reason },
                    Change::UnlockWallet
                ] if reason.contains("exccwallet and stakepoold restart with it")
            ),
            "{:?}",
            plan.changes
        );
    }

    #[test]
    fn locked_wallet_and_owner_change() {
        let (mut facts, mut wallet) = converged();
        wallet.unlocked = false;
        wallet.address_index = 3;
        if let Some(PathFact::File { meta, .. }) = facts.paths.get_mut("/etc/exccd/exccd.conf") {
            meta.mode = 0o644;
        }
        let plan = diff(&desired(), &facts, Some(&wallet));
        assert!(
            matches!(
                plan.changes.as_slice(),
                [
                    Change::File {
                        change: FileChange::Meta { .. },
                        ..
                    },
                    Change::UnlockWallet,
                    Change::SyncAddresses {
                        now: Some(3),
                        to: 10
                    }
                ]
            ),
            "{:?}",
            plan.changes
        );
    }

    #[test]
    fn a_new_wallet_is_created_from_the_seed_which_then_goes() {
        let (mut facts, _) = converged();
        facts.wallet_files.clear();
        facts.paths.remove(WALLET_CONF);
        facts.services.clear();
        let plan = diff(&desired(), &facts, None);
        let written: Vec<(&str, &[u8])> = plan
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::File { res, .. } if res.owner == "exccwallet" => {
                    Some((res.path.as_str(), res.content.as_slice()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            written,
            [
                (WALLET_CONF, CREATING_WALLET_CONF.as_bytes()),
                (SEED, &b"00ff\n"[..])
            ]
        );
        assert!(
            matches!(plan.changes.last(), Some(Change::ForgetWalletSecrets)),
            "{:?}",
            plan.changes
        );
    }

    #[test]
    fn an_existing_wallet_keeps_no_seed_or_passphrase() {
        // The state right after the first start (or of a pool applied before): the wallet
        // exists, the creating conf and the seed are still there. Only they go: no restart.
        let (mut facts, wallet) = converged();
        facts.paths.insert(
            WALLET_CONF.into(),
            host_file("exccwallet", CREATING_WALLET_CONF),
        );
        facts
            .paths
            .insert(SEED.into(), host_file("exccwallet", "00ff\n"));
        let plan = diff(&desired(), &facts, Some(&wallet));
        assert!(
            matches!(plan.changes.as_slice(), [Change::ForgetWalletSecrets]),
            "{:?}",
            plan.changes
        );
        // A leftover seed alone goes too.
        let (mut facts, wallet) = converged();
        facts
            .paths
            .insert(SEED.into(), host_file("exccwallet", "00ff\n"));
        let plan = diff(&desired(), &facts, Some(&wallet));
        assert!(
            matches!(plan.changes.as_slice(), [Change::ForgetWalletSecrets]),
            "{:?}",
            plan.changes
        );
        // An older conf with privpass and other differences: rewritten (restart), then the
        // previous copy is scrubbed.
        let (mut facts, wallet) = converged();
        facts.paths.insert(
            WALLET_CONF.into(),
            host_file("exccwallet", "username=old\nprivpass=pw\n"),
        );
        let plan = diff(&desired(), &facts, Some(&wallet));
        assert!(
            matches!(
                plan.changes.as_slice(),
                [
                    Change::File { .. },
                    Change::Restart {
                        service: Service::Exccwallet,
                        ..
                    },
                    Change::UnlockWallet,
                    Change::ForgetWalletSecrets
                ]
            ),
            "{:?}",
            plan.changes
        );
    }

    #[test]
    fn wrapper_versions() {
        let w = b"#!/bin/sh\n# exccd 2.7.6 (sha256 ab), installed by poolctl\nexec x \"$@\"\n";
        assert_eq!(wrapper_version(w).as_deref(), Some("2.7.6"));
        assert_eq!(wrapper_version(b"#!/bin/sh\n"), None);
    }
}
