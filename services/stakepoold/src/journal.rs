//! The vote journal: an append-only JSON-lines file in the state directory
//! (`votes.jsonl`, mode 0600) with every vote this node cast (and the vote bits
//! it used), every winning pool ticket it gave up on (with the cause), every
//! pool ticket exccd reported missed, and every change of a user's voting
//! preferences. `poolctl audit votes` checks it against the chain.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// File name inside `state_dir`.
pub const FILE_NAME: &str = "votes.jsonl";

/// One journal line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// exccd accepted this node's vote.
    Vote {
        unix: i64,
        /// Height of the block voted on (the vote is mined in the next one).
        height: u32,
        block: String,
        ticket: String,
        vote: String,
        /// The ticket's 1-of-2 multisig address.
        address: String,
        vote_bits: u16,
        vote_version: u32,
        /// `user` (the owner's preferences), `stale_version` or `unknown`
        /// (wallet defaults: preferences for another vote version, or none).
        source: String,
    },
    /// Another voting node's vote for this ticket was already in (or mined).
    VotedElsewhere {
        unix: i64,
        height: u32,
        ticket: String,
        address: String,
    },
    /// A winning pool ticket this node could not vote while it could be voted.
    NotVoted {
        unix: i64,
        height: u32,
        block: String,
        ticket: String,
        cause: String,
        reason: String,
    },
    /// exccd reported a pool ticket missed.
    Missed {
        unix: i64,
        height: u32,
        ticket: String,
    },
    /// A user's preferences changed (as pushed by the web service).
    Prefs {
        unix: i64,
        /// The node's best height when the change arrived.
        height: i64,
        address: String,
        vote_bits: u16,
        vote_version: u32,
    },
}

/// Appends entries; a write failure is logged, never fatal (voting goes on).
/// Remembers which tickets were voted (by this node or, as far as it saw,
/// another), so a low-fee ticket the wallet keeps listing as `invalid` after
/// its vote can be shown as voted.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<Option<File>>,
    voted: Mutex<std::collections::HashMap<String, VotedTicket>>,
}

/// A ticket known voted: its vote (if this node cast it) and the height voted on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VotedTicket {
    pub vote: Option<String>,
    pub height: u32,
}

fn voted_of(entry: &Entry) -> Option<(String, VotedTicket)> {
    match entry {
        Entry::Vote {
            ticket,
            vote,
            height,
            ..
        } => Some((
            ticket.clone(),
            VotedTicket {
                vote: Some(vote.clone()),
                height: *height,
            },
        )),
        Entry::VotedElsewhere { ticket, height, .. } => Some((
            ticket.clone(),
            VotedTicket {
                vote: None,
                height: *height,
            },
        )),
        _ => None,
    }
}

impl Journal {
    pub fn open(state_dir: &Path) -> std::io::Result<Journal> {
        let path = state_dir.join(FILE_NAME);
        let voted = match read(&path) {
            Ok(entries) => entries.iter().filter_map(voted_of).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Default::default(),
            Err(e) => return Err(e),
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)?;
        Ok(Journal {
            path,
            file: Mutex::new(Some(file)),
            voted: Mutex::new(voted),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The vote of `ticket`, if this node's journal knows it was voted.
    pub fn voted(&self, ticket: &str) -> Option<VotedTicket> {
        self.voted
            .lock()
            .expect("journal lock")
            .get(ticket)
            .cloned()
    }

    pub fn append(&self, entry: &Entry) {
        if let Some((ticket, v)) = voted_of(entry) {
            self.voted.lock().expect("journal lock").insert(ticket, v);
        }
        let mut line = serde_json::to_string(entry).expect("journal entries serialize");
        line.push('\n');
        let mut file = self.file.lock().expect("journal lock");
        let Some(f) = file.as_mut() else { return };
        if let Err(e) = f.write_all(line.as_bytes()) {
            tracing::error!(path = %self.path.display(), error = %e, "vote journal not written (disk full?)");
        }
    }
}

/// Reads a journal file; lines that do not parse (a torn last line after a
/// crash) are skipped.
pub fn read(path: &Path) -> std::io::Result<Vec<Entry>> {
    let f = File::open(path)?;
    Ok(BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect())
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_a_torn_line_is_skipped() {
        let dir = std::env::temp_dir().join(format!("journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let j = Journal::open(&dir).unwrap();
        let vote = Entry::Vote {
            unix: 1,
            height: 200,
            block: "b".into(),
            ticket: "t".into(),
            vote: "v".into(),
            address: "Sc".into(),
            vote_bits: 5,
            vote_version: 10,
            source: "user".into(),
        };
        let prefs = Entry::Prefs {
            unix: 2,
            height: 201,
            address: "Sc".into(),
            vote_bits: 1,
            vote_version: 10,
        };
        j.append(&vote);
        j.append(&prefs);
        std::fs::OpenOptions::new()
            .append(true)
            .open(j.path())
            .unwrap()
            .write_all(b"{\"kind\":\"vo")
            .unwrap();
        assert_eq!(read(j.path()).unwrap(), vec![vote, prefs]);
        // Reopened (a restart): the voted ticket is still known.
        let again = Journal::open(&dir).unwrap();
        assert_eq!(
            again.voted("t"),
            Some(VotedTicket {
                vote: Some("v".into()),
                height: 200
            })
        );
        assert_eq!(again.voted("other"), None);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(j.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "journal is owner-only");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
