//! `poolctl audit votes` against a real chain (the simulator) and the journals of real
//! stakepoolds: a clean run, real misses (the wallet locked while pool tickets win) and
//! real bit mismatches (a second voting node that was never sent the users' preferences).

use std::collections::{HashMap, HashSet};

use excc_chain::ChainHash;
use pool_tests::rig::{Rig, RigOptions, host_journal, journal};
use pool_tests::traffic::SVH;
use pool_tests::wait_for;
use poolctl::audit::{BitsCheck, HeightRange, Report, Verdict};
use serde_json::json;

const ALL: HeightRange = HeightRange {
    from: None,
    to: None,
};

/// Pool tickets that won in the blocks mined so far (their votes, or misses, are in).
fn pool_winners(rig: &Rig) -> usize {
    rig.traffic.pool_winners.iter().map(|(_, n)| n).sum()
}

/// The vote bits the rig's user with this multisig address chose.
fn owner_bits(rig: &Rig, address: &str) -> u16 {
    rig.users
        .iter()
        .find(|u| u.multisig == address)
        .unwrap_or_else(|| panic!("{address} is not a pool user"))
        .vote_bits
}

/// Every pool winner so far voted by voting1 with its owner's preference; nothing missed.
fn all_voted_with_their_owners_preference(rig: &Rig, report: &Report) {
    assert!(report.clean(), "{}", report.summary_line());
    let s = &report.summary;
    assert_eq!(s.pool_winners, pool_winners(rig));
    assert!(s.pool_winners > 0, "{}", report.summary_line());
    assert_eq!((s.voted, s.missed, s.revoked), (s.pool_winners, 0, 0));
    assert_eq!(s.bit_mismatches, 0);
    for t in &report.tickets {
        let Verdict::Voted {
            vote_bits,
            vote_version,
            voted_by,
            bits,
            ..
        } = &t.verdict
        else {
            panic!("not voted: {}", t.line());
        };
        assert_eq!(*vote_bits, owner_bits(rig, &t.address), "{}", t.line());
        assert_eq!(*vote_version, 10, "{}", t.line());
        assert_eq!(voted_by.as_deref(), Some("voting1"), "{}", t.line());
        assert_eq!(bits, &BitsCheck::Match, "{}", t.line());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pool_winner_is_voted_with_its_owners_preference() {
    let dir = pool_tests::test_dir("audit-clean");
    let mut rig = Rig::start(dir.path(), RigOptions::default()).await;
    rig.traffic.to_pool_voting(10, 4).await;
    let journals = [host_journal(&rig.spd, "voting1")];
    let report = rig.audit(&journals, ALL).await;
    eprintln!("{}", report.summary_line());

    all_voted_with_their_owners_preference(&rig, &report);

    // A range keeps exactly the winners of its heights.
    let heights: Vec<u32> = report.tickets.iter().filter_map(|t| t.height).collect();
    let (from, to) = (heights[1], heights[heights.len() - 2]);
    let part = rig
        .audit(
            &journals,
            HeightRange {
                from: Some(from),
                to: Some(to),
            },
        )
        .await;
    let expected = heights.iter().filter(|h| (from..=to).contains(*h)).count();
    assert_eq!(part.tickets.len(), expected);
    assert!(
        part.tickets
            .iter()
            .all(|t| t.height.is_some_and(|h| (from..=to).contains(&h)))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_transaction_index_votes_are_read_through_the_wallet() {
    let dir = pool_tests::test_dir("audit-notxindex");
    let opts = RigOptions {
        txindex: false,
        ..Default::default()
    };
    let mut rig = Rig::start(dir.path(), opts).await;
    rig.traffic.to_pool_voting(10, 2).await;
    let report = rig.audit(&[host_journal(&rig.spd, "voting1")], ALL).await;
    eprintln!("{}", report.summary_line());
    all_voted_with_their_owners_preference(&rig, &report);
}

/// Mines to `height` with the filler's steady schedule (the live pool stays full), the
/// pool buying one ticket a block from stake validation on.
async fn steady_chain_to(rig: &mut Rig, height: u64) {
    loop {
        let tip = rig.node().ok("getblockcount", json!([])).await;
        let tip = tip.as_u64().unwrap();
        if tip >= height {
            return;
        }
        rig.traffic.block(u64::from(tip >= SVH)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_added_low_fee_ticket_is_audited_like_the_others() {
    let dir = pool_tests::test_dir("audit-low-fee");
    let mut rig = Rig::start(dir.path(), RigOptions::default()).await;
    steady_chain_to(&mut rig, SVH).await;
    // User 1 buys tickets paying 1 % instead of the pool's 7.5 %; an admin adds them.
    let user = rig.users[1].clone();
    let low: HashSet<ChainHash> = rig.add_low_fee_tickets(1, 6).await.into_iter().collect();
    // Until one of them has won and its vote is mined.
    let voted_low = |rig: &Rig| {
        let j = journal(&rig.spd);
        j.iter()
            .filter(|e| e["kind"] == "vote")
            .filter_map(|e| e["ticket"].as_str()?.parse::<ChainHash>().ok())
            .filter(|t| low.contains(t))
            .count()
    };
    for _ in 0..120 {
        if voted_low(&rig) > 0 {
            break;
        }
        rig.traffic.block(1).await;
    }
    assert!(voted_low(&rig) > 0, "no low-fee ticket won in 120 blocks");
    rig.traffic.block(1).await;

    let report = rig.audit(&[host_journal(&rig.spd, "voting1")], ALL).await;
    eprintln!("{}", report.summary_line());
    all_voted_with_their_owners_preference(&rig, &report);
    let audited_low = report
        .tickets
        .iter()
        .filter(|t| low.contains(&t.ticket))
        .count();
    assert!(audited_low >= 1, "{}", report.summary_line());
    // The wallet lists them under `invalid` only: the journal is what brought them in.
    let info = rig
        .wallet
        .ok("stakepooluserinfo", json!([user.multisig]))
        .await;
    let listed = info["tickets"].as_array().unwrap();
    assert!(
        listed
            .iter()
            .all(|t| !low.contains(&t["ticket"].as_str().unwrap().parse().unwrap()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn winners_missed_while_the_wallet_was_locked_are_reported_with_the_cause() {
    let dir = pool_tests::test_dir("audit-locked");
    let mut rig = Rig::start(dir.path(), RigOptions::default()).await;
    // Stakers outside the pool keep the live pool full (the filler's steady schedule) and
    // the pool buys one ticket a block, so pool tickets are a minority of each block's
    // winners and blocks can be mined without their votes.
    steady_chain_to(&mut rig, SVH + 20).await;
    // Pool tickets win in blocks mined while the wallet is locked. Should most of a tip's
    // winners be the pool's, the block cannot be mined without their votes: then the
    // wallet is unlocked and stakepoold restarted (it may have given them up already; at
    // start it asks exccd for the tip's winners again), the block mined, and the lock
    // goes on.
    let journals = |rig: &Rig| [host_journal(&rig.spd, "voting1")];
    for _ in 0..40 {
        let s = rig.audit(&journals(&rig), ALL).await.summary;
        if s.missed + s.revoked >= 2 {
            break;
        }
        rig.wallet.ok("walletlock", json!([])).await;
        if let Err(refused) = rig.traffic.try_block(1).await {
            eprintln!("{}: voting this block", refused.error);
            rig.wallet
                .ok("walletpassphrase", json!(["password", 0]))
                .await;
            rig.spd.restart().await;
            rig.traffic.mine_refused(refused).await;
        }
    }
    rig.wallet
        .ok("walletpassphrase", json!(["password", 0]))
        .await;
    wait_for(20, "healthy after unlock", || async {
        (rig.spd.health().await["healthy"] == json!(true)).then_some(())
    })
    .await;
    // Two more blocks: the misses are revoked, the winners after the unlock voted.
    rig.pool_wins(1).await;
    rig.traffic.block(0).await;

    let report = rig.audit(&[host_journal(&rig.spd, "voting1")], ALL).await;
    eprintln!("{}", report.summary_line());
    let s = &report.summary;
    assert!(!report.clean());
    assert!(s.missed + s.revoked >= 1, "{}", report.summary_line());
    assert_eq!(s.voted + s.missed + s.revoked, pool_winners(&rig));
    assert_eq!(s.bit_mismatches, 0);

    // Every winner stakepoold gave up on (and did not vote after a restart) is a miss in
    // the chain, explained by the lock; every miss is explained by the journal.
    let voted: HashSet<ChainHash> = report
        .tickets
        .iter()
        .filter(|t| matches!(t.verdict, Verdict::Voted { .. }))
        .map(|t| t.ticket)
        .collect();
    let given_up: HashMap<ChainHash, u32> = journal(&rig.spd)
        .iter()
        .filter(|e| e["kind"] == "not_voted")
        .map(|e| {
            let ticket = e["ticket"].as_str().unwrap().parse().unwrap();
            (ticket, e["height"].as_u64().unwrap() as u32)
        })
        .filter(|(t, _)| !voted.contains(t))
        .collect();
    assert!(!given_up.is_empty());
    let mut locked = 0;
    for t in &report.tickets {
        let causes = match &t.verdict {
            Verdict::Missed { causes } | Verdict::Revoked { causes, .. } => causes,
            Verdict::Voted { .. } => continue,
        };
        assert!(
            !causes[0].starts_with("no journal explains it"),
            "{}",
            t.line()
        );
        if let Some(height) = given_up.get(&t.ticket) {
            locked += 1;
            // The winning height the chain gives (revocation height - 2) is the one
            // stakepoold gave the ticket up at.
            assert_eq!(t.height, Some(*height), "{}", t.line());
            assert!(
                causes
                    .iter()
                    .any(|c| c.starts_with("voting1: not voted (wallet_locked)")),
                "{}",
                t.line()
            );
        }
    }
    assert_eq!(locked, given_up.len(), "every ticket given up is a miss");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voting_node_without_the_users_preferences_makes_bit_mismatches() {
    let dir = pool_tests::test_dir("audit-second-voter");
    let mut rig = Rig::start(dir.path(), RigOptions::default()).await;
    let (_wallet2, spd2) = rig.second_voter(dir.path()).await;
    // Only the node that never got the preferences votes: wallet defaults for everyone.
    rig.spd.stop();
    rig.traffic.to_pool_voting(10, 6).await;
    let journals = |rig: &Rig| {
        [
            host_journal(&rig.spd, "voting1"),
            host_journal(&spd2, "voting2"),
        ]
    };
    let mut report = rig.audit(&journals(&rig), ALL).await;
    // Until a user whose preference is not the wallet's default has won.
    for _ in 0..20 {
        if report.summary.bit_mismatches > 0 {
            break;
        }
        rig.pool_wins(1).await;
        report = rig.audit(&journals(&rig), ALL).await;
    }
    eprintln!("{}", report.summary_line());
    assert_eq!(report.summary.voted, pool_winners(&rig));

    let mut defaults = HashSet::new();
    let mut mismatches = 0;
    for t in &report.tickets {
        let Verdict::Voted {
            vote_bits,
            voted_by,
            bits,
            ..
        } = &t.verdict
        else {
            panic!("not voted: {}", t.line());
        };
        assert_eq!(voted_by.as_deref(), Some("voting2"), "{}", t.line());
        defaults.insert(*vote_bits);
        let preference = owner_bits(&rig, &t.address);
        if preference == *vote_bits {
            assert_eq!(bits, &BitsCheck::Match, "{}", t.line());
        } else {
            mismatches += 1;
            assert_eq!(
                bits,
                &BitsCheck::Mismatch {
                    expected_bits: preference
                },
                "{}",
                t.line()
            );
        }
    }
    assert_eq!(
        defaults.len(),
        1,
        "every vote has the wallet's default bits"
    );
    assert_eq!(report.summary.bit_mismatches, mismatches);
    let owners_off_default = report
        .tickets
        .iter()
        .filter(|t| !defaults.contains(&owner_bits(&rig, &t.address)))
        .count();
    assert_eq!(mismatches, owners_off_default);
    assert!(mismatches >= 1, "{}", report.summary_line());
    assert!(!report.clean());
}
