//! Disaster recovery of a voting host, on three real lab hosts: voting3 is wiped to an empty
//! machine (services, programs, configs, the wallet, stakepoold's state, the service users:
//! everything poolctl put there; same name and SSH host key) while blocks with pool winners
//! keep coming and voting1 and voting2 vote them. `poolctl plan` shows the restore,
//! `poolctl apply` (blocks still coming) recreates the wallet from the seed and restores
//! every user's script (one rescan: the users' tickets come back), the preferences and the
//! admin-added low-fee tickets from a healthy peer. Then voting3 alone votes (the others'
//! stakepoold stopped) with the owners' preferences, and the chain says that not one pool
//! ticket was missed over the whole run.
//!
//! Needs root (the lab). Not root: prints why and returns; as root (CI) it must run through.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pool_tests::lab::{StakepooldClient, load, stakepoold_client};
use poolctl::lab::{LabState, is_root};
use stakepoold_proto::v1 as pb;

mod common;
use common::voting::pool_with_tickets;
use common::{expect, lab_pool, ssh_out, text};

/// Everything `poolctl apply` creates on a voting host, gone; the machine keeps its name,
/// address and SSH host key.
const WIPE: &str = r#"set -e
units="exccd exccwallet stakepoold"
for u in $units; do systemctl stop "$u.service" 2>/dev/null || true; done
for u in $units; do systemctl disable --quiet "$u.service" 2>/dev/null || true; done
for u in $units; do
  rm -rf "/var/lib/$u" "/etc/$u" "/usr/local/bin/$u" "/etc/systemd/system/$u.service"
done
rm -rf /var/lib/excc-pool /usr/local/lib/excc-pool /usr/local/bin/excc-simnet
systemctl daemon-reload
for u in $units; do userdel "$u" 2>/dev/null || true; groupdel "$u" 2>/dev/null || true; done
for u in $units; do ! getent passwd "$u" >/dev/null; [ ! -e "/var/lib/$u" ]; [ ! -e "/etc/$u" ]; done
echo wiped"#;

/// An admin-added low-fee ticket (stakepoold keeps any hash the web service sends).
const ADDED: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// What a stakepoold holds for the users: imported addresses, preferences, added tickets.
async fn holdings(
    c: &mut StakepooldClient,
) -> (Vec<String>, Vec<pb::UserVotingPrefs>, Vec<String>) {
    let mut scripts = c
        .list_imported_addresses(pb::ListImportedAddressesRequest {})
        .await
        .expect("ListImportedAddresses")
        .into_inner()
        .addresses;
    scripts.sort();
    let prefs = c
        .get_user_voting_prefs(pb::GetUserVotingPrefsRequest {})
        .await
        .expect("GetUserVotingPrefs")
        .into_inner()
        .users;
    let added = c
        .get_added_low_fee_tickets(pb::GetAddedLowFeeTicketsRequest {})
        .await
        .expect("GetAddedLowFeeTickets")
        .into_inner()
        .tickets
        .into_iter()
        .map(|t| t.hash)
        .collect();
    (scripts, prefs, added)
}

/// voting3's vote journal: the lines of votes it cast.
fn votes_cast(state: &LabState) -> Vec<String> {
    ssh_out(
        state,
        "voting3",
        r#"grep '"kind":"vote"' /var/lib/stakepoold/votes.jsonl || true"#,
    )
    .lines()
    .map(str::to_owned)
    .collect()
}

