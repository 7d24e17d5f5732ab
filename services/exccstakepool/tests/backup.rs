//! `exccstakepool backup create|verify|restore` on SQLite and on a private MariaDB server (as
//! the pool's user over TCP with a password file, and as root over the unix socket): a
//! backup is taken, verified by a restore into a scratch database and its manifest; a user
//! deleted after it comes back with `restore`; truncated, foreign and tampered files are
//! refused with one line and leave the database as it was; `--keep N` prunes. And the
//! program's logs on a pipe carry no terminal colour codes.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use exccstakepool::backup::{LastVerification, Manifest};
use exccstakepool::db::accounts::UNVERIFIED_LIFETIME;
use exccstakepool::db::users::TicketAddress;
use exccstakepool::db::{Db, TABLES, latest_schema};
use pool_tests::mariadb::{self, MariaDb};
use pool_tests::pki::write_private;
use pool_tests::proc::bin;

/// Runs `exccstakepool backup ARGS…`: success, stdout, stderr.
fn backup(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(bin("exccstakepool"))
        .arg("backup")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// How the commands reach the database: the URL and, for MariaDB, the password file.
struct Access {
    url: String,
    password_file: Option<PathBuf>,
}

impl Access {
    fn args<'a>(&'a self, action: &'a str) -> Vec<&'a str> {
        let mut v = vec![action, "--database", self.url.as_str()];
        if let Some(p) = &self.password_file {
            v.extend(["--password-file", p.to_str().unwrap()]);
        }
        v
    }

    fn run(&self, action: &str, more: &[&str]) -> (bool, String, String) {
        let mut args = self.args(action);
        args.extend_from_slice(more);
        backup(&args)
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The backups in `dir`, oldest first.
fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with("pool-") && !n.ends_with(".json")
        })
        .collect();
    v.sort();
    v
}

fn manifest_path(file: &Path) -> PathBuf {
    PathBuf::from(format!("{}.json", file.display()))
}

fn address() -> TicketAddress {
    TicketAddress {
        multisig_address: "ScMultisig1".into(),
        multisig_script: "51210001".into(),
        pool_pubkey_addr: "SkPool1".into(),
        user_pubkey_addr: "SkUser1".into(),
        fee_address: "SsFee1".into(),
        height_registered: 150,
    }
}

/// Users: alice (verified, with an address), bob (verified), carol (never verified).
async fn fill(db: &Db) {
    let alice = db.create_user("alice@example.org", "hash-a").await.unwrap();
    db.set_email_verified(alice).await.unwrap();
    assert!(db.set_ticket_address(alice, &address()).await.unwrap());
    let bob = db.create_user("bob@example.org", "hash-b").await.unwrap();
    db.set_email_verified(bob).await.unwrap();
    db.create_user("carol@example.org", "hash-c").await.unwrap();
}

/// What a test looks at in the database: the e-mail addresses of its accounts.
async fn emails(db_url: &str) -> Vec<String> {
    let db = Db::open(db_url).await.unwrap();
    let mut v = Vec::new();
    for e in ["alice", "bob", "carol", "dave"] {
        let email = format!("{e}@example.org");
        if db.user_by_email(&email).await.unwrap().is_some() {
            v.push(e.to_owned());
        }
    }
    db.pool_close().await;
    v
}

