//! The audit's pure core: what the chain says about each pool ticket that won, checked
//! against the vote journals of every voting host. No I/O.

use std::collections::HashMap;

use excc_chain::ChainHash;

use super::journal::{HostJournal, JournalEntry};
use super::report::{BitsCheck, HeightRange, Report, TicketAudit, Verdict};

/// What the chain says about one pool ticket that won its lottery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolWinner {
    pub ticket: ChainHash,
    /// The owner's 1-of-2 multisig address.
    pub address: String,
    /// Height of the block whose lottery it won: the height a vote is for, or a
    /// revocation's height minus 2 (missed when the next block came without its vote,
    /// revoked automatically in the block after). `None`: missed, not revoked yet.
    pub won_height: Option<u32>,
    pub chain: ChainOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainOutcome {
    Voted {
        vote: ChainHash,
        vote_bits: u16,
        vote_version: u32,
    },
    Missed {
        revocation: Option<ChainHash>,
    },
}

/// How long a preference change may take to reach every voting node: the web service
/// pushes it to one node after the other, and journal times are whole seconds. A vote cast
/// this soon after a change, with the bits the change replaced, is not a mismatch.
pub const PROPAGATION_SECS: i64 = 2;

/// A journaled vote.
struct JournaledVote<'a> {
    host: &'a str,
    unix: i64,
    source: &'a str,
}

/// A journaled preference change.
#[derive(Clone, Copy)]
struct Pref {
    unix: i64,
    height: i64,
    bits: u16,
    version: u32,
}

