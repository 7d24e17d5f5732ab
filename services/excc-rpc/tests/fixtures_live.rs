//! Every captured fixture replayed by a local TLS server (P-256 CA cert like
//! exccd for node files, Ed25519 like exccwallet for wallet files): the client
//! must send exactly the captured request (id normalised, Go number format)
//! and turn the captured reply into the right typed value or typed error.

mod common;

use std::time::Duration;

use common::calls;
use common::certs::Kind;
use common::fixtures::{self, Fixture, expected_request};
use common::http_fixture_server::{HttpFixtureServer, Script};
use common::ordered::{Ordered, same};
use common::server::{PASS, TestServer, USER, accept_ws, basic_auth};
use common::ws_fixtures::{notification_frames, serve_authenticate, serve_subscriptions};
use excc_rpc::types::{Notification, TicketSpend};
use excc_rpc::{Error, Event, NodeClient, Subscription, WalletClient, WsAuth, WsSession};
use serde_json::Value;
use tokio::sync::mpsc::Receiver;

const DEADLINE: Duration = Duration::from_secs(10);

async fn next_event(rx: &mut Receiver<Event>) -> Event {
    tokio::time::timeout(DEADLINE, rx.recv())
        .await
        .expect("event within the deadline")
        .expect("session alive")
}

fn raw_result(raw: &str) -> Ordered {
    match Ordered::parse(raw) {
        Ordered::Obj(members) => members
            .into_iter()
            .find(|(k, _)| k == "result")
            .map(|(_, v)| v)
            .expect("reply has a result"),
        other => panic!("reply is not an object: {other:?}"),
    }
}

async fn check_plain(
    f: &Fixture,
    srv: &HttpFixtureServer,
    node: &NodeClient,
    wallet: &WalletClient,
) {
    srv.set(Script {
        status: f.json["http_status"].as_u64().unwrap() as u16,
        headers: vec![("Content-Type".into(), "application/json".into())],
        raw: f.response_raw().to_owned(),
        fixture_id: Some(f.request_id()),
    });
    let got = if f.is_wallet() {
        calls::wallet_call(wallet, f).await
    } else {
        calls::node_call(node, f).await
    };
    let req = srv.last_request();
    assert_eq!(req.request_line, "POST / HTTP/1.1", "{}", f.name);
    assert_eq!(
        req.header("authorization"),
        Some(basic_auth(USER, PASS).as_str())
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    let body = String::from_utf8(req.body).unwrap();
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_u64()
        .unwrap();
    assert_eq!(
        body,
        expected_request(f.request().unwrap(), id),
        "{}: request bytes",
        f.name
    );
    match (f.error(), got) {
        (Value::Null, Ok(text)) => same(
            &raw_result(f.response_raw()),
            &Ordered::parse(&text),
            "result",
        )
        .unwrap_or_else(|e| panic!("{}: {e}", f.name)),
        (Value::Null, Err(e)) => panic!("{}: unexpected error {e}", f.name),
        (want, Ok(v)) => panic!("{}: expected error {want}, got {v}", f.name),
        (want, Err(e)) => {
            let Error::Rpc { code, message, .. } = &e else {
                panic!("{}: expected an RPC error, got {e}", f.name)
            };
            assert_eq!(Some(*code), want["code"].as_i64(), "{}", f.name);
            assert_eq!(
                Some(message.as_str()),
                want["message"].as_str(),
                "{}",
                f.name
            );
            assert_eq!(
                e.is_wallet_locked(),
                f.name.contains("locked"),
                "{}",
                f.name
            );
            assert!(e.to_string().contains(f.method()), "{}: {e}", f.name);
        }
    }
}

async fn check_bad_auth(f: &Fixture) {
    let srv = HttpFixtureServer::start(Kind::P256Ca).await;
    let headers = f.json["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    srv.set(Script {
        status: f.json["http_status"].as_u64().unwrap() as u16,
        headers,
        raw: f.response_raw().to_owned(),
        fixture_id: None,
    });
    let mut cfg = srv.server.config();
    cfg.password = "wrong".into();
    let err = NodeClient::new(cfg).get_best_block().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("rpcuser/rpcpass"), "{err}");
    assert_eq!(
        srv.last_request().header("authorization"),
        Some(basic_auth(USER, "wrong").as_str())
    );
}

async fn check_ws_authenticate(f: &Fixture) {
    let fixture = fixtures::load(&f.name);
    let srv = TestServer::start(Kind::P256Ca, move |_, tls| {
        let f = fixtures::load(&fixture.name);
        async move {
            if let Some((ws, auth)) = accept_ws(tls).await {
                serve_authenticate(ws, auth, &f).await;
            }
        }
    })
    .await;
    let cfg = srv.config().with_ws_auth(WsAuth::AuthenticateMessage);
    let (session, mut rx) = WsSession::start(cfg.clone(), &[]);
    assert_eq!(next_event(&mut rx).await, Event::Connected);
    let best = NodeClient::over_websocket(&session)
        .get_best_block()
        .await
        .unwrap();
    let reply = f.json["exchanges"][1][1].as_str().unwrap();
    same(
        &raw_result(reply),
        &Ordered::parse(&serde_json::to_string(&best).unwrap()),
        "result",
    )
    .unwrap();
    drop(session);

    // The fixture's second case: a wrong password closes the socket.
    let mut bad = cfg;
    bad.password = f.json["bad_password"]["request"]["params"][1]
        .as_str()
        .unwrap()
        .to_owned();
    let (_session, mut rx) = WsSession::start(bad, &[]);
    match next_event(&mut rx).await {
        Event::ConnectFailed { error } => {
            assert!(
                error.contains("socket closed after authenticate"),
                "{error}"
            );
            assert!(error.contains("rpcuser/rpcpass"), "{error}");
        }
        other => panic!("expected ConnectFailed, got {other:?}"),
    }
}