/// The whole scenario against one database. `db_url` opens it with its password, `access`
/// is what the backup commands are given, `ext` the backup files' extension.
async fn scenario(db_url: &str, access: &Access, root: &Path, ext: &str) {
    let db = Db::open(db_url).await.unwrap();
    fill(&db).await;
    db.pool_close().await;
    let dir = root.join("backups");

    // Taken, verified, described by its manifest, private.
    let (ok, out, err) = access.run("create", &["--dir", dir.to_str().unwrap(), "--keep", "2"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("taken and verified"), "{out}");
    let taken = backups(&dir);
    assert_eq!(taken.len(), 1, "{taken:?}");
    let file = taken[0].clone();
    let name = file.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.ends_with(&format!(".{ext}")), "{name}");
    assert_eq!(
        name.len(),
        "pool-20250102T030405Z.".len() + ext.len(),
        "{name}"
    );
    let m = Manifest::read(&file).unwrap();
    assert_eq!(m.file, name);
    assert_eq!(m.schema_version, latest_schema());
    assert_eq!(m.tables.get("users"), Some(&3));
    let mut tables: Vec<&str> = m.tables.keys().map(String::as_str).collect();
    tables.sort();
    assert_eq!(tables, TABLES, "every table of the schema is in the backup");
    assert!(m.verified.is_some());
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(&file).unwrap()))
    };
    assert_eq!(m.sha256, sha);
    let last = LastVerification::read(&dir).unwrap();
    assert!(last.ok, "{last:?}");
    assert_eq!(last.file.as_deref(), Some(name.as_str()));
    assert_eq!(mode(&dir), 0o700);
    for f in [
        file.clone(),
        manifest_path(&file),
        dir.join("last-verification.json"),
    ] {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }

    let file_arg = file.to_str().unwrap();
    let (ok, out, err) = access.run("verify", &[file_arg]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("verified"), "{out}");

    // After the backup: carol's account is deleted (never verified, pruned), dave signs up.
    let db = Db::open(db_url).await.unwrap();
    let later = Db::now() + UNVERIFIED_LIFETIME + 60;
    assert!(db.prune_expired(later).await.unwrap() >= 1);
    db.create_user("dave@example.org", "hash-d").await.unwrap();
    db.pool_close().await;
    let now = vec!["alice", "bob", "dave"];
    assert_eq!(emails(db_url).await, now);

    // Files that are not a whole backup of ours are refused, with one line, and change
    // nothing.
    let bad = root.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    let with_manifest = |stem: &str, bytes: &[u8]| {
        let p = bad.join(format!("{stem}.{ext}"));
        std::fs::write(&p, bytes).unwrap();
        std::fs::copy(manifest_path(&file), manifest_path(&p)).unwrap();
        p
    };
    let whole = std::fs::read(&file).unwrap();
    let truncated = with_manifest("truncated", &whole[..whole.len() * 2 / 3]);
    let random: Vec<u8> = (0..40_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let random = with_manifest("random", &random);
    let tampered = with_manifest("tampered", &whole);
    let mut m2 = Manifest::read(&tampered).unwrap();
    m2.sha256 = "00".repeat(32);
    m2.write_to(&tampered);
    let unlisted = bad.join(format!("unlisted.{ext}"));
    std::fs::write(&unlisted, &whole).unwrap();
    let foreign = with_manifest("foreign", &foreign_backup(ext, &bad).await);
    let mut cases = vec![
        (truncated, "truncated"),
        (random, "not an exccstakepool backup"),
        (tampered, "SHA-256"),
        (unlisted, "no manifest"),
        (foreign, "not an exccstakepool database"),
    ];
    if ext == "sqlite" {
        // Another program's SQLite database.
        cases.push((
            with_manifest("other-program", &other_sqlite(&bad).await),
            "no table",
        ));
    }
    for (path, why) in &cases {
        for action in ["verify", "restore"] {
            let (ok, out, err) = access.run(action, &[path.to_str().unwrap()]);
            assert!(!ok, "{action} {}: {out}{err}", path.display());
            assert!(
                err.contains("refused: ") && err.contains(why),
                "{action} {why}: {err}"
            );
            assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
            assert!(!err.contains("pw"), "no password: {err}");
        }
    }
    assert_eq!(emails(db_url).await, now, "refused files change nothing");

    // The real backup restores carol and forgets dave.
    let (ok, out, err) = access.run("restore", &[file_arg]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("restored"), "{out}");
    assert_eq!(emails(db_url).await, ["alice", "bob", "carol"]);
    let db = Db::open(db_url).await.unwrap();
    assert_eq!(db.user_counts().await.unwrap(), (3, 1));
    let alice = db
        .user_by_email("alice@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice.address, Some(address()));
    db.pool_close().await;

    // --keep 2: three more backups leave the newest two.
    let mut names = Vec::new();
    for _ in 0..3 {
        let (ok, out, err) = access.run("create", &["--dir", dir.to_str().unwrap(), "--keep", "2"]);
        assert!(ok, "{out}{err}");
        names.push(out.split(':').next().unwrap().trim().to_owned());
    }
    let left: Vec<String> = backups(&dir)
        .iter()
        .map(|p| p.to_str().unwrap().to_owned())
        .collect();
    let mut newest = names[1..].to_vec();
    newest.sort();
    let mut left_sorted = left.clone();
    left_sorted.sort();
    assert_eq!(left_sorted, newest, "only the newest two are kept");
    for f in &left {
        assert!(manifest_path(Path::new(f)).exists());
    }
    assert!(!manifest_path(&file).exists(), "pruned with its manifest");
}

/// A file that looks like a backup of the right kind but has none of our tables.
async fn foreign_backup(ext: &str, dir: &Path) -> Vec<u8> {
    if ext == "sql" {
        return b"-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n\nCREATE TABLE `wp_posts` (\n  `id` bigint NOT NULL\n);\nINSERT INTO `wp_posts` VALUES (1);\n-- Dump completed on 2025-01-02  3:04:05\n".to_vec();
    }
    other_sqlite(dir).await
}

/// A SQLite database of another program.
async fn other_sqlite(dir: &Path) -> Vec<u8> {
    use sqlx::{ConnectOptions, Connection};
    let path = dir.join("other.db");
    let _ = std::fs::remove_file(&path);
    let mut c = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::query("CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT)")
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query("INSERT INTO posts (body) VALUES ('hello')")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    std::fs::read(&path).unwrap()
}

trait WriteTo {
    fn write_to(&self, backup: &Path);
}

impl WriteTo for Manifest {
    fn write_to(&self, backup: &Path) {
        std::fs::write(
            manifest_path(backup),
            serde_json::to_vec_pretty(self).unwrap(),
        )
        .unwrap();
    }
}

#[tokio::test]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/pool.db");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let url = format!("sqlite://{}", path.display());
    let access = Access {
        url: url.clone(),
        password_file: None,
    };
    scenario(&url, &access, dir.path(), "sqlite").await;
    // The restored file keeps the database's mode; no stale log of the old contents.
    assert!(!dir.path().join("data/pool.db-wal").exists());
}

