//! Harness for end-to-end tests: spawns the project's real binaries (the
//! simulated exccd/exccwallet, stakepoold) as separate processes on free ports,
//! with real TLS, and talks to them with the project's own clients.

pub mod bench;
pub mod browser;
pub mod filler;
pub mod hang;
pub mod http;
pub mod https;
pub mod lab;
pub mod mariadb;
pub mod pki;
pub mod proc;
pub mod rig;
pub mod simnet;
pub mod site;
pub mod smtp;
pub mod soak;
pub mod stakepoold;
pub mod traffic;
pub mod web;

use std::time::{Duration, Instant};

/// Waits until `f` returns `Some`, panicking with `what` after `secs` seconds.
pub async fn wait_for<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A temporary directory for one test; kept (and its path printed) when
/// `KEEP_TEST_DIRS` is set, so logs of a failed run can be read.
pub fn test_dir(name: &str) -> tempfile::TempDir {
    let mut dir = tempfile::Builder::new()
        .prefix(&format!("{name}-"))
        .tempdir()
        .unwrap();
    if std::env::var_os("KEEP_TEST_DIRS").is_some() {
        eprintln!("test directory kept: {}", dir.path().display());
        dir.disable_cleanup(true);
    }
    dir
}
