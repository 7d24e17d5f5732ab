//! Loading pool.toml: the sample loads, and every problem of a bad file is reported at once
//! with its line.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;

const SAMPLE: &str = include_str!("../../../../sample-configs/pool.toml");

pub(crate) fn private(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The sample with its files created in `dir` (the env secret pointed at PATH).
pub(crate) fn sample_in(dir: &Path) -> std::path::PathBuf {
    for f in [
        "downloads/exccd-linux-amd64-v2.7.6.tar.gz",
        "downloads/exccwallet-linux-amd64-v2.7.6.tar.gz",
        "target/release/stakepoold",
        "target/release/exccstakepool",
    ] {
        private(&dir.join(f), "x");
    }
    private(&dir.join("secrets/exccd-rpc.password"), "pw1\n");
    private(&dir.join("secrets/wallet.passphrase"), "pass\n");
    private(
        &dir.join("secrets/wallet.seed"),
        &format!("{}\n", "ab".repeat(32)),
    );
    let path = dir.join("pool.toml");
    std::fs::write(&path, SAMPLE.replace("EXCC_WALLET_RPC_PASSWORD", "PATH")).unwrap();
    path
}

#[test]
fn sample_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_in(dir.path());
    let cwd_independent = PoolConfig::load(&path).unwrap();
    let c = cwd_independent;
    assert_eq!(c.network, excc_chain::Network::Simnet);
    assert_eq!(c.pool.fee_percent.to_string(), "7.50");
    assert_eq!(c.pool.fee_address_count, 10000);
    assert_eq!(c.hosts.len(), 2);
    assert_eq!(c.hosts[0].ssh_port, 22);
    assert!(c.hosts[0].host_key.is_some());
    assert_eq!(c.hosts[1].host_key, None);
    assert_eq!(c.secrets.exccd_rpc_password.expose(), "pw1");
    // `command` runs in pool.toml's directory.
    assert_eq!(c.secrets.wallet_passphrase.expose(), "pass");
    // The three voting programs and the web service's.
    assert_eq!(c.binaries.len(), 4);
    let exccd = c.binary(BinaryName::Exccd);
    assert_eq!(
        exccd.member.as_deref(),
        Some("exccd-linux-amd64-v2.7.6/exccd")
    );
    assert!(exccd.source.starts_with(dir.path()));
    assert_eq!(c.state_dir(), dir.path().join(".poolctl"));
    assert_eq!(c.health_timeout_secs, 90);
}

#[test]
fn every_problem_at_once_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_in(dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    let bad = text
        .replace("network = \"simnet\"", "network = \"moon\"")
        .replace("fee_percent = 7.5", "fee_percent = 100.5")
        .replace(
            "wallet_seed = { file = \"secrets/wallet.seed\" }",
            "wallet_seed = \"abcdef\"",
        )
        .replace("ssh_port = 22 ", "ssh_prot = 22 ")
        .replace("name = \"voting2\"", "name = \"voting1\"");
    std::fs::write(&path, &bad).unwrap();
    std::fs::remove_file(dir.path().join("secrets/exccd-rpc.password")).unwrap();
    let err = PoolConfig::load(&path).unwrap_err();
    let line_of = |needle: &str| bad.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let expect = [
        (line_of("network = \"moon\""), "network"),
        (line_of("fee_percent = 100.5"), "pool.fee_percent"),
        (line_of("wallet_seed = \"abcdef\""), "secrets.wallet_seed"),
        (
            line_of("exccd_rpc_password ="),
            "secrets.exccd_rpc_password",
        ),
        (line_of("ssh_prot"), "hosts[1].ssh_prot"),
        (
            bad.lines()
                .enumerate()
                .filter(|(_, l)| l.contains("name = \"voting1\""))
                .last()
                .unwrap()
                .0
                + 1,
            "hosts[2].name",
        ),
    ];
    for (line, key) in expect {
        assert!(
            err.problems.iter().any(|p| p.line == line && p.key == key),
            "no problem for {key} at line {line} in:\n{err}"
        );
    }
    let text = err.to_string();
    assert!(text.contains("pool.toml:"), "{text}");
    assert!(
        text.contains("secrets are references, never values"),
        "{text}"
    );
    assert!(text.contains("no such file or directory"), "{text}");
    assert!(text.contains("voting1 is listed twice"), "{text}");
    assert!(text.contains("unknown key"), "{text}");
    // The xpubs are only checked against a known network: no spurious problem for them.
    assert!(!text.contains("xpub"), "{text}");
}

