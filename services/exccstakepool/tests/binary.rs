//! The `exccstakepool` program: the sample configuration checks out (with its files in
//! place), a broken one lists every problem at once (a remote MariaDB without verified TLS
//! among them), `exccstakepool admin add|remove` changes who is an admin, and the server
//! answers the API from its SQLite database while the voting nodes are down, then stops on
//! SIGTERM.

use std::path::Path;
use std::process::{Command, Stdio};

use pool_tests::http::request;
use pool_tests::pki::{TestCa, write_private};
use pool_tests::proc::{bin, free_port};
use pool_tests::wait_for;

const SAMPLE: &str = include_str!("../../../sample-configs/exccstakepool.toml");

/// The sample in `dir` with its secret and certificate files.
fn sample_in(dir: &Path, listen_port: u16) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("secrets")).unwrap();
    std::fs::create_dir_all(dir.join("certs")).unwrap();
    write_private(&dir.join("secrets/api.secret"), &"k".repeat(40));
    let ca = TestCa::new("pool CA");
    ca.write_cert(&dir.join("certs/pool-ca.cert"));
    let web = ca.issue("web", &dir.join("certs"));
    assert!(web.cert.ends_with("certs/web.cert") && web.key.ends_with("certs/web.key"));
    let path = dir.join("exccstakepool.toml");
    let text = SAMPLE
        .replace("127.0.0.1:8000", &format!("127.0.0.1:{listen_port}"))
        // Nothing listens there: the voting nodes are down.
        .replace("192.0.2.11:19560", &format!("127.0.0.1:{}", free_port()))
        .replace("192.0.2.12:19560", &format!("127.0.0.1:{}", free_port()));
    std::fs::write(&path, text).unwrap();
    path
}

