//! The HTML pages over real HTTP, as a browser without JavaScript uses them (cookies, forms),
//! in front of a real stakepoold: sign up, ticket address, tickets, voting, settings (the
//! API token works with the API), sign out and in; CSRF and cross-site posts are refused.

mod common;

use common::{FormClient, redirects_to, served};
use pool_tests::http::exchange;

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
        short.body.contains("at least 8 characters"),
        "{}",
        short.body
    );
    let ok = b
        .post(
            "/signup",
            "email=a%40example.org&password=long+enough&password_repeat=long+enough",
        )
        .await;
    redirects_to(&ok, "/address");
    // Signing up started a new session (new CSRF token): a browser follows the redirect.
    b.get("/signup").await;
    let again = b
        .post(
            "/signup",
            "email=a%40example.org&password=long+enough&password_repeat=long+enough",
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

    // Settings: the API token, usable with the API.
    let settings = b.get("/settings").await;
    let start = settings.body.find("id=\"api-token\">").unwrap() + 15;
    let token = &settings.body[start..start + settings.body[start..].find('<').unwrap()];
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

    // Sign out, sign in with a wrong and the right password.
    b.get("/settings").await;
    redirects_to(&b.post("/logout", "").await, "/");
    redirects_to(&b.get("/settings").await, "/signin");
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
        &b.post("/signin", "email=a%40example.org&password=long+enough")
            .await,
        "/tickets",
    );
    assert_eq!(b.get("/settings").await.status, 200);
}
