//! The audit's core on plain data: chain facts and journals in, verdicts out.

use excc_chain::ChainHash;
use serde_json::json;

use super::check::{ChainOutcome, PoolWinner, audit};
use super::journal::{HostJournal, JournalEntry};
use super::report::{BitsCheck, HeightRange, Verdict};

const OWNER: &str = "ScOwner";
const ALL: HeightRange = HeightRange {
    from: None,
    to: None,
};

fn h(n: u8) -> ChainHash {
    ChainHash([n; 32])
}

fn voted(ticket: u8, height: u32, vote: u8, bits: u16) -> PoolWinner {
    PoolWinner {
        ticket: h(ticket),
        address: OWNER.into(),
        won_height: Some(height),
        chain: ChainOutcome::Voted {
            vote: h(vote),
            vote_bits: bits,
            vote_version: 10,
        },
    }
}

fn revoked(ticket: u8, height: u32, revocation: u8) -> PoolWinner {
    PoolWinner {
        ticket: h(ticket),
        address: OWNER.into(),
        won_height: Some(height),
        chain: ChainOutcome::Missed {
            revocation: Some(h(revocation)),
        },
    }
}

fn vote_line(unix: i64, ticket: u8, vote: u8, source: &str) -> JournalEntry {
    JournalEntry::Vote {
        unix,
        height: 0,
        ticket: h(ticket),
        vote: h(vote),
        source: source.into(),
    }
}

fn prefs_line(unix: i64, height: i64, bits: u16, version: u32) -> JournalEntry {
    JournalEntry::Prefs {
        unix,
        height,
        address: OWNER.into(),
        vote_bits: bits,
        vote_version: version,
    }
}

fn journal(host: &str, entries: Vec<JournalEntry>) -> HostJournal {
    HostJournal {
        host: host.into(),
        entries,
        unreadable_lines: 0,
    }
}

fn bits_of(v: &Verdict) -> &BitsCheck {
    match v {
        Verdict::Voted { bits, .. } => bits,
        other => panic!("not voted: {other:?}"),
    }
}

#[test]
fn a_vote_with_the_owners_preference_matches_and_names_its_host() {
    let journals = [journal(
        "voting1",
        vec![prefs_line(10, 150, 5, 10), vote_line(20, 1, 101, "user")],
    )];
    let r = audit(&[voted(1, 200, 101, 5)], &journals, ALL);
    assert_eq!(r.tickets.len(), 1);
    let t = &r.tickets[0];
    assert_eq!(t.height, Some(200));
    match &t.verdict {
        Verdict::Voted {
            vote,
            vote_bits,
            voted_by,
            bits,
            ..
        } => {
            assert_eq!((*vote, *vote_bits), (h(101), 5));
            assert_eq!(voted_by.as_deref(), Some("voting1"));
            assert_eq!(bits, &BitsCheck::Match);
        }
        other => panic!("{other:?}"),
    }
    assert!(r.clean());
    assert_eq!(
        (
            r.summary.pool_winners,
            r.summary.voted,
            r.summary.bit_mismatches
        ),
        (1, 1, 0)
    );
}

#[test]
fn the_preference_is_the_one_in_force_when_the_vote_was_cast_on_any_host() {
    // The owner chose 5, then (journaled on another host) 1.
    let journals = [
        journal(
            "voting1",
            vec![
                prefs_line(10, 150, 5, 10),
                vote_line(20, 1, 101, "user"),
                vote_line(40, 2, 102, "user"),
            ],
        ),
        journal("voting2", vec![prefs_line(30, 160, 1, 10)]),
    ];
    let r = audit(
        &[voted(1, 155, 101, 5), voted(2, 170, 102, 5)],
        &journals,
        ALL,
    );
    assert_eq!(bits_of(&r.tickets[0].verdict), &BitsCheck::Match);
    assert_eq!(
        bits_of(&r.tickets[1].verdict),
        &BitsCheck::Mismatch { expected_bits: 1 }
    );
    assert_eq!(r.summary.bit_mismatches, 1);
    assert!(!r.clean());
}

