//! A lab pool that votes: two pool users added the production way, pool tickets bought and
//! blocks mined on voting1's exccd with pool winners (`pool_tests::traffic`).

use std::path::Path;
use std::time::{Duration, Instant};

use pool_tests::filler::Filler;
use pool_tests::lab::{add_users, fee_address, leader_node, load, stakepoold_client};
use pool_tests::simnet::start_wallet;
use pool_tests::traffic::Traffic;
use serde_json::json;

/// How long the miner waits for the votes of the tip's pool winners before it mines anyway.
pub const VOTE_WAIT: Duration = Duration::from_secs(5);

/// The lab chain with two pool users, pool tickets bought and stakepoold voting them.
pub async fn pool_with_tickets(pool: &str, root: &Path) -> Traffic {
    let config = load(Path::new(pool));
    let node = leader_node(&config).await;
    let filler = start_wallet(root, "filler", &node, &["--createtemp".into()]).await;
    filler.ok("walletpassphrase", json!(["password", 0])).await;
    let users = start_wallet(root, "users", &node, &["--createtemp".into()]).await;
    users.ok("walletpassphrase", json!(["password", 0])).await;
    let mut clients = Vec::new();
    for h in &config.hosts {
        clients.push(stakepoold_client(&config, h).await);
    }
    let multisigs = add_users(&config, &mut clients, &users, 1..=2).await;
    let mut traffic = Traffic {
        node,
        filler: Filler::new(filler),
        users,
        multisigs,
        fee_address: fee_address(&config, 1),
        fee_percent: 7.5,
        vote_wait: VOTE_WAIT,
        pool_tickets: Default::default(),
        pool_winners: Vec::new(),
        slowest_votes: Duration::ZERO,
    };
    let t = Instant::now();
    traffic.to_pool_voting(20, 5).await;
    eprintln!(
        "chain at {} with {} pool tickets after {:.1}s",
        traffic.pool_winners.last().unwrap().0 + 1,
        traffic.pool_tickets.len(),
        t.elapsed().as_secs_f32()
    );
    assert_eq!(traffic.missed_pool_tickets().await, Vec::new());
    traffic
}
