//! The database layer on both engines it supports: SQLite (a file) and a real MariaDB
//! server (private instance). The same scenario runs on each, and so does the upgrade of a
//! database filled before schema step 3 (derivation indices, canonical e-mail addresses).

use exccstakepool::db::accounts::UNVERIFIED_LIFETIME;
use exccstakepool::db::low_fee::AddedTicket;
use exccstakepool::db::sign_in_failures::{MAX_FAILURES, WINDOW};
use exccstakepool::db::users::{CreateError, TicketAddress};
use exccstakepool::db::{Db, latest_schema, schema_version};
use pool_tests::mariadb::{self, MariaDb};

fn address(n: u32) -> TicketAddress {
    TicketAddress {
        multisig_address: format!("ScMultisig{n}"),
        multisig_script: format!("5121{n:04}52ae"),
        pool_pubkey_addr: format!("SkPool{n}"),
        user_pubkey_addr: format!("SkUser{n}"),
        fee_address: format!("SsFee{n}"),
        height_registered: 150 + i64::from(n),
    }
}

async fn scenario(url: &str) {
    let db = Db::open(url).await.unwrap();
    assert_eq!(schema_version(&db).await.unwrap(), latest_schema());
    // Opening again runs no step twice.
    let db = Db::open(url).await.unwrap();
    assert_eq!(schema_version(&db).await.unwrap(), latest_schema());

    let alice = db.create_user("alice@example.org", "hash-a").await.unwrap();
    let bob = db.create_user("bob@example.org", "hash-b").await.unwrap();
    assert_ne!(alice, bob);
    assert!(matches!(
        db.create_user("alice@example.org", "other").await,
        Err(CreateError::EmailTaken)
    ));
    let a = db.user(alice).await.unwrap().unwrap();
    assert_eq!(
        (a.email.as_str(), a.password_hash.as_str(), a.email_verified),
        ("alice@example.org", "hash-a", false)
    );
    assert_eq!((a.vote_bits, a.address.clone()), (1, None));
    assert_eq!(
        db.user_by_email("bob@example.org")
            .await
            .unwrap()
            .unwrap()
            .id,
        bob
    );
    // Input is data, never SQL.
    assert_eq!(db.user_by_email("x' OR '1'='1").await.unwrap(), None);
    assert_eq!(db.user(9999).await.unwrap(), None);

    db.set_email_verified(alice).await.unwrap();
    db.set_api_token(alice, "token-a").await.unwrap();
    assert!(db.set_ticket_address(alice, &address(1)).await.unwrap());
    // One address per account, also for a second submission.
    assert!(!db.set_ticket_address(alice, &address(2)).await.unwrap());
    db.set_vote_bits(alice, 5, 10).await.unwrap();
    let a = db.user(alice).await.unwrap().unwrap();
    assert!(a.email_verified);
    assert_eq!(a.api_token, "token-a");
    assert_eq!(a.address, Some(address(1)));
    assert_eq!((a.vote_bits, a.vote_bits_version), (5, 10));

    let voting = db.voting_users().await.unwrap();
    assert_eq!(voting.len(), 1);
    assert_eq!(
        (
            voting[0].id,
            voting[0].multisig_address.as_str(),
            voting[0].vote_bits
        ),
        (alice, "ScMultisig1", 5)
    );
    assert_eq!(db.user_counts().await.unwrap(), (2, 1));
    accounts(&db, alice, bob).await;
    low_fee(&db, alice).await;
    addresses_compared_in_canonical_form(&db).await;
    derivation_indices(&db, alice, bob).await;
    sign_in_failures(&db).await;
    unverified_accounts_expire(&db).await;
}