fn run(config: &Path, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["--config", config.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_args(&args)
}

#[test]
fn sample_checks_and_problems_are_listed_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_in(dir.path(), 8000);
    let (ok, out) = run(&path, &["--check-config"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("configuration OK (simnet network, 2 voting nodes)"),
        "{out}"
    );

    let broken = std::fs::read_to_string(&path)
        .unwrap()
        .replace("network = \"simnet\"", "network = \"moon\"")
        .replace("fee_percent = 7.5", "fee_percent = 0")
        .replace("grpc = \"127.0.0.1:", "grpc = \"nowhere")
        .replace("url = \"sqlite://pool.db\"", "url = \"postgres://x\"")
        .replace("header_timeout_secs = 10", "header_timeout_secs = 0")
        + "[smtp]\nhost = \"smtp.example.org\"\nsecurity = \"none\"\nuser = \"pool\"\nfrom = \"not an address\"\n";
    std::fs::write(&path, broken).unwrap();
    std::fs::set_permissions(
        dir.path().join("certs/web.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let (ok, out) = run(&path, &["--check-config"]);
    assert!(!ok);
    for needle in [
        "network: must be mainnet, testnet or simnet",
        "pool.fee_percent: must be 0.01 to 100",
        "database.url: must start with sqlite:// or mysql://",
        "tls.client_key:",
        "is readable by others: chmod 600 it",
        "voting_nodes[1].grpc:",
        "smtp.security: \"none\" sends passwords and links in clear text",
        "smtp: set both user and password_file, or neither",
        "smtp.from: \"not an address\" is not a sender address",
        "limits.header_timeout_secs: must be at least 1 (seconds)",
    ] {
        assert!(out.contains(needle), "{needle:?} not in {out}");
    }
    // Review L10: a MariaDB on another host only with a verified TLS certificate.
    let other = tempfile::tempdir().unwrap();
    let sample = sample_in(other.path(), 8000);
    let remote = std::fs::read_to_string(&sample).unwrap().replace(
        "url = \"sqlite://pool.db\"",
        "url = \"mysql://pool@db.example.org:3306/pool?ssl-mode=REQUIRED\"",
    );
    std::fs::write(&sample, &remote).unwrap();
    let (ok, out) = run(&sample, &["--check-config"]);
    assert!(!ok);
    assert!(
        out.contains("database.url: the database server \"db.example.org\" is reached over the network without a verified TLS certificate: add ?ssl-mode=VERIFY_IDENTITY"),
        "{out}"
    );
    let verified = remote.replace("ssl-mode=REQUIRED", "ssl-mode=VERIFY_IDENTITY");
    std::fs::write(&sample, verified).unwrap();
    let (ok, out) = run(&sample, &["--check-config"]);
    assert!(ok, "{out}");
    // Admins by e-mail address: each must be one.
    let admins = std::fs::read_to_string(&sample).unwrap().replace(
        "closed = false",
        "closed = false\nadmin_emails = [\"one@example.org\", \"two <two@example.org>\"]",
    );
    std::fs::write(&sample, admins).unwrap();
    let (ok, out) = run(&sample, &["--check-config"]);
    assert!(
        !ok && out.contains("admin_emails: \"two <two@example.org>\""),
        "{out}"
    );
    // Two admins (legacy B-8 took a list as one string), kept in canonical form.
    let two = std::fs::read_to_string(&sample)
        .unwrap()
        .replace("\"two <two@example.org>\"", "\"Two@Example.org\"");
    std::fs::write(&sample, two).unwrap();
    let config = exccstakepool::config::Config::load(&sample).unwrap();
    assert_eq!(
        config.settings.admin_emails,
        ["one@example.org", "two@example.org"]
    );

    std::fs::write(&path, "network = \"simnet\"\nlisten = 5\n").unwrap();
    let (ok, out) = run(&path, &["--check-config"]);
    assert!(!ok && out.contains("listen"), "{out}");
}

/// Review L1: a fresh pool has no admin; `exccstakepool admin add EMAIL` makes an existing
/// account one (stored in the database), `admin remove` undoes it.
#[tokio::test]
async fn admins_are_added_and_removed_by_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_in(dir.path(), 8000);
    let db = exccstakepool::db::Db::open(&format!(
        "sqlite://{}",
        dir.path().join("pool.db").display()
    ))
    .await
    .unwrap();
    let id = db.create_user("boss@example.org", "h").await.unwrap();
    assert!(!db.user(id).await.unwrap().unwrap().is_admin);
    let config = path.to_str().unwrap();
    let (ok, out) = run_args(&["admin", "add", "Boss@Example.org", "--config", config]);
    assert!(
        ok && out.contains("Boss@Example.org is an admin now"),
        "{out}"
    );
    assert!(db.user(id).await.unwrap().unwrap().is_admin);
    let (ok, out) = run_args(&["admin", "add", "nobody@example.org", "--config", config]);
    assert!(
        !ok && out.contains("no account has the e-mail address nobody@example.org"),
        "{out}"
    );
    let (ok, out) = run_args(&["admin", "remove", "boss@example.org", "--config", config]);
    assert!(ok, "{out}");
    assert!(!db.user(id).await.unwrap().unwrap().is_admin);
    let (ok, out) = run_args(&["admin", "make", "boss@example.org"]);
    assert!(
        !ok && out.contains("usage: exccstakepool admin add|remove EMAIL --config FILE"),
        "{out}"
    );
}

fn run_args(args: &[&str]) -> (bool, String) {
    let out = Command::new(bin("exccstakepool"))
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test]
async fn serves_the_api_from_its_database_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = sample_in(dir.path(), port);
    let mut child = Command::new(bin("exccstakepool"))
        .arg("--config")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let stats = wait_for(20, "exccstakepool to answer", || {
        request(addr, "GET", "/api/v1/stats", &[], "")
    })
    .await;
    assert_eq!(stats.0, 200);
    let v: serde_json::Value = serde_json::from_str(&stats.1).unwrap();
    assert_eq!(v["code"], 14, "{v}");
    assert_eq!(v["message"], "stats error - RPC server error");
    let (_, body) = request(addr, "GET", "/api/v2/getpurchaseinfo", &[], "")
        .await
        .unwrap();
    assert!(
        body.contains("purchaseinfo error - invalid api token"),
        "{body}"
    );
    assert!(
        dir.path().join("pool.db").exists(),
        "the SQLite database was not created"
    );
    // Its health check says what is wrong: the database works, no voting node answers.
    let (status, body) = request(addr, "GET", "/healthz", &[], "").await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        (
            &v["healthy"],
            &v["database"],
            &v["voting_nodes"],
            &v["voting_nodes_healthy"]
        ),
        (&false.into(), &true.into(), &2.into(), &0.into()),
        "{body}"
    );

    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = wait_for(10, "exccstakepool to exit after SIGTERM", || {
        let exited = child.try_wait().unwrap();
        async move { exited }
    })
    .await;
    assert!(status.success(), "{status}");
}
