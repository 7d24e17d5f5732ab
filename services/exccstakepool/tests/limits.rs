//! Rate limits over HTTP: a client that posts sign-in forms or calls the API faster than
//! allowed gets 429 with Retry-After, other clients (by the reverse proxy's header) do not;
//! pages are not limited. Wrong passwords are also limited per e-mail address, from any
//! client address.

mod common;

use common::{Extras, FormClient, Served, chain, has, redirects_to, serve_pool};
use exccstakepool::db::sign_in_failures::MAX_FAILURES;
use exccstakepool::rate_limit::Limits;
use pool_tests::http::exchange;

/// A sign-in attempt with a wrong password from `ip` (as the reverse proxy tells).
async fn guess(b: &mut FormClient, ip: &str) -> pool_tests::http::Answer {
    let form = format!("csrf_token={}&email=a%40example.org&password=guess", b.csrf);
    let header = format!("X-Real-IP: {ip}");
    b.send("POST", "/signin", &form, &[&header]).await
}

/// A pool behind a proxy that names the client in `X-Real-IP`, with small limits: 3 form
/// posts and 4 API calls a minute.
async fn proxied_pool(name: &str) -> Served {
    let dir = pool_tests::test_dir(name);
    let c = chain(dir.path()).await;
    let limits = Limits {
        form_posts_per_minute: 3,
        api_requests_per_minute: 4,
        real_ip_header: Some("X-Real-IP".into()),
    };
    let extras = Extras {
        limits,
        ..Default::default()
    };
    serve_pool(dir, c, extras).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_limit_a_client_waits_and_others_go_on() {
    let s = proxied_pool("web-limits").await;
    let addr = s.addr;

    let mut b = FormClient::new(addr);
    b.get("/signin").await;
    for _ in 0..3 {
        let a = guess(&mut b, "192.0.2.1").await;
        assert!(
            a.body.contains("Wrong e-mail address or password."),
            "{}",
            a.body
        );
    }
    let refused = guess(&mut b, "192.0.2.1").await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=21).contains(&wait), "Retry-After {wait}");
    assert!(
        refused.body.contains("Too many requests"),
        "{}",
        refused.body
    );
    // Another client is not affected; pages are not limited.
    assert_eq!(guess(&mut b, "192.0.2.2").await.status, 200);
    for _ in 0..10 {
        assert_eq!(b.get("/signin").await.status, 200);
    }

    // The API has its own budget.
    let api = || exchange(addr, "GET", "/api/v2/stats", &["X-Real-IP: 192.0.2.1"], "");
    for _ in 0..4 {
        assert_eq!(api().await.unwrap().status, 200);
    }
    assert_eq!(api().await.unwrap().status, 429);
}

/// Review M6: guesses against one account from many client addresses (a botnet, or a
/// proxy header the client writes) stop after [`MAX_FAILURES`]; even the right password
/// waits then; another account is not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_are_limited_per_account_from_any_address() {
    let s = proxied_pool("web-account-throttle").await;
    let mut b = FormClient::new(s.addr);
    // Every post from another client address.
    let mut clients = 0;
    let mut next_ip = || {
        clients += 1;
        format!("X-Real-IP: 198.51.100.{clients}")
    };
    for who in ["a@example.org", "b@example.org"] {
        let ip = next_ip();
        b.send("GET", "/signup", "", &[&ip]).await;
        let form = format!(
            "csrf_token={}&email={}&password=right+password&password_repeat=right+password",
            b.csrf,
            who.replace('@', "%40")
        );
        redirects_to(&b.send("POST", "/signup", &form, &[&ip]).await, "/address");
    }
    let attempt = async |b: &mut FormClient, ip: String, who: &str, password: &str| {
        b.send("GET", "/signin", "", &[&ip]).await;
        let form = format!(
            "csrf_token={}&email={}&password={password}",
            b.csrf,
            who.replace('@', "%40")
        );
        b.send("POST", "/signin", &form, &[&ip]).await
    };
    for _ in 0..MAX_FAILURES {
        let ip = next_ip();
        has(
            &attempt(&mut b, ip, "a@example.org", "guess").await,
            "Wrong e-mail address or password.",
        );
    }
    let ip = next_ip();
    let refused = attempt(&mut b, ip, "A@example.org", "right+password").await;
    assert_eq!(refused.status, 200);
    has(
        &refused,
        "Too many wrong passwords for this e-mail address: try again in 15 minutes",
    );
    let ip = next_ip();
    redirects_to(
        &attempt(&mut b, ip, "b@example.org", "right+password").await,
        "/address",
    );
}