/// `User@B.example`, `user@b.example` and `ÜSER@B.EXAMPLE` forms: one account each address,
/// whatever the case, on both engines.
async fn addresses_compared_in_canonical_form(db: &Db) {
    let carol = db.create_user("Carol@Example.ORG", "h").await.unwrap();
    assert_eq!(
        db.user(carol).await.unwrap().unwrap().email,
        "carol@example.org"
    );
    for variant in [
        "carol@example.org",
        "CAROL@EXAMPLE.ORG",
        " carol@Example.org ",
    ] {
        assert!(
            matches!(
                db.create_user(variant, "h").await,
                Err(CreateError::EmailTaken)
            ),
            "{variant}"
        );
        assert_eq!(db.user_by_email(variant).await.unwrap().unwrap().id, carol);
    }
    let umlaut = db.create_user("ÜSER@B.EXAMPLE", "h").await.unwrap();
    assert!(matches!(
        db.create_user("üser@b.example", "h").await,
        Err(CreateError::EmailTaken)
    ));
    // Byte-wise on MariaDB too (its default collations would call u and ü equal).
    let plain = db.create_user("user@b.example", "h").await.unwrap();
    assert_ne!(umlaut, plain);
    // Changing to another account's address in another case is refused; admins by address.
    assert!(!db.set_email(plain, "Üser@B.example").await.unwrap());
    assert!(db.set_admin("CAROL@example.org", true).await.unwrap());
    assert!(db.user(carol).await.unwrap().unwrap().is_admin);
    assert!(!db.user(plain).await.unwrap().unwrap().is_admin);
    assert!(!db.set_admin("nobody@example.org", true).await.unwrap());
}

/// Indices come from a counter at the first address submission, never twice.
async fn derivation_indices(db: &Db, alice: i64, bob: i64) {
    assert_eq!(db.user(bob).await.unwrap().unwrap().address_index, None);
    let first = db.address_index(bob).await.unwrap();
    assert_eq!(first, 1, "a fresh pool starts at index 1");
    assert_eq!(db.address_index(bob).await.unwrap(), first, "kept");
    assert_eq!(db.address_index(alice).await.unwrap(), 2);
    let many: Vec<i64> = futures_util::future::join_all((0..6).map(|n| async move {
        let id = db
            .create_user(&format!("index{n}@example.org"), "h")
            .await
            .unwrap();
        db.address_index(id).await.unwrap()
    }))
    .await;
    let mut sorted = many.clone();
    sorted.sort();
    assert_eq!(sorted, [3, 4, 5, 6, 7, 8], "{many:?}");
}

/// Failed sign-ins per address: over the limit it waits for the window's end.
async fn sign_in_failures(db: &Db) {
    let now = 1_000_000;
    for _ in 0..MAX_FAILURES - 1 {
        db.add_sign_in_failure("Guess@Example.org", now)
            .await
            .unwrap();
    }
    assert_eq!(
        db.sign_in_wait("guess@example.org", now).await.unwrap(),
        None
    );
    db.add_sign_in_failure("guess@example.org", now + 10)
        .await
        .unwrap();
    assert_eq!(
        db.sign_in_wait("GUESS@example.org", now + 60)
            .await
            .unwrap(),
        Some(WINDOW - 60)
    );
    assert_eq!(
        db.sign_in_wait("other@example.org", now).await.unwrap(),
        None
    );
    assert_eq!(
        db.sign_in_wait("guess@example.org", now + WINDOW)
            .await
            .unwrap(),
        None
    );
    // A failure after the window starts a new count.
    db.add_sign_in_failure("guess@example.org", now + WINDOW + 1)
        .await
        .unwrap();
    assert_eq!(
        db.sign_in_wait("guess@example.org", now + WINDOW + 2)
            .await
            .unwrap(),
        None
    );
    for _ in 0..MAX_FAILURES {
        db.add_sign_in_failure("reset@example.org", now)
            .await
            .unwrap();
    }
    db.clear_sign_in_failures("reset@example.org")
        .await
        .unwrap();
    assert_eq!(
        db.sign_in_wait("reset@example.org", now).await.unwrap(),
        None
    );
    // A new password (e.g. by a reset link) lifts the limit of the account's address.
    let locked = db.create_user("Locked@example.org", "h").await.unwrap();
    for _ in 0..MAX_FAILURES {
        db.add_sign_in_failure("locked@example.org", now)
            .await
            .unwrap();
    }
    assert!(
        db.sign_in_wait("locked@example.org", now)
            .await
            .unwrap()
            .is_some()
    );
    db.set_password(locked, "h2").await.unwrap();
    assert_eq!(
        db.sign_in_wait("locked@example.org", now).await.unwrap(),
        None
    );
}

/// Accounts never verified go at the prune after [`UNVERIFIED_LIFETIME`]; verified ones stay.
async fn unverified_accounts_expire(db: &Db) {
    let verified = db.create_user("kept@example.org", "h").await.unwrap();
    db.set_email_verified(verified).await.unwrap();
    let unverified = db.create_user("gone@example.org", "h").await.unwrap();
    let now = Db::now();
    db.prune_expired(now).await.unwrap();
    assert!(db.user(unverified).await.unwrap().is_some());
    db.prune_expired(now + UNVERIFIED_LIFETIME + 5)
        .await
        .unwrap();
    assert_eq!(db.user(unverified).await.unwrap(), None);
    assert!(db.user(verified).await.unwrap().is_some());
}

