//! The audit's result: one verdict per pool ticket that won, a summary, and their one-line
//! (table) and JSON forms.

use excc_chain::ChainHash;
use serde::Serialize;

/// Heights of the blocks whose lottery a ticket won, both ends included; `None` = open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HeightRange {
    pub from: Option<u32>,
    pub to: Option<u32>,
}

impl HeightRange {
    pub fn contains(&self, height: u32) -> bool {
        self.from.is_none_or(|f| height >= f) && self.to.is_none_or(|t| height <= t)
    }

    fn describe(&self) -> String {
        match (self.from, self.to) {
            (None, None) => "the whole chain".to_owned(),
            (Some(f), None) => format!("heights {f} and up"),
            (None, Some(t)) => format!("heights up to {t}"),
            (Some(f), Some(t)) => format!("heights {f} to {t}"),
        }
    }
}

/// One pool ticket that won in the range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketAudit {
    pub ticket: ChainHash,
    /// The owner's 1-of-2 multisig address.
    pub address: String,
    /// Height of the block whose lottery it won (`None`: a miss not yet revoked that no
    /// journal dates).
    pub height: Option<u32>,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// What became of a winning pool ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Verdict {
    /// Its vote is in the chain.
    Voted {
        vote: ChainHash,
        vote_bits: u16,
        vote_version: u32,
        /// The voting host whose journal has this vote; `None`: not in any journal (e.g.
        /// voted by a wallet, or by a node whose journal was lost).
        voted_by: Option<String>,
        bits: BitsCheck,
    },
    /// Missed, not revoked yet.
    Missed { causes: Vec<String> },
    /// Missed and revoked by `revocation`.
    Revoked {
        revocation: ChainHash,
        causes: Vec<String>,
    },
}

/// The vote bits in the chain against the owner's preference when the vote was cast (the
/// last `prefs` line for the address in any journal, up to the vote's journal time, or
/// up to the winning height when no journal has the vote).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum BitsCheck {
    /// The chain's bits are the owner's preference.
    Match,
    /// The chain's bits are not the owner's preference.
    Mismatch { expected_bits: u16 },
    /// The owner's preference was for another vote version, so the wallet's defaults were
    /// used (as they must be).
    WalletDefaults { preference_version: Option<u32> },
    /// No preference of the owner in any journal before the vote: nothing to compare with.
    Unchecked,
}

/// Counts over the tickets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pool_winners: usize,
    pub voted: usize,
    pub missed: usize,
    pub revoked: usize,
    pub bit_mismatches: usize,
    pub wallet_defaults: usize,
    pub unchecked: usize,
    /// Votes no journal has.
    pub not_in_any_journal: usize,
}

/// The audit of one range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub range: HeightRange,
    /// In height order.
    pub tickets: Vec<TicketAudit>,
    pub summary: Summary,
}

impl Report {
    pub fn new(range: HeightRange, tickets: Vec<TicketAudit>) -> Report {
        let mut s = Summary {
            pool_winners: tickets.len(),
            ..Default::default()
        };
        for t in &tickets {
            match &t.verdict {
                Verdict::Voted { voted_by, bits, .. } => {
                    s.voted += 1;
                    s.not_in_any_journal += usize::from(voted_by.is_none());
                    match bits {
                        BitsCheck::Match => {}
                        BitsCheck::Mismatch { .. } => s.bit_mismatches += 1,
                        BitsCheck::WalletDefaults { .. } => s.wallet_defaults += 1,
                        BitsCheck::Unchecked => s.unchecked += 1,
                    }
                }
                Verdict::Missed { .. } => s.missed += 1,
                Verdict::Revoked { .. } => s.revoked += 1,
            }
        }
        Report {
            range,
            tickets,
            summary: s,
        }
    }

    /// No pool vote missed and no bit mismatch.
    pub fn clean(&self) -> bool {
        let s = &self.summary;
        s.missed + s.revoked + s.bit_mismatches == 0
    }

    /// The summary line.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        format!(
            "{} pool winners in {}: {} voted, {} missed, {} revoked, {} bit mismatches ({} wallet defaults for a stale vote version, {} unchecked, {} votes not in any journal)",
            s.pool_winners,
            self.range.describe(),
            s.voted,
            s.missed,
            s.revoked,
            s.bit_mismatches,
            s.wallet_defaults,
            s.unchecked,
            s.not_in_any_journal
        )
    }
}

impl TicketAudit {
    /// The table line: height, ticket, outcome, then what explains it.
    pub fn line(&self) -> String {
        let height = self.height.map_or("?".to_owned(), |h| h.to_string());
        let rest = match &self.verdict {
            Verdict::Voted {
                vote,
                vote_bits,
                vote_version,
                voted_by,
                bits,
            } => {
                let check = match bits {
                    BitsCheck::Match => "bits = owner's preference".to_owned(),
                    BitsCheck::Mismatch { expected_bits } => {
                        format!("BIT MISMATCH: the owner's preference was {expected_bits:#06x}")
                    }
                    BitsCheck::WalletDefaults {
                        preference_version: Some(v),
                    } => {
                        format!("wallet defaults (the owner's preference is for vote version {v})")
                    }
                    BitsCheck::WalletDefaults {
                        preference_version: None,
                    } => "wallet defaults (the owner's preference is for another vote version)"
                        .to_owned(),
                    BitsCheck::Unchecked => {
                        "unchecked: no preference of the owner journaled".to_owned()
                    }
                };
                format!(
                    "voted    {vote}  bits {vote_bits:#06x} v{vote_version}  by {}  {check}",
                    voted_by.as_deref().unwrap_or("(not in any journal)")
                )
            }
            Verdict::Missed { causes } => {
                format!("MISSED   not revoked yet  {}", causes.join("; "))
            }
            Verdict::Revoked { revocation, causes } => {
                format!("REVOKED  by {revocation}  {}", causes.join("; "))
            }
        };
        format!("{height:>7}  {}  {}  {rest}", self.ticket, self.address)
    }
}
