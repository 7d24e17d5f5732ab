//! What the web service's tests share: a simulated chain with a voting wallet and a real
//! stakepoold (mutual TLS), and the web service's state in front of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use excc_chain::Network;
use exccstakepool::db::Db;
use exccstakepool::mail::{MailSettings, Mailer, Security};
use exccstakepool::outbox::Outbox;
use exccstakepool::pool::{Pool, PoolSettings};
use exccstakepool::rate_limit::Limits;
use exccstakepool::serve::ServerLimits;
use exccstakepool::voting_nodes::{DEFAULT_DEADLINE, NodeAddress, NodeTls, VotingNodes};
use pool_tests::http::{Answer, exchange};
use pool_tests::simnet::{Daemon, start_node, start_pool_wallet, start_wallet};
use pool_tests::smtp::MailSink;
use pool_tests::stakepoold::{PoolPki, Stakepoold};
use serde_json::json;

pub const SECRET: &[u8] = b"api secret of the test pool";

pub struct Chain {
    pub node: Daemon,
    pub wallet: Daemon,
    pub users: Daemon,
    pub cold_xpub: String,
    pub pki: PoolPki,
    pub spd: Stakepoold,
}

pub async fn chain(root: &std::path::Path) -> Chain {
    let node = start_node(root, "node", &[]).await;
    let cold = start_wallet(root, "cold", &node, &["--createtemp".into()]).await;
    let cold_xpub = cold.ok_str("getmasterpubkey", json!(["default"])).await;
    let wallet = start_pool_wallet(root, "voting-wallet", &node, &cold_xpub).await;
    wallet
        .ok("accountsyncaddressindex", json!(["default", 0, 100]))
        .await;
    let users = start_wallet(root, "users", &node, &["--createtemp".into()]).await;
    let pki = PoolPki::new(&root.join("pki"));
    let spd = Stakepoold::start(root, "stakepoold", &pki, &node, &wallet, &cold_xpub).await;
    Chain {
        node,
        wallet,
        users,
        cold_xpub,
        pki,
        spd,
    }
}

/// The web service's state in front of `spds` (all on `c`'s chain), its database at `db_url`.
pub async fn pool_for(c: &Chain, spds: &[&Stakepoold], db_url: &str) -> Arc<Pool> {
    pool_with(c, spds, db_url, Extras::default()).await
}

/// The tests' admin (`admin_emails`).
pub const ADMIN: &str = "admin@example.org";

/// What some tests set differently from [`pool_for`].
#[derive(Default)]
pub struct Extras {
    pub mailer: Option<Mailer>,
    /// How long the outbox waits before each retry (default: the service's own).
    pub mail_retries: Option<Vec<std::time::Duration>>,
    pub limits: Limits,
    /// Default 100.
    pub max_users: Option<u32>,
    /// Default [`SECRET`].
    pub api_secret: Option<Vec<u8>>,
    /// Default [`ADMIN`].
    pub admin_emails: Option<Vec<String>>,
    pub server: ServerLimits,
    /// Voting nodes (gRPC addresses, certificates naming "localhost") instead of the given
    /// stakepoold; their versions are not checked at start.
    pub nodes: Vec<SocketAddr>,
}

