//! The JSON API over real HTTP, in front of a real stakepoold (mutual TLS) on the simulated
//! network, with the database on SQLite and on a private MariaDB server: stats, purchase
//! info, address submission (checked against the chain library and the voting wallet),
//! voting preferences, token checks and the envelope of every error.

use std::net::SocketAddr;
use std::sync::Arc;

mod common;
use common::{Chain, SECRET, chain, pool_for, serve_app};
use excc_chain::script::pool_ticket_multisig;
use excc_chain::{Address, ExtendedKey, Network};
use exccstakepool::db::Db;
use exccstakepool::pool::Pool;
use exccstakepool::token;
use pool_tests::http::request;
use pool_tests::mariadb::{self, MariaDb};
use pool_tests::simnet::start_pool_wallet;
use pool_tests::stakepoold::Stakepoold;
use serde_json::{Value, json};
use stakepoold_proto::v1 as pb;

/// The web service's API on a free port, its database at `db_url`.
async fn serve(c: &Chain, db_url: &str) -> (SocketAddr, Arc<Pool>) {
    let pool = pool_for(c, &[&c.spd], db_url).await;
    let addr = serve_app(&pool).await;
    (addr, pool)
}

async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    form: &str,
) -> (u16, Value) {
    let auth = token.map(|t| format!("Authorization: Bearer {t}"));
    let mut headers = vec!["Content-Type: application/x-www-form-urlencoded"];
    if let Some(a) = &auth {
        headers.push(a);
    }
    let (status, body) = request(addr, method, path, &headers, form)
        .await
        .unwrap_or_else(|| panic!("{method} {path}: no answer"));
    assert!(body.ends_with('\n'), "{body:?}");
    let v =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method} {path}: {body:?}: {e}"));
    (status, v)
}

/// `POST address` of `pka` with `token`.
async fn submit(addr: SocketAddr, token: Option<&str>, pka: &str) -> (u16, Value) {
    let form = format!("UserPubKeyAddr={pka}");
    call(addr, "POST", "/api/v1/address", token, &form).await
}

/// `(code, message)` of an API answer with HTTP 200.
fn outcome(r: &(u16, Value)) -> (i64, &str) {
    assert_eq!(r.0, 200, "{}", r.1);
    (
        r.1["code"].as_i64().unwrap(),
        r.1["message"].as_str().unwrap(),
    )
}

