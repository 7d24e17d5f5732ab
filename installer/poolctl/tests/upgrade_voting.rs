//! `poolctl upgrade` while the pool votes, on three real lab hosts: pool tickets win in every
//! block and blocks keep coming during a rolling upgrade of stakepoold; afterwards the chain
//! says that not one pool ticket was missed.
//!
//! The setup is the production flow (`pool_tests::lab`): users' 1-of-2 multisig addresses
//! are made from the pool key (derived from pool.toml's voting xpub, which poolctl synced
//! into every voting wallet) and imported on every voting node through stakepoold's gRPC
//! with the web service's client certificate from the pool CA; tickets pay the pool fee to
//! a cold-wallet address. Blocks are mined on voting1's exccd like exccd's miner does
//! (`pool_tests::traffic`): it waits up to `common::voting::VOTE_WAIT` for the votes of the tip's pool
//! winners, then mines whatever is there (a vote that is late is a missed ticket).
//!
//! Needs root (the lab). Not root: prints why and returns; as root (CI) it must run through.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use poolctl::lab::is_root;

mod common;
use common::voting::pool_with_tickets;
use common::{lab_pool, runtime, stakepoold_copy, stakepoold_path, text, with_stakepoold};

#[test]
fn no_ticket_missed_during_a_rolling_upgrade() {
    if !is_root() {
        eprintln!(
            "SKIPPED no_ticket_missed_during_a_rolling_upgrade: not root; the lab needs root (CI runs it as root)"
        );
        return;
    }
    let (_turn, _guard, _state, pool) = lab_pool(3);
    let root = pool_tests::test_dir("upgrade-voting");
    let rt = runtime();
    let mut traffic = rt.block_on(pool_with_tickets(&pool, root.path()));

    // The rolling upgrade to a differently-built stakepoold runs while blocks keep coming,
    // each with pool winners; the pool keeps buying what it spends.
    let good = std::fs::read_to_string(&pool).unwrap();
    let v2 = stakepoold_copy(&stakepoold_path(&good), "v2");
    std::fs::write(&pool, with_stakepoold(&good, &v2, "v2")).unwrap();
    let upgrading = Arc::new(AtomicBool::new(true));
    let upgrade = {
        let (pool, upgrading) = (pool.clone(), Arc::clone(&upgrading));
        std::thread::spawn(move || {
            let out = common::poolctl(&["upgrade", "-f", &pool]);
            upgrading.store(false, Ordering::SeqCst);
            out
        })
    };
    let first = traffic.pool_winners.len();
    let t = Instant::now();
    rt.block_on(async {
        while upgrading.load(Ordering::SeqCst) {
            traffic.block(5).await;
        }
        // The last upgraded host votes too.
        for _ in 0..3 {
            traffic.block(5).await;
        }
    });
    let out = upgrade.join().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    eprint!("{stderr}");
    assert!(out.status.success(), "upgrade failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("3 of 3 hosts upgraded one at a time and healthy"),
        "{stdout}"
    );
    let during = &traffic.pool_winners[first..];
    let won: usize = during.iter().map(|(_, n)| n).sum();
    eprintln!(
        "during the upgrade ({:.1}s): {} blocks, {won} pool winners, slowest votes {:.2}s",
        t.elapsed().as_secs_f32(),
        during.len(),
        traffic.slowest_votes.as_secs_f32()
    );
    assert!(
        during.len() >= 10,
        "only {} blocks were mined during the upgrade",
        during.len()
    );
    assert!(
        during.iter().all(|(_, n)| *n > 0),
        "a block without pool winners (the test's premise): {during:?}"
    );
    let missed = rt.block_on(traffic.missed_pool_tickets());
    assert!(missed.is_empty(), "pool tickets missed: {missed:?}");
    std::fs::write(&pool, &good).unwrap();
    std::fs::remove_file(&v2).unwrap();
}