#[test]
fn a_rebuilt_voting_host_comes_back_with_apply_and_no_vote_is_missed() {
    if !is_root() {
        eprintln!(
            "SKIPPED a_rebuilt_voting_host_comes_back_with_apply_and_no_vote_is_missed: not root; the lab needs root (CI runs it as root)"
        );
        return;
    }
    let (_turn, _guard, state, pool) = lab_pool(3);
    let root = pool_tests::test_dir("disaster-recovery");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut traffic = rt.block_on(pool_with_tickets(&pool, root.path()));
    let config = load(Path::new(&pool));
    let (healthy_view, before) = rt.block_on(async {
        let mut v1 = stakepoold_client(&config, &config.hosts[0]).await;
        for h in &config.hosts {
            stakepoold_client(&config, h)
                .await
                .set_added_low_fee_tickets(pb::SetAddedLowFeeTicketsRequest {
                    tickets: vec![pb::Ticket {
                        hash: ADDED.into(),
                        multisig_address: String::new(),
                    }],
                })
                .await
                .expect("SetAddedLowFeeTickets");
        }
        let mut v3 = stakepoold_client(&config, &config.hosts[2]).await;
        (holdings(&mut v1).await, holdings(&mut v3).await)
    });
    assert_eq!(healthy_view.0.len(), 2, "{healthy_view:?}");
    assert_eq!(before, healthy_view, "voting3 held what voting1 holds");

    // voting3 is destroyed; the other two keep voting every block's pool winners.
    assert!(ssh_out(&state, "voting3", WIPE).contains("wiped"));
    let first = traffic.pool_winners.len();
    rt.block_on(async {
        for _ in 0..5 {
            traffic.block(5).await;
        }
    });

    // The plan shows the rebuild and the restore from a healthy peer.
    let plan = expect(2, &["plan", "-f", &pool]);
    let v3 = plan
        .split("voting3 (")
        .nth(1)
        .expect("voting3's block in the plan");
    assert!(
        v3.contains("+ restore 2 user scripts, 2 voting preferences, 1 admin-added low-fee ticket (all it holds: this host's stakepoold is new) from voting1"),
        "{plan}"
    );
    assert!(
        plan.contains("voting1 (") && plan.contains("Plan: 1 of 3 hosts to change."),
        "{plan}"
    );

    // apply rebuilds it while blocks keep coming.
    let applying = Arc::new(AtomicBool::new(true));
    let apply = {
        let (pool, applying) = (pool.clone(), Arc::clone(&applying));
        std::thread::spawn(move || {
            let out = common::poolctl(&["apply", "-f", &pool]);
            applying.store(false, Ordering::SeqCst);
            out
        })
    };
    rt.block_on(async {
        while applying.load(Ordering::SeqCst) {
            traffic.block(5).await;
        }
    });
    let out = apply.join().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    eprint!("{stderr}");
    assert!(out.status.success(), "apply failed:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("restored 2 user scripts, 2 voting preferences, 1 admin-added low-fee ticket from voting1 (one rescan from height"),
        "{stderr}"
    );

    // Healthy, holding what its peers hold, its tickets back; a second plan is empty.
    let after = rt.block_on(async {
        let mut v3 = stakepoold_client(&config, &config.hosts[2]).await;
        let health = v3.health(pb::HealthRequest {}).await.unwrap().into_inner();
        assert!(health.healthy, "voting3 not healthy: {:?}", health.problems);
        let live = v3
            .get_live_tickets(pb::GetLiveTicketsRequest {})
            .await
            .unwrap()
            .into_inner()
            .tickets;
        assert!(!live.is_empty(), "voting3 knows no live pool ticket");
        assert!(
            live.iter()
                .all(|t| traffic.pool_tickets.contains(&t.hash.parse().unwrap())),
            "{live:?}"
        );
        holdings(&mut v3).await
    });
    assert_eq!(after, healthy_view);
    let again = expect(0, &["plan", "-f", &pool]);
    assert!(again.contains("Plan: 0 of 3 hosts to change."), "{again}");

    // voting3 alone votes: the others' stakepoold stop; every pool winner must still vote,
    // with its owner's preferences.
    for h in ["voting1", "voting2"] {
        ssh_out(&state, h, "systemctl stop stakepoold.service");
    }
    // The current tip's winners may have been voted by all three already (voting3's
    // answer was then "already have"): count the winners from the next block on. The
    // votes are counted from before that block, since voting3 votes the next tip's winners
    // as soon as it arrives (earlier votes only add to the count).
    let cast_before = votes_cast(&state).len();
    rt.block_on(traffic.block(5));
    let alone = traffic.pool_winners.len();
    rt.block_on(async {
        for _ in 0..4 {
            traffic.block(5).await;
        }
    });
    let cast = votes_cast(&state);
    let won: usize = traffic.pool_winners[alone..].iter().map(|(_, n)| n).sum();
    assert!(won > 0, "no pool winner while voting3 voted alone");
    assert!(
        cast.len() >= cast_before + won,
        "voting3 cast {} votes for {won} pool winners",
        cast.len() - cast_before
    );
    for line in &cast[cast_before..] {
        assert!(
            line.contains("\"source\":\"user\"") && line.contains("\"vote_bits\":1"),
            "voted without the owner's preferences: {line}"
        );
    }
    let during = &traffic.pool_winners[first..];
    assert!(
        during.iter().all(|(_, n)| *n > 0),
        "a block without pool winners (the test's premise): {during:?}"
    );
    eprintln!(
        "{} blocks since voting3 was wiped, {} pool winners, slowest votes {:.2}s",
        during.len(),
        during.iter().map(|(_, n)| n).sum::<usize>(),
        traffic.slowest_votes.as_secs_f32()
    );
    let missed = rt.block_on(traffic.missed_pool_tickets());
    assert!(missed.is_empty(), "pool tickets missed: {missed:?}");
}
