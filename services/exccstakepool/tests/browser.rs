//! The web UI in a real browser (headless Chromium, its own cookies, CSRF tokens, redirects,
//! Origin/Sec-Fetch headers): a visitor signs up, submits a public-key address, sees the
//! ticket address the voting node imported, saves vote bits, finds the API token and makes
//! a new one; with a
//! mail relay, a visitor confirms the address from the e-mailed link and resets a
//! forgotten password through the pages.

mod common;

use common::{RELAY_PASSWORD, path_of, relay_pool, served};
use pool_tests::browser::{self, Browser};
use pool_tests::smtp::MailSink;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_to_ticket_address_in_chromium() {
    if !browser::available() {
        eprintln!("SKIPPED: chromium is not installed (tests/run installs it)");
        return;
    }
    let s = served("web-browser").await;
    let (dir, c, pool) = (&s.dir, &s.c, &s.pool);
    let base = format!("http://{}", s.addr);

    let mut b = Browser::start(dir.path()).await;
    let home = b.open(&format!("{base}/"), "/").await;
    assert!(home.contains("simnet") && home.contains("Open"), "{home}");

    b.open(&format!("{base}/signup"), "/signup").await;
    b.fill("email", "carol@example.org").await;
    b.fill("password", "a long password").await;
    b.fill("password_repeat", "a long password").await;
    b.click("submit").await;
    let address_page = b.wait_for_page("/address").await;
    assert!(
        address_page.contains("Your ticket address"),
        "{address_page}"
    );

    let (_, pka) = c.users.new_address().await;
    b.fill("pubkeyaddr", &pka).await;
    b.click("submit").await;
    b.wait_for_page("/tickets").await;
    let shown = b
        .eval("document.getElementById('ticket-address').innerText")
        .await;
    let user = pool
        .db
        .user_by_email("carol@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        shown.as_str(),
        Some(user.address.unwrap().multisig_address.as_str())
    );

    b.open(&format!("{base}/voting"), "/voting").await;
    b.fill("votebits-input", "1").await;
    b.click("submit").await;
    // The answer is /voting again, now with a message.
    let message = b.wait_for_message().await;
    assert_eq!(message, "Voting preferences saved.");

    // The page shows the stored API token.
    let shown_token = async |b: &mut Browser| {
        let shown = b
            .eval("document.getElementById('api-token').innerText")
            .await;
        let stored = pool
            .db
            .user_by_email("carol@example.org")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(shown.as_str(), Some(stored.api_token.as_str()));
        stored.api_token
    };
    b.open(&format!("{base}/settings"), "/settings").await;
    let token = shown_token(&mut b).await;

    // A new token from the button (a form post with the page's CSRF token).
    b.click("new-token-submit").await;
    assert!(
        b.wait_for_message()
            .await
            .contains("the old one no longer works")
    );
    assert_ne!(shown_token(&mut b).await, token);
}

/// The path of the link to `path` in dave's `n`th mail.
async fn mailed_link(sink: &MailSink, n: usize, path: &str) -> String {
    let mail = sink.nth_to("dave@example.org", n).await;
    path_of(
        &mail
            .link(path)
            .unwrap_or_else(|| panic!("no {path} link in {mail:?}")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_mailed_links_confirm_and_reset_in_chromium() {
    if !browser::available() {
        eprintln!("SKIPPED: chromium is not installed (tests/run installs it)");
        return;
    }
    let (s, sink) = relay_pool("web-browser-mail", RELAY_PASSWORD).await;
    let base = format!("http://{}", s.addr);
    let mut b = Browser::start(s.dir.path()).await;

    b.open(&format!("{base}/signup"), "/signup").await;
    b.fill("email", "dave@example.org").await;
    b.fill("password", "first password").await;
    b.fill("password_repeat", "first password").await;
    b.click("submit").await;
    assert!(b.wait_for_message().await.contains("open the link we sent"));
    let link = mailed_link(&sink, 1, "/emailverify").await;
    let confirmed = b.open(&format!("{base}{link}"), "/emailverify").await;
    assert!(
        confirmed.contains("Your e-mail address is confirmed"),
        "{confirmed}"
    );

    // Forgot the password: from the sign-in page to the reset form, the mail, the new one.
    b.open(&format!("{base}/signin"), "/signin").await;
    b.click("forgot").await;
    b.wait_for_page("/passwordreset").await;
    b.fill("email", "dave@example.org").await;
    b.click("submit").await;
    assert!(
        b.wait_for_message()
            .await
            .contains("If dave@example.org belongs to an account")
    );
    let link = mailed_link(&sink, 2, "/passwordupdate").await;
    b.open(&format!("{base}{link}"), "/passwordupdate").await;
    b.fill("password", "second password").await;
    b.fill("password_repeat", "second password").await;
    b.click("submit").await;
    assert!(
        b.wait_for_message()
            .await
            .contains("Your password is changed")
    );

    b.open(&format!("{base}/signin"), "/signin").await;
    b.fill("email", "dave@example.org").await;
    b.fill("password", "second password").await;
    b.click("submit").await;
    b.wait_for_page("/address").await;
}