/// The journals of every host, indexed.
#[derive(Default)]
struct Journals<'a> {
    votes: HashMap<ChainHash, JournaledVote<'a>>,
    /// Per ticket: every vote some node cast for it (host, vote).
    votes_of_ticket: HashMap<ChainHash, Vec<(&'a str, ChainHash)>>,
    /// Per ticket: (host, height, cause, reason) of every give-up.
    not_voted: HashMap<ChainHash, Vec<(&'a str, u32, &'a str, &'a str)>>,
    /// Per ticket: (host, height) of every missed report of exccd.
    missed: HashMap<ChainHash, Vec<(&'a str, u32)>>,
    /// Per address, in time order.
    prefs: HashMap<&'a str, Vec<Pref>>,
}

impl<'a> Journals<'a> {
    fn index(journals: &'a [HostJournal]) -> Journals<'a> {
        let mut j = Journals::default();
        for hj in journals {
            let host = hj.host.as_str();
            for e in &hj.entries {
                match e {
                    JournalEntry::Vote {
                        unix,
                        ticket,
                        vote,
                        source,
                        ..
                    } => {
                        j.votes.entry(*vote).or_insert(JournaledVote {
                            host,
                            unix: *unix,
                            source,
                        });
                        j.votes_of_ticket
                            .entry(*ticket)
                            .or_default()
                            .push((host, *vote));
                    }
                    JournalEntry::NotVoted {
                        height,
                        ticket,
                        cause,
                        reason,
                    } => j
                        .not_voted
                        .entry(*ticket)
                        .or_default()
                        .push((host, *height, cause, reason)),
                    JournalEntry::Missed { height, ticket } => {
                        j.missed.entry(*ticket).or_default().push((host, *height))
                    }
                    JournalEntry::Prefs {
                        unix,
                        height,
                        address,
                        vote_bits,
                        vote_version,
                    } => j.prefs.entry(address).or_default().push(Pref {
                        unix: *unix,
                        height: *height,
                        bits: *vote_bits,
                        version: *vote_version,
                    }),
                    JournalEntry::Other => {}
                }
            }
        }
        for p in j.prefs.values_mut() {
            p.sort_by_key(|p| p.unix);
        }
        j
    }

    /// The owner's preference in force at journal time `unix` (or, for a vote no journal
    /// has, at node height `height`), then the one it replaced if that change was so recent
    /// that it may not have reached the voting node yet ([`PROPAGATION_SECS`], or the same
    /// height).
    fn preferences(&self, address: &str, unix: Option<i64>, height: Option<u32>) -> Vec<Pref> {
        let Some(prefs) = self.prefs.get(address) else {
            return Vec::new();
        };
        let in_force = |p: &Pref| match (unix, height) {
            (Some(u), _) => p.unix <= u,
            (None, Some(h)) => p.height <= i64::from(h),
            (None, None) => true,
        };
        let Some(i) = prefs.iter().rposition(in_force) else {
            return Vec::new();
        };
        let now = prefs[i];
        let recent = match (unix, height) {
            (Some(u), _) => u - now.unix < PROPAGATION_SECS,
            (None, Some(h)) => now.height >= i64::from(h),
            (None, None) => false,
        };
        // Every node journals the same change: the one before is the last different one.
        let before = prefs[..i]
            .iter()
            .rev()
            .find(|p| (p.bits, p.version) != (now.bits, now.version));
        match before {
            Some(b) if recent => vec![now, *b],
            _ => vec![now],
        }
    }

    /// The height a miss not revoked yet won at, from the journals.
    fn missed_height(&self, ticket: &ChainHash) -> Option<u32> {
        let given_up = self.not_voted.get(ticket).into_iter().flatten();
        given_up.map(|(_, h, _, _)| *h).min().or_else(|| {
            let reported = self.missed.get(ticket).into_iter().flatten();
            reported.map(|(_, h)| h.saturating_sub(1)).min()
        })
    }

    /// Why a pool ticket was missed, as the journals tell it.
    fn causes(&self, ticket: &ChainHash) -> Vec<String> {
        let given_up = self.not_voted.get(ticket).into_iter().flatten();
        let lost = self.votes_of_ticket.get(ticket).into_iter().flatten();
        let reported = self.missed.get(ticket).into_iter().flatten();
        let mut causes: Vec<String> = Vec::new();
        let all = given_up
            .map(|(host, _, cause, reason)| format!("{host}: not voted ({cause}): {reason}"))
            .chain(lost.map(|(host, vote)| {
                format!("{host}: its vote {vote} was accepted but never mined")
            }));
        for c in all {
            if !causes.contains(&c) {
                causes.push(c);
            }
        }
        // exccd's report alone: no vote attempt was journaled.
        if causes.is_empty() {
            for (host, height) in reported {
                causes.push(format!(
                    "{host}: exccd reported it missed at height {height}; no vote attempt journaled (was the node's ticket list incomplete?)"
                ));
            }
        }
        if causes.is_empty() {
            causes.push(
                "no journal explains it: no voting node saw it win (down, or not synced?)".into(),
            );
        }
        causes
    }
}

/// Checks `winners` (the chain's facts) against every host's journal and keeps the tickets
/// that won in `range` (and misses no journal dates).
pub fn audit(winners: &[PoolWinner], journals: &[HostJournal], range: HeightRange) -> Report {
    let j = Journals::index(journals);
    let mut tickets: Vec<TicketAudit> = winners
        .iter()
        .filter_map(|w| {
            let (height, verdict) = match &w.chain {
                ChainOutcome::Voted {
                    vote,
                    vote_bits,
                    vote_version,
                } => {
                    let journaled = j.votes.get(vote);
                    let bits = check_bits(&j, w, journaled, (*vote_bits, *vote_version));
                    let verdict = Verdict::Voted {
                        vote: *vote,
                        vote_bits: *vote_bits,
                        vote_version: *vote_version,
                        voted_by: journaled.map(|v| v.host.to_owned()),
                        bits,
                    };
                    (w.won_height, verdict)
                }
                ChainOutcome::Missed { revocation: None } => (
                    w.won_height.or_else(|| j.missed_height(&w.ticket)),
                    Verdict::Missed {
                        causes: j.causes(&w.ticket),
                    },
                ),
                ChainOutcome::Missed {
                    revocation: Some(r),
                } => (
                    w.won_height,
                    Verdict::Revoked {
                        revocation: *r,
                        causes: j.causes(&w.ticket),
                    },
                ),
            };
            if height.is_some_and(|h| !range.contains(h)) {
                return None;
            }
            Some(TicketAudit {
                ticket: w.ticket,
                address: w.address.clone(),
                height,
                verdict,
            })
        })
        .collect();
    tickets.sort_by_key(|t| (t.height.unwrap_or(u32::MAX), *t.ticket.as_bytes()));
    Report::new(range, tickets)
}

/// The chain's `(bits, version)` of a vote against the owner's preference then.
fn check_bits(
    j: &Journals<'_>,
    w: &PoolWinner,
    journaled: Option<&JournaledVote<'_>>,
    (bits, version): (u16, u32),
) -> BitsCheck {
    let prefs = j.preferences(&w.address, journaled.map(|v| v.unix), w.won_height);
    let now = prefs.first();
    if journaled.is_some_and(|v| v.source == "stale_version") {
        return BitsCheck::WalletDefaults {
            preference_version: now.map(|p| p.version),
        };
    }
    if prefs.iter().any(|p| (p.bits, p.version) == (bits, version)) {
        return BitsCheck::Match;
    }
    match now {
        None => BitsCheck::Unchecked,
        Some(p) if p.version != version => BitsCheck::WalletDefaults {
            preference_version: Some(p.version),
        },
        Some(p) => BitsCheck::Mismatch {
            expected_bits: p.bits,
        },
    }
}
