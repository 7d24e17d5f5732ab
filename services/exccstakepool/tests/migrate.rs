//! `exccstakepool migrate-legacy` against a real MariaDB holding a legacy Go pool's database,
//! written the legacy way (schema of its §8: nullable columns, bcrypt cost 10 in a
//! mediumblob, JWTs signed with the old `apisecret`, addresses derived like the legacy pool):
//! moved into SQLite and into MariaDB, every user signs in with the old password (the hash
//! becomes Argon2id), the old token works on `/api/v1/getpurchaseinfo`, ticket and fee
//! addresses are unchanged, a second run changes nothing, a database whose stored addresses
//! disagree with the derivation is refused with the list, and the legacy tables never change.

mod common;

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use excc_chain::script::pool_ticket_multisig;
use excc_chain::{Address, ExtendedKey, Network};
use exccstakepool::config::Config;
use exccstakepool::db::Db;
use exccstakepool::migrate::{self, MigrateError};
use exccstakepool::pool::Pool;
use exccstakepool::voting_nodes::{DEFAULT_DEADLINE, VotingNodes};
use hmac::{Hmac, Mac};
use pool_tests::http::exchange;
use pool_tests::mariadb::{self, MariaDb};
use sqlx::mysql::MySqlConnection;
use sqlx::{Connection, Row};

const COLD_XPUB: &str = "spubVVgtUGC2A9Vgfv7m73ei6ZdHALcmzfany7EChC337inwFm3fXNv5JiqGonPTBuByW9H3iVpqyv9B7PmBMpHTrKYbPCJ7s17rTysbSkGM4iD";
const VOTING_XPUB: &str = "spubVVrpcffyy5wLKbchhdnbi8Bp39fjgEoRZTW61hEFW1WAFsFc6JbetBKwA6baXhrzWAUQCMiWY3AtWQ9FWzTfRnTAdBpsvCQKzrxHK3pG54o";
/// The legacy pool's `apisecret` (shorter than ours may be: the legacy pool had no rule).
const LEGACY_SECRET: &str = "old pool secret";
const NEW_SECRET: &str = "the new pool's api secret, 32+ bytes long";

/// A legacy user as the test writes it.
struct Legacy {
    id: i64,
    email: &'static str,
    password: &'static str,
    verified: i64,
    email_token: &'static str,
    with_address: bool,
    with_token: bool,
    vote_bits: i64,
    vote_bits_version: i64,
}

const USERS: &[Legacy] = &[
    Legacy {
        id: 1,
        email: "Alice@Example.org",
        password: "alice's old password",
        verified: 1,
        email_token: "",
        with_address: true,
        with_token: true,
        vote_bits: 5,
        vote_bits_version: 7,
    },
    Legacy {
        id: 2,
        email: "bob@example.org",
        password: "bob pw",
        verified: 2,
        email_token: "",
        with_address: false,
        with_token: true,
        vote_bits: 1,
        vote_bits_version: 3,
    },
    Legacy {
        id: 3,
        email: "carol@example.org",
        password: "carol's password",
        verified: 0,
        email_token: "0123456789abcdef0123456789abcdef",
        with_address: false,
        with_token: false,
        vote_bits: 1,
        vote_bits_version: 3,
    },
    // Id 4 was deleted in the legacy pool: ids have gaps.
    Legacy {
        id: 5,
        email: "dave@example.org",
        password: "dave's password",
        verified: 1,
        email_token: "",
        with_address: true,
        with_token: true,
        vote_bits: 3,
        vote_bits_version: 7,
    },
];

/// The user's own key (from another wallet: here a branch of the cold xpub nobody uses).
fn user_key(id: i64) -> excc_chain::PubKey {
    let k: ExtendedKey = COLD_XPUB.parse().unwrap();
    k.child(7).unwrap().child(id as u32).unwrap().pubkey()
}