/// A database filled before step 3: rows with an address keep index = user id (the legacy
/// rule), the counter starts after them, e-mail addresses become canonical.
async fn upgrade_of_legacy_rows(url: &str) {
    let old = Db::open_at_schema(url, 2).await.unwrap();
    assert_eq!(schema_version(&old).await.unwrap(), 2);
    // Rows as that schema's code wrote them: the address as given.
    let raw = sqlx::AnyPool::connect(url).await.unwrap();
    let mut ids = Vec::new();
    for (n, email) in ["One@Example.org", "two@example.org", "Three@EXAMPLE.org"]
        .into_iter()
        .enumerate()
    {
        sqlx::query("INSERT INTO users (email, password_hash, created) VALUES (?, 'h', 0)")
            .bind(email)
            .execute(&raw)
            .await
            .unwrap();
        let id: i64 = sqlx::query_scalar("SELECT user_id FROM users WHERE email = ?")
            .bind(email)
            .fetch_one(&raw)
            .await
            .unwrap();
        if n != 1 {
            assert!(
                old.set_ticket_address(id, &address(n as u32))
                    .await
                    .unwrap()
            );
        }
        ids.push(id);
    }
    raw.close().await;
    old.pool_close().await;
    let db = Db::open(url).await.unwrap();
    assert_eq!(schema_version(&db).await.unwrap(), latest_schema());
    let one = db.user(ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (one.email.as_str(), one.address_index),
        ("one@example.org", Some(ids[0]))
    );
    assert_eq!(
        db.user(ids[2]).await.unwrap().unwrap().address_index,
        Some(ids[2])
    );
    // The user without an address gets the next index after the legacy ones.
    assert_eq!(db.address_index(ids[1]).await.unwrap(), ids[2] + 1);
    assert_eq!(
        db.user_by_email("three@example.org")
            .await
            .unwrap()
            .unwrap()
            .id,
        ids[2]
    );
}

/// Admin-added low-fee tickets: added once, listed until they expire, removed by hash.
async fn low_fee(db: &Db, admin: i64) {
    let ticket = |n: u8, expires| AddedTicket {
        hash: hex::encode([n; 32]),
        address: format!("ScMultisig{n}"),
        added_by: admin,
        expires,
    };
    assert!(db.add_low_fee_ticket(&ticket(1, 5000), 100).await.unwrap());
    assert!(db.add_low_fee_ticket(&ticket(2, 500), 100).await.unwrap());
    // The same ticket again: not added twice.
    assert!(!db.add_low_fee_ticket(&ticket(1, 6000), 200).await.unwrap());
    assert_eq!(
        db.low_fee_tickets(0).await.unwrap(),
        [ticket(1, 5000), ticket(2, 500)]
    );
    assert_eq!(db.low_fee_tickets(1000).await.unwrap(), [ticket(1, 5000)]);
    let removed = db
        .remove_low_fee_tickets(&[ticket(2, 0).hash, "no such".into()])
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(db.low_fee_tickets(0).await.unwrap(), [ticket(1, 5000)]);
}