/// [`pool_for`] with a mail relay or other rate limits.
pub async fn pool_with(c: &Chain, spds: &[&Stakepoold], db_url: &str, extras: Extras) -> Arc<Pool> {
    let Extras {
        mailer,
        mail_retries,
        limits,
        max_users,
        api_secret,
        admin_emails,
        server,
        nodes,
    } = extras;
    let voting_xpub = c.wallet.ok_str("getmasterpubkey", json!(["default"])).await;
    let web = c.pki.ca.issue("web", &c.pki.dir);
    let tls = NodeTls {
        ca_pem: c.pki.ca.cert_pem.clone().into_bytes(),
        client_cert_pem: std::fs::read(&web.cert).unwrap(),
        client_key_pem: std::fs::read(&web.key).unwrap(),
    };
    // Every test stakepoold's certificate names "localhost".
    let check = nodes.is_empty();
    let grpc: Vec<String> = match check {
        true => spds
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.grpc_port))
            .collect(),
        false => nodes.iter().map(SocketAddr::to_string).collect(),
    };
    let nodes: Vec<NodeAddress> = grpc
        .into_iter()
        .map(|grpc| NodeAddress {
            name: "localhost".into(),
            grpc,
        })
        .collect();
    let voting_nodes = VotingNodes::new(&nodes, &tls, DEFAULT_DEADLINE).unwrap();
    if check {
        voting_nodes.check_versions().await.unwrap();
    }
    Arc::new(Pool {
        settings: PoolSettings {
            network: Network::Simnet,
            base_url: "https://pool.example".into(),
            pool_fees: "7.5".parse().unwrap(),
            cold_wallet_xpub: c.cold_xpub.parse().unwrap(),
            voting_wallet_xpub: voting_xpub.parse().unwrap(),
            max_users: max_users.unwrap_or(100),
            pool_email: "admin@pool.example".into(),
            closed: false,
            admin_emails: admin_emails.unwrap_or_else(|| vec![ADMIN.into()]),
            admins: Vec::new(),
            limits,
            server,
            api_secret: api_secret.unwrap_or_else(|| SECRET.to_vec()),
            legacy_api_secret: None,
        },
        db: Db::open(db_url).await.unwrap(),
        nodes: voting_nodes,
        mailer: mailer.map(|m| match mail_retries {
            Some(r) => Outbox::with_retries(m, r),
            None => Outbox::start(m),
        }),
        limiter: Default::default(),
    })
}

/// A served pool: its test directory, chain, state (SQLite in the directory) and address.
pub struct Served {
    pub dir: tempfile::TempDir,
    pub c: Chain,
    pub pool: Arc<Pool>,
    pub addr: SocketAddr,
}

/// A fresh chain and the web service served in front of its stakepoold.
pub async fn served(name: &str) -> Served {
    served_with(name, Extras::default()).await
}

/// A fresh chain and the web service with `extras` served in front of its stakepoold.
pub async fn served_with(name: &str, extras: Extras) -> Served {
    let dir = pool_tests::test_dir(name);
    let c = chain(dir.path()).await;
    serve_pool(dir, c, extras).await
}

/// The web service with `extras` in front of `c`'s stakepoold, served.
pub async fn serve_pool(dir: tempfile::TempDir, c: Chain, extras: Extras) -> Served {
    let db_url = format!("sqlite://{}", dir.path().join("pool.db").display());
    let pool = pool_with(&c, &[&c.spd], &db_url, extras).await;
    let addr = serve_app(&pool).await;
    Served { dir, c, pool, addr }
}

/// Serves the whole web service (API and pages) for `pool` on a free port, with the
/// background health poll as the program runs it.
pub async fn serve_app(pool: &Arc<Pool>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    exccstakepool::health::spawn_poll(pool);
    tokio::spawn(exccstakepool::serve::serve(
        listener,
        Arc::clone(pool),
        std::future::pending(),
    ));
    addr
}

/// A browser-like client: keeps the session cookie, knows the last page's CSRF token.
pub struct FormClient {
    pub addr: SocketAddr,
    pub cookie: String,
    pub csrf: String,
}

impl FormClient {
    pub fn new(addr: SocketAddr) -> FormClient {
        FormClient {
            addr,
            cookie: String::new(),
            csrf: String::new(),
        }
    }

