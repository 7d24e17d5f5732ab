//! stakepoold against the behaviours of the real exccd/exccwallet 2.7.6 that
//! the simulator reproduces (see the fixtures' README): no transaction index,
//! a locked wallet's unsigned multisig votes, another voting node's vote
//! already in, and an exccd restart.

use pool_tests::rig::{Rig, RigOptions, journal, metric};
use pool_tests::wait_for;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_through_the_wallet_when_exccd_has_no_transaction_index() {
    let dir = pool_tests::test_dir("spd-notxindex");
    let mut rig = Rig::start(
        dir.path(),
        RigOptions {
            txindex: false,
            ..Default::default()
        },
    )
    .await;
    rig.traffic.to_pool_voting(10, 4).await;
    assert_eq!(rig.traffic.missed_pool_tickets().await, vec![]);
    assert!(metric(&rig.spd, "stakepoold_votes_cast_total").await >= 4);
    let health = rig.spd.health().await;
    assert_eq!(health["node_txindex"], json!(false), "{health}");
    assert_eq!(health["healthy"], json!(true), "{health}");
    assert!(
        rig.spd
            .proc
            .log_text()
            .contains("exccd runs without a transaction index"),
        "the operator is told about the missing txindex"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_wallets_unsigned_vote_is_never_sent_and_the_lock_is_the_reported_cause() {
    let dir = pool_tests::test_dir("spd-locked");
    let mut rig = Rig::start(dir.path(), RigOptions::default()).await;
    rig.traffic.to_pool_voting(2, 1).await;
    // Other stakers keep most of the live pool, so blocks can be mined without the
    // pool's votes while its wallet is locked.
    rig.traffic.filler.schedule = |_| 8;
    rig.wallet.ok("walletlock", json!([])).await;
    // Two blocks mined over unvoted pool winners: they are given up when the tip moves.
    // (A block whose winners are mostly the pool's cannot be mined without them: it is
    // mined after a short unlock.)
    let mut given_up = 0;
    while given_up < 2 {
        match rig.traffic.try_block(2).await {
            Ok((_, n)) => given_up += usize::from(n > 0),
            Err(refused) => {
                rig.wallet
                    .ok("walletpassphrase", json!(["password", 0]))
                    .await;
                rig.traffic.mine_refused(refused).await;
                rig.wallet.ok("walletlock", json!([])).await;
            }
        }
    }
    let not_voted = journal(&rig.spd)
        .into_iter()
        .filter(|e| e["kind"] == "not_voted")
        .collect::<Vec<_>>();
    assert!(!not_voted.is_empty(), "a missed winner is journaled");
    assert!(
        not_voted.iter().all(|e| e["cause"] == "wallet_locked"),
        "{not_voted:?}"
    );
    assert!(
        metric(
            &rig.spd,
            "stakepoold_winners_not_voted_total{cause=\"wallet_locked\"}"
        )
        .await
            >= 1
    );
    // Nothing unsigned reached exccd (it would refuse "index 0 is invalid for stack size 0").
    assert_eq!(
        metric(&rig.spd, "stakepoold_rpc_errors_total{target=\"exccd\"}").await,
        0
    );
    assert!(!rig.spd.proc.log_text().contains("stack size 0"));
    let health = rig.spd.health().await;
    assert_eq!(health["healthy"], json!(false));
    assert!(
        health["problems"].to_string().contains("locked"),
        "{health}"
    );

    rig.wallet
        .ok("walletpassphrase", json!(["password", 0]))
        .await;
    let missed_before = rig.traffic.missed_pool_tickets().await.len();
    wait_for(20, "healthy after unlock", || async {
        (rig.spd.health().await["healthy"] == json!(true)).then_some(())
    })
    .await;
    // Two pool wins and one more block. The pool's votes may take longer than the rig's
    // 3 s wait on a loaded machine (seven rigs run at once): exccd then refuses the block
    // until they are in, and it is mined as soon as they are (within 10 s); a vote that
    // never came fails here, and a missed one fails the count below.
    let mut wins = 0;
    while wins < 3 {
        let (_, n) = match rig.traffic.try_block(if wins < 2 { 5 } else { 0 }).await {
            Ok(mined) => mined,
            Err(refused) => rig.traffic.mine_refused(refused).await,
        };
        wins += usize::from(n > 0 || wins == 2);
    }
    let missed_after = rig.traffic.missed_pool_tickets().await.len();
    assert!(
        missed_after <= missed_before,
        "no pool ticket missed once unlocked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_voting_nodes_vote_counts_as_voted_not_as_a_failure() {
    let dir = pool_tests::test_dir("spd-two-voters");
    let mut rig = Rig::start(dir.path(), RigOptions::default()).await;
    let (_wallet2, spd2) = rig.second_voter(dir.path()).await;
    rig.traffic.to_pool_voting(10, 6).await;
    rig.traffic.block(0).await;
    assert_eq!(rig.traffic.missed_pool_tickets().await, vec![]);
    let failed = metric(&rig.spd, "stakepoold_votes_failed_total").await
        + metric(&spd2, "stakepoold_votes_failed_total").await;
    let duplicate = metric(&rig.spd, "stakepoold_votes_duplicate_total").await
        + metric(&spd2, "stakepoold_votes_duplicate_total").await;
    assert_eq!(failed, 0, "the other node's vote is not a failure");
    assert!(
        duplicate >= 6,
        "each pool winner: one vote, one duplicate ({duplicate})"
    );
    // The two nodes' votes differ for users with other bits than the wallet
    // default, so some answers were "already votes on block".
    let logs = rig.spd.proc.log_text() + &spd2.proc.log_text();
    assert!(!logs.contains("vote failed"), "{logs}");
    let elsewhere = journal(&rig.spd)
        .into_iter()
        .chain(journal(&spd2))
        .filter(|e| e["kind"] == "voted_elsewhere")
        .count();
    // Read after the metrics: a vote of the last block may have been journaled since.
    assert!(elsewhere as u64 >= duplicate, "{elsewhere} < {duplicate}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_exccd_restart_the_next_winners_are_voted_at_once() {
    let dir = pool_tests::test_dir("spd-exccd-restart");
    let mut rig = Rig::start(dir.path(), RigOptions::default()).await;
    rig.traffic.to_pool_voting(10, 2).await;
    rig.traffic.node.stop();
    wait_for(10, "unhealthy while exccd is down", || async {
        (rig.spd.health().await["healthy"] == json!(false)).then_some(())
    })
    .await;
    // Until the websocket's reconnect backoff has grown to 16 s (five failed attempts:
    // 1, 2, 4, 8 s apart).
    wait_for(40, "five failed websocket reconnects", || async {
        (rig.spd
            .proc
            .log_text()
            .matches("websocket connect failed")
            .count()
            >= 5)
            .then_some(())
    })
    .await;
    rig.traffic.node.start_again().await;
    // A winner is votable only until the next block: the notifications must
    // come back as soon as exccd answers, not after the backoff.
    wait_for(
        5,
        "notifications back within 5 s of exccd answering",
        || async {
            (rig.spd.health().await["notifications_connected"] == json!(true)).then_some(())
        },
    )
    .await;
    let missed_before = rig.traffic.missed_pool_tickets().await.len();
    // Blocks right after the restart: every pool winner is voted in time.
    rig.pool_wins(3).await;
    rig.traffic.block(0).await;
    assert_eq!(
        rig.traffic.missed_pool_tickets().await.len(),
        missed_before,
        "a pool ticket was missed after exccd restarted"
    );
    let health = rig.spd.health().await;
    assert_eq!(health["notifications_connected"], json!(true), "{health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incompatible_exccd_or_exccwallet_api_is_refused_at_start_and_after_a_reconnect() {
    use pool_tests::rig::VotingNode;
    use pool_tests::stakepoold::Stakepoold;
    let dir = pool_tests::test_dir("spd-api-version");
    let root = dir.path();
    let VotingNode {
        node,
        cold_xpub,
        wallet,
        pki,
        ..
    } = VotingNode::start(root, true).await;

    // At start: refused, naming the daemon, its version and what is needed.
    wallet.ok("simnet_setapiversion", json!(["9.0.0"])).await;
    let (ok, log) =
        Stakepoold::run_expecting_exit(root, "spd-refused", &pki, &node, &wallet, &cold_xpub).await;
    assert!(!ok, "stakepoold ran beside an incompatible wallet:\n{log}");
    assert!(
        log.contains("exccwallet's JSON-RPC API is 9.0.0") && log.contains("needs 8.x"),
        "{log}"
    );

    // Running, then exccd comes back with another major: unhealthy, not voting.
    wallet.ok("simnet_setapiversion", json!(["8.9.0"])).await;
    let spd = Stakepoold::start(root, "stakepoold", &pki, &node, &wallet, &cold_xpub).await;
    wait_for(20, "healthy", || async {
        (spd.health().await["healthy"] == json!(true)).then_some(())
    })
    .await;
    node.ok("simnet_setapiversion", json!(["8.0.0"])).await;
    node.ok("simnet_closewebsockets", json!([])).await;
    wait_for(
        20,
        "unhealthy after reconnecting to an incompatible exccd",
        || async {
            let h = spd.health().await;
            (h["healthy"] == json!(false)
                && h["problems"]
                    .to_string()
                    .contains("exccd's JSON-RPC API is 8.0.0"))
            .then_some(())
        },
    )
    .await;
    node.ok("simnet_setapiversion", json!(["7.0.0"])).await;
    node.ok("simnet_closewebsockets", json!([])).await;
    wait_for(20, "healthy again with a compatible exccd", || async {
        (spd.health().await["healthy"] == json!(true)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_low_fee_ticket_that_was_voted_is_reported_voted_not_invalid() {
    use stakepoold_proto::v1 as pb;
    let dir = pool_tests::test_dir("spd-low-fee-voted");
    let mut rig = Rig::start(dir.path(), RigOptions::default()).await;
    rig.traffic.to_pool_voting(10, 1).await;
    let multisig = rig.users[0].multisig.clone();
    let low: Vec<String> = rig
        .add_low_fee_tickets(0, 10)
        .await
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut api = rig
        .pki
        .client(rig.spd.grpc_port, "web", None)
        .await
        .unwrap();
    // Mine until stakepoold voted one of them, then one block more (the vote is mined).
    let voted = loop {
        // Five pool tickets bought a block keep the live pool from draining.
        rig.traffic.block(5).await;
        let found = journal(&rig.spd)
            .into_iter()
            .find(|e| e["kind"] == "vote" && low.iter().any(|t| e["ticket"] == json!(t)));
        if let Some(e) = found {
            break e;
        }
    };
    rig.traffic.block(0).await;
    let info = api
        .stake_pool_user_info(pb::StakePoolUserInfoRequest {
            multisig_address: multisig,
        })
        .await
        .unwrap()
        .into_inner();
    let ticket = voted["ticket"].as_str().unwrap();
    assert!(
        !info.invalid_tickets.iter().any(|t| t == ticket),
        "a voted low-fee ticket is not 'not voted': {info:?}"
    );
    let listed = info
        .tickets
        .iter()
        .find(|t| t.ticket == ticket)
        .unwrap_or_else(|| panic!("the voted low-fee ticket is listed: {info:?}"));
    assert_eq!(listed.status, "voted");
    assert_eq!(listed.spent_by, voted["vote"].as_str().unwrap());
    // The other low-fee tickets (not voted yet) are still listed as such.
    assert!(info.invalid_tickets.iter().any(|t| low.contains(t)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tips_winners_are_retried_for_as_long_as_it_is_the_tip() {
    let dir = pool_tests::test_dir("spd-long-lock");
    let mut rig = Rig::start(dir.path(), RigOptions::default()).await;
    // Pool tickets are most of the live pool: a block needs the pool's votes.
    rig.traffic.to_pool_voting(20, 1).await;
    rig.wallet.ok("walletlock", json!([])).await;
    let refused = loop {
        match rig.traffic.try_block(5).await {
            Err(refused) => break refused,
            Ok(_) => continue,
        }
    };
    // Locked for longer than the fast retries (20 × 0.5 s): the tip's winners must still
    // be voted once the wallet is unlocked, so the chain goes on.
    wait_for(40, "retries past the fast ones", || async {
        rig.spd.proc.log_text().contains("attempt=21").then_some(())
    })
    .await;
    rig.wallet
        .ok("walletpassphrase", json!(["password", 0]))
        .await;
    rig.traffic.mine_refused(refused).await;
    rig.traffic.block(0).await;
    assert!(metric(&rig.spd, "stakepoold_votes_cast_total").await > 0);
}
