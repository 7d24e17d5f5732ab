//! Disaster recovery of a voting host: a host rebuilt empty (same name in pool.toml) gets
//! its wallet back from the seed (apply's wallet creation), and from a healthy peer's
//! stakepoold what no seed holds: every user's 1-of-2 redeem script (imported with one
//! rescan, which brings the users' tickets back), every user's voting preferences and the
//! admin-added low-fee tickets.
//!
//! [`survey`] reads every host's stakepoold over gRPC ([`link`]); [`plan_restores`] turns
//! that into a [`RestorePlan`] for each host that lacks something a healthy peer holds (or
//! whose wallet is being created while peers hold users), shown by `poolctl plan`; apply's
//! `restore` phase ([`restore`]) does it once the host's services run, before its health
//! wait, reading everything again from a peer that is healthy then. Copying is additive
//! (missing scripts, missing users' preferences, the union of low-fee tickets), so a
//! second apply finds nothing to restore.

pub mod link;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use excc_chain::{Address, Network};
use stakepoold_proto::v1 as pb;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::runtime::CALL_TIMEOUT;
use link::call;
pub use link::{Reach, StakepooldLink};

/// How long the import (with its one rescan) may take at least.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(300);

/// What a voting node's stakepoold holds that a rebuilt node needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Knowledge {
    /// `None` when healthy, else its problems.
    pub unhealthy: Option<String>,
    pub best_height: i64,
    /// The P2SH addresses of the wallet's imported scripts (the users' 1-of-2 multisig).
    pub scripts: BTreeSet<String>,
    /// Voting preferences by multisig address.
    pub prefs: BTreeMap<String, pb::UserVotingPrefs>,
    /// Admin-added low-fee tickets by hash.
    pub added: BTreeMap<String, pb::Ticket>,
}

impl Knowledge {
    /// Reads it from a stakepoold (gRPC API 1.1 or later).
    pub async fn read(link: &mut StakepooldLink) -> Result<Knowledge, String> {
        let c = &mut link.client;
        let h = call("Health", CALL_TIMEOUT, c.health(pb::HealthRequest {})).await?;
        let scripts = call(
            "ListImportedAddresses",
            CALL_TIMEOUT,
            c.list_imported_addresses(pb::ListImportedAddressesRequest {}),
        )
        .await?
        .addresses;
        let prefs = call(
            "GetUserVotingPrefs",
            CALL_TIMEOUT,
            c.get_user_voting_prefs(pb::GetUserVotingPrefsRequest {}),
        )
        .await?
        .users;
        let added = call(
            "GetAddedLowFeeTickets",
            CALL_TIMEOUT,
            c.get_added_low_fee_tickets(pb::GetAddedLowFeeTicketsRequest {}),
        )
        .await?
        .tickets;
        Ok(Knowledge {
            unhealthy: (!h.healthy).then(|| h.problems.join("; ")),
            best_height: h.best_height,
            scripts: scripts.into_iter().collect(),
            prefs: prefs
                .into_iter()
                .map(|p| (p.multisig_address.clone(), p))
                .collect(),
            added: added.into_iter().map(|t| (t.hash.clone(), t)).collect(),
        })
    }
}

