//! Benchmark of the web service's request path: the JSON API `getpurchaseinfo` (token check,
//! user lookup, answer) over HTTP on SQLite with N users, from concurrent clients, each
//! request on a new connection like a wallet's; and sign-in attempts (Argon2id verification,
//! for a wrong password and for an unknown address).
//!
//! Reports JSON lines; the last one is the headline (API p99 latency, target < 50 ms with
//! 16 concurrent clients).
//!
//! `cargo build --release --workspace --bins && target/release/web-bench [--users N] [--clients N] [--secs N]`

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use exccstakepool::db::Db;
use exccstakepool::db::users::TicketAddress;
use exccstakepool::pool::{Pool, PoolSettings};
use exccstakepool::rate_limit::Limits;
use exccstakepool::voting_nodes::{NodeTls, VotingNodes};
use exccstakepool::{passwords, token};
use pool_tests::bench::{arg, metric};
use pool_tests::http::request;

const SECRET: &[u8] = b"web-bench api secret, 32 bytes or more";
/// The sample configuration's simnet keys (only their format matters here).
const COLD_XPUB: &str = "spubVVgtUGC2A9Vgfv7m73ei6ZdHALcmzfany7EChC337inwFm3fXNv5JiqGonPTBuByW9H3iVpqyv9B7PmBMpHTrKYbPCJ7s17rTysbSkGM4iD";
const VOTING_XPUB: &str = "spubVVrpcffyy5wLKbchhdnbi8Bp39fjgEoRZTW61hEFW1WAFsFc6JbetBKwA6baXhrzWAUQCMiWY3AtWQ9FWzTfRnTAdBpsvCQKzrxHK3pG54o";

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// The web service's state on a fresh SQLite file with `users` registered users; their
/// API tokens.
async fn pool_with_users(
    dir: &std::path::Path,
    users: u64,
) -> anyhow::Result<(Arc<Pool>, Vec<String>)> {
    let db = Db::open(&format!("sqlite://{}", dir.join("pool.db").display())).await?;
    let base_url = "https://pool.bench".to_owned();
    let mut tokens = Vec::new();
    for n in 0..users {
        let id = db.create_user(&format!("user{n}@pool.bench"), "-").await?;
        let a = TicketAddress {
            multisig_address: format!("ScBench{n:028}"),
            multisig_script: "51".repeat(71),
            pool_pubkey_addr: format!("SkPool{n}"),
            user_pubkey_addr: format!("SkUser{n}"),
            fee_address: format!("SsFee{n:030}"),
            height_registered: 150,
        };
        db.set_ticket_address(id, &a).await?;
        let t = token::issue(SECRET, &base_url, id, Db::now());
        db.set_api_token(id, &t).await?;
        tokens.push(t);
    }
    let tls = NodeTls {
        ca_pem: Vec::new(),
        client_cert_pem: Vec::new(),
        client_key_pem: Vec::new(),
    };
    let pool = Pool {
        settings: PoolSettings {
            network: excc_chain::Network::Simnet,
            base_url,
            pool_fees: "7.5".parse().expect("fee"),
            cold_wallet_xpub: COLD_XPUB.parse().expect("xpub"),
            voting_wallet_xpub: VOTING_XPUB.parse().expect("xpub"),
            max_users: 100_000,
            pool_email: String::new(),
            closed: false,
            admin_emails: Vec::new(),
            admins: Vec::new(),
            limits: Limits {
                api_requests_per_minute: u32::MAX,
                form_posts_per_minute: u32::MAX,
                real_ip_header: None,
            },
            api_secret: SECRET.to_vec(),
        },
        db,
        // getpurchaseinfo and sign-in need no voting node.
        nodes: VotingNodes::new(&[], &tls).map_err(anyhow::Error::msg)?,
        mailer: None,
        limiter: Default::default(),
    };
    Ok((Arc::new(pool), tokens))
}

async fn serve(pool: &Arc<Pool>) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app =
        exccstakepool::app(Arc::clone(pool)).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users = arg("--users", 2000u64);
    let clients = arg("--clients", 16u64);
    let secs = arg("--secs", 5u64);
    let dir = tempfile::tempdir()?;
    let (pool, tokens) = pool_with_users(dir.path(), users).await?;
    let addr = serve(&pool).await?;
    let tokens = Arc::new(tokens);

    // API: each client asks for a random user's purchase info until the time is up.
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let tokens = Arc::clone(&tokens);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = c as usize * 7919;
            while Instant::now() < until {
                i = (i + 104_729) % tokens.len();
                let auth = format!("Authorization: Bearer {}", tokens[i]);
                let started = Instant::now();
                let r = request(addr, "GET", "/api/v2/getpurchaseinfo", &[&auth], "").await;
                let ok =
                    r.is_some_and(|(status, body)| status == 200 && body.contains("\"code\":0"));
                assert!(ok, "getpurchaseinfo failed");
                latencies.push(started.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await?);
    }
    latencies.sort();
    metric("api_users", users as f64, "users");
    metric(
        "api_getpurchaseinfo_throughput",
        latencies.len() as f64 / secs as f64,
        "requests/s",
    );
    metric("api_getpurchaseinfo_p50", percentile(&latencies, 0.5), "ms");

    // Sign-in: one Argon2id verification per attempt (the cost a password guess pays), as
    // long for an unknown address as for a wrong password (no account enumeration by time).
    let hash = passwords::hash("bench password");
    pool.db.create_user("known@pool.bench", &hash).await?;
    let rounds = 5;
    for (name, email) in [
        ("signin_wrong_password", "known@pool.bench"),
        ("signin_unknown_account", "nobody@pool.bench"),
    ] {
        // Warm-up (the unknown-address check's hash is made on first use).
        let _ = exccstakepool::accounts::sign_in(&pool, email, "wrong password").await;
        let started = Instant::now();
        for _ in 0..rounds {
            let r = exccstakepool::accounts::sign_in(&pool, email, "wrong password").await;
            assert!(r.is_err());
        }
        metric(
            name,
            started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds),
            "ms",
        );
    }
    metric(
        "api_getpurchaseinfo_p99",
        percentile(&latencies, 0.99),
        "ms",
    );
    Ok(())
}
