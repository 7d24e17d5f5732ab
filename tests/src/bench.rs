//! What the benchmark programs share: `--name VALUE` options, the JSON result lines, and
//! the web service with many users on SQLite (`web-bench`, `web-abuse`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use exccstakepool::db::Db;
use exccstakepool::db::users::TicketAddress;
use exccstakepool::pool::{Pool, PoolSettings};
use exccstakepool::rate_limit::Limits;
use exccstakepool::serve::ServerLimits;
use exccstakepool::token;
use exccstakepool::voting_nodes::{DEFAULT_DEADLINE, NodeTls, VotingNodes};

/// The value after `name` on the command line, or `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Prints one result line: `{"metric": …, "value": …, "unit": …}` (value to 3 decimals).
pub fn metric(name: &str, value: f64, unit: &str) {
    println!(
        "{}",
        serde_json::json!({"metric": name, "value": (value * 1000.0).round() / 1000.0, "unit": unit})
    );
}

const SECRET: &[u8] = b"web-bench api secret, 32 bytes or more";
/// The sample configuration's simnet keys (only their format matters here).
const COLD_XPUB: &str = "spubVVgtUGC2A9Vgfv7m73ei6ZdHALcmzfany7EChC337inwFm3fXNv5JiqGonPTBuByW9H3iVpqyv9B7PmBMpHTrKYbPCJ7s17rTysbSkGM4iD";
const VOTING_XPUB: &str = "spubVVrpcffyy5wLKbchhdnbi8Bp39fjgEoRZTW61hEFW1WAFsFc6JbetBKwA6baXhrzWAUQCMiWY3AtWQ9FWzTfRnTAdBpsvCQKzrxHK3pG54o";

/// The `p` quantile (0..=1) of sorted latencies, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// The web service's state on a fresh SQLite file with `users` registered users (no
/// voting node, no rate limit: a distributed client), and their API tokens.
pub async fn web_pool_with_users(
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
                signed_in_posts_per_minute: u32::MAX,
                real_ip_header: None,
            },
            server: ServerLimits::default(),
            api_secret: SECRET.to_vec(),
            legacy_api_secret: None,
        },
        db,
        // getpurchaseinfo and sign-in need no voting node.
        nodes: VotingNodes::new(&[], &tls, DEFAULT_DEADLINE).map_err(anyhow::Error::msg)?,
        mailer: None,
        limiter: Default::default(),
    };
    Ok((Arc::new(pool), tokens))
}

/// Serves the web service for `pool` on a free port of 127.0.0.1, as the program does.
pub async fn serve_web(pool: &Arc<Pool>) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(exccstakepool::serve::serve(
        listener,
        Arc::clone(pool),
        std::future::pending(),
    ));
    Ok(addr)
}