    pub async fn send(&mut self, method: &str, path: &str, form: &str, extra: &[&str]) -> Answer {
        let cookie = format!("Cookie: {}", self.cookie);
        let mut headers = vec!["Content-Type: application/x-www-form-urlencoded"];
        if !self.cookie.is_empty() {
            headers.push(&cookie);
        }
        headers.extend_from_slice(extra);
        let a = exchange(self.addr, method, path, &headers, form)
            .await
            .unwrap_or_else(|| panic!("{method} {path}: no answer"));
        if let Some(set) = a.header("set-cookie") {
            self.cookie = set.split(';').next().unwrap().to_owned();
        }
        if let Some(i) = a.body.find("name=\"csrf_token\" value=\"") {
            let rest = &a.body[i + 25..];
            self.csrf = rest[..rest.find('"').unwrap()].to_owned();
        }
        a
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, "", &[]).await
    }

    /// Posts `form` with the page's CSRF token.
    pub async fn post(&mut self, path: &str, form: &str) -> Answer {
        let form = format!("csrf_token={}&{form}", self.csrf);
        self.send("POST", path, &form, &[]).await
    }
}

pub fn redirects_to(a: &Answer, to: &str) {
    assert_eq!(
        (a.status, a.header("location")),
        (303, Some(to)),
        "{}",
        a.body
    );
}

/// Asserts that a page contains `text`.
pub fn has(a: &Answer, text: &str) {
    assert!(a.body.contains(text), "expected {text:?} in:\n{}", a.body);
}

/// A form value: `@` and spaces encoded.
fn form_value(v: &str) -> String {
    v.replace('@', "%40").replace(' ', "+")
}

/// Opens the sign-up form and posts it; returns the answer.
pub async fn sign_up(b: &mut FormClient, email: &str, password: &str) -> Answer {
    b.get("/signup").await;
    let (e, p) = (form_value(email), form_value(password));
    b.post(
        "/signup",
        &format!("email={e}&password={p}&password_repeat={p}"),
    )
    .await
}

/// Opens the sign-in form and posts it; returns the answer.
pub async fn sign_in(b: &mut FormClient, email: &str, password: &str) -> Answer {
    b.get("/signin").await;
    let (e, p) = (form_value(email), form_value(password));
    b.post("/signin", &format!("email={e}&password={p}")).await
}

pub const RELAY_USER: &str = "pool-relay";
pub const RELAY_PASSWORD: &str = "relay secret";

pub fn mailer(c: &Chain, sink: &MailSink, password: &str) -> Mailer {
    Mailer::new(&MailSettings {
        host: "127.0.0.1".into(),
        port: sink.addr.port(),
        security: Security::StartTls,
        login: Some((RELAY_USER.into(), password.into())),
        from: "EXCC pool <pool@pool.example>".parse().unwrap(),
        ca_pem: Some(c.pki.ca.cert_pem.clone().into_bytes()),
    })
    .unwrap()
}

pub async fn tls_sink(c: &Chain, dir: &std::path::Path) -> MailSink {
    let cert = c.pki.ca.issue("smtp", dir);
    MailSink::start(
        Some((
            &std::fs::read_to_string(&cert.cert).unwrap(),
            &std::fs::read_to_string(&cert.key).unwrap(),
        )),
        Some((RELAY_USER, RELAY_PASSWORD)),
    )
    .await
}

/// The path and query of a link in a mail (the pool's public URL is https://pool.example).
pub fn path_of(link: &str) -> String {
    link.strip_prefix("https://pool.example")
        .unwrap_or_else(|| panic!("{link} is not the pool's"))
        .to_owned()
}

/// A pool that mails through a real relay (STARTTLS, AUTH with `relay_password`); its form
/// posts are not rate limited (the flows post many forms from one address).
pub async fn relay_pool(name: &str, relay_password: &str) -> (Served, MailSink) {
    let dir = pool_tests::test_dir(name);
    let c = chain(dir.path()).await;
    let sink = tls_sink(&c, dir.path()).await;
    let extras = Extras {
        mailer: Some(mailer(&c, &sink, relay_password)),
        limits: Limits {
            form_posts_per_minute: 10_000,
            ..Limits::default()
        },
        ..Default::default()
    };
    (serve_pool(dir, c, extras).await, sink)
}
