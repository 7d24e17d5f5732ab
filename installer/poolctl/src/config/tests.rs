//! Loading pool.toml: the sample loads, and every problem of a bad file is reported at once
//! with its line.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;

const SAMPLE: &str = include_str!("../../../../sample-configs/pool.toml");

fn private(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The sample with its files created in `dir` (the env secret pointed at PATH).
fn sample_in(dir: &Path) -> std::path::PathBuf {
    for f in [
        "downloads/exccd-linux-amd64-v2.7.6.tar.gz",
        "downloads/exccwallet-linux-amd64-v2.7.6.tar.gz",
        "target/release/stakepoold",
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
    assert_eq!(c.binaries.len(), 3);
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