/// The e-mail flows' links and changes.
async fn accounts(db: &Db, alice: i64, bob: i64) {
    // Verification link: found by its hash while unverified, gone once verified.
    db.set_email_token(bob, "hash-verify", 5000).await.unwrap();
    assert_eq!(
        db.email_token("hash-verify").await.unwrap(),
        Some((bob, 5000))
    );
    assert_eq!(db.email_token_expiry(bob).await.unwrap(), Some(5000));
    assert_eq!(db.email_token("").await.unwrap(), None);
    db.set_email_verified(bob).await.unwrap();
    assert_eq!(db.email_token("hash-verify").await.unwrap(), None);
    assert_eq!(db.email_token_expiry(bob).await.unwrap(), None);

    // Password resets: the newest's time; a new password voids all of them and old sessions.
    assert_eq!(db.last_password_reset(bob).await.unwrap(), None);
    db.add_password_reset(bob, "hash-r1", 100, 3700)
        .await
        .unwrap();
    db.add_password_reset(bob, "hash-r2", 200, 3800)
        .await
        .unwrap();
    assert_eq!(db.last_password_reset(bob).await.unwrap(), Some(200));
    let link = db.password_reset("hash-r1").await.unwrap().unwrap();
    assert_eq!((link.user_id, link.created, link.expires), (bob, 100, 3700));
    db.set_password(bob, "hash-b2").await.unwrap();
    assert_eq!(db.password_reset("hash-r2").await.unwrap(), None);
    let b = db.user(bob).await.unwrap().unwrap();
    assert_eq!((b.password_hash.as_str(), b.session_epoch), ("hash-b2", 1));

    // E-mail change: pending until confirmed; a taken address is refused, nothing changed.
    db.add_email_change(bob, "bob@new.example", "hash-c", 400, 4000)
        .await
        .unwrap();
    let change = db.email_change("hash-c").await.unwrap().unwrap();
    assert_eq!(
        (change.link.user_id, change.new_email.as_str()),
        (bob, "bob@new.example")
    );
    assert!(!db.set_email(bob, "alice@example.org").await.unwrap());
    assert_eq!(
        db.user(bob).await.unwrap().unwrap().email,
        "bob@example.org"
    );
    assert!(db.set_email(bob, "bob@new.example").await.unwrap());
    let b = db.user(bob).await.unwrap().unwrap();
    assert_eq!((b.email.as_str(), b.session_epoch), ("bob@new.example", 2));
    assert_eq!(db.email_change("hash-c").await.unwrap(), None);

    // A new password voids pending e-mail changes (no takeover after a reset) and the API
    // token; a reset link is voided by an e-mail change.
    db.set_api_token(bob, "token-b").await.unwrap();
    db.add_email_change(bob, "attacker@evil.example", "hash-evil", 500, 4000)
        .await
        .unwrap();
    db.set_password(bob, "hash-b3").await.unwrap();
    assert_eq!(db.email_change("hash-evil").await.unwrap(), None);
    assert_eq!(db.user(bob).await.unwrap().unwrap().api_token, "");
    db.add_password_reset(bob, "hash-r3", 600, 4000)
        .await
        .unwrap();
    assert!(db.set_email(bob, "Bob@Newer.example").await.unwrap());
    assert_eq!(db.password_reset("hash-r3").await.unwrap(), None);
    let b = db.user(bob).await.unwrap().unwrap();
    assert_eq!(
        (b.email.as_str(), b.session_epoch),
        ("bob@newer.example", 4)
    );
    db.end_sessions(bob).await.unwrap();
    assert_eq!(db.user(bob).await.unwrap().unwrap().session_epoch, 5);

    // Expired links go; live ones stay.
    db.add_password_reset(alice, "hash-old", 10, 20)
        .await
        .unwrap();
    db.add_password_reset(alice, "hash-live", 10, 9000)
        .await
        .unwrap();
    db.add_email_change(alice, "a@old.example", "hash-c-old", 10, 20)
        .await
        .unwrap();
    assert_eq!(db.prune_expired(1000).await.unwrap(), 2);
    assert_eq!(db.password_reset("hash-old").await.unwrap(), None);
    assert!(db.password_reset("hash-live").await.unwrap().is_some());
    assert_eq!(db.email_change("hash-c-old").await.unwrap(), None);
    assert_eq!(db.user(alice).await.unwrap().unwrap().session_epoch, 0);
}

#[tokio::test]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    scenario(&format!(
        "sqlite://{}",
        dir.path().join("pool.db").display()
    ))
    .await;
    upgrade_of_legacy_rows(&format!(
        "sqlite://{}",
        dir.path().join("legacy.db").display()
    ))
    .await;
}

#[tokio::test]
async fn mariadb() {
    if !mariadb::available() {
        eprintln!("SKIPPED mariadb: mariadb-server is not installed (tests/run installs it)");
        return;
    }
    let dir = pool_tests::test_dir("mariadb");
    let server = MariaDb::start(dir.path());
    scenario(&server.url).await;
    upgrade_of_legacy_rows(&server.create_database("legacy")).await;
}

#[tokio::test]
async fn bad_urls_say_what_to_write() {
    let e = Db::open("postgres://u:secret@h/db")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("must start with sqlite:// or mysql://") && !e.contains("secret"),
        "{e}"
    );
    let e = Db::open("mysql://pool:pw@127.0.0.1:1/pool")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("cannot open the database"), "{e}");
}
