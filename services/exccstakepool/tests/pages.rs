//! The HTML pages over real HTTP, as a browser without JavaScript uses them (cookies, forms),
//! in front of a real stakepoold: sign up, ticket address, tickets, voting, settings (the
//! API token works with the API; a new one revokes the old; a password change replaces it;
//! after the operator changed `api_secret` the page shows a working one), sign out (the old
//! cookie is void) and in; CSRF and cross-site posts are refused; throw-away sign-ups use up
//! no derivation index.

mod common;

use std::net::SocketAddr;

use common::{
    Extras, FormClient, SECRET, chain, has, pool_with, redirects_to, serve_app, served, sign_in,
    sign_up,
};
use exccstakepool::rate_limit::Limits;
use pool_tests::http::exchange;

/// The API token the settings page shows.
async fn settings_token(b: &mut FormClient) -> String {
    let settings = b.get("/settings").await;
    let start = settings.body.find("id=\"api-token\">").unwrap() + 15;
    settings.body[start..start + settings.body[start..].find('<').unwrap()].to_owned()
}

/// `getpurchaseinfo` with `token`: the API's code (0 = the token works, 16 = refused).
async fn purchase_info_code(addr: SocketAddr, token: &str) -> i64 {
    let auth = format!("Authorization: Bearer {token}");
    let api = exchange(addr, "GET", "/api/v1/getpurchaseinfo", &[&auth], "")
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    v["code"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signs_up_registers_an_address_and_votes() {
    let s = served("web-pages").await;
    let (c, pool, addr) = (&s.c, &s.pool, s.addr);
    let mut b = FormClient::new(addr);

    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    // Pages cannot be framed, run no scripts, post forms only here and are not cached.
    let csp = home.header("content-security-policy").unwrap_or("");
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("default-src 'none'")
            && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert_eq!(home.header("x-frame-options"), Some("DENY"));
    assert_eq!(home.header("cache-control"), Some("no-store"));
    assert!(
        home.body.contains("simnet") && home.body.contains("7.50 %"),
        "{}",
        home.body
    );
    // Pages that need an account send visitors to sign in.
    redirects_to(&b.get("/tickets").await, "/signin");

    // Sign up: a form without the CSRF token is refused, bad input is explained.
    let form = b.get("/signup").await;
    assert!(form.body.contains("csrf_token"), "{}", form.body);
    let no_token = b
        .send("POST", "/signup", "email=a%40example.org&password=x", &[])
        .await;
    assert_eq!(no_token.status, 400);
    let short = b
        .post(
            "/signup",
            "email=a%40example.org&password=short&password_repeat=short",
        )
        .await;
    assert!(
        short.body.contains("at least 12 characters"),
        "{}",
        short.body
    );
    let ok = b
        .post(
            "/signup",
            "email=a%40example.org&password=first+password&password_repeat=first+password",
        )
        .await;
    redirects_to(&ok, "/address");
    // Signing up started a new session (new CSRF token): a browser follows the redirect.
    b.get("/signup").await;
    let again = b
        .post(
            "/signup",
            "email=a%40example.org&password=first+password&password_repeat=first+password",
        )
        .await;
    assert!(again.body.contains("exists already"), "{}", again.body);

    // The ticket address: a P2PKH address is refused with the reason, a pubkey address taken.
    b.get("/address").await;
    let (p2pkh, pka) = c.users.new_address().await;
    let refused = b.post("/address", &format!("UserPubKeyAddr={p2pkh}")).await;
    assert!(
        refused.body.contains("Address too short"),
        "{}",
        refused.body
    );
    redirects_to(
        &b.post("/address", &format!("UserPubKeyAddr={pka}")).await,
        "/tickets",
    );
    let user = pool
        .db
        .user_by_email("a@example.org")
        .await
        .unwrap()
        .unwrap();
    let registered = user.address.expect("address stored");
    let tickets = b.get("/tickets").await;
    assert!(
        tickets.body.contains(&registered.multisig_address)
            && tickets.body.contains(&registered.fee_address)
            && tickets.body.contains("No tickets yet."),
        "{}",
        tickets.body
    );

    // Voting: invalid bits are explained, valid ones saved.
    b.get("/voting").await;
    let bad = b.post("/voting", "VoteBits=5").await;
    assert!(
        bad.body
            .contains("Not saved: votebits invalid for current agendas."),
        "{}",
        bad.body
    );
    let good = b.post("/voting", "VoteBits=1").await;
    assert!(
        good.body.contains("Voting preferences saved."),
        "{}",
        good.body
    );

    // Settings: the API token, usable with the API, the same on every visit.
    let token = &settings_token(&mut b).await;
    assert_eq!(&settings_token(&mut b).await, token);
    let auth = format!("Authorization: Bearer {token}");
    let api = exchange(addr, "GET", "/api/v1/getpurchaseinfo", &[&auth], "")
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(
        v["data"]["TicketAddress"],
        registered.multisig_address.as_str()
    );

    // A cross-site post (another Origin) is refused even with the token.
    let foreign = b
        .send(
            "POST",
            "/voting",
            &format!("csrf_token={}&VoteBits=1", b.csrf),
            &["Origin: http://evil.example"],
        )
        .await;
    assert_eq!(foreign.status, 400);
    // Behind a reverse proxy the Host is the proxy's upstream, the Origin the public URL.
    let proxied = b
        .send(
            "POST",
            "/voting",
            &format!("csrf_token={}&VoteBits=1", b.csrf),
            &["Origin: https://pool.example"],
        )
        .await;
    assert!(
        proxied.body.contains("Voting preferences saved."),
        "{}",
        proxied.body
    );

    // A new token on request (CSRF-protected): the old one stops working at once.
    has(
        &b.send("POST", "/settings", "change=token", &[]).await,
        "Invalid CSRF token",
    );
    b.get("/settings").await;
    has(
        &b.post("/settings", "change=token").await,
        "the old one no longer works",
    );
    let renewed = settings_token(&mut b).await;
    assert_ne!(&renewed, token);
    assert_eq!(purchase_info_code(addr, token).await, 16);
    assert_eq!(purchase_info_code(addr, &renewed).await, 0);
    // A password change replaces it too.
    b.get("/settings").await;
    has(
        &b.post(
            "/settings",
            "change=password&password=first+password&new_password=second+password&new_password_repeat=second+password",
        )
        .await,
        "Password changed",
    );
    assert_eq!(purchase_info_code(addr, &renewed).await, 16);
    let after_change = settings_token(&mut b).await;
    assert_ne!(after_change, renewed);
    assert_eq!(purchase_info_code(addr, &after_change).await, 0);

    // Sign out: the session ends on the server, so the cookie replayed is refused too.
    b.get("/settings").await;
    let signed_in_cookie = b.cookie.clone();
    redirects_to(&b.post("/logout", "").await, "/");
    redirects_to(&b.get("/settings").await, "/signin");
    let mut replay = FormClient::new(addr);
    replay.cookie = signed_in_cookie;
    redirects_to(&replay.get("/settings").await, "/signin");
    b.get("/signin").await;
    let wrong = b
        .post("/signin", "email=a%40example.org&password=wrong+password")
        .await;
    assert!(
        wrong.body.contains("Wrong e-mail address or password."),
        "{}",
        wrong.body
    );
    redirects_to(
        &b.post("/signin", "email=a%40example.org&password=second+password")
            .await,
        "/tickets",
    );
    assert_eq!(b.get("/settings").await.status, 200);

    // The operator changes api_secret: old tokens are refused, and the settings page
    // replaces the stored one instead of showing a dead token.
    let db_url = format!("sqlite://{}", s.dir.path().join("pool.db").display());
    let extras = Extras {
        api_secret: Some(b"another api secret of the test pool".to_vec()),
        ..Default::default()
    };
    let rotated = pool_with(c, &[&c.spd], &db_url, extras).await;
    assert_ne!(rotated.settings.api_secret, SECRET);
    let addr2 = serve_app(&rotated).await;
    assert_eq!(purchase_info_code(addr2, &after_change).await, 16);
    let mut b2 = FormClient::new(addr2);
    redirects_to(
        &sign_in(&mut b2, "a@example.org", "second password").await,
        "/tickets",
    );
    let reissued = settings_token(&mut b2).await;
    assert_ne!(reissued, after_change);
    assert_eq!(purchase_info_code(addr2, &reissued).await, 0);
    assert_eq!(
        settings_token(&mut b2).await,
        reissued,
        "kept once it works"
    );
}

/// Review M7: sign-ups used to take a derivation index each (the user id), so throw-away
/// accounts filled the address range. Now 75 of them take none, and the next real user
/// gets an address in a range of 50.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throw_away_sign_ups_use_up_no_address_index() {
    let dir = pool_tests::test_dir("web-index");
    let c = chain(dir.path()).await;
    let extras = Extras {
        max_users: Some(50),
        limits: Limits {
            form_posts_per_minute: 10_000,
            ..Limits::default()
        },
        ..Default::default()
    };
    let s = common::serve_pool(dir, c, extras).await;
    for n in 0..75 {
        let mut b = FormClient::new(s.addr);
        redirects_to(
            &sign_up(
                &mut b,
                &format!("throwaway{n}@example.org"),
                "throw away password",
            )
            .await,
            "/address",
        );
    }
    let mut real = FormClient::new(s.addr);
    sign_up(&mut real, "real@example.org", "a real password").await;
    real.get("/address").await;
    let (_, pka) = s.c.users.new_address().await;
    redirects_to(
        &real
            .post("/address", &format!("UserPubKeyAddr={pka}"))
            .await,
        "/tickets",
    );
    let user = s
        .pool
        .db
        .user_by_email("real@example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(user.id > 75, "user id {}", user.id);
    assert_eq!(user.address_index, Some(1));
    assert!(user.address.is_some());
}
