//! What every lab test shares: the lab directory and its machine-wide lock, running the
//! `poolctl` binary, building the programs the lab pool installs, editing pool.toml, and
//! running a script on a lab host. Each test binary uses a subset.
#![allow(dead_code)]

pub mod voting;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use poolctl::lab::LabState;

pub use pool_tests::lab::{TEST_LAB_DIR as DIR, machine_wide_turn};

/// Runs the `poolctl` binary of this build.
pub fn poolctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_poolctl"))
        .args(args)
        .output()
        .expect("run poolctl")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs poolctl, expects exit status `code`, returns (stdout, stderr); stderr (progress
/// lines with timings) also goes to the test log.
pub fn expect_both(code: i32, args: &[&str]) -> (String, String) {
    let out = poolctl(args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    eprint!("{stderr}");
    assert_eq!(
        out.status.code(),
        Some(code),
        "poolctl {args:?}:\nstdout: {stdout}\nstderr: {stderr}"
    );
    (stdout, stderr)
}

/// Like [`expect_both`], returning stdout only.
pub fn expect(code: i32, args: &[&str]) -> String {
    expect_both(code, args).0
}

/// Tears the lab down when dropped, also when an assertion fails half-way.
pub struct LabGuard;

impl Drop for LabGuard {
    fn drop(&mut self) {
        let _ = poolctl(&["lab", "down", "--dir", DIR]);
    }
}

/// The lab's turn, a clean start and `lab up --hosts N` with its applied pool; returns
/// the lock (hold it), the guard (tears down), the lab and the pool.toml path.
pub fn lab_pool(hosts: usize) -> (std::fs::File, LabGuard, LabState, String) {
    build_pool_programs();
    let turn = machine_wide_turn();
    expect(0, &["lab", "down", "--dir", DIR]);
    let guard = LabGuard;
    let n = hosts.to_string();
    let t = Instant::now();
    let out = expect(
        0,
        &["lab", "up", "--web-hosts", "0", "--hosts", &n, "--dir", DIR],
    );
    eprintln!(
        "lab up + apply from scratch: {:.1}s",
        t.elapsed().as_secs_f32()
    );
    assert!(
        out.contains(&format!("lab pool: {hosts} hosts healthy")),
        "{out}"
    );
    let state = LabState::load(Path::new(DIR)).unwrap();
    (turn, guard, state, format!("{DIR}/pool/pool.toml"))
}

/// Builds the programs the lab pool installs next to poolctl (`cargo test --workspace` builds
/// only the binaries of packages with integration tests, which stakepoold has none of).
pub fn build_pool_programs() {
    let exe = Path::new(env!("CARGO_BIN_EXE_poolctl"));
    let release = exe.parent().is_some_and(|d| d.ends_with("release"));
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "--bin", "excc-simnet", "--bin", "stakepoold"])
        .args(["--bin", "exccstakepool"])
        .args([
            "-p",
            "excc-simnet",
            "-p",
            "stakepoold",
            "-p",
            "exccstakepool",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if release {
        cmd.arg("--release");
    }
    let t = Instant::now();
    let out = cmd.output().expect("run cargo build");
    assert!(
        out.status.success(),
        "cargo build of excc-simnet and stakepoold failed:\n{}",
        text(&out.stderr)
    );
    eprintln!(
        "excc-simnet and stakepoold built in {:.1}s",
        t.elapsed().as_secs_f32()
    );
}

pub fn sha256_file(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// Replaces the value of `key` inside the `[table]` block of a pool.toml.
pub fn set_in_table(toml: &str, table: &str, key: &str, value: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in toml.lines() {
        if line.starts_with('[') {
            inside = line.trim() == format!("[{table}]");
        }
        if inside && line.starts_with(&format!("{key} = ")) {
            out.push_str(&format!("{key} = {value}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The `path` of `[binaries.NAME]` in a pool.toml.
pub fn binary_path(toml: &str, name: &str) -> String {
    let header = format!("[binaries.{name}]");
    toml.lines()
        .skip_while(|l| l.trim() != header)
        .find_map(|l| l.strip_prefix("path = "))
        .unwrap()
        .trim_matches('"')
        .to_owned()
}

/// The `path` of `[binaries.stakepoold]` in a pool.toml.
pub fn stakepoold_path(toml: &str) -> String {
    binary_path(toml, "stakepoold")
}

/// pool.toml with `[binaries.NAME]` = `path` as `version`.
pub fn with_binary(toml: &str, name: &str, path: &str, version: &str) -> String {
    let table = format!("binaries.{name}");
    let t = set_in_table(toml, &table, "version", &format!("\"{version}\""));
    let t = set_in_table(&t, &table, "path", &format!("\"{path}\""));
    set_in_table(
        &t,
        &table,
        "sha256",
        &format!("\"{}\"", sha256_file(Path::new(path))),
    )
}

/// pool.toml with `[binaries.stakepoold]` = `path` as `version`.
pub fn with_stakepoold(toml: &str, path: &str, version: &str) -> String {
    with_binary(toml, "stakepoold", path, version)
}

/// A differently-built program: `current` with `tag` appended (a new sha256, the same
/// behaviour), executable, at `DIR/NAME-TAG`.
pub fn binary_copy(current: &str, name: &str, tag: &str) -> String {
    let path = format!("{DIR}/{name}-{tag}");
    let mut bytes = std::fs::read(current).unwrap();
    bytes.extend_from_slice(tag.as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

/// A differently-built stakepoold (see [`binary_copy`]).
pub fn stakepoold_copy(current: &str, tag: &str) -> String {
    binary_copy(current, "stakepoold", tag)
}

/// Runs `script` on `host` over SSH (pinned key): (exit status 0, stdout).
pub fn ssh_run(state: &LabState, host: &str, script: &str) -> (bool, String) {
    use poolctl::host::{Host, RemoteCommand};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ssh = state.host(host).unwrap().connect().await.unwrap();
        let out = ssh
            .run(&RemoteCommand::shell(script, [""; 0]))
            .await
            .unwrap();
        ssh.close().await;
        if !out.success() {
            eprintln!("{host}: {script}: {}", out.stderr_text());
        }
        (out.success(), out.stdout_text())
    })
}

/// Runs `script` on `host`; its stdout, asserting exit status 0.
pub fn ssh_out(state: &LabState, host: &str, script: &str) -> String {
    let (ok, out) = ssh_run(state, host, script);
    assert!(ok, "{host}: {script} failed");
    out
}

/// How many lines of `poolctl status` say stakepoold `version` and end healthy.
pub fn healthy_on(status: &str, version: &str) -> usize {
    let needle = format!("stakepoold {version}");
    status
        .lines()
        .filter(|l| l.contains(&needle) && l.ends_with("healthy"))
        .count()
}

/// The runtime lab tests drive the chain with (2 worker threads: the machine is small).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
