//! Benchmark of `poolctl apply` on lab hosts (root; boots the lab, tears it down), in two
//! shapes: three voting hosts, and the whole pool (2 voting hosts, 2 web hosts with nginx
//! and the web service, MariaDB on its own host). For each: the full apply from scratch
//! (`lab up --no-apply`, then `apply`: programs uploaded, wallets created, the database
//! set up, every service healthy) and the no-op apply (everything already converged: load,
//! hash the programs, connect, read facts, ask the wallets; target < 3 s). Runs the
//! `poolctl` binary next to this one, so build both with the same profile, plus the
//! programs the lab's pool.toml installs:
//!
//! ```sh
//! cargo build --release -p poolctl -p excc-simnet -p stakepoold -p exccstakepool --bins
//! sudo target/release/poolctl-bench [RUNS] [--only voting|web]
//! ```
//!
//! Prints one JSON line per metric (`metric`, `value`, `unit`, and `target` for the no-op
//! applies: the median of RUNS, default 5).

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

/// One JSON line: `{"metric":…,"value":…,"unit":"s"[,"target":…]}` (target: the most it
/// may be).
fn metric(name: &str, value: f64, target: Option<f64>) {
    let target = target
        .map(|t| format!(",\"target\":{t:.1}"))
        .unwrap_or_default();
    println!("{{\"metric\":\"{name}\",\"value\":{value:.3},\"unit\":\"s\"{target}}}");
}

/// The no-op apply's target (issue #11: < 3 s).
const NOOP_TARGET_SECS: f64 = 3.0;

/// A lab shape to measure: `lab up` arguments beyond `--dir`, and the metrics' suffix.
struct Scenario {
    /// `3_hosts`, `2_voting_2_web_1_db`.
    name: &'static str,
    lab_up: &'static [&'static str],
}

/// Three voting hosts, no web side (the figures since the first bench).
const VOTING: Scenario = Scenario {
    name: "3_hosts",
    lab_up: &["--hosts", "3", "--web-hosts", "0"],
};

/// The whole pool: 2 voting hosts, 2 web hosts (nginx + exccstakepool), MariaDB on db1.
const WEB: Scenario = Scenario {
    name: "2_voting_2_web_1_db",
    lab_up: &["--hosts", "2", "--web-hosts", "2", "--database", "mariadb"],
};

/// Boots the scenario's lab with a fresh pool.toml (not applied), then times the apply
/// from scratch and the median of `runs` no-op applies; tears the lab down.
fn bench(scenario: &Scenario, runs: usize) -> Result<(), String> {
    let pool = format!("{DIR}/pool/pool.toml");
    // `lab down` removes DIR/pool too: the pool starts afresh (new pool.toml, CA, journal).
    run(&["lab", "down", "--dir", DIR])?;
    let mut up = vec!["lab", "up", "--no-apply", "--dir", DIR];
    up.extend_from_slice(scenario.lab_up);
    let boot = run(&up)?;
    eprintln!(
        "lab up {} (no apply): {boot:.1}s",
        scenario.lab_up.join(" ")
    );
    let full = run(&["apply", "-q", "-f", &pool])?;
    metric(&format!("apply_from_scratch_{}", scenario.name), full, None);
    let mut times = Vec::new();
    for _ in 0..runs {
        times.push(run(&["apply", "-q", "-f", &pool])?);
    }
    times.sort_by(f64::total_cmp);
    eprintln!("no-op applies ({}): {times:?}", scenario.name);
    run(&["lab", "down", "--dir", DIR])?;
    metric(
        &format!("noop_apply_{}", scenario.name),
        times[times.len() / 2],
        Some(NOOP_TARGET_SECS),
    );
    Ok(())
}

const USAGE: &str = "usage: poolctl-bench [RUNS] [--only voting|web]";

fn main() -> ExitCode {
    let mut runs = 5;
    let mut scenarios = vec![&VOTING, &WEB];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), a.parse::<usize>()) {
            (_, Ok(n)) => runs = n.max(1),
            ("--only", _) => match args.next().as_deref() {
                Some("voting") => scenarios = vec![&VOTING],
                Some("web") => scenarios = vec![&WEB],
                other => {
                    eprintln!("poolctl-bench: --only takes voting or web, not {other:?}\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("poolctl-bench: unknown argument {a:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
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
    for scenario in scenarios {
        if let Err(e) = bench(scenario, runs) {
            let _ = run(&["lab", "down", "--dir", DIR]);
            eprintln!("poolctl-bench: error: {} : {e}", scenario.name);
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