#[test]
fn a_vote_cast_while_a_change_was_still_reaching_the_nodes_is_not_a_mismatch() {
    // The owner chose 5, then 1 at unix 100 (height 300): voting1 and voting2 journal the
    // change; voting3 votes with the old bits 1 s later, and again 2 s later.
    let journals = [
        journal(
            "voting1",
            vec![prefs_line(10, 150, 5, 10), prefs_line(100, 300, 1, 10)],
        ),
        journal("voting2", vec![prefs_line(100, 300, 1, 10)]),
        journal(
            "voting3",
            vec![
                vote_line(101, 1, 101, "user"),
                vote_line(101, 2, 102, "user"),
                vote_line(102, 3, 103, "user"),
            ],
        ),
    ];
    let winners = [
        voted(1, 300, 101, 5),
        voted(2, 300, 102, 1),
        voted(3, 301, 103, 5),
        // Not journaled: dated by height; the change arrived at this height.
        voted(4, 300, 104, 5),
        voted(5, 301, 105, 5),
    ];
    let r = audit(&winners, &journals, ALL);
    let checks: Vec<&BitsCheck> = r.tickets.iter().map(|t| bits_of(&t.verdict)).collect();
    let late = BitsCheck::Mismatch { expected_bits: 1 };
    assert_eq!(
        checks,
        [
            &BitsCheck::Match,
            &BitsCheck::Match,
            &BitsCheck::Match,
            &late,
            &late
        ]
    );
}

#[test]
fn a_node_without_the_owners_preference_voting_wallet_defaults_is_a_mismatch() {
    // voting2 was never sent the preferences: its vote says `unknown` and carries bits 1.
    let journals = [
        journal("voting1", vec![prefs_line(10, 150, 5, 10)]),
        journal("voting2", vec![vote_line(20, 1, 101, "unknown")]),
    ];
    let r = audit(&[voted(1, 200, 101, 1)], &journals, ALL);
    let Verdict::Voted { voted_by, bits, .. } = &r.tickets[0].verdict else {
        panic!()
    };
    assert_eq!(voted_by.as_deref(), Some("voting2"));
    assert_eq!(bits, &BitsCheck::Mismatch { expected_bits: 5 });
    assert!(!r.clean());
}

#[test]
fn wallet_defaults_for_a_stale_vote_version_are_reported_not_a_mismatch() {
    let journals = [journal(
        "voting1",
        vec![
            prefs_line(10, 150, 5, 9),
            vote_line(20, 1, 101, "stale_version"),
        ],
    )];
    // Also a vote no journal has, for an owner whose preference is for version 9.
    let r = audit(
        &[voted(1, 200, 101, 1), voted(2, 210, 102, 1)],
        &journals,
        ALL,
    );
    for t in &r.tickets {
        assert_eq!(
            bits_of(&t.verdict),
            &BitsCheck::WalletDefaults {
                preference_version: Some(9)
            }
        );
    }
    assert_eq!(r.summary.wallet_defaults, 2);
    assert_eq!(r.summary.bit_mismatches, 0);
    assert!(r.clean());
}

#[test]
fn a_vote_no_journal_has_is_checked_against_the_preference_at_its_height() {
    let journals = [journal(
        "voting1",
        vec![prefs_line(10, 100, 5, 10), prefs_line(90, 300, 1, 10)],
    )];
    let r = audit(
        &[voted(1, 200, 101, 5), voted(2, 310, 102, 5)],
        &journals,
        ALL,
    );
    let Verdict::Voted { voted_by, bits, .. } = &r.tickets[0].verdict else {
        panic!()
    };
    assert_eq!(voted_by, &None);
    assert_eq!(bits, &BitsCheck::Match);
    assert_eq!(
        bits_of(&r.tickets[1].verdict),
        &BitsCheck::Mismatch { expected_bits: 1 }
    );
    assert_eq!(r.summary.not_in_any_journal, 2);
}

#[test]
fn without_a_journaled_preference_the_bits_are_unchecked() {
    let journals = [journal("voting1", vec![vote_line(20, 1, 101, "unknown")])];
    let r = audit(&[voted(1, 200, 101, 1)], &journals, ALL);
    assert_eq!(bits_of(&r.tickets[0].verdict), &BitsCheck::Unchecked);
    assert_eq!(r.summary.unchecked, 1);
    assert!(r.clean());
}