async fn scenario(c: &Chain, db_url: &str) {
    let (addr, pool) = serve(c, db_url).await;
    let alice = pool.db.create_user("alice@example.org", "h").await.unwrap();
    let t = token::issue(SECRET, "https://pool.example", alice, Db::now());
    pool.db.set_api_token(alice, &t).await.unwrap();
    let tok = Some(t.as_str());

    // stats: no token needed.
    let r = call(addr, "GET", "/api/v1/stats", None, "").await;
    assert_eq!(outcome(&r), (0, "stats successfully retrieved"));
    let d = &r.1["data"];
    assert_eq!(d["Network"], "simnet");
    assert_eq!(d["APIVersionsSupported"], json!([1, 2]));
    assert_eq!(
        (d["UserCount"].as_i64(), d["UserCountActive"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (d["PoolStatus"].as_str(), d["PoolFees"].as_f64()),
        (Some("Open"), Some(7.5))
    );
    assert!(d["BlockHeight"].is_i64(), "{d}");

    // Purchase info needs a token and an address.
    let r = call(addr, "GET", "/api/v2/getpurchaseinfo", None, "").await;
    assert_eq!(outcome(&r), (16, "purchaseinfo error - invalid api token"));
    assert_eq!(r.1["data"], Value::Null);
    assert!(r.1.as_object().unwrap().contains_key("data"));
    let r = call(addr, "GET", "/api/v2/getpurchaseinfo", tok, "").await;
    assert_eq!(
        outcome(&r),
        (9, "purchaseinfo error - no address submitted")
    );

    // Addresses that are not a public key of this network.
    let (p2pkh, user_pka) = c.users.new_address().await;
    let mainnet_pka = Address::p2pk(
        Network::Mainnet,
        Address::decode_pubkey_for(&user_pka, Network::Simnet).unwrap(),
    )
    .encode();
    // The same address with its last character changed: the checksum fails.
    let last = if user_pka.ends_with('x') { 'y' } else { 'x' };
    let corrupt = format!("{}{last}", &user_pka[..user_pka.len() - 1]);
    for (form, message) in [
        (
            "UserPubKeyAddr=Sk123".to_owned(),
            "address error - address too short",
        ),
        // A P2PKH address (35 characters) is too short for a public-key address.
        (
            format!("UserPubKeyAddr={p2pkh}"),
            "address error - address too short",
        ),
        (
            format!("UserPubKeyAddr={}", "Sk".repeat(33)),
            "address error - address too long",
        ),
        (
            format!("UserPubKeyAddr={corrupt}"),
            "address error - couldn't decode address",
        ),
        (
            format!("UserPubKeyAddr={mainnet_pka}"),
            "address error - address is for mainnet, but this pool runs on simnet",
        ),
    ] {
        let r = call(addr, "POST", "/api/v1/address", tok, &form).await;
        assert_eq!(outcome(&r), (3, message), "{form}");
        assert!(!r.1.as_object().unwrap().contains_key("data"));
    }
    let r = submit(addr, None, &user_pka).await;
    assert_eq!(outcome(&r), (16, "address error - invalid api token"));

    // The real submission: multisig of the pool key (voting xpub/0/1) and the user's key.
    let r = submit(addr, tok, &user_pka).await;
    assert_eq!(outcome(&r), (0, "address successfully imported"));
    let voting: ExtendedKey = c
        .wallet
        .ok_str("getmasterpubkey", json!(["default"]))
        .await
        .parse()
        .unwrap();
    let pool_key = voting
        .child(0)
        .unwrap()
        .child(alice as u32)
        .unwrap()
        .pubkey();
    let user_key = Address::decode_pubkey_for(&user_pka, Network::Simnet).unwrap();
    let expected = pool_ticket_multisig(Network::Simnet, &pool_key, &user_key);
    let cold: ExtendedKey = c.cold_xpub.parse().unwrap();
    let fee = Address::p2pkh_from_pubkey(
        Network::Simnet,
        &cold.child(0).unwrap().child(alice as u32).unwrap().pubkey(),
    );
    let r = call(addr, "GET", "/api/v1/getpurchaseinfo", tok, "").await;
    assert_eq!(outcome(&r), (0, "purchaseinfo successfully retrieved"));
    assert_eq!(
        r.1["data"],
        json!({
            "PoolAddress": fee.encode(),
            "PoolFees": 7.5,
            "Script": hex::encode(&expected.redeem_script),
            "TicketAddress": expected.address.encode(),
            "VoteBits": 1,
            "VoteBitsVersion": 0,
        })
    );
    // The voting wallet has the script (through stakepoold) and stakepoold the user.
    let mut api = c.pki.client(c.spd.grpc_port, "web", None).await.unwrap();
    let imported = api
        .list_imported_addresses(pb::ListImportedAddressesRequest {})
        .await
        .unwrap()
        .into_inner()
        .addresses;
    assert!(
        imported.contains(&expected.address.encode()),
        "{imported:?}"
    );
    let r = submit(addr, tok, &user_pka).await;
    assert_eq!(
        outcome(&r),
        (6, "address error - address already submitted")
    );
    let r = call(addr, "GET", "/api/v1/stats", None, "").await;
    assert_eq!(r.1["data"]["UserCountActive"], 1);

    // Voting preferences: only valid bits of the current agendas (none on EXCC: only 1).
    let r = call(addr, "POST", "/api/v2/voting", tok, "VoteBits=5").await;
    assert_eq!(
        outcome(&r),
        (3, "voting error - votebits invalid for current agendas")
    );
    let r = call(addr, "POST", "/api/v2/voting", tok, "VoteBits=65537").await;
    assert_eq!(
        outcome(&r),
        (3, "voting error - unable to convert votebits to uint16")
    );
    // A JSON body is refused with what to send instead, not read as "no parameters".
    let auth = format!("Authorization: Bearer {t}");
    let (status, body) = request(
        addr,
        "POST",
        "/api/v2/voting",
        &["Content-Type: application/json", &auth],
        "{\"VoteBits\": 1}",
    )
    .await
    .unwrap();
    assert_eq!(status, 415, "{body}");
    assert!(body.contains("application/x-www-form-urlencoded"), "{body}");
    let r = call(addr, "POST", "/api/v2/voting", tok, "VoteBits=1").await;
    assert_eq!(outcome(&r), (0, "successfully updated voting preferences"));
    let version = pool
        .db
        .user(alice)
        .await
        .unwrap()
        .unwrap()
        .vote_bits_version;
    assert_ne!(
        version, 0,
        "the wallets' vote version is stored with the bits"
    );

    // Tokens: another secret, another user id, or a token that is not the stored one.
    let bob = pool.db.create_user("bob@example.org", "h").await.unwrap();
    for forged in [
        token::issue(b"wrong secret", "https://pool.example", alice, Db::now()),
        token::issue(SECRET, "https://pool.example", bob, Db::now()),
        token::issue(SECRET, "https://pool.example", alice, Db::now() - 5),
    ] {
        let r = call(addr, "GET", "/api/v1/getpurchaseinfo", Some(&forged), "").await;
        assert_eq!(outcome(&r).0, 16, "{forged}");
    }

    // Unknown commands, versions and methods.
    for (method, path, status) in [
        ("GET", "/api/v1/nothing", 404),
        ("GET", "/api/v3/stats", 404),
        ("GET", "/api/stats", 404),
        ("PUT", "/api/v1/stats", 405),
        ("GET", "/api/v1/address", 405),
    ] {
        let r = call(addr, method, path, None, "").await;
        assert_eq!(
            (r.0, r.1["code"].as_i64()),
            (status, Some(3)),
            "{method} {path}"
        );
        assert_eq!(r.1["message"], "invalid API command or version");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_on_sqlite_and_mariadb() {
    let dir = pool_tests::test_dir("web-api");
    let c = chain(dir.path()).await;
    scenario(
        &c,
        &format!("sqlite://{}", dir.path().join("pool.db").display()),
    )
    .await;
    if mariadb::available() {
        let server = MariaDb::start(&dir.path().join("mariadb"));
        scenario(&c, &server.url).await;
    } else {
        eprintln!("mariadb part SKIPPED: mariadb-server is not installed (tests/run installs it)");
    }
}

/// A voting node added later (its wallet restored from the pool seed, knowing no user) is
/// brought up to date by the sync: it imports the registered users' scripts with one rescan;
/// a second round
/// has nothing to import; admin-added low-fee tickets reach it; a node that is down is reported and does not stop the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_brings_a_new_voting_node_up_to_date() {
    let dir = pool_tests::test_dir("web-sync");
    let root = dir.path();
    let c = chain(root).await;
    let db_url = format!("sqlite://{}", root.join("pool.db").display());
    let first = pool_for(&c, &[&c.spd], &db_url).await;
    let mut users = Vec::new();
    for email in ["a@example.org", "b@example.org"] {
        let id = first.db.create_user(email, "h").await.unwrap();
        let user = first.db.user(id).await.unwrap().unwrap();
        let (_, pka) = c.users.new_address().await;
        let a = exccstakepool::address::submit(&first, &user, &pka)
            .await
            .unwrap();
        users.push(a.multisig_address);
    }
    // A low-fee ticket an admin added: every node is told at each sync.
    let added = exccstakepool::db::low_fee::AddedTicket {
        hash: "cd".repeat(32),
        address: users[0].clone(),
        added_by: 1,
        expires: exccstakepool::db::Db::now() + 3600,
    };
    assert!(first.db.add_low_fee_ticket(&added, 0).await.unwrap());
    first.db.pool_close().await;

    let wallet2 = start_pool_wallet(root, "voting-wallet2", &c.node, &c.cold_xpub).await;
    let mut spd2 =
        Stakepoold::start(root, "stakepoold2", &c.pki, &c.node, &wallet2, &c.cold_xpub).await;
    let both = pool_for(&c, &[&c.spd, &spd2], &db_url).await;
    let imported = |r: &[exccstakepool::sync::NodeSync]| -> Vec<(usize, bool)> {
        r.iter().map(|n| (n.imported, n.result.is_ok())).collect()
    };
    let r = exccstakepool::sync::sync_nodes(&both).await.unwrap();
    assert_eq!(imported(&r), [(0, true), (2, true)], "{r:?}");
    // One rescan for both scripts, not one per script (legacy B-18).
    let log = std::fs::read_to_string(wallet2.dir.join("log.txt")).unwrap();
    assert_eq!(
        log.matches("importscript: rescan requested").count(),
        1,
        "{log}"
    );
    let mut api2 = c.pki.client(spd2.grpc_port, "web", None).await.unwrap();
    let have = api2
        .list_imported_addresses(pb::ListImportedAddressesRequest {})
        .await
        .unwrap()
        .into_inner()
        .addresses;
    for u in &users {
        assert!(have.contains(u), "{u} not in {have:?}");
    }
    let low_fee = api2
        .get_added_low_fee_tickets(pb::GetAddedLowFeeTicketsRequest {})
        .await
        .unwrap()
        .into_inner()
        .tickets;
    // (stakepoold names the address only of tickets it has seen; this one is made up.)
    assert_eq!(
        low_fee.iter().map(|t| t.hash.as_str()).collect::<Vec<_>>(),
        [added.hash.as_str()]
    );
    let r = exccstakepool::sync::sync_nodes(&both).await.unwrap();
    assert_eq!(imported(&r), [(0, true), (0, true)], "{r:?}");

    spd2.stop();
    let r = exccstakepool::sync::sync_nodes(&both).await.unwrap();
    assert!(r[0].result.is_ok(), "{r:?}");
    assert!(
        r[1].result
            .as_ref()
            .is_err_and(|e| e.starts_with("listing its scripts")),
        "{r:?}"
    );
}
