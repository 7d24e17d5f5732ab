//! What this voting node knows about its own health: facts updated by the
//! watcher and the voter, read by `/healthz`, gRPC `Health` and systemd's watchdog.

use std::sync::RwLock;

use serde::Serialize;

/// The last vote this node cast.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LastVote {
    pub height: u32,
    pub ticket: String,
    pub unix: i64,
}

/// Observed facts; `problems()` derives the verdict from them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HealthFacts {
    /// exccd answers JSON-RPC over HTTPS.
    pub node_connected: bool,
    /// exccd's notification websocket is up and subscribed: without it no
    /// `winningtickets` arrive and nothing is voted.
    pub notifications_connected: bool,
    /// exccd serves mined transactions (`txindex=1`); `None` until known.
    /// Without it tickets are read through the wallet (slower, still complete).
    pub node_txindex: Option<bool>,
    /// Why the last full ticket scan failed, while it keeps failing: the node
    /// cannot tell which winners are the pool's.
    pub ticket_scan_error: Option<String>,
    /// exccd's or exccwallet's JSON-RPC API is not the one stakepoold speaks:
    /// nothing is voted until a compatible daemon answers.
    pub incompatible_api: Option<String>,
    pub node_synced: bool,
    pub wallet_connected: bool,
    pub wallet_unlocked: bool,
    /// The wallet votes by itself (`enablevoting=1`): stakepoold must not run beside it.
    pub wallet_voting: bool,
    pub vote_version: u32,
    pub best_height: i64,
    pub live_tickets: u64,
    pub last_vote: Option<LastVote>,
    /// The last error talking to exccd or exccwallet, if the link is down.
    pub last_error: Option<String>,
}

impl HealthFacts {
    /// Why this node cannot vote right now (empty when healthy).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !self.node_connected {
            p.push("exccd is not connected".to_string());
        } else if !self.node_synced {
            p.push("exccd is not synced with its peers".to_string());
        }
        if self.node_connected && !self.notifications_connected {
            p.push(
                "exccd's notification websocket is down: winning tickets cannot be seen (reconnecting)"
                    .to_string(),
            );
        }
        if let Some(e) = &self.incompatible_api {
            p.push(format!("not voting: {e}"));
        }
        if let Some(e) = &self.ticket_scan_error {
            p.push(format!(
                "pool tickets cannot be classified, so winners cannot be voted: {e}"
            ));
        }
        if !self.wallet_connected {
            p.push("exccwallet is not connected".to_string());
        } else {
            if !self.wallet_unlocked {
                p.push(
                    "exccwallet is locked: unlock it (walletpassphrase) so votes can be signed"
                        .to_string(),
                );
            }
            if self.wallet_voting {
                p.push(
                    "exccwallet has voting enabled: set enablevoting=0 in exccwallet.conf"
                        .to_string(),
                );
            }
        }
        if let Some(e) = &self.last_error
            && (!self.node_connected || !self.wallet_connected)
        {
            p.push(format!("last error: {e}"));
        }
        p
    }
}

/// Health facts behind a lock; cheap to read.
#[derive(Default)]
pub struct Health(RwLock<HealthFacts>);

impl Health {
    pub fn update(&self, f: impl FnOnce(&mut HealthFacts)) {
        f(&mut self.0.write().expect("health lock"));
    }

    pub fn snapshot(&self) -> HealthFacts {
        self.0.read().expect("health lock").clone()
    }
}

/// The `/healthz` body.
#[derive(Debug, Serialize)]
pub struct HealthReport {
    pub healthy: bool,
    #[serde(flatten)]
    pub facts: HealthFacts,
    pub problems: Vec<String>,
}

impl From<HealthFacts> for HealthReport {
    fn from(facts: HealthFacts) -> Self {
        let problems = facts.problems();
        HealthReport {
            healthy: problems.is_empty(),
            facts,
            problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Facts of a node that can vote.
    fn all_up() -> HealthFacts {
        HealthFacts {
            node_connected: true,
            notifications_connected: true,
            node_synced: true,
            wallet_connected: true,
            wallet_unlocked: true,
            ..Default::default()
        }
    }

    #[test]
    fn healthy_only_when_everything_is_up() {
        let mut f = all_up();
        assert!(HealthReport::from(f.clone()).healthy);
        f.wallet_unlocked = false;
        let r = HealthReport::from(f.clone());
        assert!(!r.healthy);
        assert!(r.problems[0].contains("locked"));
        f.wallet_connected = false;
        f.node_connected = false;
        f.last_error = Some("connection refused".into());
        let r = HealthReport::from(f);
        assert_eq!(r.problems.len(), 3, "{:?}", r.problems);
    }

    #[test]
    fn unhealthy_without_notifications_or_a_ticket_scan() {
        let ok = all_up();
        let mut f = ok.clone();
        f.notifications_connected = false;
        let r = HealthReport::from(f);
        assert!(!r.healthy);
        assert!(
            r.problems[0].contains("websocket is down"),
            "{:?}",
            r.problems
        );
        let mut f = ok;
        f.ticket_scan_error = Some("exccwallet at x: timeout".into());
        let r = HealthReport::from(f);
        assert!(!r.healthy);
        assert!(
            r.problems[0].contains("cannot be classified"),
            "{:?}",
            r.problems
        );
    }
}
