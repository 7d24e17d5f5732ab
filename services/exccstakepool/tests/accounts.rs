//! The e-mail flows over HTTP, with mail sent through a real SMTP server (STARTTLS with a
//! certificate the client checks, AUTH PLAIN): sign-up verification, password reset,
//! password and e-mail change, sessions ended by them; expired and reused links; a relay
//! that refuses the pool's login loses nothing; a pool without a relay.

mod common;

use common::{
    FormClient, RELAY_PASSWORD, has, path_of, redirects_to, relay_pool, served, sign_in, sign_up,
};
use exccstakepool::db::Db;
use sha2::Digest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_mail_flows_through_a_tls_relay() {
    // Everything served stays up (bound) until the test ends.
    let (served, sink) = relay_pool("web-accounts", RELAY_PASSWORD).await;
    let (pool, addr) = (&served.pool, served.addr);
    let mut b = FormClient::new(addr);

    // Sign-up mails a verification link over TLS; the account cannot sign in before it.
    let signed_up = sign_up(&mut b, "a@example.org", "long enough").await;
    has(&signed_up, "open the link we sent to a@example.org");
    let verify = sink.nth_to("a@example.org", 1).await;
    assert!(verify.tls, "the relay was reached without TLS");
    assert_eq!(verify.subject(), "Confirm your e-mail address");
    assert_eq!(verify.from, "pool@pool.example");
    let link = path_of(&verify.link("/emailverify?t=").unwrap());
    has(
        &sign_in(&mut b, "a@example.org", "long enough").await,
        "not verified yet",
    );
    // Within 5 minutes no second link is sent.
    assert_eq!(sink.to("a@example.org").len(), 1);
    has(&b.get(&link).await, "Your e-mail address is confirmed");
    has(&b.get(&link).await, "This link is not valid");
    has(
        &b.get("/emailverify?t=0123").await,
        "This link is not valid",
    );
    redirects_to(
        &sign_in(&mut b, "a@example.org", "long enough").await,
        "/address",
    );

    // Password reset: the same answer for an unknown address, which gets no mail.
    let mut other = FormClient::new(addr);
    other.get("/passwordreset").await;
    has(
        &other
            .post("/passwordreset", "email=nobody%40example.org")
            .await,
        "If nobody@example.org belongs to an account here",
    );
    other.post("/passwordreset", "email=a%40example.org").await;
    let reset = sink.nth_to("a@example.org", 2).await;
    assert_eq!(reset.subject(), "Reset your password");
    // A second request right away mails nothing more.
    other.post("/passwordreset", "email=a%40example.org").await;
    let reset_link = path_of(&reset.link("/passwordupdate?t=").unwrap());
    let token = reset_link.split("t=").nth(1).unwrap().to_owned();
    has(
        &other.get("/passwordupdate?t=bad").await,
        "This link is not valid",
    );
    let form = other.get(&reset_link).await;
    has(&form, "name=\"t\"");
    let short = other
        .post(
            "/passwordupdate",
            &format!("t={token}&password=short&password_repeat=short"),
        )
        .await;
    has(&short, "at least 8 characters");
    has(&short, "name=\"t\""); // the form stays for another try
    let done = other
        .post(
            "/passwordupdate",
            &format!("t={token}&password=new+password&password_repeat=new+password"),
        )
        .await;
    has(&done, "Your password is changed");
    assert!(sink.to("nobody@example.org").is_empty());
    assert_eq!(sink.to("a@example.org").len(), 2);
    // The link worked once; the session signed in before the reset is over.
    other.get("/passwordreset").await;
    has(
        &other
            .post(
                "/passwordupdate",
                &format!("t={token}&password=third+one&password_repeat=third+one"),
            )
            .await,
        "This link is not valid",
    );
    redirects_to(&b.get("/settings").await, "/signin");
    has(
        &sign_in(&mut b, "a@example.org", "long enough").await,
        "Wrong e-mail address or password.",
    );
    redirects_to(
        &sign_in(&mut b, "a@example.org", "new password").await,
        "/address",
    );

    // Password change in the settings: the current password is needed, other sessions end,
    // this one goes on, a notice is mailed.
    let mut second = FormClient::new(addr);
    sign_in(&mut second, "a@example.org", "new password").await;
    b.get("/settings").await;
    has(
        &b.post(
            "/settings",
            "change=password&password=wrong+one&new_password=changed+pw&new_password_repeat=changed+pw",
        )
        .await,
        "The current password is wrong.",
    );
    let changed = b
        .post(
            "/settings",
            "change=password&password=new+password&new_password=changed+pw&new_password_repeat=changed+pw",
        )
        .await;
    has(&changed, "Password changed");
    assert_eq!(
        sink.nth_to("a@example.org", 3).await.subject(),
        "Your password was changed"
    );
    assert_eq!(b.get("/settings").await.status, 200);
    redirects_to(&second.get("/settings").await, "/signin");

    // E-mail change: confirmed from the new address, a notice to the old one; then only
    // the new address signs in and every session has ended.
    let change = b
        .post(
            "/settings",
            "change=email&new_email=b%40example.org&password=changed+pw",
        )
        .await;
    has(&change, "Open the link we sent to b@example.org");
    let confirm = sink.nth_to("b@example.org", 1).await;
    assert_eq!(
        sink.nth_to("a@example.org", 4).await.subject(),
        "Your e-mail address is being changed"
    );
    let mut third = FormClient::new(addr);
    has(
        &third
            .get(&path_of(&confirm.link("/emailupdate?t=").unwrap()))
            .await,
        "Your e-mail address is changed",
    );
    redirects_to(&b.get("/settings").await, "/signin");
    has(
        &sign_in(&mut b, "a@example.org", "changed pw").await,
        "Wrong e-mail address or password.",
    );
    redirects_to(
        &sign_in(&mut b, "b@example.org", "changed pw").await,
        "/address",
    );

    // An expired link says so.
    let user = pool
        .db
        .user_by_email("b@example.org")
        .await
        .unwrap()
        .unwrap();
    let now = Db::now();
    let hash = hex::encode(sha2::Sha256::digest(b"expired-link"));
    pool.db
        .add_password_reset(user.id, &hash, now - 7200, now - 3600)
        .await
        .unwrap();
    has(
        &b.get("/passwordupdate?t=expired-link").await,
        "This link has expired",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_refuses_the_login_loses_no_account() {
    let (served, sink) = relay_pool("web-accounts-relay", "wrong password").await;
    let (pool, addr) = (&served.pool, served.addr);
    let mut b = FormClient::new(addr);
    has(
        &sign_up(&mut b, "c@example.org", "long enough").await,
        "open the link we sent to c@example.org",
    );
    // The account exists; signing in tries to mail a new link and says that it failed.
    assert!(
        pool.db
            .user_by_email("c@example.org")
            .await
            .unwrap()
            .is_some()
    );
    has(
        &sign_in(&mut b, "c@example.org", "long enough").await,
        "The e-mail could not be sent; try again later.",
    );
    assert!(sink.all().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_relay_accounts_are_active_and_changes_immediate() {
    let s = served("web-accounts-nomail").await;
    let (addr, mut b) = (s.addr, FormClient::new(s.addr));
    redirects_to(
        &sign_up(&mut b, "d@example.org", "long enough").await,
        "/address",
    );
    has(&b.get("/passwordreset").await, "This pool sends no e-mail");
    b.get("/settings").await;
    has(
        &b.post(
            "/settings",
            "change=email&new_email=e%40example.org&password=long+enough",
        )
        .await,
        "Your e-mail address is now e@example.org",
    );
    // This browser goes on; the new address signs in.
    assert_eq!(b.get("/settings").await.status, 200);
    let mut other = FormClient::new(addr);
    redirects_to(
        &sign_in(&mut other, "e@example.org", "long enough").await,
        "/address",
    );
}