/// (MultiSigAddress, MultiSigScript, PoolPubKeyAddr, UserPubKeyAddr, UserFeeAddr) as the
/// legacy pool stored them for `id`.
fn legacy_addresses(id: i64) -> (String, String, String, String, String) {
    let child = |xpub: &str| {
        let k: ExtendedKey = xpub.parse().unwrap();
        k.child(0).unwrap().child(id as u32).unwrap().pubkey()
    };
    let (pool, fee, user) = (child(VOTING_XPUB), child(COLD_XPUB), user_key(id));
    let m = pool_ticket_multisig(Network::Simnet, &pool, &user);
    (
        m.address.encode(),
        hex::encode(&m.redeem_script),
        Address::p2pk(Network::Simnet, pool).encode(),
        Address::p2pk(Network::Simnet, user).encode(),
        Address::p2pkh_from_pubkey(Network::Simnet, &fee).encode(),
    )
}

/// A token as the legacy pool made it: HS256 with `apisecret`, claims in key order.
fn legacy_token(id: i64) -> String {
    let header = B64.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = B64.encode(format!(
        r#"{{"iat":1600000000,"iss":"https://old.pool.example","loggedInAs":{id}}}"#
    ));
    let input = format!("{header}.{claims}");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(LEGACY_SECRET.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
}

/// The legacy tables as gorp created them (exccstakepool's models, MySQL dialect).
const LEGACY_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS `Users` (`UserId` bigint not null primary key auto_increment, `Email` varchar(255), `Username` varchar(255), `Password` mediumblob, `MultiSigAddress` varchar(255), `MultiSigScript` varchar(255), `PoolPubKeyAddr` varchar(255), `UserPubKeyAddr` varchar(255), `UserFeeAddr` varchar(255), `HeightRegistered` bigint, `EmailVerified` bigint, `EmailToken` varchar(255), `APIToken` varchar(255), `VoteBits` bigint, `VoteBitsVersion` bigint) engine=InnoDB charset=utf8mb4",
    "CREATE TABLE IF NOT EXISTS `EmailChange` (`EmailChangeID` bigint not null primary key auto_increment, `UserId` bigint, `NewEmail` varchar(255), `Token` varchar(255), `Created` bigint, `Expires` bigint) engine=InnoDB charset=utf8mb4",
    "CREATE TABLE IF NOT EXISTS `PasswordReset` (`PasswordResetID` bigint not null primary key auto_increment, `UserId` bigint, `Token` varchar(255), `Created` bigint, `Expires` bigint) engine=InnoDB charset=utf8mb4",
    "CREATE TABLE IF NOT EXISTS `LowFeeTicket` (`LowFeeTicketID` bigint not null primary key auto_increment, `AddedByUid` bigint, `TicketAddress` varchar(255), `TicketHash` varchar(255), `TicketExpiry` bigint, `Voted` bigint, `Created` bigint, `Expires` bigint) engine=InnoDB charset=utf8mb4",
];

const LIVE_TICKET: &str = "aa11000000000000000000000000000000000000000000000000000000000001";
const EXPIRED_TICKET: &str = "bb22000000000000000000000000000000000000000000000000000000000002";