#[test]
fn misses_are_reported_with_the_journals_causes_and_fail_the_audit() {
    let journals = [
        journal(
            "voting1",
            vec![
                JournalEntry::NotVoted {
                    height: 300,
                    ticket: h(1),
                    cause: "wallet_locked".into(),
                    reason: "the wallet is locked".into(),
                },
                JournalEntry::Missed {
                    height: 401,
                    ticket: h(2),
                },
                JournalEntry::Missed {
                    height: 601,
                    ticket: h(4),
                },
            ],
        ),
        journal("voting2", vec![vote_line(20, 2, 202, "user")]),
    ];
    let not_revoked = PoolWinner {
        ticket: h(2),
        address: OWNER.into(),
        won_height: None,
        chain: ChainOutcome::Missed { revocation: None },
    };
    let unexplained = revoked(3, 500, 203);
    let r = audit(
        &[
            revoked(1, 300, 201),
            not_revoked,
            unexplained,
            revoked(4, 600, 204),
        ],
        &journals,
        ALL,
    );
    assert_eq!(r.tickets[0].height, Some(300));
    assert_eq!(
        r.tickets[0].verdict,
        Verdict::Revoked {
            revocation: h(201),
            causes: vec!["voting1: not voted (wallet_locked): the wallet is locked".to_owned()],
        }
    );
    // Dated by exccd's missed report (in the next block).
    assert_eq!(r.tickets[1].height, Some(400));
    assert_eq!(
        r.tickets[1].verdict,
        Verdict::Missed {
            causes: vec![format!(
                "voting2: its vote {} was accepted but never mined",
                h(202)
            )],
        }
    );
    let Verdict::Revoked { causes, .. } = &r.tickets[2].verdict else {
        panic!()
    };
    assert!(
        causes[0].starts_with("no journal explains it"),
        "{causes:?}"
    );
    let Verdict::Revoked { causes, .. } = &r.tickets[3].verdict else {
        panic!()
    };
    assert_eq!(
        causes,
        &[
            "voting1: exccd reported it missed at height 601; no vote attempt journaled (was the node's ticket list incomplete?)"
        ]
    );
    assert_eq!((r.summary.missed, r.summary.revoked), (1, 3));
    assert!(!r.clean());
}

#[test]
fn only_winners_in_the_range_count_and_undated_misses_always_do() {
    let undated = PoolWinner {
        ticket: h(9),
        address: OWNER.into(),
        won_height: None,
        chain: ChainOutcome::Missed { revocation: None },
    };
    let winners = [
        voted(3, 300, 103, 1),
        undated,
        voted(1, 100, 101, 1),
        voted(2, 200, 102, 1),
        revoked(4, 250, 104),
    ];
    let range = HeightRange {
        from: Some(150),
        to: Some(250),
    };
    let r = audit(&winners, &[], range);
    let got: Vec<(Option<u32>, ChainHash)> =
        r.tickets.iter().map(|t| (t.height, t.ticket)).collect();
    assert_eq!(
        got,
        vec![(Some(200), h(2)), (Some(250), h(4)), (None, h(9))]
    );
    assert_eq!(r.summary.pool_winners, 3);
    assert!(
        r.summary_line().starts_with(
            "3 pool winners in heights 150 to 250: 1 voted, 1 missed, 1 revoked, 0 bit mismatches"
        ),
        "{}",
        r.summary_line()
    );
}

#[test]
fn json_and_table_forms() {
    let journals = [
        journal("voting1", vec![prefs_line(10, 150, 5, 10)]),
        journal("voting2", vec![vote_line(20, 1, 101, "unknown")]),
    ];
    let r = audit(&[voted(1, 200, 101, 1)], &journals, ALL);
    let t = &r.tickets[0];
    assert_eq!(
        serde_json::to_value(t).unwrap(),
        json!({
            "ticket": h(1).to_string(),
            "address": OWNER,
            "height": 200,
            "outcome": "voted",
            "vote": h(101).to_string(),
            "vote_bits": 1,
            "vote_version": 10,
            "voted_by": "voting2",
            "bits": {"check": "mismatch", "expected_bits": 5}
        })
    );
    let line = t.line();
    assert!(line.contains("voted"), "{line}");
    assert!(line.contains("bits 0x0001 v10  by voting2"), "{line}");
    assert!(
        line.contains("BIT MISMATCH: the owner's preference was 0x0005"),
        "{line}"
    );
}
