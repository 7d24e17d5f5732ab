//! Clients that try to exhaust the server, over real sockets: silent connections, partial
//! headers, idle keep-alive connections and slow bodies are cut off after their timeouts; one address holding
//! thousands of connections gets its share and no more while another client's API calls
//! go on; a full server takes new connections only as old ones close; a request holds its
//! turn at most `request_timeout`; posts that need a session are answered from their
//! headers, without their body; bodies are capped at 64 KiB.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use common::{Chain, Extras, FormClient, chain, pool_with, serve_app, served_with, sign_up};
use exccstakepool::serve::ServerLimits;
use pool_tests::hang::HangingPeer;
use pool_tests::http::{exchange, request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The timeouts in these tests (seconds): header and body.
const TIMEOUT: Duration = Duration::from_secs(2);

fn limits() -> ServerLimits {
    ServerLimits {
        header_timeout: TIMEOUT,
        body_timeout: TIMEOUT,
        ..Default::default()
    }
}

/// The web service for `c` with `server` limits (its own SQLite file `name`.db), served.
async fn serve(c: &Chain, dir: &std::path::Path, name: &str, extras: Extras) -> SocketAddr {
    let db_url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
    let pool = pool_with(c, &[&c.spd], &db_url, extras).await;
    serve_app(&pool).await
}

/// A connection to `to` from the loopback address `from` (another client than 127.0.0.1).
async fn connect_from(from: IpAddr, to: SocketAddr) -> TcpStream {
    pool_tests::http::connect_from(from, to).await.unwrap()
}

/// Waits (at most `within`) until the server closes `s`; when it closed and what it sent.
async fn closed(mut s: TcpStream, within: Duration) -> Option<(Instant, String)> {
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read).await.ok()?;
    Some((Instant::now(), String::from_utf8_lossy(&got).into_owned()))
}

