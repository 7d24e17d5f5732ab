//! The admin pages over HTTP in front of a real stakepoold: only admins get them; the status
//! page shows the voting node; a pool ticket bought with too low a fee shows up as ignored,
//! (and in the user's list of tickets not voted), an admin adds it (stored, pushed to the node, which then lists it as added) and removes
//! it again; bad input changes nothing.

mod common;

use common::{
    ADMIN, Chain, Extras, FormClient, chain, has, redirects_to, serve_pool, served, sign_up,
};
use pool_tests::filler::Filler;
use pool_tests::simnet::start_wallet;
use pool_tests::wait_for;
use serde_json::json;
use stakepoold_proto::v1 as pb;

/// The admin-added low-fee tickets a voting node votes.
async fn added_on_node(c: &Chain) -> Vec<String> {
    let mut grpc = c.pki.client(c.spd.grpc_port, "web", None).await.unwrap();
    let r = grpc
        .get_added_low_fee_tickets(pb::GetAddedLowFeeTicketsRequest {})
        .await
        .unwrap();
    r.into_inner().tickets.into_iter().map(|t| t.hash).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_see_node_status_and_manage_low_fee_tickets() {
    let s = served("web-admin").await;
    let (dir, c, pool, addr) = (&s.dir, &s.c, &s.pool, s.addr);

    // Account 1 is the admin (the tests' admin_emails); account 2 a user with an address.
    let mut admin = FormClient::new(addr);
    redirects_to(
        &sign_up(&mut admin, ADMIN, "admin password").await,
        "/address",
    );
    let mut user = FormClient::new(addr);
    redirects_to(
        &sign_up(&mut user, "user@example.org", "user password").await,
        "/address",
    );
    user.get("/address").await;
    let (_, pka) = c.users.new_address().await;
    redirects_to(
        &user
            .post("/address", &format!("UserPubKeyAddr={pka}"))
            .await,
        "/tickets",
    );
    let u = pool
        .db
        .user_by_email("user@example.org")
        .await
        .unwrap()
        .unwrap();
    let ticket_address = u.address.clone().unwrap();

    // Others are refused.
    assert_eq!(user.get("/admin/status").await.status, 403);
    assert_eq!(user.get("/admin/tickets").await.status, 403);
    redirects_to(
        &FormClient::new(addr).get("/admin/tickets").await,
        "/signin",
    );
    assert!(!user.get("/settings").await.body.contains("/admin/status"));

    let health = FormClient::new(addr).get("/healthz").await;
    assert_eq!(health.status, 200, "{}", health.body);
    has(&health, "\"healthy\":true");
    let status = admin.get("/admin/status").await;
    assert_eq!(status.status, 200);
    has(&status, "data-node=\"localhost\"");
    has(&status, "<span id=\"users\">2</span>");
    has(&status, "<span id=\"active\">1</span>");
    has(&status, "<td class=\"health\">healthy</td>");
    has(&status, "<td>unlocked</td>");

    // A ticket for the user's address that pays 1 % instead of the pool's 7.5 %, bought at
    // stake validation height and matured; filler tickets vote the blocks.
    let filler = start_wallet(dir.path(), "filler", &c.node, &["--createtemp".into()]).await;
    filler.ok("walletpassphrase", json!(["password", 0])).await;
    let mut filler = Filler::new(filler);
    let mine = async |filler: &mut Filler, blocks: u64| {
        for _ in 0..blocks {
            filler.prepare_block(&c.node).await;
            c.node.ok("generate", json!([1])).await;
        }
    };
    mine(&mut filler, 143).await;
    c.users.ok("walletpassphrase", json!(["password", 0])).await;
    let bought = c
        .users
        .ok(
            "purchaseticket",
            json!([
                "default",
                1000,
                1,
                ticket_address.multisig_address,
                1,
                ticket_address.fee_address,
                1.0
            ]),
        )
        .await;
    let low = bought[0].as_str().unwrap().to_owned();
    mine(&mut filler, 17).await;
    let page = wait_for(30, "the low-fee ticket on the admin page", || async {
        let mut b = FormClient::new(addr);
        b.cookie = admin.cookie.clone();
        let p = b.get("/admin/tickets").await;
        p.body.contains(&low).then_some(p)
    })
    .await;
    has(&page, "id=\"no-added\"");
    // The user sees it among the tickets the pool does not vote; the statistics show the chain.
    let tickets = user.get("/tickets").await;
    let invalid = &tickets.body[tickets
        .body
        .find("id=\"invalid\"")
        .expect("invalid tickets listed")..];
    assert!(invalid.contains(&low), "{}", tickets.body);
    let stats = FormClient::new(addr).get("/stats").await;
    has(&stats, "<td id=\"height\">160</td>");
    has(&stats, "<td id=\"active\">1</td>");
    admin.get("/admin/tickets").await;

    // Bad input changes nothing and says why.
    has(
        &admin.post("/admin/tickets", "action=add").await,
        "Nothing changed: no ticket selected.",
    );
    let unknown_action = admin.post("/admin/tickets", "action=evil").await;
    assert_eq!(unknown_action.status, 400, "{}", unknown_action.body);
    has(&unknown_action, "Unknown action");
    admin.get("/admin/tickets").await;
    has(
        &admin
            .post("/admin/tickets", "action=add&tickets=x%27%20OR%201%3D1")
            .await,
        "is not a ticket hash",
    );
    let unknown = "ab".repeat(32);
    has(
        &admin
            .post("/admin/tickets", &format!("action=add&tickets={unknown}"))
            .await,
        "is not among the ignored low-fee tickets",
    );
    assert!(pool.db.low_fee_tickets(0).await.unwrap().is_empty());

    // Added: stored with the ticket address, and the node votes it.
    let added = admin
        .post("/admin/tickets", &format!("action=add&tickets={low}"))
        .await;
    has(&added, "1 ticket(s) added");
    let stored = pool.db.low_fee_tickets(0).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (
            stored[0].hash.as_str(),
            stored[0].address.as_str(),
            stored[0].added_by
        ),
        (low.as_str(), ticket_address.multisig_address.as_str(), 1)
    );
    assert_eq!(added_on_node(c).await, vec![low.clone()]);
    has(
        &admin.get("/admin/status").await,
        "<span id=\"added\">1</span>",
    );

    // Removed: gone from the database and the node.
    admin.get("/admin/tickets").await;
    has(
        &admin
            .post("/admin/tickets", &format!("action=remove&tickets={low}"))
            .await,
        "1 ticket(s) removed",
    );
    assert!(pool.db.low_fee_tickets(0).await.unwrap().is_empty());
    assert!(added_on_node(c).await.is_empty());
}

/// No admin by default; admins named in the config (two of them: legacy B-8 was a list
/// that was never split) and one added with `exccstakepool admin add` (the database flag)
/// get the admin pages, nobody else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_and_added_admins_and_nobody_else() {
    let dir = pool_tests::test_dir("web-admins");
    let c = chain(dir.path()).await;
    let extras = Extras {
        admin_emails: Some(vec!["one@example.org".into(), "two@example.org".into()]),
        ..Default::default()
    };
    let s = serve_pool(dir, c, extras).await;
    let mut status = Vec::new();
    for email in [
        "first@example.org",
        "One@Example.org",
        "two@example.org",
        "added@example.org",
    ] {
        let mut b = FormClient::new(s.addr);
        redirects_to(&sign_up(&mut b, email, "some password").await, "/address");
        if email == "added@example.org" {
            assert!(s.pool.db.set_admin(email, true).await.unwrap());
        }
        status.push((email, b.get("/admin/status").await.status));
    }
    assert_eq!(
        status,
        [
            ("first@example.org", 403),
            ("One@Example.org", 200),
            ("two@example.org", 200),
            ("added@example.org", 200),
        ]
    );
}
