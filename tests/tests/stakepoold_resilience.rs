//! stakepoold stays up and truthful when its wallet or node misbehaves, and
//! refuses to run beside a wallet that votes by itself.

use std::time::Duration;

use pool_tests::simnet::{start_node, start_pool_wallet, start_pool_wallet_with, start_wallet};
use pool_tests::stakepoold::{PoolPki, Stakepoold};
use pool_tests::wait_for;
use serde_json::json;
use stakepoold_proto::v1 as pb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_to_run_beside_a_voting_wallet() {
    let dir = pool_tests::test_dir("stakepoold-voting-wallet");
    let root = dir.path();
    let node = start_node(root, "node", &[]).await;
    let cold = start_wallet(root, "cold", &node, &["--createtemp".into()]).await;
    let cold_xpub = cold.ok_str("getmasterpubkey", json!(["default"])).await;
    let wallet = start_pool_wallet_with(
        root,
        "wallet",
        &node,
        &cold_xpub,
        &["--enablevoting".into()],
    )
    .await;
    let pki = PoolPki::new(&root.join("pki"));
    let (ok, log) =
        Stakepoold::run_expecting_exit(root, "stakepoold", &pki, &node, &wallet, &cold_xpub).await;
    assert!(!ok, "stakepoold ran beside a voting wallet:\n{log}");
    assert!(
        log.contains("voting enabled") && log.contains("enablevoting=0"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn degrades_and_recovers_when_the_wallet_or_node_misbehave() {
    let dir = pool_tests::test_dir("stakepoold-resilience");
    let root = dir.path();
    let node = start_node(root, "node", &[]).await;
    let cold = start_wallet(root, "cold", &node, &["--createtemp".into()]).await;
    let cold_xpub = cold.ok_str("getmasterpubkey", json!(["default"])).await;
    let wallet = start_pool_wallet(root, "wallet", &node, &cold_xpub).await;
    let pki = PoolPki::new(&root.join("pki"));
    let spd = Stakepoold::start(root, "stakepoold", &pki, &node, &wallet, &cold_xpub).await;
    let healthy = |want: bool| {
        let spd = &spd;
        async move { (spd.health().await["healthy"] == want).then_some(()) }
    };
    wait_for(20, "healthy", || healthy(true)).await;

    // A locked wallet cannot sign votes: unhealthy, with the reason; healthy again once unlocked.
    wallet.ok("walletlock", json!([])).await;
    wait_for(20, "unhealthy while locked", || healthy(false)).await;
    assert!(
        spd.health().await["problems"]
            .to_string()
            .contains("locked")
    );
    wallet.ok("walletpassphrase", json!(["password", 0])).await;
    wait_for(20, "healthy after unlock", || healthy(true)).await;

    // exccd closes every websocket: stakepoold reconnects and rescans.
    node.ok("simnet_closewebsockets", json!([])).await;
    wait_for(20, "a reconnect in the log", || async {
        (spd.proc
            .log_text()
            .matches("notifications connected")
            .count()
            >= 2)
            .then_some(())
    })
    .await;
    wait_for(20, "healthy after the reconnect", || healthy(true)).await;

    // A wallet that hangs (every reply delayed 8 s) never blocks the HTTP or gRPC API.
    wallet.ok("simnet_setdelay", json!([8000])).await;
    let mut api = pki.client(spd.grpc_port, "web", None).await.unwrap();
    for _ in 0..3 {
        let answered = tokio::time::timeout(Duration::from_secs(2), async {
            let _ = spd.health().await;
            api.get_live_tickets(pb::GetLiveTicketsRequest {})
                .await
                .unwrap();
        })
        .await;
        assert!(
            answered.is_ok(),
            "stakepoold's API blocked on a hanging wallet"
        );
    }
    wallet.ok("simnet_setdelay", json!([0])).await;
    wait_for(30, "healthy after the wallet answers again", || {
        healthy(true)
    })
    .await;
}
