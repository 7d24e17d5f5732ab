//! Benchmark of the web service under abuse: a legitimate client's API latency
//! (`getpurchaseinfo` on SQLite with N users, one request per connection, one after the
//! other, from 127.0.0.1) at baseline, then while
//! (a) 16 clients hammer sign-in with wrong passwords (rate limits off, as from many
//!     addresses; each attempt costs the server one Argon2id verification), and
//! (b) 1,000 connections send request bodies one byte a second (spread over 16 addresses so
//!     each stays within `connections_per_client`; a connection cut off at the body timeout
//!     is opened again).
//!
//! Reports JSON lines: each phase's p50/p99, the attackers' rates, and the target (p99 < 50 ms).
//!
//! `cargo build --release -p pool-tests --bin web-abuse && target/release/web-abuse [--users N] [--secs N] [--slow N]`

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use exccstakepool::passwords;
use pool_tests::bench::{arg, metric, percentile, serve_web, web_pool_with_users};
use pool_tests::http::{connect_from, exchange, request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The target of every phase's API p99 (ms).
const TARGET_P99_MS: f64 = 50.0;
/// Clients guessing passwords.
const GUESSERS: usize = 16;

/// Slow sender `i`'s address (16 other clients than the legitimate 127.0.0.1).
fn slow_sender(i: usize) -> IpAddr {
    [127, 0, 1, 40 + (i % 16) as u8].into()
}

/// The legitimate client's `getpurchaseinfo` latencies for `secs` seconds, sorted.
async fn legitimate(addr: SocketAddr, tokens: &[String], secs: u64) -> Vec<Duration> {
    let until = Instant::now() + Duration::from_secs(secs);
    let mut latencies = Vec::new();
    let mut i = 0;
    while Instant::now() < until {
        i = (i + 7919) % tokens.len();
        let auth = format!("Authorization: Bearer {}", tokens[i]);
        let started = Instant::now();
        let r = request(addr, "GET", "/api/v2/getpurchaseinfo", &[&auth], "").await;
        let ok = r.is_some_and(|(status, body)| status == 200 && body.contains("\"code\":0"));
        assert!(ok, "the legitimate client's getpurchaseinfo failed");
        latencies.push(started.elapsed());
    }
    latencies.sort();
    latencies
}

fn report(phase: &str, latencies: &[Duration]) {
    metric(
        &format!("{phase}_api_p50"),
        percentile(latencies, 0.5),
        "ms",
    );
    metric(
        &format!("{phase}_api_p99"),
        percentile(latencies, 0.99),
        "ms",
    );
}

/// One attacker: signs in with a wrong password again and again until `stop` (from
/// 127.0.0.1: no rate limit here, and one connection at a time is within its share).
async fn guess_passwords(addr: SocketAddr, stop: Arc<AtomicBool>, done: Arc<AtomicUsize>) {
    let form = exchange(addr, "GET", "/signin", &[], "")
        .await
        .expect("the sign-in form");
    let cookie = form
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let csrf = form
        .body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a CSRF token")
        .to_owned();
    let headers = [
        format!("Cookie: {cookie}"),
        "Content-Type: application/x-www-form-urlencoded".to_owned(),
    ];
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    // Another address each time: the per-account limit would otherwise stop the
    // hashing after a few guesses, and this measures what each guess costs.
    while !stop.load(Ordering::Relaxed) {
        let n = done.fetch_add(1, Ordering::Relaxed);
        let body = format!("csrf_token={csrf}&email=guess{n}%40pool.bench&password=wrong+guess");
        let a = exchange(addr, "POST", "/signin", &headers, &body).await;
        assert!(
            a.is_some_and(|a| a.body.contains("Wrong e-mail address or password")
                || a.body.contains("Too many wrong passwords")),
            "a wrong password was not refused"
        );
    }
}

/// One slow sender: a sign-in post whose body comes one byte a second, opened again
/// whenever the server cuts it off, until `stop`.
async fn send_slowly(
    from: IpAddr,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    open: Arc<AtomicUsize>,
) {
    let head = "POST /signin HTTP/1.1\r\nHost: pool\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n";
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = connect_from(from, addr).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if s.write_all(head.as_bytes()).await.is_err() {
            continue;
        }
        open.fetch_add(1, Ordering::Relaxed);
        let mut buf = [0u8; 512];
        while !stop.load(Ordering::Relaxed) {
            tokio::select! {
                r = s.read(&mut buf) => if matches!(r, Ok(0) | Err(_)) { break },
                _ = tokio::time::sleep(Duration::from_secs(1)) => {
                    if s.write_all(b"a").await.is_err() { break }
                }
            }
        }
        open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users = arg("--users", 2000u64);
    let secs = arg("--secs", 5u64);
    let slow = arg("--slow", 1000usize);
    pool_tests::proc::raise_open_file_limit();
    let dir = tempfile::tempdir()?;
    let (pool, tokens) = web_pool_with_users(dir.path(), users).await?;
    pool.db
        .create_user("known@pool.bench", &passwords::hash("bench password"))
        .await?;
    let addr = serve_web(&pool).await?;
    metric("abuse_users", users as f64, "users");
    metric("abuse_target_api_p99", TARGET_P99_MS, "ms");

    report("abuse_baseline", &legitimate(addr, &tokens, secs).await);

    // (a) Password guessing.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let guessers: Vec<_> = (0..GUESSERS)
        .map(|_| {
            let (stop, done) = (Arc::clone(&stop), Arc::clone(&done));
            tokio::spawn(guess_passwords(addr, stop, done))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = done.load(Ordering::Relaxed);
    let latencies = legitimate(addr, &tokens, secs).await;
    let guesses = done.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    for g in guessers {
        g.await?;
    }
    metric(
        "abuse_signin_flood_guesses",
        guesses as f64 / secs as f64,
        "sign-ins/s",
    );
    report("abuse_signin_flood", &latencies);

    // (b) Slow bodies.
    let stop = Arc::new(AtomicBool::new(false));
    let open = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..slow)
        .map(|i| {
            let (stop, open) = (Arc::clone(&stop), Arc::clone(&open));
            tokio::spawn(send_slowly(slow_sender(i), addr, stop, open))
        })
        .collect();
    let settle = Instant::now() + Duration::from_secs(10);
    while open.load(Ordering::Relaxed) < slow && Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let open_at_start = open.load(Ordering::Relaxed);
    let latencies = legitimate(addr, &tokens, secs).await;
    let open_at_end = open.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.await?;
    }
    metric(
        "abuse_slow_bodies_open",
        open_at_start.min(open_at_end) as f64,
        "connections",
    );
    report("abuse_slow_bodies", &latencies);
    Ok(())
}