/// Fills a legacy database; `wrong` = ids whose stored MultiSigAddress (user 1) or fee
/// address (others) is not what the derivation gives.
async fn fill_legacy(url: &str, wrong: &[i64]) {
    let mut c = MySqlConnection::connect(url).await.unwrap();
    for s in LEGACY_SCHEMA {
        sqlx::query(*s).execute(&mut c).await.unwrap();
    }
    for u in USERS {
        let hash = bcrypt::hash_with_result(u.password, 10)
            .unwrap()
            .format_for_version(bcrypt::Version::TwoA);
        let (mut msa, script, pool_pka, user_pka, mut fee) = match u.with_address {
            true => legacy_addresses(u.id),
            false => Default::default(),
        };
        if wrong.contains(&u.id) {
            let other = legacy_addresses(u.id + 100);
            match u.id {
                1 => msa = other.0,
                _ => fee = other.4,
            }
        }
        let token = if u.with_token {
            legacy_token(u.id)
        } else {
            String::new()
        };
        sqlx::query(
            "INSERT INTO `Users` (UserId, Email, Username, Password, MultiSigAddress, MultiSigScript, PoolPubKeyAddr, UserPubKeyAddr, UserFeeAddr, HeightRegistered, EmailVerified, EmailToken, APIToken, VoteBits, VoteBitsVersion) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(u.id)
        .bind(u.email)
        .bind(u.email)
        .bind(hash.as_bytes())
        .bind(msa)
        .bind(script)
        .bind(pool_pka)
        .bind(user_pka)
        .bind(fee)
        .bind(if u.with_address { 1234 } else { 0 })
        .bind(u.verified)
        .bind(u.email_token)
        .bind(token)
        .bind(u.vote_bits)
        .bind(u.vote_bits_version)
        .execute(&mut c)
        .await
        .unwrap();
    }
    let now = Db::now();
    let (alice_msa, ..) = legacy_addresses(1);
    for (hash, expires) in [
        (LIVE_TICKET, now + 86_400),
        (EXPIRED_TICKET, now - 10),
        // The legacy pool did not keep an admin from adding a ticket twice.
        (LIVE_TICKET, now + 86_400),
    ] {
        sqlx::query(
            "INSERT INTO `LowFeeTicket` (AddedByUid, TicketAddress, TicketHash, TicketExpiry, Voted, Created, Expires) VALUES (1, ?, ?, 0, 0, ?, ?)",
        )
        .bind(&alice_msa)
        .bind(hash)
        .bind(now - 100)
        .bind(expires)
        .execute(&mut c)
        .await
        .unwrap();
    }
    c.close().await.unwrap();
}

/// Every legacy table's checksum.
async fn checksums(url: &str) -> Vec<(String, Option<i64>)> {
    let mut c = MySqlConnection::connect(url).await.unwrap();
    let rows =
        sqlx::query("CHECKSUM TABLE `Users`, `EmailChange`, `PasswordReset`, `LowFeeTicket`")
            .fetch_all(&mut c)
            .await
            .unwrap();
    c.close().await.unwrap();
    rows.iter()
        .map(|r| (r.get::<String, _>(0), r.get::<Option<i64>, _>(1)))
        .collect()
}

/// `mysql://USER:PW@REST` → (`mysql://USER@REST`, PW).
fn split_password(url: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (creds, host) = rest.split_once('@').unwrap();
    let (user, pw) = creds.split_once(':').unwrap();
    (format!("{scheme}://{user}@{host}"), pw.to_owned())
}

fn private_file(path: &Path, content: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A config for the pool whose database is `database` (TOML lines of `[database]`).
fn write_config(dir: &Path, database: &str) -> std::path::PathBuf {
    for f in ["ca.cert", "web.cert"] {
        std::fs::write(dir.join(f), "not read by migrate-legacy").unwrap();
    }
    private_file(&dir.join("web.key"), "not read by migrate-legacy");
    private_file(&dir.join("api.secret"), NEW_SECRET);
    private_file(
        &dir.join("legacy-api.secret"),
        &format!("{LEGACY_SECRET}\n"),
    );
    let config = dir.join("exccstakepool.toml");
    std::fs::write(
        &config,
        format!(
            r#"network = "simnet"
listen = "127.0.0.1:0"
base_url = "https://pool.example"
api_secret_file = "api.secret"
legacy_api_secret_file = "legacy-api.secret"

[database]
{database}

[pool]
fee_percent = 7.5
cold_wallet_xpub = "{COLD_XPUB}"
voting_wallet_xpub = "{VOTING_XPUB}"

[tls]
ca = "ca.cert"
client_cert = "web.cert"
client_key = "web.key"

[[voting_nodes]]
name = "voting1"
grpc = "127.0.0.1:19560"

[limits]
form_posts_per_minute = 1000
"#
        ),
    )
    .unwrap();
    config
}

/// The web service of `config` (no voting node: sign-in and getpurchaseinfo need none).
async fn served(config: &Config) -> (Arc<Pool>, std::net::SocketAddr) {
    let tls = exccstakepool::voting_nodes::NodeTls {
        ca_pem: Vec::new(),
        client_cert_pem: Vec::new(),
        client_key_pem: Vec::new(),
    };
    let pool = Arc::new(Pool {
        settings: config.settings.clone(),
        db: Db::open(&config.database_url).await.unwrap(),
        nodes: VotingNodes::new(&[], &tls, DEFAULT_DEADLINE).unwrap(),
        mailer: None,
        limiter: Default::default(),
    });
    let addr = common::serve_app(&pool).await;
    (pool, addr)
}

async fn purchase_info(addr: std::net::SocketAddr, token: &str) -> serde_json::Value {
    let auth = format!("Authorization: Bearer {token}");
    let a = exchange(addr, "GET", "/api/v1/getpurchaseinfo", &[&auth], "")
        .await
        .unwrap();
    serde_json::from_str(&a.body).unwrap()
}

/// Everything a migrated pool must show.
async fn check_migrated(config: &Config) {
    let (pool, addr) = served(config).await;
    let db = &pool.db;
    for u in USERS {
        let got = db.user(u.id).await.unwrap().unwrap();
        assert_eq!(got.address_index, Some(u.id), "user {}", u.id);
        assert_eq!(got.email_verified, u.verified != 0, "user {}", u.id);
        assert_eq!(
            (got.vote_bits, got.vote_bits_version),
            (u.vote_bits as u16, u.vote_bits_version as u32)
        );
        match u.with_address {
            true => {
                let (msa, script, _, user_pka, fee) = legacy_addresses(u.id);
                let a = got.address.unwrap();
                assert_eq!(
                    (
                        a.multisig_address,
                        a.multisig_script,
                        a.user_pubkey_addr,
                        a.fee_address,
                        a.height_registered
                    ),
                    (msa, script, user_pka, fee, 1234),
                    "user {}: ticket and fee address unchanged",
                    u.id
                );
            }
            false => assert_eq!(got.address, None),
        }
    }
    // Carol's verification link from the legacy mail still works (as its hash).
    let carol = db
        .user_by_email("carol@example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(!carol.email_verified);
    assert_eq!(
        db.email_token(&hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            USERS[2].email_token
        )))
        .await
        .unwrap()
        .map(|(id, _)| id),
        Some(3)
    );
    // The live low-fee ticket came (once), the expired one did not.
    let tickets = db.low_fee_tickets(Db::now()).await.unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(
        (tickets[0].hash.as_str(), tickets[0].added_by),
        (LIVE_TICKET, 1)
    );

    // The legacy token works on the API, and keeps working after the sign-in.
    let alice_token = legacy_token(1);
    let info = purchase_info(addr, &alice_token).await;
    let (msa, script, _, _, fee) = legacy_addresses(1);
    assert_eq!(info["status"], "success", "{info}");
    assert_eq!(
        (
            &info["data"]["TicketAddress"],
            &info["data"]["PoolAddress"],
            &info["data"]["Script"]
        ),
        (&msa.clone().into(), &fee.into(), &script.into())
    );
    assert_eq!(info["data"]["VoteBits"], 5);
    // A token for alice signed with the old secret but not the stored one is refused.
    let other = {
        let header = B64.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
        let claims =
            B64.encode(r#"{"iat":1600000001,"iss":"https://old.pool.example","loggedInAs":1}"#);
        let input = format!("{header}.{claims}");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(LEGACY_SECRET.as_bytes()).unwrap();
        mac.update(input.as_bytes());
        format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
    };
    assert_eq!(
        purchase_info(addr, &other).await["message"],
        "purchaseinfo error - invalid api token"
    );

    for u in USERS {
        let before = db.user(u.id).await.unwrap().unwrap();
        assert!(before.password_hash.starts_with("$2a$10$"), "user {}", u.id);
        let mut b = common::FormClient::new(addr);
        let wrong = common::sign_in(&mut b, u.email, "not the password").await;
        assert_ne!(wrong.status, 303, "a wrong password is refused");
        assert_eq!(
            db.user(u.id).await.unwrap().unwrap().password_hash,
            before.password_hash
        );
        let a = common::sign_in(&mut b, u.email, u.password).await;
        assert_eq!(
            a.status, 303,
            "user {} signs in with the legacy password: {}",
            u.id, a.body
        );
        assert_ne!(a.header("location"), Some("/signin"));
        let after = db.user(u.id).await.unwrap().unwrap();
        assert!(
            after.password_hash.starts_with("argon2id$"),
            "user {}: rehashed",
            u.id
        );
        assert_eq!(
            (after.api_token, after.session_epoch),
            (before.api_token, before.session_epoch),
            "the rehash ends no session and keeps the token"
        );
        // The new hash works too.
        let mut b = common::FormClient::new(addr);
        assert_eq!(
            common::sign_in(&mut b, u.email, u.password).await.status,
            303
        );
    }
    assert_eq!(purchase_info(addr, &alice_token).await["status"], "success");
    pool.db.pool_close().await;
}

/// Runs the program as an operator would: password in a file, never in argv.
fn run_binary(config: &Path, from: &str, password_file: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_exccstakepool"))
        .args(["migrate-legacy", "--config"])
        .arg(config)
        .args(["--from", from, "--from-password-file"])
        .arg(password_file)
        .output()
        .unwrap()
}

#[tokio::test]
async fn legacy_pool_moves_into_sqlite_and_mariadb() {
    if !mariadb::available() {
        eprintln!(
            "SKIPPED legacy_pool_moves_into_sqlite_and_mariadb: mariadb-server is not installed (tests/run installs it)"
        );
        return;
    }
    let dir = pool_tests::test_dir("migrate-legacy");
    let server = MariaDb::start(dir.path());
    let legacy_url = server.create_database("stakepool");
    fill_legacy(&legacy_url, &[]).await;
    let before = checksums(&legacy_url).await;
    assert!(before.iter().all(|(_, sum)| sum.is_some()), "{before:?}");
    let (from, password) = split_password(&legacy_url);
    let pw_file = dir.path().join("legacy-db.password");
    private_file(&pw_file, &format!("{password}\n"));

    // A password in the URL is refused before anything is read.
    let sqlite_dir = dir.path().join("sqlite");
    std::fs::create_dir_all(&sqlite_dir).unwrap();
    let sqlite_config = write_config(&sqlite_dir, r#"url = "sqlite://pool.db""#);
    let out = run_binary(&sqlite_config, &legacy_url, &pw_file);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--from-password-file"),
        "{out:?}"
    );
    assert!(!sqlite_dir.join("pool.db").exists());

    // Into SQLite, by the program.
    let out = run_binary(&sqlite_config, &from, &pw_file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("4 accounts added (2 of all 4 with a ticket address)"),
        "{stdout}"
    );
    assert!(stdout.contains("1 low-fee tickets added"), "{stdout}");
    assert!(
        stdout.contains("1 expired low-fee tickets left out"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&password) && !String::from_utf8_lossy(&out.stderr).contains(&password)
    );
    let config = Config::load(&sqlite_config).unwrap();
    check_migrated(&config).await;
    // A second run changes nothing (not even the hashes the sign-ins upgraded).
    let db = Db::open(&config.database_url).await.unwrap();
    let users_before: Vec<_> = futures_util::future::join_all(USERS.iter().map(|u| db.user(u.id)))
        .await
        .into_iter()
        .map(|u| u.unwrap())
        .collect();
    let again = migrate::run(&config, &from, Some(&password), false)
        .await
        .unwrap();
    assert!(
        again.contains("0 accounts added") && again.contains("4 already moved before"),
        "{again}"
    );
    assert!(
        again.contains("0 low-fee tickets added, 1 there already"),
        "{again}"
    );
    let users_after: Vec<_> = futures_util::future::join_all(USERS.iter().map(|u| db.user(u.id)))
        .await
        .into_iter()
        .map(|u| u.unwrap())
        .collect();
    assert_eq!(users_before, users_after);
    // A new account after the move gets the next id and the next derivation index.
    let new = db.create_user("new@example.org", "h").await.unwrap();
    assert!(new > 5);
    assert_eq!(db.address_index(new).await.unwrap(), 6);
    db.pool_close().await;

    // Into MariaDB (another database on the same server), by the library.
    let maria_dir = dir.path().join("mariadb");
    std::fs::create_dir_all(&maria_dir).unwrap();
    let (pool_url, pool_pw) = split_password(&server.url);
    private_file(&maria_dir.join("db.password"), &pool_pw);
    let maria_config = write_config(
        &maria_dir,
        &format!("url = \"{pool_url}\"\npassword_file = \"db.password\""),
    );
    let config = Config::load(&maria_config).unwrap();
    // --check reads and checks, and writes nothing.
    let checked = migrate::run(&config, &from, Some(&password), true)
        .await
        .unwrap();
    assert!(
        checked.contains("4 accounts (2 with a ticket address) and 1 low-fee tickets can be moved"),
        "{checked}"
    );
    let target = Db::open(&config.database_url).await.unwrap();
    assert_eq!(target.user_counts().await.unwrap(), (0, 0));
    target.pool_close().await;
    let done = migrate::run(&config, &from, Some(&password), false)
        .await
        .unwrap();
    assert!(done.contains("4 accounts added"), "{done}");
    check_migrated(&config).await;
    let again = migrate::run(&config, &from, Some(&password), false)
        .await
        .unwrap();
    assert!(
        again.contains("0 accounts added") && again.contains("4 already moved before"),
        "{again}"
    );

    // Stored addresses that disagree with the derivation: refused, every user listed,
    // nothing written.
    let bad_url = server.create_database("stakepool_bad");
    fill_legacy(&bad_url, &[1, 5]).await;
    let bad_before = checksums(&bad_url).await;
    let (bad_from, _) = split_password(&bad_url);
    let empty_dir = dir.path().join("refused");
    std::fs::create_dir_all(&empty_dir).unwrap();
    let config = Config::load(&write_config(&empty_dir, r#"url = "sqlite://pool.db""#)).unwrap();
    let e = migrate::run(&config, &bad_from, Some(&password), false)
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(e, MigrateError::Mismatch(ref users) if users.len() == 2),
        "{text}"
    );
    assert!(
        text.contains("user 1 (Alice@Example.org): MultiSigAddress"),
        "{text}"
    );
    assert!(
        text.contains("user 5 (dave@example.org): UserFeeAddr"),
        "{text}"
    );
    assert!(!empty_dir.join("pool.db").exists(), "nothing written");
    // Into a database that has other accounts already: refused with the list.
    let fresh_dir = dir.path().join("fresh");
    std::fs::create_dir_all(&fresh_dir).unwrap();
    let config = Config::load(&write_config(&fresh_dir, r#"url = "sqlite://pool.db""#)).unwrap();
    let db = Db::open(&config.database_url).await.unwrap();
    db.create_user("someone@example.org", "h").await.unwrap();
    let e = migrate::run(&config, &from, Some(&password), false)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains(
            "user 1 (alice@example.org): user id 1 here is another account (someone@example.org)"
        ),
        "{e}"
    );
    assert_eq!(db.user_counts().await.unwrap(), (1, 0), "nothing written");
    db.pool_close().await;

    assert_eq!(
        checksums(&legacy_url).await,
        before,
        "the legacy database never changed"
    );
    assert_eq!(checksums(&bad_url).await, bad_before);
}
