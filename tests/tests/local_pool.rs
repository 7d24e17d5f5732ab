//! The README's first command: `local-pool` brings up a pool on lab hosts provisioned by
//! `poolctl lab up`, starts the web service in front of them, gets a demo user's ticket
//! address through the web service's JSON API, mines until its tickets are voted, and (with `--blocks N`) stops after N more blocks and tears the lab down.
//! Its own check: no pool ticket was missed (else it exits non-zero).
//!
//! Needs root (the lab). Not root: prints why and returns; as root (CI) it must run through.

use std::process::Command;

use pool_tests::lab::{TEST_LAB_DIR, machine_wide_turn};
use pool_tests::proc::bin;

#[test]
fn local_pool_comes_up_votes_and_goes_away() {
    if !poolctl::lab::is_root() {
        eprintln!("SKIPPED local_pool_comes_up_votes_and_goes_away: not root (CI runs it as root)");
        return;
    }
    let _turn = machine_wide_turn();
    // From a clean machine: a lab left up (e.g. by an interrupted run) would be kept.
    let down = Command::new(bin("poolctl"))
        .args(["lab", "down", "--dir", TEST_LAB_DIR])
        .output()
        .expect("run poolctl");
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let out = Command::new(bin("local-pool"))
        .args(["--hosts", "2", "--dir", TEST_LAB_DIR])
        .args(["--block-secs", "1", "--blocks", "4"])
        .output()
        .expect("run local-pool");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "local-pool failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("pool is up (simnet), 2 voting hosts"),
        "{stdout}"
    );
    let blocks: Vec<&str> = stdout.lines().filter(|l| l.starts_with("block ")).collect();
    assert_eq!(blocks.len(), 4, "{stdout}");
    assert!(blocks.iter().all(|l| l.ends_with(", 0 missed")), "{stdout}");
    assert!(
        blocks.iter().any(|l| !l.contains(": 0 pool votes")),
        "no pool ticket won in 4 blocks:\n{stdout}"
    );
    assert!(
        !std::path::Path::new(TEST_LAB_DIR).join("lab.json").exists(),
        "the lab was not torn down"
    );
}
