//! End to end: one node and three wallets (cold fee wallet, pool voting
//! wallet in stake-pool mode, a user's wallet) as separate processes over TLS.
//! Pool tickets are bought, the chain is mined past StakeValidationHeight and
//! every winner is voted with `generatevote` + `sendrawtransaction`.

mod common;

use common::*;
use serde_json::json;

#[test]
fn pool_tickets_are_voted_without_misses_and_locked_wallets_refuse() {
    run(pool_tickets_are_voted_without_misses_and_locked_wallets_refuse_scenario());
}

async fn pool_tickets_are_voted_without_misses_and_locked_wallets_refuse_scenario() {
    let pool = Pool::start("e2e").await;
    let user = start_wallet("e2e-user", &pool.node, &["--createtemp"]).await;
    user.ok("walletpassphrase", json!(["password", 0])).await;

    pool.mine_to(143, 3).await;
    assert_eq!(pool.height().await, 143);

    // The user's 1-of-2 voting address, as the pool's web front end builds it.
    let pool_addr = s(&pool
        .wallet
        .ok("getnewaddress", json!(["default", "ignore"]))
        .await);
    let pool_pka = s(&pool.wallet.ok("validateaddress", json!([pool_addr])).await["pubkeyaddr"]);
    let user_addr = s(&user.ok("getnewaddress", json!(["default", "ignore"])).await);
    let user_pka = s(&user.ok("validateaddress", json!([user_addr])).await["pubkeyaddr"]);
    let ms = pool
        .wallet
        .ok("createmultisig", json!([1, [pool_pka, user_pka]]))
        .await;
    let p2sh = s(&ms["address"]);
    pool.wallet
        .ok("importscript", json!([ms["redeemScript"], true, 143]))
        .await;
    let v = pool.wallet.ok("validateaddress", json!([p2sh])).await;
    assert_eq!(v["ismine"], true);
    assert_eq!(v["account"], "imported");
    pool.cold
        .ok("getnewaddress", json!(["default", "ignore"]))
        .await;
    let fee_addr = s(&pool
        .cold
        .ok("getnewaddress", json!(["default", "ignore"]))
        .await);

    let good = user
        .ok(
            "purchaseticket",
            json!(["default", 1000, 1, p2sh, 3, fee_addr, 7.5]),
        )
        .await;
    let low = user
        .ok(
            "purchaseticket",
            json!(["default", 1000, 1, p2sh, 1, fee_addr, 1.0]),
        )
        .await;
    assert_eq!(good.as_array().unwrap().len(), 3);
    let low_hash = s(&low[0]);

    // A vote from a ticket that is not a winner is refused by the node.
    let (hash, height, winners) = pool.winners().await;
    let live = pool.node.ok("livetickets", json!([])).await;
    let loser = live["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(s)
        .find(|t| !winners.contains(t))
        .unwrap();
    let vote = pool
        .wallet
        .ok("generatevote", json!([hash, height, loser, 1, "0a000000"]))
        .await;
    let err = pool
        .node
        .call("sendrawtransaction", json!([vote["hex"]]))
        .await
        .unwrap_err();
    assert!(err.message.contains("not eligible to vote"), "{err}");

    // Stake validation: without votes `generate` fails after --generatetimeout.
    let err = pool.node.call("generate", json!([1])).await.unwrap_err();
    assert!(err.message.contains("needs at least 3 votes"), "{err}");

    let mut ws = Ws::connect(&pool.node, true).await;
    ws.subscribe().await;
    pool.mine(60).await;
    assert_eq!(pool.height().await, 203);

    // Every notification so far: nothing missed.
    let frames = ws.drain().await;
    assert!(frames.iter().any(|f| f.contains("spentandmissedtickets")));
    assert!(
        !frames.iter().any(|f| f.contains("\"missed\"")),
        "a winner was missed"
    );
    let missed = pool.node.ok("missedtickets", json!([])).await;
    assert_eq!(missed["tickets"], json!([]));
    let info = pool.wallet.ok("getstakeinfo", json!([])).await;
    assert!(info.get("missed").is_none(), "{info}");
    assert!(info["voted"].as_u64().unwrap() > 0);

    // The pool sees the user's three valid tickets and the underpaying one as invalid.
    let spui = pool.wallet.ok("stakepooluserinfo", json!([p2sh])).await;
    let tickets = spui["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 3, "{spui}");
    for t in tickets {
        assert!(good.as_array().unwrap().contains(&t["ticket"]));
        assert!(["live", "voted"].contains(&t["status"].as_str().unwrap()));
        assert_eq!(t["ticketheight"], 144);
    }
    assert_eq!(spui["invalid"], json!([low_hash]));

    // stakepoold maps a ticket to its user through gettransaction's details.
    let tx = pool.wallet.ok("gettransaction", json!([good[0]])).await;
    assert_eq!(tx["type"], "ticket");
    assert_eq!(tx["details"][0]["address"], json!(p2sh));
    assert_eq!(tx["details"][0]["account"], "imported");
    assert!(
        ["live", "voted"].contains(&tx["ticketstatus"].as_str().unwrap()),
        "{tx}"
    );
    let err = pool
        .wallet
        .call("gettransaction", json!(["00".repeat(32)]))
        .await
        .unwrap_err();
    assert_eq!(err.code, -5);

    // Locked wallets answer with the real error texts.
    pool.wallet.ok("walletlock", json!([])).await;
    let (hash, height, winners) = pool.winners().await;
    let err = pool
        .wallet
        .call(
            "generatevote",
            json!([hash, height, winners[0], 1, "0a000000"]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, -4);
    assert_eq!(
        err.message,
        "wallet.GenerateVoteTx: transaction script fails to execute:: txscript.SignTxOutput:: wallet locked: default"
    );
    let info = pool.wallet.ok("walletinfo", json!([])).await;
    assert_eq!(info["unlocked"], false);
    let err = pool
        .wallet
        .call("walletpassphrase", json!(["wrong", 0]))
        .await
        .unwrap_err();
    assert_eq!(err.code, -14);
    pool.wallet
        .ok("walletpassphrase", json!(["password", 0]))
        .await;
    pool.mine(1).await;
}

/// Minimal websocket client for the tests.
pub struct Ws {
    inner:
        tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>,
}

impl Ws {
    pub async fn connect(d: &Daemon, basic_auth: bool) -> Ws {
        Ws {
            inner: ws_connect(d, basic_auth).await,
        }
    }

    pub async fn subscribe(&mut self) {
        use futures_util::{SinkExt, StreamExt};
        for (i, m) in [
            "notifyblocks",
            "notifywinningtickets",
            "notifynewtickets",
            "notifyspentandmissedtickets",
        ]
        .iter()
        .enumerate()
        {
            let req = json!({"jsonrpc":"1.0","id":i,"method":m,"params":[]});
            self.inner
                .send(tokio_tungstenite::tungstenite::Message::text(
                    req.to_string(),
                ))
                .await
                .unwrap();
            let r = self.inner.next().await.unwrap().unwrap();
            assert!(r.to_text().unwrap().contains("\"result\":null"));
        }
    }

    /// Every frame already received.
    pub async fn drain(&mut self) -> Vec<String> {
        use futures_util::StreamExt;
        let mut out = Vec::new();
        while let Ok(Some(Ok(m))) =
            tokio::time::timeout(std::time::Duration::from_millis(300), self.inner.next()).await
        {
            out.push(m.to_text().unwrap_or_default().to_string());
        }
        out
    }
}

/// `--enablevoting`: the wallet votes every winner it can sign for, so plain
/// `generate` calls carry the chain past StakeValidationHeight.
#[test]
fn a_voting_wallet_keeps_the_chain_going() {
    run(a_voting_wallet_keeps_the_chain_going_scenario());
}

async fn a_voting_wallet_keeps_the_chain_going_scenario() {
    // Give the polling wallet time to vote all five winners even on a busy machine.
    let node = start_node("voting-node", &["--votewait=10000", "--generatetimeout=30"]).await;
    let wallet = start_wallet(
        "voting-wallet",
        &node,
        &["--createtemp", "--unlocked", "--enablevoting"],
    )
    .await;
    assert_eq!(wallet.ok("walletinfo", json!([])).await["voting"], true);
    node.ok("generate", json!([31])).await;
    for _ in 0..30 {
        wallet
            .ok("purchaseticket", json!(["default", 1000, 1, "", 4]))
            .await;
        node.ok("generate", json!([1])).await;
    }
    let h = node.ok("getblockcount", json!([])).await.as_u64().unwrap();
    node.ok("generate", json!([160 - h])).await;
    assert_eq!(node.ok("getblockcount", json!([])).await, 160);
    assert_eq!(
        node.ok("missedtickets", json!([])).await["tickets"],
        json!([])
    );
    let info = wallet.ok("getstakeinfo", json!([])).await;
    assert!(info["voted"].as_u64().unwrap() >= 16 * 5, "{info}");
    assert!(info.get("missed").is_none(), "{info}");
}
