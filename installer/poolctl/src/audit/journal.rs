//! stakepoold's vote journal (`votes.jsonl` in its `state_dir`, one JSON object a line,
//! written by `stakepoold::journal`) as the audit reads it: only the fields the audit uses;
//! other fields and unknown kinds of line are ignored, so a newer stakepoold's journal
//! still reads. The end-to-end test `tests/tests/vote_audit.rs` reads journals written by
//! the real stakepoold with this reader.

use std::collections::HashMap;

use excc_chain::ChainHash;
use serde::Deserialize;

/// One journal line the audit understands.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JournalEntry {
    /// exccd accepted this node's vote `vote` for `ticket`, on the block at `height`.
    Vote {
        unix: i64,
        height: u32,
        ticket: ChainHash,
        vote: ChainHash,
        /// `user` (the owner's preferences), `stale_version` or `unknown` (wallet defaults).
        source: String,
    },
    /// A winning pool ticket this node could not vote (`cause`: `wallet_locked`, …).
    NotVoted {
        height: u32,
        ticket: ChainHash,
        cause: String,
        reason: String,
    },
    /// exccd reported the pool ticket missed in the block at `height`.
    Missed { height: u32, ticket: ChainHash },
    /// The owner of `address` set these preferences (as the web service pushed them).
    Prefs {
        unix: i64,
        /// The node's best height then.
        height: i64,
        address: String,
        vote_bits: u16,
        vote_version: u32,
    },
    /// Any other kind of line (`voted_elsewhere`, or one a newer stakepoold writes).
    #[serde(other)]
    Other,
}

/// One voting host's journal.
#[derive(Clone, Debug, Default)]
pub struct HostJournal {
    /// The host's name in pool.toml.
    pub host: String,
    pub entries: Vec<JournalEntry>,
    /// Lines that did not parse (a torn last line after a crash).
    pub unreadable_lines: usize,
}

impl HostJournal {
    /// Parses a journal's text.
    pub fn parse(host: &str, text: &str) -> HostJournal {
        let mut journal = HostJournal {
            host: host.to_owned(),
            ..Default::default()
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str(line) {
                Ok(e) => journal.entries.push(e),
                Err(_) => journal.unreadable_lines += 1,
            }
        }
        journal
    }
}

/// The tickets some journal shows a vote attempt for (voted, given up, or reported
/// missed), each with the votes journaled for it.
pub fn tried(journals: &[HostJournal]) -> HashMap<ChainHash, Vec<ChainHash>> {
    let mut tried: HashMap<ChainHash, Vec<ChainHash>> = HashMap::new();
    for e in journals.iter().flat_map(|j| &j.entries) {
        match e {
            JournalEntry::Vote { ticket, vote, .. } => {
                tried.entry(*ticket).or_default().push(*vote)
            }
            JournalEntry::NotVoted { ticket, .. } | JournalEntry::Missed { ticket, .. } => {
                tried.entry(*ticket).or_default();
            }
            JournalEntry::Prefs { .. } | JournalEntry::Other => {}
        }
    }
    tried
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind_of_line_and_counts_torn_ones() {
        let t = "11".repeat(32);
        let v = "22".repeat(32);
        let text = format!(
            r#"{{"kind":"vote","unix":5,"height":200,"block":"b","ticket":"{t}","vote":"{v}","address":"Sc1","vote_bits":5,"vote_version":10,"source":"user"}}
{{"kind":"voted_elsewhere","unix":6,"height":200,"ticket":"{t}","address":"Sc1"}}
{{"kind":"not_voted","unix":7,"height":201,"block":"b","ticket":"{t}","cause":"wallet_locked","reason":"locked"}}
{{"kind":"missed","unix":8,"height":202,"ticket":"{t}"}}
{{"kind":"prefs","unix":9,"height":-1,"address":"Sc1","vote_bits":1,"vote_version":10}}
{{"kind":"something_new","unix":10}}

{{"kind":"vo"#
        );
        let j = HostJournal::parse("voting1", &text);
        let (t, v): (ChainHash, ChainHash) = (t.parse().unwrap(), v.parse().unwrap());
        assert_eq!(
            j.entries,
            vec![
                JournalEntry::Vote {
                    unix: 5,
                    height: 200,
                    ticket: t,
                    vote: v,
                    source: "user".into()
                },
                JournalEntry::Other,
                JournalEntry::NotVoted {
                    height: 201,
                    ticket: t,
                    cause: "wallet_locked".into(),
                    reason: "locked".into()
                },
                JournalEntry::Missed {
                    height: 202,
                    ticket: t
                },
                JournalEntry::Prefs {
                    unix: 9,
                    height: -1,
                    address: "Sc1".into(),
                    vote_bits: 1,
                    vote_version: 10
                },
                JournalEntry::Other,
            ]
        );
        assert_eq!(j.unreadable_lines, 1);
        assert_eq!(j.host, "voting1");
    }
}
