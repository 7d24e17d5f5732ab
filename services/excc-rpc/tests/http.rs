//! HTTPS POST transport: pinning, timeouts, connection errors, concurrency.

mod common;

use std::time::Duration;

use common::certs::{self, Kind};
use common::fixtures;
use common::http_fixture_server::{HttpFixtureServer, Script};
use common::server::{TestServer, read_http_request};
use excc_rpc::{ClientConfig, Error, NodeClient, PinnedCert, WalletClient};

fn script_for(name: &str) -> Script {
    let f = fixtures::load(name);
    Script {
        status: 200,
        headers: vec![],
        raw: f.response_raw().to_owned(),
        fixture_id: Some(f.request_id()),
    }
}

#[tokio::test]
async fn wrong_pinned_cert_names_the_file() {
    for kind in [Kind::P256Ca, Kind::Ed25519] {
        let srv = HttpFixtureServer::start(kind).await;
        srv.set(script_for("node-getblockcount.json"));
        let other = certs::generate(kind);
        let pin = PinnedCert::from_pem(other.pem.as_bytes(), "/etc/excc/exccd-rpc.cert").unwrap();
        let cfg = ClientConfig::new(srv.server.addr.clone(), "u", "p", pin);
        let err = NodeClient::new(cfg).get_block_count().await.unwrap_err();
        assert!(matches!(err, Error::CertMismatch { .. }), "{err}");
        assert!(
            err.to_string().contains("/etc/excc/exccd-rpc.cert"),
            "{err}"
        );
        assert!(
            srv.seen.lock().unwrap().is_empty(),
            "nothing sent before the pin check"
        );
    }
}

#[tokio::test]
async fn right_pin_works_for_both_key_types() {
    for kind in [Kind::P256Ca, Kind::Ed25519] {
        let srv = HttpFixtureServer::start(kind).await;
        srv.set(script_for("node-getblockcount.json"));
        let n = NodeClient::new(srv.server.config())
            .get_block_count()
            .await
            .unwrap();
        assert_eq!(n, 147);
    }
}

#[tokio::test]
async fn hanging_server_hits_the_timeout() {
    let srv = TestServer::start(Kind::P256Ca, |_, mut tls| async move {
        let _req = read_http_request(&mut tls).await;
        std::future::pending::<()>().await;
    })
    .await;
    let cfg = srv.config().with_timeout(Duration::from_millis(200));
    let err = NodeClient::new(cfg).get_best_block().await.unwrap_err();
    match &err {
        Error::Timeout {
            method, timeout, ..
        } => {
            assert_eq!(method, "getbestblock");
            assert_eq!(*timeout, Duration::from_millis(200));
        }
        other => panic!("expected a timeout, got {other}"),
    }
    assert!(err.to_string().contains("getbestblock") && err.to_string().contains("200ms"));
}

#[tokio::test]
async fn server_silent_during_tls_hits_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hold = tokio::spawn(async move {
        let (_sock, _) = listener.accept().await.unwrap();
        std::future::pending::<()>().await;
    });
    let pin =
        PinnedCert::from_pem(certs::generate(Kind::P256Ca).pem.as_bytes(), "rpc.cert").unwrap();
    let cfg = ClientConfig::new(addr, "u", "p", pin).with_timeout(Duration::from_millis(200));
    let err = WalletClient::new(cfg).wallet_info().await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { ref method, .. } if method == "walletinfo"),
        "{err}"
    );
    assert!(err.to_string().contains("exccwallet at"), "{err}");
    hold.abort();
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let pin =
        PinnedCert::from_pem(certs::generate(Kind::P256Ca).pem.as_bytes(), "rpc.cert").unwrap();
    let err = NodeClient::new(ClientConfig::new(addr.clone(), "u", "p", pin))
        .get_best_block()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
    assert!(
        err.to_string().contains(&addr) && err.to_string().contains("listening"),
        "{err}"
    );
    assert!(err.is_transport());
}

#[tokio::test]
async fn non_json_reply_is_a_bad_response() {
    let srv = HttpFixtureServer::start(Kind::P256Ca).await;
    srv.set(Script {
        status: 200,
        headers: vec![],
        raw: "<html>proxy</html>".into(),
        fixture_id: None,
    });
    let err = NodeClient::new(srv.server.config())
        .get_best_block()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadResponse { .. }), "{err}");
}

#[tokio::test]
async fn wrongly_typed_result_is_a_bad_response() {
    let srv = HttpFixtureServer::start(Kind::P256Ca).await;
    // A getblockcount reply to a getbestblock call.
    srv.set(script_for("node-getblockcount.json"));
    let err = NodeClient::new(srv.server.config())
        .get_best_block()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::BadResponse { ref method, .. } if method == "getbestblock"),
        "{err}"
    );
}

#[tokio::test]
async fn other_http_status_is_reported() {
    let srv = HttpFixtureServer::start(Kind::P256Ca).await;
    srv.set(Script {
        status: 503,
        headers: vec![],
        raw: "too many clients".into(),
        fixture_id: None,
    });
    let err = NodeClient::new(srv.server.config())
        .get_best_block()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Http { status: 503, .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_share_a_pool() {
    let srv = HttpFixtureServer::start(Kind::Ed25519).await;
    srv.set(script_for("node-getblockcount.json"));
    let node = NodeClient::new(srv.server.config());
    let calls = (0..16).map(|_| {
        let node = node.clone();
        tokio::spawn(async move { node.get_block_count().await })
    });
    for c in calls {
        assert_eq!(c.await.unwrap().unwrap(), 147);
    }
    let ids: std::collections::BTreeSet<u64> = srv
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["id"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 16, "every request has its own id");
    assert!(
        srv.server
            .connections
            .load(std::sync::atomic::Ordering::SeqCst)
            <= 16
    );
}

#[test]
fn cert_file_errors_say_which_file() {
    let err = PinnedCert::from_pem_file("/nonexistent/rpc.cert").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/rpc.cert"), "{err}");
    let err = PinnedCert::from_pem(b"not a cert", "garbage.cert").unwrap_err();
    assert!(matches!(err, Error::CertFile { .. }) && err.to_string().contains("garbage.cert"));
    let dir = std::env::temp_dir().join(format!("excc-rpc-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rpc.cert");
    let c = certs::generate(Kind::P256Ca);
    std::fs::write(&path, &c.pem).unwrap();
    let pin = PinnedCert::from_pem_file(&path).unwrap();
    assert_eq!(pin.der(), c.der.as_ref());
    assert_eq!(pin.source(), path.display().to_string());
    std::fs::remove_dir_all(&dir).unwrap();
}
