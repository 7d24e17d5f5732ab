//! Benchmark of `poolctl apply` on three lab hosts (root; boots the lab, tears it down):
//! the full apply from scratch (programs uploaded, wallets created, stakepoold healthy) and
//! the no-op apply (everything already converged: load, hash the programs, connect, read
//! facts, ask the wallets; target < 3 s). Runs the `poolctl` binary next to this one, so
//! build both with the same profile, plus `excc-simnet` and `stakepoold`:
//!
//! ```sh
//! cargo build --release -p poolctl -p excc-simnet -p stakepoold
//! sudo target/release/poolctl-bench [RUNS]
//! ```
//!
//! Prints one JSON line per metric; the last one is the no-op apply (median of RUNS, 5).

use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

/// The lab tests' directory and machine-wide lock: the bench takes its turn like a test.
const DIR: &str = "/var/tmp/excc-lab-test";

fn poolctl_path() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.with_file_name("poolctl")
}

fn run(args: &[&str]) -> Result<f64, String> {
    let t = Instant::now();
    let out = Command::new(poolctl_path())
        .args(args)
        .output()
        .map_err(|e| format!("cannot run poolctl: {e}"))?;
    let secs = t.elapsed().as_secs_f64();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "poolctl {} failed: {}",
            args.join(" "),
            err.lines().last().unwrap_or("")
        ));
    }
    Ok(secs)
}

fn metric(name: &str, value: f64) {
    println!("{{\"metric\":\"{name}\",\"value\":{value:.3},\"unit\":\"s\"}}");
}

fn bench(runs: usize) -> Result<(), String> {
    let pool = format!("{DIR}/pool/pool.toml");
    run(&["lab", "down", "--dir", DIR])?;
    let boot = run(&[
        "lab",
        "up",
        "--no-pool",
        "--web-hosts",
        "0",
        "--hosts",
        "3",
        "--dir",
        DIR,
    ])?;
    eprintln!("lab up (3 hosts, no pool): {boot:.1}s");
    // A fresh lab has fresh hosts: start the pool afresh too (new pool.toml, CA, journal).
    let _ = std::fs::remove_dir_all(format!("{DIR}/pool"));
    let state =
        poolctl::lab::LabState::load(std::path::Path::new(DIR)).map_err(|e| e.to_string())?;
    poolctl::lab::pool::write_pool_toml(&state).map_err(|e| e.to_string())?;
    let full = run(&["apply", "-q", "-f", &pool])?;
    metric("apply_from_scratch_3_hosts", full);
    let mut times = Vec::new();
    for _ in 0..runs {
        times.push(run(&["apply", "-q", "-f", &pool])?);
    }
    times.sort_by(f64::total_cmp);
    eprintln!("no-op applies: {times:?}");
    run(&["lab", "down", "--dir", DIR])?;
    metric("noop_apply_3_hosts", times[times.len() / 2]);
    Ok(())
}

fn main() -> ExitCode {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5)
        .max(1);
    if !poolctl::lab::is_root() {
        eprintln!("poolctl-bench: error: needs root (it boots the lab)");
        return ExitCode::FAILURE;
    }
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(format!("{DIR}.lock"));
    let Ok(lock) = lock else {
        eprintln!("poolctl-bench: error: cannot open {DIR}.lock");
        return ExitCode::FAILURE;
    };
    // SAFETY: flock on a descriptor we own; waits for the lab tests to finish.
    unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    match bench(runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = run(&["lab", "down", "--dir", DIR]);
            eprintln!("poolctl-bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}
