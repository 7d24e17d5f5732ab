//! `poolctl import`: the legacy Go pool's configs (tests/fixtures/legacy/, made after
//! ../shared/docs/legacy-exccstakepool.md §10) become a pool.toml that loads and that
//! `poolctl plan` gets past loading with.
//!
//! The programs come from `--binaries-dir` (the test makes four small executables there, so
//! pool.toml names them with their real sha256). What import cannot know and marks TODO — the
//! voting wallets' seed, the database server's CA certificate, the SSH key — the test
//! provides the way an operator would, after checking that loading names exactly those.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use poolctl::config::{Database, PoolConfig};

/// The fixtures' secret values: each must reach its 0600 file and never pool.toml.
const LEGACY_SECRETS: [(&str, &str); 6] = [
    (
        "web_api_secret",
        "3b0f2c8e5d7a41f6a9c2e04d18b7f35c6e9a2d4b1f8c07e3",
    ),
    ("database_password", "Qm9vdHN0cmFwLWRiLXBhc3M"),
    ("smtp_password", "mail-relay-Pa55word"),
    ("exccd_rpc_password", "exccd-rpc-Pa55word"),
    ("exccwallet_rpc_password", "wallet-rpc-Pa55word"),
    // Not imported (no equivalent), and never shown in a comment either.
    ("cookiesecret", "ab41c7e2f9d05b3866a1e4f7c2d9b054"),
];

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/legacy")
        .join(name)
        .display()
        .to_string()
}

/// Runs poolctl in `dir` with HOME = `dir` (for `~/.ssh/id_ed25519`).
fn poolctl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_poolctl"))
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .expect("run poolctl")
}

