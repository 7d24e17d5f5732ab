//! Several nodes sharing one chain (`--connect`), catch-up after a restart, a
//! one-block reorg that followers adopt, and the fault-injection admin methods.

mod common;

use common::*;
use futures_util::StreamExt;
use serde_json::json;

async fn tip(d: &Daemon) -> String {
    s(&d.ok("getbestblockhash", json!([])).await)
}

#[test]
fn followers_sync_catch_up_after_restart_and_follow_a_reorg() {
    run(followers_sync_catch_up_after_restart_and_follow_a_reorg_scenario());
}

async fn followers_sync_catch_up_after_restart_and_follow_a_reorg_scenario() {
    let pool = Pool::start("peers").await;
    let leader = format!("--connect={}", pool.node.addr);
    let cafile = format!("--peercafile={}", pool.node.cert.display());
    let follower = start_node("peers-follower", &[&leader, &cafile]).await;
    pool.mine_to(150, 3).await;
    same_tip(&pool.node, &follower).await;
    let h = follower.ok("getblockcount", json!([])).await;
    assert_eq!(h, 150);
    assert_eq!(
        pool.node.ok("livetickets", json!([])).await,
        follower.ok("livetickets", json!([])).await
    );

    // A follower that was down catches up from its peer.
    drop(follower);
    pool.mine(5).await;
    let follower = start_node("peers-follower2", &[&leader, &cafile]).await;
    same_tip(&pool.node, &follower).await;

    // One-block reorg on the leader: the follower replaces its tip too.
    let mut ws = ws_connect(&follower, true).await;
    {
        use futures_util::SinkExt;
        ws.send(tokio_tungstenite::tungstenite::Message::text(
            json!({"jsonrpc":"1.0","id":1,"method":"notifyblocks","params":[]}).to_string(),
        ))
        .await
        .unwrap();
        ws.next().await.unwrap().unwrap();
    }
    let old = tip(&pool.node).await;
    let new = s(&pool.node.ok("simnet_reorg", json!([])).await);
    assert_ne!(old, new);
    same_tip(&pool.node, &follower).await;
    let mut saw_disconnect = false;
    while let Ok(Some(Ok(m))) =
        tokio::time::timeout(std::time::Duration::from_secs(2), ws.next()).await
    {
        saw_disconnect |= m
            .to_text()
            .unwrap_or_default()
            .contains("blockdisconnected");
    }
    assert!(saw_disconnect, "the follower announces blockdisconnected");
    // The chain goes on after the reorg: the new tip's winners vote.
    pool.mine(2).await;
    same_tip(&pool.node, &follower).await;
}

#[test]
fn fault_injection_is_admin_only_and_works() {
    run(fault_injection_is_admin_only_and_works_scenario());
}

async fn fault_injection_is_admin_only_and_works_scenario() {
    let node = start_node("faults-plain", &[]).await;
    let err = node.call("simnet_reorg", json!([])).await.unwrap_err();
    assert_eq!(err.code, -32601);
    drop(node);

    let pool = Pool::start("faults").await;
    let (node, wallet) = (&pool.node, &pool.wallet);
    pool.mine(3).await;

    // The wallet loses its node.
    wallet.ok("simnet_disconnectnode", json!([true])).await;
    let err = wallet.call("getbestblock", json!([])).await.unwrap_err();
    assert!(err.message.contains("not connected"), "{err}");
    assert_eq!(
        wallet.ok("walletinfo", json!([])).await["daemonconnected"],
        false
    );
    wallet.ok("simnet_disconnectnode", json!([false])).await;
    wallet.ok("getbestblock", json!([])).await;
    assert_eq!(
        wallet.ok("walletinfo", json!([])).await["daemonconnected"],
        true
    );

    // Delayed replies.
    node.ok("simnet_setdelay", json!([300])).await;
    let t = std::time::Instant::now();
    node.ok("getblockcount", json!([])).await;
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));
    node.ok("simnet_setdelay", json!([0])).await;

    // A dropped request: the connection closes without a reply.
    node.ok("simnet_dropnext", json!([1])).await;
    let (status, _, body) = node
        .client
        .request(
            br#"{"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]}"#,
            None,
        )
        .await
        .map(|r| (r.0, r.1, r.2))
        .unwrap_or((0, String::new(), String::new()));
    assert!(
        status == 0 && body.is_empty(),
        "dropped request was answered"
    );
    node.ok("getblockcount", json!([])).await;

    // Open websockets are closed.
    let mut ws = ws_connect(node, true).await;
    node.ok("simnet_closewebsockets", json!([])).await;
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(m)) if m.is_close() => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "websocket not closed");

    // A locked wallet refuses to buy tickets and to vote.
    wallet.ok("walletlock", json!([])).await;
    let err = wallet
        .call("purchaseticket", json!(["default", 1000, 1, "", 1]))
        .await
        .unwrap_err();
    assert_eq!(err.code, -13, "{err}");
}

#[test]
fn a_restarted_node_keeps_its_chain() {
    run(a_restarted_node_keeps_its_chain_scenario());
}

async fn a_restarted_node_keeps_its_chain_scenario() {
    let pool = Pool::start("restart").await;
    pool.mine_to(150, 3).await;
    let Pool { node, cold, wallet } = pool;
    let before = (
        tip(&node).await,
        node.ok("livetickets", json!([])).await,
        node.ok("simnet_chaininfo", json!([])).await["winners"].clone(),
    );
    let node = node.restart().await;
    let after = (
        tip(&node).await,
        node.ok("livetickets", json!([])).await,
        node.ok("simnet_chaininfo", json!([])).await["winners"].clone(),
    );
    assert_eq!(before, after);
    // The chain goes on: the wallet still votes, the node still mines.
    let pool = Pool { node, cold, wallet };
    pool.mine(2).await;
    assert_eq!(pool.height().await, 152);
}