/// What a host lacks of what a peer holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Missing {
    pub scripts: Vec<String>,
    pub prefs: Vec<pb::UserVotingPrefs>,
    pub tickets: Vec<pb::Ticket>,
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Missing {
    pub fn between(host: &Knowledge, peer: &Knowledge) -> Missing {
        Missing {
            scripts: peer.scripts.difference(&host.scripts).cloned().collect(),
            prefs: peer
                .prefs
                .iter()
                .filter(|(a, _)| !host.prefs.contains_key(*a))
                .map(|(_, p)| p.clone())
                .collect(),
            tickets: peer
                .added
                .iter()
                .filter(|(h, _)| !host.added.contains_key(*h))
                .map(|(_, t)| t.clone())
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    fn size(&self) -> usize {
        self.scripts.len() + self.prefs.len() + self.tickets.len()
    }

    /// `2 user scripts, 2 voting preferences, 1 admin-added low-fee ticket`.
    pub fn summary(&self) -> String {
        format!(
            "{}, {}, {}",
            count(self.scripts.len(), "user script", "user scripts"),
            count(self.prefs.len(), "voting preference", "voting preferences"),
            count(
                self.tickets.len(),
                "admin-added low-fee ticket",
                "admin-added low-fee tickets"
            )
        )
    }
}

/// Where a host's missing state would come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Choice {
    /// Nothing a healthy peer holds is missing (or no peer holds anything).
    Nothing,
    /// Copy from this healthy peer (its index among the hosts).
    From { peer: usize, missing: Missing },
    /// Peers hold what the host lacks, but none is healthy; one line per peer.
    NoHealthyPeer {
        missing: Missing,
        peers: Vec<String>,
    },
}

/// Picks the source for `host` (index `me`) among the other hosts' knowledge: the healthy
/// peer that holds the most the host lacks (pool.toml order on a tie). Unhealthy peers are
/// never copied from; they only tell the operator that something is missing.
pub fn choose(
    me: usize,
    host: &Knowledge,
    names: &[String],
    survey: &[Result<Knowledge, String>],
) -> Choice {
    let peers = || survey.iter().enumerate().filter(move |(j, _)| *j != me);
    let mut best: Option<(usize, Missing)> = None;
    let mut any_healthy = false;
    for (j, k) in peers() {
        let Ok(k) = k else { continue };
        if k.unhealthy.is_some() {
            continue;
        }
        any_healthy = true;
        let m = Missing::between(host, k);
        if !m.is_empty() && best.as_ref().is_none_or(|(_, b)| m.size() > b.size()) {
            best = Some((j, m));
        }
    }
    if let Some((peer, missing)) = best {
        return Choice::From { peer, missing };
    }
    if any_healthy {
        return Choice::Nothing;
    }
    let most = peers()
        .filter_map(|(_, k)| k.as_ref().ok())
        .map(|k| Missing::between(host, k))
        .max_by_key(Missing::size)
        .filter(|m| !m.is_empty());
    match most {
        None => Choice::Nothing,
        Some(missing) => Choice::NoHealthyPeer {
            missing,
            peers: peers()
                .map(|(j, k)| match k {
                    Ok(k) => format!(
                        "{}: {}",
                        names[j],
                        k.unhealthy.as_deref().unwrap_or("healthy")
                    ),
                    Err(e) => format!("{}: {e}", names[j]),
                })
                .collect(),
        },
    }
}

/// A restore `poolctl plan` shows for a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestorePlan {
    /// The healthy peer to copy from; `None` when none is healthy now (apply waits).
    pub from: Option<String>,
    /// What the host lacks ([`Missing::summary`]).
    pub what: String,
    /// `false`: the host's stakepoold does not answer yet (a rebuilt host), so this is
    /// everything the peer holds.
    pub host_known: bool,
    /// Each peer's state when none is healthy.
    pub peers: Vec<String>,
}

/// Every host's [`Knowledge`], read in parallel (pool.toml order); `Err` says why not.
pub async fn survey(reach: &Reach) -> Vec<Result<Knowledge, String>> {
    let mut tasks = JoinSet::new();
    for i in 0..reach.hosts.len() {
        let reach = reach.clone();
        tasks.spawn(async move {
            let r = match reach.open(i).await {
                Ok(mut link) => Knowledge::read(&mut link).await,
                Err(e) => Err(e),
            };
            (i, r)
        });
    }
    let mut out: Vec<Result<Knowledge, String>> = vec![Err(String::new()); reach.hosts.len()];
    while let Some(joined) = tasks.join_next().await {
        let (i, r) = joined.expect("survey task panicked");
        out[i] = r;
    }
    out
}