/// `mysql://pool@127.0.0.1:PORT/pool` and the password in a 0600 file.
fn pool_user(server: &MariaDb, dir: &Path) -> Access {
    let (creds, rest) = server.url["mysql://".len()..].split_once('@').unwrap();
    let (user, password) = creds.split_once(':').unwrap();
    let password_file = dir.join("db.password");
    write_private(&password_file, password);
    Access {
        url: format!("mysql://{user}@{rest}"),
        password_file: Some(password_file),
    }
}

fn as_root(server: &MariaDb, sql: &str) {
    let out = Command::new("mariadb")
        .arg("--no-defaults")
        .arg(format!(
            "--socket={}",
            server.dir.join("mysqld.sock").display()
        ))
        .args(["-uroot", "-e", sql])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn mariadb() {
    if !mariadb::available() {
        eprintln!("SKIPPED mariadb: mariadb-server is not installed (tests/run installs it)");
        return;
    }
    let dir = pool_tests::test_dir("backup-mariadb");
    let server = MariaDb::start(&dir.path().join("server"));
    // The scratch database the pool's user verifies and restores through.
    as_root(
        &server,
        "GRANT ALL ON `pool_verify`.* TO 'pool'@'127.0.0.1'",
    );
    let access = pool_user(&server, dir.path());
    scenario(&server.url, &access, dir.path(), "sql").await;
    load_failure_keeps_the_data(&server, &access, dir.path()).await;
    failed_verification_is_recorded(&server, &access, dir.path());

    // The password never appears in a process's arguments: the option file is private.
    // (Checked by the refusals above: no message carries it.) A URL with a password is
    // refused before anything runs.
    let (ok, _, err) = backup(&["verify", "--database", &server.url, "/nonexistent.sql"]);
    assert!(!ok && err.contains("--password-file"), "{err}");
    let secret = server
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('@')
        .next()
        .unwrap();
    assert!(!err.contains(secret), "{err}");
}

/// A dump that passes every check on the file but fails to load (a broken row, manifest
/// made to match): the restore fails, the database keeps its data, no scratch is left.
async fn load_failure_keeps_the_data(server: &MariaDb, access: &Access, root: &Path) {
    let before = emails(&server.url).await;
    let file = backups(&root.join("backups")).pop().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with("INSERT INTO `users` VALUES"))
        .unwrap();
    let broken_file = root.join("bad/broken.sql");
    std::fs::write(
        &broken_file,
        text.replacen(row, "INSERT INTO `users` VALUES (no_such_column);", 1),
    )
    .unwrap();
    let mut m = Manifest::read(&file).unwrap();
    m.sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(&broken_file).unwrap()))
    };
    m.write_to(&broken_file);
    let (ok, out, err) = access.run("restore", &[broken_file.to_str().unwrap()]);
    assert!(!ok, "{out}{err}");
    assert!(
        err.contains("mariadb failed: ") && err.contains("no_such_column"),
        "{err}"
    );
    assert_eq!(emails(&server.url).await, before, "the old data stays");
    let db = Db::open(&server.url).await.unwrap();
    assert_eq!(db.user_counts().await.unwrap(), (3, 1));
    db.pool_close().await;
    let out = Command::new("mariadb")
        .arg("--no-defaults")
        .arg(format!(
            "--socket={}",
            server.dir.join("mysqld.sock").display()
        ))
        .args(["-uroot", "-N", "-e", "SHOW DATABASES"])
        .output()
        .unwrap();
    let dbs = String::from_utf8_lossy(&out.stdout);
    assert!(!dbs.contains("pool_verify"), "scratch dropped: {dbs}");
}