/// The head of the answer on `s` (empty if none came before the connection closed).
async fn head_of(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// An API call of a well-behaved client (127.0.0.1) succeeds.
async fn api_works(addr: SocketAddr) {
    let (status, body) = request(addr, "GET", "/api/v2/stats", &[], "")
        .await
        .expect("the API answers");
    assert!(
        status == 200 && body.contains("\"code\":0"),
        "{status} {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_silent_and_greedy_clients_are_cut_off_and_others_are_served() {
    pool_tests::proc::raise_open_file_limit();
    let dir = pool_tests::test_dir("web-hostile");
    let c = chain(dir.path()).await;
    let extras = Extras {
        server: limits(),
        ..Default::default()
    };
    let addr = serve(&c, dir.path(), "pool", extras).await;

    // A silent connection, partial headers, a body that stops short: each closed after its
    // timeout (the body with 408).
    let opened = Instant::now();
    let silent = TcpStream::connect(addr).await.unwrap();
    let mut partial = TcpStream::connect(addr).await.unwrap();
    partial
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut short = TcpStream::connect(addr).await.unwrap();
    short
        .write_all(b"POST /signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a%40")
        .await
        .unwrap();
    // A keep-alive connection that went idle after one request.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(head_of(&mut idle).await.starts_with("HTTP/1.1 "));
    let margin = TIMEOUT + Duration::from_secs(4);
    let (silent, partial, short, idle) = tokio::join!(
        closed(silent, margin),
        closed(partial, margin),
        closed(short, margin),
        closed(idle, margin)
    );
    let timed_out = [
        ("silent", silent),
        ("partial headers", partial),
        ("idle keep-alive", idle),
    ];
    for (what, c) in timed_out {
        let (at, _) =
            c.unwrap_or_else(|| panic!("a {what} connection is still open after {margin:?}"));
        let after = at - opened;
        assert!(
            after >= TIMEOUT - Duration::from_millis(500),
            "{what}: {after:?}"
        );
    }
    let (_, answer) = short.expect("a short body's connection is still open");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // 2,000 connections from one address (half silent, half with partial headers): all
    // but its share are closed at once, the rest after the header timeout, and another
    // client's API calls are answered meanwhile.
    let greedy: IpAddr = [127, 0, 0, 2].into();
    let share = ServerLimits::default().connections_per_client;
    let mut readers = Vec::new();
    for i in 0..2000 {
        readers.push(tokio::spawn(async move {
            let mut s = connect_from(greedy, addr).await;
            let opened = Instant::now();
            if i % 2 == 1 {
                s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
            }
            let (at, _) = closed(s, margin + TIMEOUT)
                .await
                .expect("a greedy client's connection outlived the header timeout");
            at - opened
        }));
        if i % 100 == 99 {
            // Within the listen backlog.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    for _ in 0..20 {
        api_works(addr).await;
    }
    let mut at_once = 0;
    for r in readers {
        // Well before the header timeout: refused, not timed out.
        if r.await.unwrap() < TIMEOUT * 3 / 4 {
            at_once += 1;
        }
    }
    assert!(
        at_once >= 2000 - share,
        "only {at_once} of 2,000 connections beyond the {share} of one client were closed at once"
    );
    api_works(addr).await;

    // A full server (8 connections) takes a new one only as an old one closes.
    let extras = Extras {
        server: ServerLimits {
            max_connections: 8,
            ..limits()
        },
        ..Default::default()
    };
    let full = serve(&c, dir.path(), "full", extras).await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(connect_from(greedy, full).await);
    }
    let waiting = tokio::spawn(request(full, "GET", "/api/v2/stats", &[], ""));
    tokio::time::sleep(TIMEOUT / 2).await;
    assert!(
        !waiting.is_finished(),
        "a ninth connection was served while 8 were open"
    );
    let (status, _) = waiting
        .await
        .unwrap()
        .expect("served once the idle ones closed");
    assert_eq!(status, 200);
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_holds_its_turn_for_a_bounded_time() {
    let dir = pool_tests::test_dir("web-turns");
    let c = chain(dir.path()).await;
    let spd: SocketAddr = ([127, 0, 0, 1], c.spd.grpc_port).into();
    let frozen = HangingPeer::start(spd, true).await;
    let request_timeout = Duration::from_secs(3);
    let extras = Extras {
        server: ServerLimits {
            requests_in_flight: 1,
            request_timeout,
            ..limits()
        },
        nodes: vec![frozen.addr],
        ..Default::default()
    };
    let addr = serve(&c, dir.path(), "pool", extras).await;
    // The statistics page waits for the frozen node (10 s deadline) while holding the only
    // turn; the home page waits for that turn.
    let started = Instant::now();
    let stats = tokio::spawn(exchange(addr, "GET", "/stats", &[], ""));
    // /stats holds the turn once its call reached the frozen node.
    pool_tests::wait_for(5, "/stats to reach the frozen node", || async {
        (frozen.held() > 0).then_some(())
    })
    .await;
    // The frozen node is also what the background health poll is stuck on, so /stats may
    // not hold the turn yet: a request that came first may be answered. Once /stats holds
    // it (for up to request_timeout), the next request waits; with no limit every one
    // would be answered at once until /stats ends.
    let home = loop {
        let home = tokio::spawn(exchange(addr, "GET", "/", &[], ""));
        tokio::time::sleep(Duration::from_millis(300)).await;
        if !home.is_finished() {
            break home;
        }
        assert!(
            started.elapsed() < request_timeout,
            "a second request ran beside the first"
        );
    };
    let stats = stats.await.unwrap().expect("/stats answers");
    let took = started.elapsed();
    assert_eq!(stats.status, 503, "{}", stats.body);
    assert!(stats.body.contains("The pool is busy"), "{}", stats.body);
    assert!(took < request_timeout + Duration::from_secs(2), "{took:?}");
    let home = home.await.unwrap().expect("/ answers");
    assert!(matches!(home.status, 200 | 503), "{}", home.status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_that_need_a_session_are_refused_before_their_body() {
    let extras = Extras {
        server: limits(),
        ..Default::default()
    };
    let s = served_with("web-before-body", extras).await;
    let addr = s.addr;
    // The first account is an admin (admin_user_ids = [1]); the second is not.
    sign_up(
        &mut FormClient::new(addr),
        "admin@example.org",
        "admin password 1",
    )
    .await;
    let mut user = FormClient::new(addr);
    sign_up(&mut user, "user@example.org", "user password 1").await;
    let cookie = format!("Cookie: {}", user.cookie);

    // Headers that announce a body, and no body: the answer must come from the headers
    // (a server that waited for the body would answer 408 after the body timeout).
    let head_only = |path: &str, length: u64, cookie: &str| {
        let text = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\n{cookie}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
        );
        async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(text.as_bytes()).await.unwrap();
            head_of(&mut s).await
        }
    };
    for path in ["/voting", "/address", "/settings", "/logout"] {
        let answer = head_only(path, 60_000, "").await;
        assert!(
            answer.starts_with("HTTP/1.1 303") && answer.contains("location: /signin"),
            "{path}: {answer}"
        );
    }
    let admin_post = head_only("/admin/tickets", 60_000, &format!("{cookie}\r\n")).await;
    assert!(admin_post.starts_with("HTTP/1.1 403"), "{admin_post}");
    // Larger than 64 KiB: refused from the announced length, or once it is exceeded.
    let huge = head_only("/signin", 10_000_000_000, "").await;
    assert!(huge.starts_with("HTTP/1.1 413"), "{huge}");
    let big = format!("email={}", "a".repeat(70_000));
    let sent = exchange(
        addr,
        "POST",
        "/signin",
        &["Content-Type: application/x-www-form-urlencoded"],
        &big,
    )
    .await
    .expect("an answer");
    assert_eq!(sent.status, 413, "{}", sent.body);
    // A signed-in user's post with its body still works.
    user.get("/voting").await;
    let saved = user.post("/voting", "VoteBits=1").await;
    assert_eq!(saved.status, 200, "{}", saved.body);
}