fn import(dir: &Path) -> Output {
    poolctl(
        dir,
        &[
            "import",
            "--exccstakepool-conf",
            &fixture("exccstakepool.conf"),
            "--stakepoold-conf",
            &fixture("stakepoold-1.conf"),
            "--stakepoold-conf",
            &fixture("stakepoold-2.conf"),
            "--binaries-dir",
            "programs",
        ],
    )
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn write(path: &Path, text: &str, mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Four small executables standing in for the programs.
fn programs(dir: &Path) {
    for name in ["exccd", "exccwallet", "stakepoold", "exccstakepool"] {
        write(
            &dir.join("programs").join(name),
            &format!("#!/bin/sh\necho {name}\n"),
            0o755,
        );
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn legacy_configs_become_a_pool_toml_that_loads_and_plans() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    programs(dir);
    let out = import(dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let toml = String::from_utf8(out.stdout).unwrap();
    let pool_toml = dir.join("pool.toml");
    std::fs::write(&pool_toml, &toml).unwrap();

    // Secrets: each in its own 0600 file, none in pool.toml.
    let secrets: PathBuf = dir.join("secrets");
    assert_eq!(mode(&secrets), 0o700);
    for (name, value) in LEGACY_SECRETS {
        assert!(
            !toml.contains(value),
            "{name}'s value is in pool.toml:\n{toml}"
        );
        if name == "cookiesecret" {
            continue;
        }
        let file = secrets.join(name);
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            format!("{value}\n")
        );
        assert_eq!(mode(&file), 0o600, "{name}");
        assert!(toml.contains(&format!("{name} = {{ file = \"secrets/{name}\" }}")));
    }
    assert_eq!(mode(&secrets.join("wallet_passphrase")), 0o600);
    // What has no equivalent is listed, secrets without their value.
    for line in [
        "# not imported: cookiesecret = <secret, not shown> (",
        "# not imported: recaptchasecret = <secret, not shown> (",
        "# not imported: adminuserids = 1 (admins are named by e-mail",
        "# not imported: adminips = 203.0.113.7 (",
        "# not imported: realipheader = X-Real-IP (",
        "# not imported: exccdcert = /home/pool/.exccd/rpc.cert (",
    ] {
        assert!(toml.contains(line), "{line:?} not in:\n{toml}");
    }

    // Loading names exactly what import marked TODO and could not provide.
    let err = PoolConfig::load(&pool_toml).unwrap_err();
    let mut keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["database.ca", "secrets.wallet_seed"], "{err}");
    assert!(
        toml.contains("TODO: write the voting wallets' seed"),
        "{toml}"
    );
    assert!(toml.contains("TODO: database.ca:"), "{toml}");

    // The operator's part: the seed and the database server's CA.
    write(
        &secrets.join("wallet_seed"),
        &format!("{}\n", "5e".repeat(32)),
        0o600,
    );
    let key = rcgen::KeyPair::generate().unwrap();
    let ca = rcgen::CertificateParams::new(vec!["db.pool.example.org".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem();
    write(&dir.join("certs/database-ca.pem"), &ca, 0o644);

    let c = PoolConfig::load(&pool_toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    assert_eq!(c.network, excc_chain::Network::Simnet);
    assert_eq!(c.pool.fee_text, "7.5");
    assert_eq!(
        (c.pool.fee_address_count, c.pool.voting_address_count),
        (10_000, 10_000)
    );
    let hosts: Vec<(&str, &str)> = c
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.address.as_str()))
        .collect();
    assert_eq!(
        hosts,
        [("voting1", "192.0.2.11"), ("voting2", "192.0.2.12")]
    );
    assert_eq!(c.secrets.exccd_rpc_password.expose(), "exccd-rpc-Pa55word");
    assert_eq!(
        c.secrets.exccwallet_rpc_password.expose(),
        "wallet-rpc-Pa55word"
    );
    assert_eq!(c.binaries.len(), 4);
    let web = c.web.as_ref().unwrap();
    assert_eq!(web.site.base_url, "https://pool.example.org");
    assert_eq!(web.site.pool_email, "admin@pool.example.org");
    assert!(!web.site.closed);
    assert_eq!(web.api_secret.expose(), LEGACY_SECRETS[0].1);
    let smtp = web.site.smtp.as_ref().unwrap();
    assert_eq!(
        (smtp.host.as_str(), smtp.security.as_str(), smtp.port),
        ("smtp.example.org", "starttls", 587)
    );
    assert_eq!(smtp.user.as_deref(), Some("pool@example.org"));
    assert_eq!(
        smtp.password.as_ref().unwrap().expose(),
        "mail-relay-Pa55word"
    );
    let Database::External {
        url,
        ca_pem,
        password,
    } = &web.database
    else {
        panic!("{:?}", web.database)
    };
    assert_eq!(url, "mysql://stakepool@db.pool.example.org:3306/stakepool");
    assert_eq!(*ca_pem, ca);
    assert_eq!(password.expose(), "Qm9vdHN0cmFwLWRiLXBhc3M");
    assert_eq!(web.hosts.len(), 1);

    // plan gets past loading and the programs' sha256: it fails reaching the hosts.
    let ssh = dir.join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(ssh.join("id_ed25519"))
        .status()
        .unwrap();
    assert!(keygen.success());
    let fast = toml.replace("connect_timeout_secs = 10", "connect_timeout_secs = 2");
    std::fs::write(&pool_toml, fast).unwrap();
    let out = poolctl(dir, &["plan", "-f", "pool.toml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot reach voting1 (192.0.2.11:22)"),
        "{err}"
    );
    assert!(!err.contains("pool.toml:"), "a config problem: {err}");

    // A second import in the same directory keeps the files (and the passphrase it made).
    let passphrase = std::fs::read_to_string(secrets.join("wallet_passphrase")).unwrap();
    let again = import(dir);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(secrets.join("wallet_passphrase")).unwrap(),
        passphrase
    );
}

#[test]
fn a_different_secret_file_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    programs(dir);
    write(&dir.join("secrets/database_password"), "another\n", 0o600);
    let out = import(dir);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("secrets/database_password") && err.contains("exists with another value"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    // Nothing else was written.
    let files: Vec<_> = std::fs::read_dir(dir.join("secrets")).unwrap().collect();
    assert_eq!(files.len(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.join("secrets/database_password")).unwrap(),
        "another\n"
    );
}

#[test]
fn conflicting_legacy_configs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let other = std::fs::read_to_string(fixture("stakepoold-2.conf"))
        .unwrap()
        .replace("poolfees=7.5", "poolfees=5");
    std::fs::write(dir.join("node2.conf"), other).unwrap();
    let out = poolctl(
        dir,
        &[
            "import",
            "--exccstakepool-conf",
            &fixture("exccstakepool.conf"),
            "--stakepoold-conf",
            "node2.conf",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("node2.conf: poolfees = 5") && err.contains("one fee"),
        "{err}"
    );
    assert!(!dir.join("secrets").exists());
}