async fn subscribed_session(
    push: Vec<String>,
) -> (
    TestServer,
    WsSession,
    Receiver<Event>,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    let seen: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let seen2 = seen.clone();
    let srv = TestServer::start(Kind::P256Ca, move |_, tls| {
        let (push, seen) = (push.clone(), seen2.clone());
        async move {
            if let Some((ws, auth)) = accept_ws(tls).await {
                serve_subscriptions(ws, auth, &push, false, seen).await;
            }
        }
    })
    .await;
    let (session, mut rx) = WsSession::start(srv.config(), &Subscription::ALL);
    assert_eq!(next_event(&mut rx).await, Event::Connected);
    (srv, session, rx, seen)
}

async fn check_ws_subscribe(_f: &Fixture) {
    let (_srv, session, _rx, seen) = subscribed_session(Vec::new()).await;
    assert!(session.is_connected());
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "notifyblocks",
            "notifywinningtickets",
            "notifynewtickets",
            "notifyspentandmissedtickets"
        ]
    );
}

async fn check_ws_notifications(f: &Fixture) {
    let frames = notification_frames();
    assert_eq!(frames.len(), f.json["frames"].as_array().unwrap().len());
    let (_srv, _session, mut rx, _) = subscribed_session(frames.clone()).await;
    let mut notes = Vec::new();
    while notes.len() < frames.len() {
        match next_event(&mut rx).await {
            Event::Notification(n) => notes.push(n),
            other => panic!("unexpected {other:?}"),
        }
    }
    let count = |m: &str| notes.iter().filter(|n| n.method() == m).count();
    assert_eq!(count("winningtickets"), 41);
    assert_eq!(count("blockconnected"), 40);
    assert_eq!(count("newtickets"), 40);
    assert_eq!(count("spentandmissedtickets"), 40);
    let mut missed = Vec::new();
    for (i, n) in notes.iter().enumerate() {
        match n {
            Notification::BlockConnected { header, txs } => {
                assert!(txs.is_empty());
                // The next notification is about the same block.
                let Notification::SpentAndMissedTickets {
                    block_hash, height, ..
                } = &notes[i + 1]
                else {
                    panic!("blockconnected not followed by spentandmissedtickets");
                };
                assert_eq!(header.hash(), Some(*block_hash));
                assert_eq!(header.height(), Some(*height));
            }
            Notification::WinningTickets { tickets, .. } => assert_eq!(tickets.len(), 5),
            Notification::SpentAndMissedTickets {
                tickets, height, ..
            } => missed.extend(
                tickets
                    .iter()
                    .filter(|(_, s)| **s == TicketSpend::Missed)
                    .map(|(t, _)| (*height, *t)),
            ),
            Notification::NewTickets { stake_diff, .. } => assert!(stake_diff.atoms() > 0),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(missed.len(), 1, "one winner was deliberately not voted");
    let (height, ticket) = missed[0];
    assert_eq!(height, 160);
    assert!(notes.iter().any(|n| matches!(n,
        Notification::WinningTickets { height: 159, tickets, .. } if tickets.contains(&ticket))));
}

/// After an exccd restart: the pushed notifications (the tip's winners again,
/// then three blocks) reach the session typed and in order.
async fn check_ws_reconnect(f: &Fixture) {
    let pushed: Vec<String> = f.json["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .filter(|t| t.contains("\"method\""))
        .map(str::to_owned)
        .collect();
    assert_eq!(pushed.len(), 16);
    let (_srv, _session, mut rx, _) = subscribed_session(pushed.clone()).await;
    let mut heights = Vec::new();
    for frame in &pushed {
        let want: serde_json::Value = serde_json::from_str(frame).unwrap();
        match next_event(&mut rx).await {
            Event::Notification(n) => {
                assert_eq!(n.method(), want["method"].as_str().unwrap());
                if let Notification::WinningTickets {
                    height, tickets, ..
                } = n
                {
                    assert_eq!(tickets.len(), 5);
                    heights.push(height);
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(heights, [544, 544, 545, 546, 547, 547]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_against_a_local_server() {
    let node_srv = HttpFixtureServer::start(Kind::P256Ca).await;
    let wallet_srv = HttpFixtureServer::start(Kind::Ed25519).await;
    let node = NodeClient::new(node_srv.server.config());
    let wallet = WalletClient::new(wallet_srv.server.config());
    let all = fixtures::all();
    let mut handled = 0;
    for f in &all {
        match f.name.as_str() {
            "node-bad-auth.json" => check_bad_auth(f).await,
            "node-ws-authenticate.json" => check_ws_authenticate(f).await,
            "node-ws-subscribe.json" => check_ws_subscribe(f).await,
            "node-ws-notifications.json" => check_ws_notifications(f).await,
            "node-ws-reconnect.json" => check_ws_reconnect(f).await,
            _ if f.request().is_some() && f.json.get("response_raw").is_some() => {
                let srv = if f.is_wallet() {
                    &wallet_srv
                } else {
                    &node_srv
                };
                check_plain(f, srv, &node, &wallet).await
            }
            _ => panic!("{}: fixture of unknown shape", f.name),
        }
        handled += 1;
    }
    assert_eq!(handled, all.len());
    // Keep-alive: all plain node calls shared few connections.
    assert!(
        node_srv
            .server
            .connections
            .load(std::sync::atomic::Ordering::SeqCst)
            <= 3
    );
}
