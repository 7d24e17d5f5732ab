//! The `exccstakepool` program in front of a voting node that accepts TCP and never answers
//! (a frozen stakepoold) and a healthy one (the real stakepoold, reached through a port that
//! forwards to it until told to hang). The service binds its port at once, `/healthz`
//! answers 503 without waiting, the healthy node is synced and read from without delay,
//! pages that need every node answer with their message within the deadline, and
//! everything recovers when the node answers again. And with the only node down, the
//! tickets page says so (legacy B-3).

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Chain, FormClient, chain, has, sign_in};
use excc_chain::script::pool_ticket_multisig;
use excc_chain::{Address, ExtendedKey, Network};
use exccstakepool::db::Db;
use exccstakepool::db::users::TicketAddress;
use pool_tests::hang::HangingPeer;
use pool_tests::http::request;
use pool_tests::pki::write_private;
use pool_tests::proc::{Proc, bin, free_port};
use pool_tests::wait_for;
use serde_json::json;
use stakepoold_proto::v1 as pb;

/// The deadline of every voting-node call in this test (`voting_node_timeout_secs`).
const DEADLINE_SECS: u64 = 15;
const PASSWORD: &str = "early user's password";

/// The program's configuration: two voting nodes at `nodes`, SQLite in `dir`.
async fn config(dir: &Path, c: &Chain, port: u16, nodes: [SocketAddr; 2]) -> std::path::PathBuf {
    let voting_xpub = c.wallet.ok_str("getmasterpubkey", json!(["default"])).await;
    let web = c.pki.ca.issue("web", dir);
    let ca = c.pki.ca.write_cert(&dir.join("pool-ca.cert"));
    write_private(&dir.join("api.secret"), &"s".repeat(40));
    let text = format!(
        r#"network = "simnet"
listen = "127.0.0.1:{port}"
base_url = "http://127.0.0.1:{port}"
sync_interval_secs = 10
voting_node_timeout_secs = {DEADLINE_SECS}
api_secret_file = "api.secret"
[database]
url = "sqlite://pool.db"
[pool]
fee_percent = 7.5
cold_wallet_xpub = "{cold}"
voting_wallet_xpub = "{voting_xpub}"
max_users = 100
[tls]
ca = "{ca}"
client_cert = "{cert}"
client_key = "{key}"
[[voting_nodes]]
name = "localhost"
grpc = "{n1}"
[[voting_nodes]]
name = "localhost"
grpc = "{n2}"
"#,
        cold = c.cold_xpub,
        ca = ca.display(),
        cert = web.cert.display(),
        key = web.key.display(),
        n1 = nodes[0],
        n2 = nodes[1],
    );
    let path = dir.join("exccstakepool.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A user (with a ticket address) in the database before the service starts: the service
/// must bring its script to every node that answers. Returns its multisig address.
async fn early_user(dir: &Path, c: &Chain) -> String {
    let db = Db::open(&format!("sqlite://{}", dir.join("pool.db").display()))
        .await
        .unwrap();
    let hash = exccstakepool::passwords::hash(PASSWORD);
    let id = db.create_user("early@example.org", &hash).await.unwrap();
    let key = |xpub: &str| -> excc_chain::PubKey {
        let k: ExtendedKey = xpub.parse().unwrap();
        k.child(0).unwrap().child(id as u32).unwrap().pubkey()
    };
    let voting_xpub = c.wallet.ok_str("getmasterpubkey", json!(["default"])).await;
    let (pool_key, fee_key) = (key(&voting_xpub), key(&c.cold_xpub));
    let (_, user_pka) = c.users.new_address().await;
    let user_key = Address::decode_pubkey_for(&user_pka, Network::Simnet).unwrap();
    let m = pool_ticket_multisig(Network::Simnet, &pool_key, &user_key);
    let a = TicketAddress {
        multisig_address: m.address.encode(),
        multisig_script: hex::encode(&m.redeem_script),
        pool_pubkey_addr: Address::p2pk(Network::Simnet, pool_key).encode(),
        user_pubkey_addr: user_pka,
        fee_address: Address::p2pkh_from_pubkey(Network::Simnet, &fee_key).encode(),
        height_registered: 0,
    };
    assert!(db.set_ticket_address(id, &a).await.unwrap());
    db.pool_close().await;
    a.multisig_address
}

/// `/healthz`: its status and how long it took.
async fn health(addr: SocketAddr) -> (u16, Duration, String) {
    let started = Instant::now();
    let (status, body) = request(addr, "GET", "/healthz", &[], "")
        .await
        .expect("/healthz answers");
    (status, started.elapsed(), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_voting_node_costs_the_service_nothing_but_its_own_calls() {
    let dir = pool_tests::test_dir("web-hung-node");
    let root = dir.path();
    let c = chain(root).await;
    let spd: SocketAddr = ([127, 0, 0, 1], c.spd.grpc_port).into();
    let frozen = HangingPeer::start(spd, true).await;
    let healthy = HangingPeer::start(spd, false).await;
    let script = early_user(root, &c).await;
    let port = free_port();
    let config = config(root, &c, port, [frozen.addr, healthy.addr]).await;
    let _service = Proc::spawn(
        "exccstakepool",
        &bin("exccstakepool"),
        &["--config".into(), config.display().to_string()],
        &root.join("exccstakepool.log"),
    );
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();

    // It listens at once (before the frozen node's deadline) and tells it is not healthy
    // without waiting for the frozen node.
    wait_for(DEADLINE_SECS - 5, "exccstakepool to listen", || {
        request(addr, "GET", "/", &[], "")
    })
    .await;
    let up = Instant::now();
    let (status, took, body) = health(addr).await;
    assert_eq!(status, 503, "{body}");
    assert!(took < Duration::from_secs(2), "/healthz took {took:?}");

    // The healthy node is synced at once: the early user's script reaches it well before
    // the frozen node's deadline.
    let spd_api = c.pki.client(c.spd.grpc_port, "web", None).await.unwrap();
    let reached = wait_for(
        DEADLINE_SECS,
        "the script to reach the healthy node",
        || {
            let mut api = spd_api.clone();
            let script = script.clone();
            async move {
                let have = api
                    .list_imported_addresses(pb::ListImportedAddressesRequest {})
                    .await
                    .ok()?
                    .into_inner()
                    .addresses;
                have.contains(&script).then(Instant::now)
            }
        },
    )
    .await;
    let after = reached - up;
    assert!(
        after < Duration::from_secs(DEADLINE_SECS / 2),
        "the healthy node was synced only after {after:?}"
    );
    assert!(frozen.held() > 0, "the service never tried the frozen node");
    let (status, took, _) = health(addr).await;
    assert!(
        status == 503 && took < Duration::from_secs(2),
        "{status} {took:?}"
    );

    // Reads (pages and API) take the healthy node's answer without waiting for the frozen one.
    let mut b = FormClient::new(addr);
    let signed_in = sign_in(&mut b, "early@example.org", PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let started = Instant::now();
    let tickets = b.get("/tickets").await;
    let took = started.elapsed();
    assert_eq!(tickets.status, 200);
    has(&tickets, &script);
    assert!(
        !tickets.body.contains("cannot be listed"),
        "{}",
        tickets.body
    );
    assert!(
        took < Duration::from_secs(DEADLINE_SECS / 3),
        "/tickets took {took:?}"
    );

    let started = Instant::now();
    let (status, stats) = request(addr, "GET", "/api/v1/stats", &[], "")
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(status == 200 && stats.contains("\"code\":0"), "{stats}");
    assert!(
        took < Duration::from_secs(DEADLINE_SECS / 3),
        "the API took {took:?}"
    );

    // What needs every node fails with its message once the deadline has passed.
    b.get("/voting").await;
    let started = Instant::now();
    let refused = b.post("/voting", "VoteBits=1").await;
    let took = started.elapsed();
    has(&refused, "Not saved: RPC server error.");
    assert!(
        took < Duration::from_secs(DEADLINE_SECS + 10),
        "/voting took {took:?}"
    );

    // With every node hanging, the tickets page says so in bounded time (legacy B-3).
    healthy.hang();
    let started = Instant::now();
    let tickets = b.get("/tickets").await;
    let took = started.elapsed();
    assert_eq!(tickets.status, 200, "{}", tickets.body);
    has(
        &tickets,
        "Your tickets cannot be listed right now (no voting node answered).",
    );
    assert!(
        took < Duration::from_secs(DEADLINE_SECS + 10),
        "/tickets took {took:?}"
    );

    // Both answer again: healthy within a few polls, and votes are saved.
    frozen.pass();
    healthy.pass();
    wait_for(3 * DEADLINE_SECS, "/healthz to answer 200", || async {
        (health(addr).await.0 == 200).then_some(())
    })
    .await;
    b.get("/voting").await;
    has(
        &b.post("/voting", "VoteBits=1").await,
        "Voting preferences saved.",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_its_voting_node_down_the_tickets_page_says_so() {
    let mut s = common::served("web-node-down").await;
    let mut b = FormClient::new(s.addr);
    common::sign_up(&mut b, "down@example.org", "down user's password").await;
    let (_, pka) = s.c.users.new_address().await;
    b.get("/address").await;
    let registered = b.post("/address", &format!("UserPubKeyAddr={pka}")).await;
    common::redirects_to(&registered, "/tickets");
    has(&b.get("/tickets").await, "No tickets yet.");
    s.c.spd.stop();
    let tickets = b.get("/tickets").await;
    assert_eq!(tickets.status, 200, "{}", tickets.body);
    has(
        &tickets,
        "Your tickets cannot be listed right now (no voting node answered).",
    );
}