#[test]
fn secret_file_must_be_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_in(dir.path());
    std::fs::set_permissions(
        dir.path().join("secrets/wallet.seed"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let err = PoolConfig::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("secrets.wallet_seed") && err.contains("chmod 600"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// The sample with a `[cold_wallet]` table (after `[pool]`'s keys) and its password secret.
fn with_cold_wallet(text: &str, table: &str, secret: bool) -> String {
    let mut t = text.replace("[ssh]\n", &format!("[cold_wallet]\n{table}\n\n[ssh]\n"));
    if secret {
        t = t.replace(
            "[secrets]\n",
            "[secrets]\ncold_wallet_rpc_password = { file = \"secrets/cold.password\" }\n",
        );
    }
    t
}

#[test]
fn cold_wallet_loads_with_its_pinned_cert_and_password() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_in(dir.path());
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["cold".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem();
    std::fs::create_dir_all(dir.path().join("certs")).unwrap();
    std::fs::write(dir.path().join("certs/cold.cert"), &cert).unwrap();
    private(&dir.path().join("secrets/cold.password"), "cold-pw\n");
    let text = std::fs::read_to_string(&path).unwrap();
    let table = "rpc = \"192.0.2.20:9110\"\ncert = \"certs/cold.cert\"\nuser = \"cold-rpc\"";
    std::fs::write(&path, with_cold_wallet(&text, table, true)).unwrap();
    let c = PoolConfig::load(&path).unwrap().cold_wallet.unwrap();
    assert_eq!(c.rpc, "192.0.2.20:9110");
    assert_eq!(c.cert_pem, cert);
    assert_eq!(c.user, "cold-rpc");
    assert_eq!(c.password.expose(), "cold-pw");
    assert_eq!(c.account, "default");
    // Without the table, the sample has none.
    std::fs::write(&path, &text).unwrap();
    assert!(PoolConfig::load(&path).unwrap().cold_wallet.is_none());
}

#[test]
fn cold_wallet_problems_are_reported_with_their_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_in(dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    let table = "rpc = \"192.0.2.20\"\ncert = \"certs/missing.cert\"\nuser = \"\"\nport = 1";
    std::fs::write(&path, with_cold_wallet(&text, table, false)).unwrap();
    let err = PoolConfig::load(&path).unwrap_err().to_string();
    for needle in [
        "cold_wallet.rpc: \"192.0.2.20\" is not HOST:PORT",
        "cold_wallet.cert: cannot read",
        "cold_wallet.user: must not be empty",
        "cold_wallet.port: unknown key",
        "secrets.cold_wallet_rpc_password: missing",
    ] {
        assert!(err.contains(needle), "{needle:?} not in:\n{err}");
    }
    // A password without a table is a leftover, not silently ignored.
    let leftover = with_cold_wallet(&text, "", true).replace("[cold_wallet]\n\n\n", "");
    std::fs::write(&path, leftover).unwrap();
    let err = PoolConfig::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("secrets.cold_wallet_rpc_password: set, but there is no [cold_wallet] table"),
        "{err}"
    );
}

#[test]
fn ssh_key_passphrase_is_a_secret_reference() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_in(dir.path());
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "# key_passphrase = { command = [\"pass\", \"show\", \"pool/ssh-key\"] }",
        "key_passphrase = { file = \"secrets/ssh-key.passphrase\" }",
    );
    std::fs::write(&path, text).unwrap();
    let pass = dir.path().join("secrets/ssh-key.passphrase");
    private(&pass, "open sesame\n");
    let c = PoolConfig::load(&path).unwrap();
    let options = c.ssh_options();
    assert_eq!(
        options.key_passphrase.as_ref().map(Secret::expose),
        Some("open sesame")
    );
    assert_eq!(options.agent, None);
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = PoolConfig::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("ssh.key_passphrase: secret file") && err.contains("chmod 600"),
        "{err}"
    );
}
