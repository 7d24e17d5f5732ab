//! What every answer carries, whoever produced it (pages, API, health check, 404, 429,
//! 413, 405, CSRF refusals, redirects): the security headers; and every GET resource
//! answers HEAD.

mod common;

use common::{Extras, chain, serve_pool};
use exccstakepool::rate_limit::Limits;
use pool_tests::http::{Answer, exchange};
use pool_tests::wait_for;

fn has_security_headers(what: &str, a: &Answer) {
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("cache-control", "no-store"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        assert_eq!(a.header(name), Some(value), "{what} ({}): {name}", a.status);
    }
    let csp = a.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{what} ({}): CSP {csp:?}",
        a.status
    );
}

async fn send(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> Answer {
    let form = ["Content-Type: application/x-www-form-urlencoded"];
    exchange(addr, method, path, &form, body)
        .await
        .unwrap_or_else(|| panic!("{method} {path}: no answer"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_has_the_security_headers_and_head_works() {
    let dir = pool_tests::test_dir("web-every-answer");
    let c = chain(dir.path()).await;
    let extras = Extras {
        limits: Limits {
            api_requests_per_minute: 6,
            ..Default::default()
        },
        ..Default::default()
    };
    let s = serve_pool(dir, c, extras).await;
    let addr = s.addr;
    // The background health poll has seen the node.
    wait_for(20, "/healthz to answer 200", || async {
        (send(addr, "GET", "/healthz", "").await.status == 200).then_some(())
    })
    .await;

    // HEAD: the GET resources answer it (headers only).
    for path in ["/", "/healthz", "/signin", "/api/v1/getpurchaseinfo"] {
        let a = send(addr, "HEAD", path, "").await;
        assert_eq!(a.status, 200, "HEAD {path}");
        assert!(a.body.is_empty(), "HEAD {path}: {}", a.body);
    }

    let big = format!("a={}", "b".repeat(70_000));
    let cases = [
        ("page", send(addr, "GET", "/", "").await, 200),
        ("redirect", send(addr, "GET", "/tickets", "").await, 303),
        ("API", send(addr, "GET", "/api/v1/stats", "").await, 200),
        (
            "API error",
            send(addr, "PUT", "/api/v1/stats", "").await,
            405,
        ),
        ("health", send(addr, "GET", "/healthz", "").await, 200),
        ("404", send(addr, "GET", "/robots.txt", "").await, 404),
        (
            "CSRF refusal",
            send(addr, "POST", "/signin", "email=a").await,
            400,
        ),
        ("too large", send(addr, "POST", "/signin", &big).await, 413),
    ];
    for (what, answer, status) in &cases {
        assert_eq!(answer.status, *status, "{what}: {}", answer.body);
        has_security_headers(what, answer);
    }
    // Over the API budget (6 a minute, 3 spent above).
    let mut statuses = Vec::new();
    let limited = loop {
        let a = send(addr, "GET", "/api/v2/stats", "").await;
        statuses.push(a.status);
        if a.status != 200 || statuses.len() > 6 {
            break a;
        }
    };
    assert_eq!(limited.status, 429, "{statuses:?}");
    has_security_headers("429", &limited);
}
