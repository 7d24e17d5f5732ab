//! Printing a plan for the operator: one block per host, one line per change, diffs indented.

use std::fmt::Write;

use super::cold::ColdPlan;
use super::diff::{Change, FileChange, HostPlan};

fn meta(owner: &str, group: &str, mode: u32) -> String {
    format!("{owner}:{group} {mode:04o}")
}

/// `1.5 MB`.
fn size(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// One line (plus a diff for content changes) per change.
pub fn describe(change: &Change) -> String {
    match change {
        Change::Packages(p) => format!("+ packages {} (apt-get install)", p.join(" ")),
        Change::User(name) => format!("+ user {name} (system user and group)"),
        Change::Dir { res, was: None } => {
            format!(
                "+ dir {} ({})",
                res.path,
                meta(&res.owner, &res.group, res.mode)
            )
        }
        Change::Dir { res, was: Some(w) } => format!(
            "~ dir {}: {} → {}",
            res.path,
            meta(&w.owner, &w.group, w.mode),
            meta(&res.owner, &res.group, res.mode)
        ),
        Change::Binary { res, previous } => format!(
            "+ binary {} {}{} (sha256 {}…, {}) as {}",
            res.name,
            previous
                .as_ref()
                .map(|p| format!("{p} → "))
                .unwrap_or_default(),
            res.version,
            &res.sha256[..16],
            size(res.bytes.len()),
            res.path
        ),
        Change::File { res, change, diff } => {
            let head = match change {
                FileChange::Create => format!(
                    "+ file {} ({})",
                    res.path,
                    meta(&res.owner, &res.group, res.mode)
                ),
                FileChange::Content => format!(
                    "~ file {} ({})",
                    res.path,
                    meta(&res.owner, &res.group, res.mode)
                ),
                FileChange::Meta { was } => format!(
                    "~ file {}: {} → {}",
                    res.path,
                    meta(&was.owner, &was.group, was.mode),
                    meta(&res.owner, &res.group, res.mode)
                ),
            };
            if diff.is_empty() {
                head
            } else if !diff.contains('\n') {
                format!("{head}: {diff}")
            } else {
                let mut out = head;
                for line in diff.lines() {
                    let _ = write!(out, "\n      {line}");
                }
                out
            }
        }
        Change::DaemonReload => "* systemctl daemon-reload".to_owned(),
        Change::Enable(s) => format!("* enable {s}.service"),
        Change::Restart { service, reason } => format!("* restart {service} ({reason})"),
        Change::Start(s) => format!("* start {s}"),
        Change::UnlockWallet => "* unlock the voting wallet (walletpassphrase)".to_owned(),
        Change::ForgetWalletSecrets => "* remove the wallet seed and privpass from the host now that the wallet exists (unlocked over RPC only)".to_owned(),
        Change::Restore(r) => {
            let what = if r.host_known {
                r.what.clone()
            } else {
                format!("{} (all it holds: this host's stakepoold is new)", r.what)
            };
            match &r.from {
                Some(peer) => format!("+ restore {what} from {peer} (scripts imported with one rescan)"),
                None => format!(
                    "+ restore {what}; no other host is healthy to copy from now ({}): apply waits for one",
                    r.peers.join("; ")
                ),
            }
        }
        Change::SyncAddresses { now, to } => format!(
            "* sync the voting account's addresses: accountsyncaddressindex default 0 {to}{}",
            now.map(|n| format!(" (now {n})")).unwrap_or_default()
        ),
    }
}

/// The cold wallet's block of a plan.
fn cold_block(out: &mut String, c: &ColdPlan) {
    if c.is_empty() {
        let _ = writeln!(
            out,
            "cold wallet ({}, account {}): no changes (fee addresses watched up to index {})",
            c.rpc, c.account, c.now
        );
    } else {
        let _ = writeln!(
            out,
            "cold wallet ({}, account {}): 1 change\n  * sync the fee addresses: accountsyncaddressindex {} 0 {} (now {})",
            c.rpc, c.account, c.account, c.to, c.now
        );
    }
}

/// The whole plan as text: the hosts, then the cold wallet (with `[cold_wallet]`).
pub fn render(plans: &[HostPlan], cold: Option<&ColdPlan>) -> String {
    let mut out = String::new();
    let mut changed = 0;
    for p in plans {
        let h = &p.desired.host;
        if p.is_empty() {
            let _ = writeln!(out, "{} ({}): no changes", h.name, h.address);
            continue;
        }
        changed += 1;
        let _ = writeln!(
            out,
            "{} ({}): {} change{}",
            h.name,
            h.address,
            p.changes.len(),
            if p.changes.len() == 1 { "" } else { "s" }
        );
        for c in &p.changes {
            let _ = writeln!(out, "  {}", describe(c));
        }
    }
    if let Some(c) = cold {
        cold_block(&mut out, c);
    }
    let _ = writeln!(
        out,
        "Plan: {changed} of {} host{} to change{}.",
        plans.len(),
        if plans.len() == 1 { "" } else { "s" },
        match cold {
            Some(c) if !c.is_empty() => ", and the cold wallet",
            _ => "",
        }
    );
    out
}
