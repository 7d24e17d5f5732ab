//! The web UI in a real browser (headless Chromium, its own cookies, CSRF tokens, redirects,
//! Origin/Sec-Fetch headers): a visitor signs up, submits a public-key address, sees the
//! ticket address the voting node imported, saves vote bits and finds the API token.

mod common;

use common::served;
use pool_tests::browser::{self, Browser};

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
    let message = b
        .wait_for_text(
            "document.readyState === 'complete' && document.getElementById('message') ? document.getElementById('message').innerText : null",
        )
        .await;
    assert_eq!(message, "Voting preferences saved.");

    b.open(&format!("{base}/settings"), "/settings").await;
    let token = b
        .eval("document.getElementById('api-token').innerText")
        .await;
    let stored = pool
        .db
        .user_by_email("carol@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.as_str(), Some(stored.api_token.as_str()));
}
