//! Conformance with the captured exccd/exccwallet 2.7.6 traffic: walks every
//! fixture in shared/fixtures/excc-2.7.6-simnet, brings the simulator to a
//! comparable state, sends the captured request (with the simulator's own
//! hashes/addresses in place of the captured ones, same parameter types) and
//! compares the reply's structure: keys, JSON types, error codes and messages,
//! HTTP status and headers; websocket fixtures frame by frame.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use base64::Engine as _;
use common::shape::diff;
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn fixture_dir() -> PathBuf {
    if let Ok(d) = std::env::var("EXCC_FIXTURES") {
        return PathBuf::from(d);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/excc-2.7.6-simnet")
}

struct Conf {
    dir: PathBuf,
    seen: BTreeSet<String>,
    /// Captured value → ours, applied to expected error messages.
    subst: Vec<(String, String)>,
    failures: Vec<String>,
}

impl Conf {
    fn new() -> Conf {
        let dir = fixture_dir();
        assert!(
            dir.join("README.md").exists(),
            "fixtures not found at {}; set EXCC_FIXTURES to the excc-2.7.6-simnet directory",
            dir.display()
        );
        Conf {
            dir,
            seen: BTreeSet::new(),
            subst: vec![],
            failures: vec![],
        }
    }

    fn load(&mut self, name: &str) -> Value {
        self.seen.insert(format!("{name}.json"));
        let text = std::fs::read_to_string(self.dir.join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    fn fail(&mut self, name: &str, what: impl std::fmt::Display) {
        self.failures.push(format!("{name}: {what}"));
    }

    fn substitute(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (a, b) in &self.subst {
            s = s.replace(a, b);
        }
        s
    }

    /// Sends fixture `name`'s request with `params` and compares the reply.
    async fn http(&mut self, d: &Daemon, name: &str, params: Value) -> Value {
        let f = self.load(name);
        let req = &f["request"];
        for p in diff(&req["params"], &params) {
            self.fail(name, format!("our request params differ in shape: {p}"));
        }
        let body =
            json!({"jsonrpc": "1.0", "id": req["id"], "method": req["method"], "params": params});
        let (status, _head, text) = d.raw(&body, None).await;
        if Some(u64::from(status)) != f["http_status"].as_u64() {
            self.fail(
                name,
                format!("HTTP status {status}, want {}", f["http_status"]),
            );
        }
        if f["response_raw"]
            .as_str()
            .is_some_and(|r| r.ends_with('\n'))
            && !text.ends_with('\n')
        {
            self.fail(name, "reply does not end with a newline like exccd's");
        }
        let got: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                self.fail(name, format!("reply is not JSON ({e}): {text}"));
                return Value::Null;
            }
        };
        let (jr, re, er, id) = (
            text.find("\"jsonrpc\""),
            text.find("\"result\""),
            text.find("\"error\""),
            text.rfind("\"id\""),
        );
        if !(jr < re && re < er && er < id && jr.is_some()) {
            self.fail(name, format!("envelope keys not in exccd order: {text}"));
        }
        if got["id"] != req["id"] || got["jsonrpc"] != "1.0" {
            self.fail(name, format!("id/jsonrpc not echoed: {text}"));
        }
        let want = &f["response"];
        if !want["error"].is_null() {
            let (wc, gc) = (&want["error"]["code"], &got["error"]["code"]);
            if wc != gc {
                self.fail(name, format!("error code {gc}, want {wc} ({text})"));
            }
            let wm = self.substitute(want["error"]["message"].as_str().unwrap_or_default());
            if got["error"]["message"].as_str() != Some(wm.as_str()) {
                self.fail(
                    name,
                    format!("error message {}, want {wm:?}", got["error"]["message"]),
                );
            }
            if !got["result"].is_null() {
                self.fail(name, "result must be null on error");
            }
        } else {
            if !got["error"].is_null() {
                self.fail(name, format!("unexpected error {}", got["error"]));
            }
            for d in diff(&want["result"], &got["result"]) {
                self.fail(name, d);
            }
        }
        got["result"].clone()
    }

    /// Like `http` and returns the result's string.
    async fn http_s(&mut self, d: &Daemon, name: &str, params: Value) -> String {
        self.http(d, name, params)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

fn frame_diff(want: &str, got: &str) -> Vec<String> {
    let (Ok(w), Ok(g)) = (
        serde_json::from_str::<Value>(want),
        serde_json::from_str::<Value>(got),
    ) else {
        return vec![format!("not JSON: {got}")];
    };
    let mut d = diff(&w, &g);
    if w.get("method") != g.get("method") {
        d.push(format!(
            "method {:?}, want {:?}",
            g.get("method"),
            w.get("method")
        ));
    }
    d
}

async fn next_text(ws: &mut WsStream) -> Option<String> {
    match tokio::time::timeout(std::time::Duration::from_secs(10), ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => Some(t.to_string()),
        _ => None,
    }
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

async fn send(ws: &mut WsStream, v: &Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

#[test]
fn every_captured_exchange_has_the_same_structure() {
    run(scenario());
}

async fn scenario() {
    let mut c = Conf::new();
    let mut pool = Pool::start("conf").await;
    let (node, wallet) = (&pool.node, &pool.wallet);

    // Three unrelated imported scripts, as the captured wallet had.
    for i in 0..3u8 {
        let a = s(&wallet
            .ok("getnewaddress", json!(["default", "ignore"]))
            .await);
        let b = s(&wallet
            .ok("getnewaddress", json!(["default", "ignore"]))
            .await);
        let pa = s(&wallet.ok("validateaddress", json!([a])).await["pubkeyaddr"]);
        let pb = s(&wallet.ok("validateaddress", json!([b])).await["pubkeyaddr"]);
        let ms = wallet.ok("createmultisig", json!([1, [pa, pb]])).await;
        wallet
            .ok("importscript", json!([ms["redeemScript"], false, i]))
            .await;
    }
    pool.mine_to(147, 3).await;
    let tip = s(&node.ok("getbestblockhash", json!([])).await);

    // ---- node, at height 147 ----
    c.http(node, "node-version", json!([])).await;
    c.http(node, "node-getcurrentnet", json!([])).await;
    c.http(node, "node-getbestblock", json!([])).await;
    c.http(node, "node-getbestblockhash", json!([])).await;
    c.http(node, "node-getblockcount", json!([])).await;
    c.http(node, "node-getblockhash", json!([147])).await;
    c.http(node, "node-getblockheader-verbose", json!([tip, true]))
        .await;
    c.http(node, "node-getblockheader-hex", json!([tip, false]))
        .await;
    c.http(node, "node-getstakeversions", json!([tip, 2])).await;
    c.http(node, "node-getvoteinfo-error", json!([10])).await;
    c.http(node, "node-livetickets", json!([])).await;
    c.http(node, "node-missedtickets", json!([])).await;
    c.http(node, "node-unknown-method", json!([])).await;
    c.http(node, "node-wallet-only-method", json!(["00"])).await;

    // Wrong password over HTTP POST: 401 with exccd's headers and body.
    {
        let f = c.load("node-bad-auth");
        let bad = base64::engine::general_purpose::STANDARD.encode("u:wrong");
        let req = json!({"jsonrpc":"1.0","id":1,"method":"getbestblock","params":[]});
        let (status, head, body) = node.raw(&req, Some(&bad)).await;
        if Some(u64::from(status)) != f["http_status"].as_u64() {
            c.fail("node-bad-auth", format!("status {status}"));
        }
        if Some(body.as_str()) != f["response_raw"].as_str() {
            c.fail("node-bad-auth", format!("body {body:?}"));
        }
        for (k, v) in f["headers"].as_object().unwrap() {
            let line = head.lines().find(|l| {
                l.to_ascii_lowercase()
                    .starts_with(&format!("{}:", k.to_ascii_lowercase()))
            });
            match line {
                None => c.fail("node-bad-auth", format!("missing header {k}")),
                Some(l)
                    if k != "Date"
                        && l.split_once(':').unwrap().1.trim() != v.as_str().unwrap() =>
                {
                    c.fail("node-bad-auth", format!("header {l:?}, want {v}"))
                }
                _ => {}
            }
        }
    }

    // WebSocket without an auth header: `authenticate` first; a bad password closes.
    {
        let f = c.load("node-ws-authenticate");
        let mut ws = ws_connect(node, false).await;
        for ex in f["exchanges"].as_array().unwrap() {
            send(&mut ws, &ex[0]).await;
            let got = next_text(&mut ws).await.unwrap_or_default();
            for d in frame_diff(ex[1].as_str().unwrap(), &got) {
                c.fail("node-ws-authenticate", d);
            }
        }
        let mut ws = ws_connect(node, false).await;
        let bad = &f["bad_password"]["request"];
        send(
            &mut ws,
            &json!({"jsonrpc":"1.0","id":1,"method":bad["method"],"params":bad["params"]}),
        )
        .await;
        if next_text(&mut ws).await.is_some() {
            c.fail(
                "node-ws-authenticate",
                "a bad password must close the socket",
            );
        }
    }

    // WebSocket with Basic auth on the upgrade: the four subscriptions.
    let mut notes = ws_connect(node, true).await;
    {
        let f = c.load("node-ws-subscribe");
        for (req, want) in f["requests"]
            .as_array()
            .unwrap()
            .iter()
            .zip(f["frames"].as_array().unwrap())
        {
            send(&mut notes, req).await;
            let got = next_text(&mut notes).await.unwrap_or_default();
            if got != want.as_str().unwrap() {
                c.fail("node-ws-subscribe", format!("frame {got:?}, want {want}"));
            }
        }
    }

    // ---- wallet, at height 147 ----
    c.http(wallet, "wallet-version", json!([])).await;
    c.http(wallet, "wallet-walletinfo", json!([])).await;
    c.http(wallet, "wallet-getmasterpubkey", json!(["default"]))
        .await;
    c.http(wallet, "wallet-accountaddressindex", json!(["default", 0]))
        .await;
    c.http(wallet, "wallet-getstakeinfo", json!([])).await;
    c.http(wallet, "wallet-getbalance", json!(["default", 1]))
        .await;
    c.http(wallet, "wallet-gettickets-true", json!([true]))
        .await;
    c.http(wallet, "wallet-gettickets-false", json!([false]))
        .await;
    c.http(
        wallet,
        "wallet-getaddressesbyaccount-imported",
        json!(["imported"]),
    )
    .await;
    for m in [
        "createmultisig",
        "importscript",
        "stakepooluserinfo",
        "generatevote",
        "addtransaction",
        "accountsyncaddressindex",
        "validateaddress",
        "getnewaddress",
        "ticketsforaddress",
        "walletpassphrase",
        "purchaseticket",
    ] {
        c.http(wallet, &format!("wallet-help-{m}"), json!([m]))
            .await;
    }
    let user_addr = c
        .http_s(wallet, "wallet-getnewaddress", json!(["default", "ignore"]))
        .await;
    c.http(
        wallet,
        "wallet-validateaddress-p2pkh-owned",
        json!([user_addr]),
    )
    .await;
    let user_pka = s(&wallet.ok("validateaddress", json!([user_addr])).await["pubkeyaddr"]);
    c.http(wallet, "wallet-validateaddress-p2pk", json!([user_pka]))
        .await;
    c.http(
        wallet,
        "wallet-validateaddress-notmine",
        json!(["Sshabny3QGDKvfMYDES2vFrYc9SxqJQLiLW"]),
    )
    .await;
    c.http(
        wallet,
        "wallet-validateaddress-invalid",
        json!(["notanaddress"]),
    )
    .await;
    c.http(
        wallet,
        "wallet-validateaddress-wrong-network",
        json!(["22ty4cRUnG8ukfEwH3FqTrJjLefESjjJyHMq"]),
    )
    .await;
    let pool_addr = s(&wallet
        .ok("getnewaddress", json!(["default", "ignore"]))
        .await);
    let pool_pka = s(&wallet.ok("validateaddress", json!([pool_addr])).await["pubkeyaddr"]);
    let ms = c
        .http(
            wallet,
            "wallet-createmultisig",
            json!([1, [pool_pka, user_pka]]),
        )
        .await;
    c.http(
        wallet,
        "wallet-createmultisig-error",
        json!([1, [pool_pka, "22ty4cRUnG8ukfEwH3FqTrJjLefESjjJyHMq"]]),
    )
    .await;
    let (p2sh, redeem) = (s(&ms["address"]), s(&ms["redeemScript"]));
    c.http(wallet, "wallet-importscript", json!([redeem, true, 147]))
        .await;
    c.http(
        wallet,
        "wallet-importscript-again",
        json!([redeem, true, 147]),
    )
    .await;
    c.http(
        wallet,
        "wallet-validateaddress-p2sh-imported",
        json!([p2sh]),
    )
    .await;
    c.http(
        wallet,
        "wallet-accountsyncaddressindex",
        json!(["default", 0, 100]),
    )
    .await;

    // Pool tickets: two at 7.5 % to the cold wallet's /0/1 address, one at 1 %.
    pool.cold
        .ok("getnewaddress", json!(["default", "ignore"]))
        .await;
    let fee_addr = s(&pool
        .cold
        .ok("getnewaddress", json!(["default", "ignore"]))
        .await);
    let good = c
        .http(
            wallet,
            "wallet-purchaseticket-pool",
            json!(["default", 1000, 1, p2sh, 1, fee_addr, 7.5]),
        )
        .await;
    let good = s(&good[0]);
    let good2 = s(&wallet
        .ok(
            "purchaseticket",
            json!(["default", 1000, 1, p2sh, 1, fee_addr, 7.5]),
        )
        .await[0]);
    let low = c
        .http(
            wallet,
            "wallet-purchaseticket-lowfee",
            json!(["default", 1000, 1, p2sh, 1, fee_addr, 1.0]),
        )
        .await;
    let low = s(&low[0]);

    // A vote for a current winner, sent twice; a vote for a non-winner is still built.
    let (hash, height, winners) = pool.winners().await;
    let vote = c
        .http(
            wallet,
            "wallet-generatevote",
            json!([hash, height, winners[0], 1, "0a000000"]),
        )
        .await;
    let vote_hex = s(&vote["hex"]);
    let vote_id = c
        .http_s(node, "node-sendrawtransaction", json!([vote_hex]))
        .await;
    c.subst.push((
        "0369803fa5abcc9f9e42c30f3bbd8cf49e0543c423d19080ce3bd624ca468ede".into(),
        vote_id.clone(),
    ));
    c.http(
        node,
        "node-getrawtransaction-vote-verbose",
        json!([vote_id, 1]),
    )
    .await;
    c.http(node, "node-getrawtransaction-vote-hex", json!([vote_id, 0]))
        .await;
    c.http(node, "node-sendrawtransaction-duplicate", json!([vote_hex]))
        .await;
    c.http(
        wallet,
        "wallet-generatevote-not-winner",
        json!([hash, height, good, 1, "0a000000"]),
    )
    .await;
    for t in winners.iter().skip(1) {
        let v = wallet
            .ok("generatevote", json!([hash, height, t, 1, "0a000000"]))
            .await;
        node.ok("sendrawtransaction", json!([v["hex"]])).await;
    }

    // ---- 40 blocks of notifications (the first by `generate`); one winner
    // not voted at the 13th ----
    send(
        &mut notes,
        &json!({"jsonrpc":"1.0","id":2000,"method":"rebroadcastwinners","params":[]}),
    )
    .await;
    let mut early = Vec::new();
    loop {
        let Some(t) = next_text(&mut notes).await else {
            break;
        };
        if t.contains("\"id\":2000") {
            break;
        }
        early.push(t);
    }
    c.http(node, "node-generate", json!([1])).await;
    for i in 2..=40 {
        pool.mine_one(if i == 13 { 1 } else { 0 }).await;
    }
    {
        let f = c.load("node-ws-notifications");
        let want = f["frames"].as_array().unwrap().clone();
        let mut got: Vec<String> = early
            .into_iter()
            .filter(|t| t.contains("\"method\""))
            .collect();
        while got.len() < want.len() {
            match next_text(&mut notes).await {
                Some(t) if t.contains("\"method\"") => got.push(t),
                Some(_) => {}
                None => break,
            }
        }
        if got.len() != want.len() {
            c.fail(
                "node-ws-notifications",
                format!("{} frames, want {}", got.len(), want.len()),
            );
        }
        for (i, (w, g)) in want.iter().zip(&got).enumerate() {
            for d in frame_diff(w.as_str().unwrap(), g) {
                c.fail("node-ws-notifications", format!("frame {i}: {d}"));
            }
        }
        if !got.iter().any(|g| g.contains("\"missed\"")) {
            c.fail("node-ws-notifications", "no ticket reported missed");
        }
    }

    // ---- later: the pool tickets are live ----
    c.http(wallet, "wallet-stakepooluserinfo", json!([p2sh]))
        .await;
    c.http(wallet, "wallet-ticketsforaddress", json!([p2sh]))
        .await;
    c.http(node, "node-ticketsforaddress", json!([p2sh])).await;
    c.http(node, "node-existsliveticket", json!([good])).await;
    c.http(
        node,
        "node-existslivetickets",
        json!([[good, "0".repeat(64), good2, low]]),
    )
    .await;
    c.http(
        node,
        "node-getrawtransaction-ticket-verbose",
        json!([good, 1]),
    )
    .await;
    c.http(node, "node-getrawtransaction-ticket-hex", json!([good, 0]))
        .await;
    // Any live ticket's stake output is unspent (ours may all have won by now).
    let live = node.ok("livetickets", json!([])).await;
    let unspent = live["tickets"]
        .as_array()
        .and_then(|t| t.first())
        .cloned()
        .unwrap_or_else(|| panic!("no live ticket: {live}"));
    c.http(node, "node-gettxout-ticket", json!([unspent, 0, 1, true]))
        .await;
    c.http(node, "node-livetickets-after", json!([])).await;
    c.http(node, "node-missedtickets-after", json!([])).await;
    c.http(wallet, "wallet-getstakeinfo-after", json!([])).await;
    c.http(
        wallet,
        "wallet-getaddressesbyaccount-imported-after",
        json!(["imported"]),
    )
    .await;
    c.http(wallet, "wallet-walletlock", json!([])).await;
    c.http(wallet, "wallet-walletinfo-locked", json!([])).await;
    let (hash, height, winners) = pool.winners().await;
    c.http(
        wallet,
        "wallet-generatevote-locked",
        json!([hash, height, winners[0], 1, "0a000000"]),
    )
    .await;
    // The captured ticket voted to a key of the wallet's account "solo"; ours
    // are in "default" (the message names the key's account).
    c.subst.push((
        "wallet locked: solo".into(),
        "wallet locked: default".into(),
    ));
    c.http(
        wallet,
        "wallet-generatevote-locked-p2pkh",
        json!([hash, height, winners[1], 1, "0a000000"]),
    )
    .await;
    c.http(
        wallet,
        "wallet-getnewaddress-locked",
        json!(["default", "ignore"]),
    )
    .await;
    c.http(wallet, "wallet-walletpassphrase", json!(["password", 0]))
        .await;

    // ---- fresh pool tickets (immature), then live/voted/missed ----
    let fresh = wallet
        .ok(
            "purchaseticket",
            json!(["default", 100000, 1, p2sh, 10, fee_addr, 7.5]),
        )
        .await;
    let fresh: Vec<String> = fresh.as_array().unwrap().iter().map(s).collect();
    pool.mine(1).await;
    let info = c
        .http(wallet, "wallet-stakepooluserinfo-immature", json!([p2sh]))
        .await;
    assert!(
        info["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["status"] == "immature")
    );
    pool.mine(16).await;
    // Let one fresh pool ticket miss (its vote withheld); the others vote.
    let mut missed_one = false;
    for _ in 0..300 {
        let (hash, height, winners) = pool.winners().await;
        let ours: Vec<String> = winners
            .iter()
            .filter(|w| fresh.contains(w))
            .cloned()
            .collect();
        if missed_one && !ours.is_empty() {
            pool.mine_one(0).await;
            break;
        }
        match ours.first() {
            Some(skip) if !missed_one => {
                for t in winners.iter().filter(|w| *w != skip) {
                    let v = wallet
                        .ok("generatevote", json!([hash, height, t, 1, "0a000000"]))
                        .await;
                    node.ok("sendrawtransaction", json!([v["hex"]])).await;
                }
                node.ok("generate", json!([1])).await;
                missed_one = true;
            }
            _ => {
                pool.mine_one(0).await;
            }
        }
    }
    pool.mine(1).await;
    let all = c
        .http(wallet, "wallet-stakepooluserinfo-all-states", json!([p2sh]))
        .await;
    let statuses: BTreeSet<&str> = all["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["status"].as_str())
        .collect();
    assert!(statuses.contains("live"), "{all}");
    assert!(statuses.contains("voted"), "{all}");
    assert_eq!(all["invalid"], json!([low]));
    assert!(statuses.contains("missed"), "{all}");

    edge_cases_of_the_real_software(&mut c, &mut pool, &p2sh, &redeem, &fee_addr, &good).await;

    // Every fixture file was exercised.
    let all_files: BTreeSet<String> = std::fs::read_dir(&c.dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    let missing: Vec<&String> = all_files.difference(&c.seen).collect();
    assert!(missing.is_empty(), "fixtures not exercised: {missing:?}");
    assert!(
        c.failures.is_empty(),
        "{} differences from the captures:\n{}",
        c.failures.len(),
        c.failures.join("\n")
    );
}

/// The later captures (ids from 2001): no transaction index, a locked wallet's
/// unsigned multisig vote, second votes for a voted ticket, a low-fee ticket
/// voted anyway, and an exccd restart seen from a new websocket.
async fn edge_cases_of_the_real_software(
    c: &mut Conf,
    pool: &mut Pool,
    p2sh: &str,
    redeem: &str,
    fee_addr: &str,
    mined_ticket: &str,
) {
    let (node, wallet) = (&pool.node, &pool.wallet);
    let pool_ref = &*pool;

    // exccd without --txindex (a follower of the same chain): mined
    // transactions are refused with -32603, verbose or not.
    {
        let leader = format!("--connect={}", node.addr);
        let cafile = format!("--peercafile={}", node.cert.display());
        let plain = start_node_without_txindex("conf-notxindex", &[&leader, &cafile]).await;
        same_tip(node, &plain).await;
        c.http(
            &plain,
            "node-getrawtransaction-notxindex",
            json!([mined_ticket, 1]),
        )
        .await;
        c.http(
            &plain,
            "node-getrawtransaction-notxindex-hex",
            json!([mined_ticket, 0]),
        )
        .await;
    }
    c.http(node, "node-rebroadcastwinners-http", json!([]))
        .await;

    // Pool tickets (10 paying the fee, 10 low-fee) until one of each wins.
    let buy = |fee: f64| async move {
        let v = wallet
            .ok(
                "purchaseticket",
                json!(["default", 100000, 1, p2sh, 10, fee_addr, fee]),
            )
            .await;
        v.as_array().unwrap().iter().map(s).collect::<Vec<String>>()
    };
    let paying = buy(7.5).await;
    let low = buy(1.0).await;
    pool_ref.mine(17).await;
    let ticket = wait_for_winner(pool_ref, &paying).await;
    let (hash, height, winners) = pool_ref.winners().await;

    // Locked: an unsigned vote (no error), which exccd refuses by its script.
    c.http(wallet, "wallet-walletlock", json!([])).await;
    c.subst.push((
        "000f9cf29a3268c7d22425317aebe058c004ecdf207ca234f47fa80fc3297005".into(),
        hash.clone(),
    ));
    c.subst.push((
        "e17cdade3ace5bde656708bfa2b7d468069d4e299a5dc8ff4c147cb111fb55b2".into(),
        ticket.clone(),
    ));
    let unsigned = s(&c
        .http(
            wallet,
            "wallet-generatevote-locked-multisig",
            json!([hash, height, ticket, 1, "0a000000"]),
        )
        .await["hex"]);
    let unsigned_tx = excc_chain::Transaction::from_hex(&unsigned).unwrap();
    let pushed_redeem = format!("{:02x}{redeem}", redeem.len() / 2);
    assert_eq!(
        hex::encode(&unsigned_tx.inputs[1].signature_script),
        pushed_redeem,
        "a locked wallet's multisig vote carries only the redeem script"
    );
    let ticket_raw = node.ok("getrawtransaction", json!([ticket, 1])).await;
    c.subst.push((
        "6bad4db1e6bc0f3ca52bb72077ca1af7ad1942cc187b651badac80a0814f7b9a".into(),
        unsigned_tx.txid.to_string(),
    ));
    c.subst.push(("47512102e282e1783ca766bfb7e6934cf9fb3e254c404328586b054b0cc5fb3fbac56276210284e113c54a0985ec0927388de1db02a1801d5f0de156b1d7a7ee2f172dc4025a52ae".into(), pushed_redeem));
    c.subst.push((
        "baa914f8f7524b07508baeb3b5f40aded4e86e182210bc87".into(),
        s(&ticket_raw["vout"][0]["scriptPubKey"]["hex"]),
    ));
    c.http(
        node,
        "node-sendrawtransaction-unsigned-vote",
        json!([unsigned]),
    )
    .await;

    // Unlocked: the signed vote has the same txid and is accepted.
    wallet.ok("walletpassphrase", json!(["password", 0])).await;
    let signed = s(&c
        .http(
            wallet,
            "wallet-generatevote-unlocked-multisig",
            json!([hash, height, ticket, 1, "0a000000"]),
        )
        .await["hex"]);
    let first = c
        .http_s(node, "node-sendrawtransaction-first-vote", json!([signed]))
        .await;
    assert_eq!(first, unsigned_tx.txid.to_string());

    // A different vote for the same ticket while the first is in the mempool.
    let second = s(&wallet
        .ok("generatevote", json!([hash, height, ticket, 5, "0a000000"]))
        .await["hex"]);
    let second_id = excc_chain::Transaction::from_hex(&second).unwrap().txid;
    c.subst.push((
        "6239c55dd05c7ad4eea3c52de12cf3c0de4f3494403a97e9cfb97b515513f2b4".into(),
        second_id.to_string(),
    ));
    c.subst
        .push(("(height 523)".into(), format!("(height {height})")));
    c.http(node, "node-sendrawtransaction-second-vote", json!([second]))
        .await;

    // The first vote mined: the second is an orphan, the first "exists".
    for t in winners.iter().filter(|t| **t != ticket) {
        let v = wallet
            .ok("generatevote", json!([hash, height, t, 1, "0a000000"]))
            .await;
        let _ = node.call("sendrawtransaction", json!([v["hex"]])).await;
    }
    node.ok("generate", json!([1])).await;
    c.http(
        node,
        "node-sendrawtransaction-vote-spent-ticket",
        json!([second]),
    )
    .await;
    c.http(
        node,
        "node-sendrawtransaction-mined-vote-again",
        json!([signed]),
    )
    .await;

    // A low-fee ticket voted anyway stays under `invalid` only.
    let voted_low = wait_for_winner(pool_ref, &low).await;
    pool_ref.mine(2).await;
    let info = c
        .http(
            wallet,
            "wallet-stakepooluserinfo-lowfee-voted",
            json!([p2sh]),
        )
        .await;
    assert!(
        info["invalid"]
            .as_array()
            .unwrap()
            .contains(&json!(voted_low)),
        "{info}"
    );
    assert!(
        !info["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["ticket"] == json!(voted_low)),
        "a voted low-fee ticket is not listed as voted: {info}"
    );

    exccd_restart(c, pool).await;
}

/// Mines (voting every winner) until one of `candidates` wins at the tip; returns it.
async fn wait_for_winner(pool: &Pool, candidates: &[String]) -> String {
    for _ in 0..400 {
        let (_, _, winners) = pool.winners().await;
        if let Some(t) = winners.iter().find(|w| candidates.contains(w)) {
            return t.clone();
        }
        pool.mine_one(0).await;
    }
    panic!("none of {} tickets won in 400 blocks", candidates.len());
}

/// exccd restarted: a new websocket gets nothing of the blocks before, the
/// tip's winners on `rebroadcastwinners` (after its null reply), then every
/// new block in exccd's order.
async fn exccd_restart(c: &mut Conf, pool: &mut Pool) {
    let f = c.load("node-ws-reconnect");
    let want: Vec<String> = f["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    pool.node.restart_in_place().await;
    let mut ws = ws_connect(&pool.node, true).await;
    for (id, m) in [
        (3000, "notifyblocks"),
        (3001, "notifywinningtickets"),
        (3002, "notifynewtickets"),
        (3003, "notifyspentandmissedtickets"),
    ] {
        send(
            &mut ws,
            &json!({"jsonrpc":"1.0","id":id,"method":m,"params":[]}),
        )
        .await;
    }
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(next_text(&mut ws).await.unwrap_or_default());
    }
    let mut ids: Vec<u64> = got
        .iter()
        .filter_map(|g| serde_json::from_str::<Value>(g).ok()?["id"].as_u64())
        .collect();
    ids.sort();
    if ids != [3000, 3001, 3002, 3003] {
        c.fail("node-ws-reconnect", format!("subscription replies {got:?}"));
    }
    // Frames 4-5 came from another client's (a wallet's) rebroadcast requests.
    let rebroadcast = json!({"jsonrpc":"1.0","id":3004,"method":"rebroadcastwinners","params":[]});
    send(&mut ws, &rebroadcast).await;
    for _ in 0..2 {
        got.push(next_text(&mut ws).await.unwrap_or_default());
    }
    for _ in 0..3 {
        pool.mine_one(0).await;
        for _ in 0..4 {
            got.push(next_text(&mut ws).await.unwrap_or_default());
        }
    }
    send(
        &mut ws,
        &json!({"jsonrpc":"1.0","id":3005,"method":"rebroadcastwinners","params":[]}),
    )
    .await;
    for _ in 0..2 {
        got.push(next_text(&mut ws).await.unwrap_or_default());
    }
    let expected = want[..4].iter().chain(&want[6..]);
    for (i, (w, g)) in expected.zip(&got).enumerate().skip(4) {
        for d in frame_diff(w, g) {
            c.fail("node-ws-reconnect", format!("frame {}: {d}", i + 2));
        }
    }
    if got.last() != got.get(got.len() - 3) {
        c.fail(
            "node-ws-reconnect",
            "rebroadcastwinners did not resend exactly the tip's winningtickets",
        );
    }
    if next_text_within(&mut ws, 300).await.is_some() {
        c.fail("node-ws-reconnect", "an unexpected frame followed");
    }
}

async fn next_text_within(ws: &mut WsStream, ms: u64) -> Option<String> {
    match tokio::time::timeout(std::time::Duration::from_millis(ms), ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => Some(t.to_string()),
        _ => None,
    }
}