/// The restore each host needs. A host whose stakepoold does not answer is restored only
/// when its wallet is being created (`new_wallet`: a rebuilt host); one that answers, when
/// it lacks something a healthy peer holds.
pub fn plan_restores(
    names: &[String],
    survey: &[Result<Knowledge, String>],
    new_wallet: &[bool],
) -> Vec<Option<RestorePlan>> {
    let empty = Knowledge::default();
    (0..names.len())
        .map(|i| {
            let (host, host_known) = match &survey[i] {
                Ok(k) => (k, true),
                Err(_) if new_wallet[i] => (&empty, false),
                Err(_) => return None,
            };
            match choose(i, host, names, survey) {
                Choice::Nothing => None,
                Choice::From { peer, missing } => Some(RestorePlan {
                    from: Some(names[peer].clone()),
                    what: missing.summary(),
                    host_known,
                    peers: Vec::new(),
                }),
                Choice::NoHealthyPeer { missing, peers } => Some(RestorePlan {
                    from: None,
                    what: missing.summary(),
                    host_known,
                    peers,
                }),
            }
        })
        .collect()
}

/// Why a restore failed. Each names the host and what to do.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "{host}: restore: its stakepoold did not answer gRPC within {secs}s ({why}); see `journalctl -u stakepoold` there, then run `poolctl apply` again"
    )]
    HostSilent {
        host: String,
        secs: u64,
        why: String,
    },
    #[error(
        "{host}: restore: it lacks {missing} that other voting hosts hold, but none of them is healthy to copy from ({}); make one healthy (`poolctl status`, `poolctl apply`) and run `poolctl apply` again, or let the web service's sync push the users' scripts and preferences from its database",
        .peers.join("; ")
    )]
    NoHealthyPeer {
        host: String,
        missing: String,
        peers: Vec<String>,
    },
    #[error("{host}: restore from {peer}: {why}; nothing was imported, run `poolctl apply` again")]
    Peer {
        host: String,
        peer: String,
        why: String,
    },
    #[error(
        "{host}: restore: {why}; run `poolctl apply` again (what was copied stays, the rest follows)"
    )]
    Host { host: String, why: String },
}

/// What [`restore`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    pub from: String,
    pub what: String,
    /// The height the one rescan started from, when scripts were imported.
    pub rescan_from: Option<i64>,
}

impl std::fmt::Display for Restored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "restored {} from {}", self.what, self.from)?;
        if let Some(h) = self.rescan_from {
            write!(f, " (one rescan from height {h})")?;
        }
        Ok(())
    }
}

