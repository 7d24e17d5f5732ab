//! Websocket session: reconnect and re-subscribe, pinning, timeouts, 401.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::certs::{self, Kind};
use common::server::{TestServer, accept_ws, wait_until};
use common::ws_fixtures::{next_text, notification_frames, serve_subscriptions};
use excc_rpc::{
    Backoff, ClientConfig, Error, Event, NodeClient, PinnedCert, Subscription, WsSession,
};
use tokio::sync::mpsc::Receiver;

const DEADLINE: Duration = Duration::from_secs(10);

async fn next_event(rx: &mut Receiver<Event>) -> Event {
    tokio::time::timeout(DEADLINE, rx.recv())
        .await
        .expect("event within the deadline")
        .expect("session alive")
}

fn fast_backoff(cfg: ClientConfig) -> ClientConfig {
    cfg.with_backoff(Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(50),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_and_resubscribes_after_server_close() {
    let frames = notification_frames();
    let (first, rest) = (frames[..8].to_vec(), frames[8..16].to_vec());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen2 = seen.clone();
    let srv = TestServer::start(Kind::P256Ca, move |n, tls| {
        let (first, rest, seen) = (first.clone(), rest.clone(), seen2.clone());
        async move {
            let Some((ws, auth)) = accept_ws(tls).await else {
                return;
            };
            if n == 0 {
                serve_subscriptions(ws, auth, &first, true, seen).await;
            } else {
                serve_subscriptions(ws, auth, &rest, false, seen).await;
            }
        }
    })
    .await;
    let (session, mut rx) = WsSession::start(fast_backoff(srv.config()), &Subscription::ALL);
    assert_eq!(next_event(&mut rx).await, Event::Connected);
    for _ in 0..8 {
        assert!(matches!(next_event(&mut rx).await, Event::Notification(_)));
    }
    assert!(matches!(
        next_event(&mut rx).await,
        Event::Disconnected { .. }
    ));
    assert_eq!(next_event(&mut rx).await, Event::Reconnected);
    assert!(session.is_connected());
    let mut methods = Vec::new();
    for _ in 0..8 {
        match next_event(&mut rx).await {
            Event::Notification(n) => methods.push(n.method().to_owned()),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(methods[0], "winningtickets");
    let subs = [
        "notifyblocks",
        "notifywinningtickets",
        "notifynewtickets",
        "notifyspentandmissedtickets",
    ];
    let want: Vec<&str> = subs.iter().chain(subs.iter()).copied().collect();
    assert_eq!(
        *seen.lock().unwrap(),
        want,
        "subscriptions sent again after reconnect"
    );
    assert_eq!(srv.connections.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn wrong_pinned_cert_fails_the_session_with_the_pin_error() {
    let srv = TestServer::start(Kind::Ed25519, |_, tls| async move {
        let _ = accept_ws(tls).await;
    })
    .await;
    let pin = PinnedCert::from_pem(
        certs::generate(Kind::Ed25519).pem.as_bytes(),
        "wallet/rpc.cert",
    )
    .unwrap();
    let cfg = fast_backoff(ClientConfig::new(srv.addr.clone(), "u", "p", pin));
    let (session, mut rx) = WsSession::start_labelled(cfg, "exccwallet", &[]);
    match next_event(&mut rx).await {
        Event::ConnectFailed { error } => {
            assert!(
                error.contains("does not match the pinned certificate wallet/rpc.cert"),
                "{error}"
            );
            assert!(error.contains("exccwallet at"), "{error}");
        }
        other => panic!("expected ConnectFailed, got {other:?}"),
    }
    // It keeps retrying with backoff, and calls fail fast meanwhile.
    assert!(matches!(
        next_event(&mut rx).await,
        Event::ConnectFailed { .. }
    ));
    let err = session.call_raw("getbestblock", vec![]).await.unwrap_err();
    assert!(matches!(err, Error::NotConnected { .. }), "{err}");
}

#[tokio::test]
async fn wrong_password_gets_401_on_upgrade() {
    let srv = TestServer::start(Kind::P256Ca, |_, tls| async move {
        let _ = accept_ws(tls).await;
    })
    .await;
    let mut cfg = srv.config();
    cfg.password = "wrong".into();
    let (_session, mut rx) = WsSession::start(cfg, &Subscription::ALL);
    match next_event(&mut rx).await {
        Event::ConnectFailed { error } => {
            assert!(
                error.contains("HTTP 401 on the websocket upgrade"),
                "{error}"
            );
        }
        other => panic!("expected ConnectFailed, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_websocket_request_times_out() {
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let r2 = received.clone();
    let srv = TestServer::start(Kind::P256Ca, move |_, tls| {
        let received = r2.clone();
        async move {
            let Some((mut ws, _)) = accept_ws(tls).await else {
                return;
            };
            while let Some(t) = next_text(&mut ws).await {
                received.lock().unwrap().push(t);
            }
        }
    })
    .await;
    let cfg = srv.config().with_timeout(Duration::from_millis(200));
    let (session, mut rx) = WsSession::start(cfg, &[]);
    assert_eq!(next_event(&mut rx).await, Event::Connected);
    let err = NodeClient::over_websocket(&session)
        .get_block_count()
        .await
        .unwrap_err();
    match &err {
        Error::Timeout { method, .. } => assert_eq!(method, "getblockcount"),
        other => panic!("expected a timeout, got {other}"),
    }
    wait_until("the request reached the server", DEADLINE, || {
        !received.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(
        received.lock().unwrap()[0],
        r#"{"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]}"#
    );
}

#[tokio::test]
async fn dropping_the_session_closes_the_socket() {
    let closed: Arc<Mutex<bool>> = Arc::default();
    let c2 = closed.clone();
    let srv = TestServer::start(Kind::P256Ca, move |_, tls| {
        let closed = c2.clone();
        async move {
            let Some((mut ws, _)) = accept_ws(tls).await else {
                return;
            };
            while next_text(&mut ws).await.is_some() {}
            *closed.lock().unwrap() = true;
        }
    })
    .await;
    let (session, mut rx) = WsSession::start(srv.config(), &[]);
    assert_eq!(next_event(&mut rx).await, Event::Connected);
    drop(session);
    wait_until("server saw the close", DEADLINE, || *closed.lock().unwrap()).await;
}
