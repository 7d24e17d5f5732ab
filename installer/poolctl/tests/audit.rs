//! `poolctl audit votes` on two real lab hosts: pool tickets win and both stakepoolds vote
//! (`pool_tests::lab` users, blocks mined on voting1's exccd); the audit reads every
//! host's journal and the chain through a healthy host over SSH and finds every winner
//! voted with its owner's preference; a range narrows it; an unreachable host is a one-line
//! error.
//!
//! The lab test needs root. Not root: it prints why and returns; as root (CI) it must run
//! through.

use std::collections::HashSet;

use poolctl::lab::is_root;

mod common;
use common::voting::pool_with_tickets;
use common::{expect, lab_pool, poolctl, runtime, text};

#[test]
fn an_empty_range_is_refused_before_anything_is_read() {
    let out = poolctl(&[
        "audit",
        "votes",
        "-f",
        "/nonexistent/pool.toml",
        "--from",
        "200",
        "--to",
        "100",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "poolctl: error: --from 200 is above --to 100: the range is empty\n"
    );
}

#[test]
fn audit_of_a_voting_lab_pool() {
    if !is_root() {
        eprintln!(
            "SKIPPED audit_of_a_voting_lab_pool: not root; the lab needs root (CI runs it as root)"
        );
        return;
    }
    let (_turn, _guard, state, pool) = lab_pool(2);
    let root = pool_tests::test_dir("audit-lab");
    let rt = runtime();
    let mut traffic = rt.block_on(pool_with_tickets(&pool, root.path()));
    rt.block_on(async {
        for _ in 0..3 {
            traffic.block(5).await;
        }
    });
    let winners: usize = traffic.pool_winners.iter().map(|(_, n)| n).sum();

    let table = expect(0, &["audit", "votes", "-f", &pool]);
    eprint!("{table}");
    let summary = table.lines().last().unwrap();
    assert!(
        summary.starts_with(&format!(
            "{winners} pool winners in the whole chain: {winners} voted, 0 missed, 0 revoked, 0 bit mismatches"
        )),
        "{table}"
    );
    let sources = table.lines().next().unwrap();
    assert!(
        sources.starts_with("chain and wallet read through voting")
            && sources.contains("journals: voting1 ")
            && sources.contains(", voting2 ")
            && !sources.contains("unreadable"),
        "{table}"
    );

    let json = expect(0, &["audit", "votes", "-f", &pool, "--json"]);
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (tickets, last) = lines.split_at(lines.len() - 1);
    assert_eq!(tickets.len(), winners);
    assert_eq!(last[0]["summary"]["voted"], winners);
    let mut voters = HashSet::new();
    for t in tickets {
        assert_eq!(t["outcome"], "voted", "{t}");
        // The lab users' preference is bits 1, version 10 (pool_tests::lab::add_users).
        assert_eq!(t["vote_bits"], 1, "{t}");
        assert_eq!(t["bits"]["check"], "match", "{t}");
        voters.insert(t["voted_by"].as_str().unwrap().to_owned());
    }
    assert!(
        voters.iter().all(|v| v == "voting1" || v == "voting2"),
        "{voters:?}"
    );

    // A range keeps the winners of its heights only.
    let mut heights: Vec<u64> = tickets
        .iter()
        .map(|t| t["height"].as_u64().unwrap())
        .collect();
    heights.sort();
    let from = heights[heights.len() / 2];
    let part = expect(
        0,
        &[
            "audit",
            "votes",
            "-f",
            &pool,
            "--json",
            "--from",
            &from.to_string(),
        ],
    );
    let in_range = heights.iter().filter(|h| **h >= from).count();
    assert_eq!(part.lines().count() - 1, in_range, "{part}");

    // A host that cannot be reached: one line naming it, exit 1.
    let good = std::fs::read_to_string(&pool).unwrap();
    let key = state.hosts[0].host_key_fingerprint.to_string();
    std::fs::write(
        &pool,
        format!("{good}\n[[hosts]]\nname = \"voting9\"\naddress = \"10.231.0.99\"\nhost_key = \"{key}\"\n"),
    )
    .unwrap();
    let out = poolctl(&["audit", "votes", "-f", &pool]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("poolctl: error: ")
            && stderr.contains("cannot reach voting9 (10.231.0.99:22)"),
        "{stderr}"
    );
    std::fs::write(&pool, &good).unwrap();
}