/// Without the scratch database, a backup cannot be verified: `create` exits non-zero and
/// says so in `last-verification.json`; the unverified backup is not counted, and goes at
/// the next verified one.
fn failed_verification_is_recorded(server: &MariaDb, access: &Access, root: &Path) {
    let dir = root.join("backups");
    let create = || access.run("create", &["--dir", dir.to_str().unwrap(), "--keep", "2"]);
    let verified_before = backups(&dir);
    as_root(
        server,
        "REVOKE ALL ON `pool_verify`.* FROM 'pool'@'127.0.0.1'",
    );
    let (ok, out, err) = create();
    assert!(!ok, "{out}{err}");
    assert!(err.contains("pool_verify"), "{err}");
    let last = LastVerification::read(&dir).unwrap();
    assert!(!last.ok && last.detail.contains("pool_verify"), "{last:?}");
    let failed = dir.join(last.file.unwrap());
    assert!(failed.exists() && Manifest::read(&failed).unwrap().verified.is_none());
    assert_eq!(backups(&dir).len(), verified_before.len() + 1);

    as_root(server, "GRANT ALL ON `pool_verify`.* TO 'pool'@'127.0.0.1'");
    let (ok, out, err) = create();
    assert!(ok, "{out}{err}");
    assert!(LastVerification::read(&dir).unwrap().ok);
    assert!(!failed.exists(), "the unverified backup went");
    assert_eq!(backups(&dir).len(), 2);
}

#[tokio::test]
async fn mariadb_root_over_the_socket() {
    if !mariadb::available() || !is_root() {
        eprintln!("SKIPPED mariadb_root_over_the_socket: needs mariadb-server and root");
        return;
    }
    let dir = pool_tests::test_dir("backup-mariadb-root");
    let server = MariaDb::start(&dir.path().join("server"));
    let db = Db::open(&server.url).await.unwrap();
    fill(&db).await;
    db.pool_close().await;
    let access = Access {
        url: format!(
            "mysql://root@localhost/pool?socket={}",
            server.dir.join("mysqld.sock").display()
        ),
        password_file: None,
    };
    let backups_dir = dir.path().join("backups");
    let (ok, out, err) = access.run("create", &["--dir", backups_dir.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    let file = backups(&backups_dir).pop().unwrap();
    let db = Db::open(&server.url).await.unwrap();
    db.prune_expired(Db::now() + UNVERIFIED_LIFETIME + 60)
        .await
        .unwrap();
    db.pool_close().await;
    assert_eq!(emails(&server.url).await, ["alice", "bob"]);
    let (ok, out, err) = access.run("restore", &[file.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert_eq!(emails(&server.url).await, ["alice", "bob", "carol"]);
}

/// Root may use the server's root account over its socket (unix-socket authentication).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2))
                .map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

/// Logs written to a pipe are plain text, also when the environment came from a systemd
/// unit whose journal stream is not our stderr.
#[tokio::test]
async fn logs_on_a_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("pool.db").display());
    Db::open(&url).await.unwrap().pool_close().await;
    let backups_dir = dir.path().join("backups");
    for env in [
        vec![],
        vec![("JOURNAL_STREAM", "8:12345"), ("INVOCATION_ID", "0123abcd")],
    ] {
        let out = Command::new(bin("exccstakepool"))
            .args(["backup", "create", "--database", &url, "--dir"])
            .arg(&backups_dir)
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(err.contains("backup taken and verified"), "logged: {err}");
        assert!(!err.contains("\x1b["), "colour codes on a pipe: {err:?}");
    }
    // stderr is the journal stream (here a file standing for it): journald is chosen, and
    // with no journald to talk to, the records still reach stderr, plain.
    if Path::new("/run/systemd/journal/socket").exists() {
        return;
    }
    use std::os::unix::fs::MetadataExt;
    let log = dir.path().join("stderr.log");
    let file = std::fs::File::create(&log).unwrap();
    let meta = file.metadata().unwrap();
    let status = Command::new(bin("exccstakepool"))
        .args(["backup", "create", "--database", &url, "--dir"])
        .arg(&backups_dir)
        .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
        .env("RUST_LOG", "info")
        .stderr(file)
        .status()
        .unwrap();
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{err}");
    assert!(
        err.contains("backup taken and verified") && !err.contains("\x1b["),
        "{err:?}"
    );
}
