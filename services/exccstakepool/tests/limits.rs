//! Rate limits over HTTP: a client that posts sign-in forms or calls the API faster than
//! allowed gets 429 with Retry-After, other clients (by the reverse proxy's header) do not;
//! pages are not limited. Wrong passwords are also limited per e-mail address, from any
//! client address.

mod common;

use common::{Extras, FormClient, has, redirects_to};
use exccstakepool::db::sign_in_failures::MAX_FAILURES;
use exccstakepool::rate_limit::Limits;
use pool_tests::http::exchange;

/// A served pool with these rate limits.
async fn limited(name: &str, limits: Limits) -> common::Served {
    let extras = Extras {
        limits,
        ..Default::default()
    };
    common::served_with(name, extras).await
}

/// A sign-in attempt with a wrong password from `ip` (as the reverse proxy tells).
async fn guess(b: &mut FormClient, ip: &str) -> pool_tests::http::Answer {
    guess_with(b, &format!("X-Real-IP: {ip}")).await
}

/// A sign-in attempt with a wrong password and the proxy's `header` line.
async fn guess_with(b: &mut FormClient, header: &str) -> pool_tests::http::Answer {
    let form = format!("csrf_token={}&email=a%40example.org&password=guess", b.csrf);
    b.send("POST", "/signin", &form, &[header]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_limit_a_client_waits_and_others_go_on() {
    let limits = Limits {
        form_posts_per_minute: 3,
        api_requests_per_minute: 4,
        real_ip_header: Some("X-Real-IP".into()),
        ..Default::default()
    };
    let s = limited("web-limits", limits).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_a_client_cannot_pick_its_own_address() {
    let limits = Limits {
        form_posts_per_minute: 3,
        real_ip_header: Some("X-Forwarded-For".into()),
        ..Default::default()
    };
    let s = limited("web-limits-proxy", limits).await;
    let mut b = FormClient::new(s.addr);
    b.get("/signin").await;
    // What the proxy appended counts; the entries before it are the client's own words.
    async fn guess_as(b: &mut FormClient, forwarded: String) -> u16 {
        guess_with(b, &format!("X-Forwarded-For: {forwarded}"))
            .await
            .status
    }
    // Three guesses pass, the fourth is refused: made-up first entries, and other
    // addresses of one IPv6 /64, are one client.
    type Forwarded = fn(u32) -> String;
    let one_client: [(Forwarded, &str); 2] = [
        (
            |i| format!("198.51.100.{i}, 192.0.2.1"),
            "a made-up first entry",
        ),
        (
            |i| format!("2001:db8:1:2::{i:x}"),
            "another address of the same /64",
        ),
    ];
    for (forwarded, what) in one_client {
        let statuses = [
            guess_as(&mut b, forwarded(1)).await,
            guess_as(&mut b, forwarded(2)).await,
            guess_as(&mut b, forwarded(3)).await,
            guess_as(&mut b, forwarded(0xfffe)).await,
        ];
        assert_eq!(statuses, [200, 200, 200, 429], "{what} lifted the limit");
    }
    assert_eq!(guess_as(&mut b, "2001:db8:1:3::1".into()).await, 200);
}

/// Review M6: guesses against one account from many client addresses (a botnet, or a
/// proxy header the client writes) stop after [`MAX_FAILURES`]; even the right password
/// waits then; another account is not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_are_limited_per_account_from_any_address() {
    let limits = Limits {
        form_posts_per_minute: 3,
        api_requests_per_minute: 4,
        real_ip_header: Some("X-Real-IP".into()),
        ..Default::default()
    };
    let s = limited("web-account-throttle", limits).await;
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
