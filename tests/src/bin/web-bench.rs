//! Benchmark of the web service's request path: the JSON API `getpurchaseinfo` (token check,
//! user lookup, answer) over HTTP on SQLite with N users, from concurrent clients, each
//! request on a new connection like a wallet's; and sign-in attempts (Argon2id verification,
//! for a wrong password and for an unknown address).
//!
//! Reports JSON lines; the last one is the headline (API p99 latency, target < 50 ms with
//! 16 concurrent clients).
//!
//! `cargo build --release --workspace --bins && target/release/web-bench [--users N] [--clients N] [--secs N]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use exccstakepool::passwords;
use pool_tests::bench::{arg, metric, percentile, serve_web, web_pool_with_users};
use pool_tests::http::request;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users = arg("--users", 2000u64);
    let clients = arg("--clients", 16u64);
    let secs = arg("--secs", 5u64);
    let dir = tempfile::tempdir()?;
    let (pool, tokens) = web_pool_with_users(dir.path(), users).await?;
    let addr = serve_web(&pool).await?;
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
