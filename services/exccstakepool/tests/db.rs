//! The database layer on both engines it supports: SQLite (a file) and a real MariaDB
//! server (private instance). The same scenario runs on each.

use exccstakepool::db::low_fee::AddedTicket;
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
