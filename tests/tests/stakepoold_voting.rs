//! stakepoold against the simulated network, all separate processes over TLS:
//! users with different vote bits, pool tickets (some low-fee), mining past
//! stake validation height. Every eligible winner must be voted with its
//! owner's vote bits; low-fee tickets only once an admin added them; nothing
//! else is ever missed, also across restarts of stakepoold and the wallet.

use std::collections::{HashMap, HashSet};

use excc_chain::ChainHash;
use pool_tests::filler::{Filler, Tip, hashes};
use pool_tests::simnet::{Daemon, mempool_votes, start_node, start_pool_wallet, start_wallet};
use pool_tests::stakepoold::{PoolPki, Stakepoold};
use pool_tests::wait_for;
use serde_json::json;
use stakepoold_proto::v1 as pb;

struct User {
    id: i64,
    multisig: String,
    vote_bits: u32,
    vote_bits_version: u32,
}

/// Expected vote bits of a pool ticket (wallet default 1 for stale preferences).
fn expected_bits(u: &User) -> u16 {
    if u.vote_bits_version == 10 {
        u.vote_bits as u16
    } else {
        1
    }
}

/// Pool tickets the chain recorded as missed (before their automatic revocation).
async fn missed_pool_tickets(node: &Daemon, multisigs: &[String]) -> HashSet<ChainHash> {
    let all = node.ok("simnet_tickets", json!([multisigs])).await;
    all.as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "missed")
        .map(|t| t["ticket"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// Mines one block on `node`: the filler wallet votes its own winners, the test
/// waits until stakepoold's votes for every `votable` winner are in the mempool
/// with the right bits, then `generate`s. Returns the pool winners of the block.
async fn mine_one(
    node: &Daemon,
    filler: &mut Filler,
    bits_of: &HashMap<ChainHash, u16>,
    votable: &HashSet<ChainHash>,
) -> Vec<ChainHash> {
    let Tip {
        height, winners, ..
    } = filler.prepare_block(node).await;
    let expect: Vec<ChainHash> = winners
        .iter()
        .filter(|w| votable.contains(w))
        .copied()
        .collect();
    let votes = wait_for(
        20,
        &format!("stakepoold's votes at height {height} for {expect:?}"),
        || async {
            let votes = mempool_votes(node).await;
            let seen: HashSet<ChainHash> = votes.iter().map(|v| v.ticket).collect();
            expect.iter().all(|t| seen.contains(t)).then_some(votes)
        },
    )
    .await;
    for v in votes.iter().filter(|v| bits_of.contains_key(&v.ticket)) {
        assert!(
            votable.contains(&v.ticket),
            "ticket {} was voted but is not eligible",
            v.ticket
        );
        assert_eq!(
            v.vote_bits, bits_of[&v.ticket],
            "vote bits of pool ticket {}",
            v.ticket
        );
    }
    node.ok("generate", json!([1])).await;
    winners
        .into_iter()
        .filter(|w| bits_of.contains_key(w))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_eligible_winner_is_voted_with_its_owners_bits_across_restarts() {
    let root = pool_tests::test_dir("stakepoold-voting");
    let root = root.path();
    let node = start_node(root, "node", &[]).await;
    let cold = start_wallet(root, "cold", &node, &["--createtemp".into()]).await;
    let cold_xpub = cold.ok_str("getmasterpubkey", json!(["default"])).await;
    let fee_addr = cold
        .ok_str("getnewaddress", json!(["default", "ignore"]))
        .await;
    let filler = start_wallet(root, "filler", &node, &["--createtemp".into()]).await;
    filler.ok("walletpassphrase", json!(["password", 0])).await;
    let mut filler = Filler::new(filler);
    let users_wallet = start_wallet(root, "users", &node, &["--createtemp".into()]).await;
    users_wallet
        .ok("walletpassphrase", json!(["password", 0]))
        .await;
    let mut wallet = start_pool_wallet(root, "voting-wallet", &node, &cold_xpub).await;
    // The second voting node: its own exccd (a peer of the first) and a voting
    // wallet restored from the same seed.
    let node2_args = [
        format!("--connect={}", node.addr),
        format!("--peercafile={}", node.cert.display()),
    ];
    let node2 = start_node(root, "node2", &node2_args).await;
    let wallet2 = start_pool_wallet(root, "voting-wallet2", &node2, &cold_xpub).await;

    // Filler tickets (not the pool's) keep blocks coming; the filler wallet votes them.
    while node.ok("getblockcount", json!([])).await.as_u64().unwrap() < 143 {
        let none = HashMap::new();
        mine_one(&node, &mut filler, &none, &HashSet::new()).await;
    }

    // Three users: 1-of-2 multisig (pool key first), imported into the voting wallet.
    let mut users = Vec::new();
    for (id, vote_bits, vote_bits_version) in [(1, 1, 10), (2, 0, 10), (3, 0, 9)] {
        let pool_addr = wallet
            .ok_str("getnewaddress", json!(["default", "ignore"]))
            .await;
        let pool_pka = wallet.ok("validateaddress", json!([pool_addr])).await["pubkeyaddr"].clone();
        let user_addr = users_wallet
            .ok_str("getnewaddress", json!(["default", "ignore"]))
            .await;
        let user_pka =
            users_wallet.ok("validateaddress", json!([user_addr])).await["pubkeyaddr"].clone();
        let ms = wallet
            .ok("createmultisig", json!([1, [pool_pka, user_pka]]))
            .await;
        wallet
            .ok("importscript", json!([ms["redeemScript"], true, 143]))
            .await;
        // The second voting wallet learns the script and the pool key's index
        // (poolctl's voting-account address sync does this in production).
        wallet2
            .ok("importscript", json!([ms["redeemScript"], true, 143]))
            .await;
        let index = wallet
            .ok("accountaddressindex", json!(["default", 0]))
            .await;
        wallet2
            .ok("accountsyncaddressindex", json!(["default", 0, index]))
            .await;
        users.push(User {
            id,
            multisig: ms["address"].as_str().unwrap().into(),
            vote_bits,
            vote_bits_version,
        });
    }

    let pki = PoolPki::new(&root.join("pki"));
    let mut spd = Stakepoold::start(root, "stakepoold", &pki, &node, &wallet, &cold_xpub).await;
    let mut api = pki
        .client(spd.grpc_port, "web", None)
        .await
        .expect("gRPC client");
    let prefs: Vec<pb::UserVotingPrefs> = users
        .iter()
        .map(|u| pb::UserVotingPrefs {
            user_id: u.id,
            multisig_address: u.multisig.clone(),
            vote_bits: u.vote_bits,
            vote_bits_version: u.vote_bits_version,
        })
        .collect();
    api.set_user_voting_prefs(pb::SetUserVotingPrefsRequest {
        users: prefs.clone(),
    })
    .await
    .unwrap();
    let spd2 = Stakepoold::start(root, "stakepoold2", &pki, &node2, &wallet2, &cold_xpub).await;
    let mut api2 = pki
        .client(spd2.grpc_port, "web", None)
        .await
        .expect("gRPC client 2");
    api2.set_user_voting_prefs(pb::SetUserVotingPrefsRequest { users: prefs })
        .await
        .unwrap();

    // Pool tickets: fee-paying ones for everyone, and two low-fee ones for user 2.
    let mut bits_of = HashMap::new();
    let mut votable = HashSet::new();
    for u in &users {
        let t = users_wallet
            .ok(
                "purchaseticket",
                json!(["default", 1000, 1, u.multisig, 3, fee_addr, 7.5]),
            )
            .await;
        for h in hashes(&t) {
            bits_of.insert(h, expected_bits(u));
            votable.insert(h);
        }
    }
    let low = hashes(
        &users_wallet
            .ok(
                "purchaseticket",
                json!(["default", 1000, 1, users[1].multisig, 2, fee_addr, 1.0]),
            )
            .await,
    );
    for h in &low {
        bits_of.insert(*h, expected_bits(&users[1]));
    }

    // Mature them (16 blocks) and let stakepoold classify them.
    let mut pool_winners: Vec<ChainHash> = Vec::new();
    for _ in 0..17 {
        pool_winners.extend(mine_one(&node, &mut filler, &bits_of, &votable).await);
    }
    let ignored = wait_for(20, "the low-fee tickets to be ignored", || async {
        let mut api = api.clone();
        let r = api
            .get_ignored_low_fee_tickets(pb::GetIgnoredLowFeeTicketsRequest {})
            .await
            .ok()?
            .into_inner();
        let got: HashSet<String> = r.tickets.into_iter().map(|t| t.hash).collect();
        (got.len() == low.len()).then_some(got)
    })
    .await;
    assert_eq!(ignored, low.iter().map(ToString::to_string).collect());
    // Nine fee-paying pool tickets matured; those that already won were voted and spent.
    let spent: HashSet<&ChainHash> = pool_winners
        .iter()
        .filter(|w| votable.contains(w))
        .collect();
    let expected_live = 9 - spent.len();
    wait_for(
        20,
        &format!("{expected_live} live tickets in /healthz"),
        || async {
            let h = spd.health().await;
            (h["healthy"] == true && h["live_tickets"] == expected_live).then_some(())
        },
    )
    .await;

    // Both voting nodes vote (the second one's votes are duplicates or relayed).
    for _ in 0..6 {
        pool_winners.extend(mine_one(&node, &mut filler, &bits_of, &votable).await);
    }
    // The first voting node goes down (stakepoold and its wallet): the second votes alone.
    spd.stop();
    wallet.stop();
    for _ in 0..6 {
        pool_winners.extend(mine_one(&node, &mut filler, &bits_of, &votable).await);
    }
    // It comes back (stakepoold first, then its wallet); its preferences come back from
    // its state directory: nobody pushes them again. Then the second node goes down.
    spd.start_again().await;
    wallet.start_again().await;
    wallet.ok("walletpassphrase", json!(["password", 0])).await;
    wait_for(30, "stakepoold healthy after restarts", || async {
        (spd.health().await["healthy"] == true).then_some(())
    })
    .await;
    let mut spd2 = spd2;
    spd2.stop();
    for _ in 0..8 {
        pool_winners.extend(mine_one(&node, &mut filler, &bits_of, &votable).await);
    }
    spd2.start_again().await;
    api = pki
        .client(spd.grpc_port, "web", None)
        .await
        .expect("gRPC client after restart");
    api2 = pki
        .client(spd2.grpc_port, "web", None)
        .await
        .expect("gRPC client 2 after restart");

    // An admin adds the low-fee tickets: from now on they are voted too.
    let added = low
        .iter()
        .map(|h| pb::Ticket {
            hash: h.to_string(),
            multisig_address: users[1].multisig.clone(),
        })
        .collect();
    let added: Vec<pb::Ticket> = added;
    for api in [&mut api, &mut api2] {
        api.set_added_low_fee_tickets(pb::SetAddedLowFeeTicketsRequest {
            tickets: added.clone(),
        })
        .await
        .unwrap();
    }
    let multisigs: Vec<String> = users.iter().map(|u| u.multisig.clone()).collect();
    let missed_before_add = missed_pool_tickets(&node, &multisigs).await;
    for h in &low {
        if !missed_before_add.contains(h) {
            votable.insert(*h);
        }
    }
    for _ in 0..25 {
        pool_winners.extend(mine_one(&node, &mut filler, &bits_of, &votable).await);
    }

    // From the chain: the only missed tickets are low-fee ones that won before the admin added them.
    let missed = missed_pool_tickets(&node, &multisigs).await;
    for m in &missed {
        assert!(
            low.contains(m) && missed_before_add.contains(m),
            "ticket {m} was missed"
        );
    }
    assert!(
        pool_winners.iter().filter(|w| !low.contains(w)).count() >= 3,
        "too few pool tickets won to test anything: {pool_winners:?}"
    );
    // Voted pool tickets are spent by votes carrying their owner's bits (checked per block);
    // the wallet agrees about their state.
    for u in &users {
        let info = wallet.ok("stakepooluserinfo", json!([u.multisig])).await;
        for t in info["tickets"].as_array().unwrap() {
            assert_ne!(
                t["status"], "missed",
                "user {} ticket {}",
                u.id, t["ticket"]
            );
        }
    }
    let metrics = spd.get("/metrics").await.unwrap().1;
    assert!(
        metrics.contains("stakepoold_votes_failed_total 0"),
        "{metrics}"
    );
}