/// Restores host `me` from a healthy peer, waiting up to `limit` for the host's stakepoold
/// to answer and for a healthy peer. `Ok(None)`: nothing (any more) to restore. `planned`
/// is what the plan saw missing (named when no peer answers at all).
pub async fn restore(
    reach: &Reach,
    me: usize,
    planned: &str,
    network: Network,
    limit: Duration,
) -> Result<Option<Restored>, RestoreError> {
    let deadline = Instant::now() + limit;
    let names: Vec<String> = reach.hosts.iter().map(|(n, _)| n.clone()).collect();
    let host_name = names[me].clone();
    let (mut link, host) = loop {
        let r = match reach.open(me).await {
            Ok(mut link) => Knowledge::read(&mut link).await.map(|k| (link, k)),
            Err(e) => Err(e),
        };
        match r {
            Ok(v) => break v,
            Err(why) if Instant::now() >= deadline => {
                return Err(RestoreError::HostSilent {
                    host: host_name,
                    secs: limit.as_secs(),
                    why,
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    };
    let (peer, missing) = loop {
        let others = survey(reach).await;
        let silent = others
            .iter()
            .enumerate()
            .all(|(j, k)| j == me || k.is_err());
        if silent {
            // Every peer restarting (a parallel apply) or unreachable: wait for one.
            if Instant::now() >= deadline {
                return Err(RestoreError::NoHealthyPeer {
                    host: host_name,
                    missing: planned.to_owned(),
                    peers: others
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != me)
                        .map(|(j, k)| {
                            format!("{}: {}", names[j], k.as_ref().err().map_or("", |e| e))
                        })
                        .collect(),
                });
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        match choose(me, &host, &names, &others) {
            Choice::Nothing => return Ok(None),
            Choice::From { peer, missing } => break (peer, missing),
            Choice::NoHealthyPeer { missing, peers } if Instant::now() >= deadline => {
                return Err(RestoreError::NoHealthyPeer {
                    host: host_name,
                    missing: missing.summary(),
                    peers,
                });
            }
            Choice::NoHealthyPeer { .. } => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    };
    let peer_name = names[peer].clone();
    let peer_err = |why: String| RestoreError::Peer {
        host: host_name.clone(),
        peer: peer_name.clone(),
        why,
    };
    let mut source = reach.open(peer).await.map_err(&peer_err)?;
    let (scripts, rescan_from) = scripts_of(&mut source, &missing.scripts, network)
        .await
        .map_err(&peer_err)?;
    let host_err = |why: String| RestoreError::Host {
        host: host_name.clone(),
        why,
    };
    let c = &mut link.client;
    // Preferences and low-fee tickets first: the ticket list rebuilt after the import
    // looks up every known user's tickets.
    if !missing.prefs.is_empty() {
        call(
            "UpdateUserVotingPrefs",
            CALL_TIMEOUT,
            c.update_user_voting_prefs(pb::UpdateUserVotingPrefsRequest {
                users: missing.prefs.clone(),
            }),
        )
        .await
        .map_err(&host_err)?;
    }
    if !missing.tickets.is_empty() {
        let tickets = host
            .added
            .values()
            .chain(&missing.tickets)
            .cloned()
            .collect();
        call(
            "SetAddedLowFeeTickets",
            CALL_TIMEOUT,
            c.set_added_low_fee_tickets(pb::SetAddedLowFeeTicketsRequest { tickets }),
        )
        .await
        .map_err(&host_err)?;
    }
    let rescan_from = if scripts.is_empty() {
        None
    } else {
        let from = rescan_from.min(source_height(&mut source).await.map_err(&peer_err)?);
        call(
            "ImportMissingScripts",
            limit.max(IMPORT_TIMEOUT),
            c.import_missing_scripts(pb::ImportMissingScriptsRequest {
                scripts,
                rescan_height: from,
            }),
        )
        .await
        .map_err(&host_err)?;
        Some(from)
    };
    Ok(Some(Restored {
        from: peer_name,
        what: missing.summary(),
        rescan_from,
    }))
}

async fn source_height(link: &mut StakepooldLink) -> Result<i64, String> {
    let h = call(
        "Health",
        CALL_TIMEOUT,
        link.client.health(pb::HealthRequest {}),
    )
    .await?;
    Ok(h.best_height.max(0))
}

/// The redeem scripts of `addresses` from the peer's wallet, each checked to hash to its
/// address, and the lowest height of their tickets (0 when a low-fee ticket's height is
/// unknown; `i64::MAX` when they have none).
async fn scripts_of(
    link: &mut StakepooldLink,
    addresses: &[String],
    network: Network,
) -> Result<(Vec<Vec<u8>>, i64), String> {
    let mut scripts = Vec::with_capacity(addresses.len());
    let mut lowest = i64::MAX;
    for address in addresses {
        let v = call(
            "ValidateAddress",
            CALL_TIMEOUT,
            link.client.validate_address(pb::ValidateAddressRequest {
                address: address.clone(),
            }),
        )
        .await?;
        if v.redeem_script.is_empty() {
            return Err(format!(
                "its stakepoold gives no redeem script for {address} (is its wallet unlocked? gRPC API 1.1 or later needed)"
            ));
        }
        let script = hex::decode(&v.redeem_script)
            .map_err(|e| format!("the redeem script of {address} is not hex: {e}"))?;
        let hashed = Address::p2sh_from_script(network, &script).encode();
        if hashed != *address {
            return Err(format!(
                "the redeem script given for {address} hashes to {hashed}"
            ));
        }
        scripts.push(script);
        let info = call(
            "StakePoolUserInfo",
            CALL_TIMEOUT,
            link.client
                .stake_pool_user_info(pb::StakePoolUserInfoRequest {
                    multisig_address: address.clone(),
                }),
        )
        .await?;
        if !info.invalid_tickets.is_empty() {
            lowest = 0;
        }
        for t in &info.tickets {
            lowest = lowest.min(i64::from(t.ticket_height));
        }
    }
    Ok((scripts, lowest))
}

#[cfg(test)]
mod tests;
