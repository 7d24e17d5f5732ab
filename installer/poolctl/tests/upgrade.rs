//! `poolctl upgrade` on three real lab hosts (systemd-nspawn containers), driven through the
//! binary like an operator would, while a background task samples every host's stakepoold
//! `/healthz` (over the hosts' SSH, as poolctl does) every 100 ms:
//!
//! * a new stakepoold program is rolled out one host at a time (each host upgraded and
//!   healthy before the next starts) and at every sample at least two nodes were healthy
//!   (= synced, wallet unlocked, voting);
//! * a stakepoold "program" that starts but never gets healthy (it runs the real stakepoold
//!   pointed at a wrong wallet port) fails the first host's health check: upgrade exits 1
//!   naming the host and the check, that host runs the previous version again and is healthy,
//!   the other hosts were never touched (same stakepoold process start, same wrapper), and
//!   still at least two nodes were healthy at every sample;
//! * with one host down, upgrade refuses before touching any host, naming the unhealthy one.
//!
//! Needs root (the lab). Not root: prints why and returns; as root (CI) it must run through.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use poolctl::lab::{LabState, is_root};

mod common;
use common::{
    DIR, expect_both, healthy_on, lab_pool, poolctl, sha256_file, ssh_out, stakepoold_copy,
    stakepoold_path, text, with_stakepoold,
};

const HOSTS: [&str; 3] = ["voting1", "voting2", "voting3"];
/// stakepoold's `/healthz` port on simnet (gRPC 19560 + 1).
const HEALTH_PORT: u16 = 19561;

/// Samples every host's `/healthz` until stopped; per round, which hosts were healthy.
struct HealthSampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<[bool; 3]>>,
}

impl HealthSampler {
    fn start(state: &LabState) -> HealthSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let hosts: Vec<_> = HOSTS
            .iter()
            .map(|h| state.host(h).unwrap().clone())
            .collect();
        let stop2 = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let mut ssh = Vec::new();
                for h in &hosts {
                    ssh.push(h.connect().await.unwrap());
                }
                let mut rounds = Vec::new();
                while !stop2.load(Ordering::SeqCst) {
                    let mut round = [false; 3];
                    for (i, s) in ssh.iter().enumerate() {
                        round[i] = poolctl::runtime::health(s, HEALTH_PORT)
                            .await
                            .is_ok_and(|h| h.healthy && h.node_synced && h.wallet_unlocked);
                    }
                    rounds.push(round);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                for s in ssh {
                    s.close().await;
                }
                rounds
            })
        });
        HealthSampler { stop, thread }
    }

    /// Stops sampling; asserts at least two hosts were healthy in every round.
    fn finish(self, what: &str) -> Vec<[bool; 3]> {
        self.stop.store(true, Ordering::SeqCst);
        let rounds = self.thread.join().unwrap();
        assert!(rounds.len() >= 10, "{what}: only {} samples", rounds.len());
        for (n, r) in rounds.iter().enumerate() {
            assert!(
                r.iter().filter(|h| **h).count() >= 2,
                "{what}: sample {n} of {}: healthy {r:?}",
                rounds.len()
            );
        }
        let partial = rounds.iter().filter(|r| !r.iter().all(|h| *h)).count();
        eprintln!(
            "{what}: {} health samples, all with >= 2 healthy; {partial} with one host down",
            rounds.len()
        );
        rounds
    }
}

/// Waits until every host's status line says healthy.
fn wait_all_healthy(pool: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = poolctl(&["status", "-f", pool]);
        if out.status.success() {
            return;
        }
        assert!(Instant::now() < deadline, "{}", text(&out.stdout));
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Position of the first stderr line containing `needle`.
fn line_of(stderr: &str, needle: &str) -> usize {
    stderr
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} in:\n{stderr}"))
}

#[test]
fn rolling_upgrade_on_three_lab_hosts() {
    if !is_root() {
        eprintln!(
            "SKIPPED rolling_upgrade_on_three_lab_hosts: not root; the lab needs root (CI runs it as root)"
        );
        return;
    }
    let (_turn, _guard, state, pool) = lab_pool(3);
    let good = std::fs::read_to_string(&pool).unwrap();
    let current = stakepoold_path(&good);

    // Nothing to do: upgrade says so and touches nothing.
    let (out, _) = expect_both(0, &["upgrade", "-f", &pool]);
    assert!(out.contains("nothing to change on 3 hosts"), "{out}");

    // 1. A successful rolling upgrade to a differently-built stakepoold.
    let v2 = stakepoold_copy(&current, "v2");
    let v2_sha = sha256_file(Path::new(&v2));
    let v2_toml = with_stakepoold(&good, &v2, "v2");
    std::fs::write(&pool, &v2_toml).unwrap();
    let sampler = HealthSampler::start(&state);
    let (out, err) = expect_both(0, &["upgrade", "-f", &pool]);
    sampler.finish("successful upgrade");
    assert!(
        out.contains("3 of 3 hosts upgraded one at a time and healthy (voting1, voting2, voting3)"),
        "{out}"
    );
    // One at a time: each host is healthy before the next is touched.
    let mut last = 0;
    for h in HOSTS {
        let start = line_of(&err, &format!("{h}: upgrading"));
        let done = line_of(&err, &format!("{h}: upgraded: healthy"));
        assert!(last <= start && start < done, "{h} out of order:\n{err}");
        last = done;
    }
    let (status, _) = expect_both(0, &["status", "-f", &pool]);
    assert_eq!(healthy_on(&status, "v2"), 3, "{status}");
    let (plan, _) = expect_both(0, &["plan", "-f", &pool]);
    assert!(plan.contains("Plan: 0 of 3"), "{plan}");

    // 2. A stakepoold that starts (so systemd is content) but never gets healthy: it runs the
    //    real v2 pointed at a wallet port nothing listens on.
    let broken = format!("{DIR}/stakepoold-broken");
    std::fs::write(
        &broken,
        format!(
            "#!/bin/sh\n# a stakepoold that cannot reach its wallet\ncase \" $* \" in *\" --check-config \"*) exec /usr/local/lib/excc-pool/stakepoold/{v2_sha} \"$@\";; esac\nsed 's/127.0.0.1:19557/127.0.0.1:1/' /etc/stakepoold/stakepoold.toml > /tmp/stakepoold-broken.toml\nexec /usr/local/lib/excc-pool/stakepoold/{v2_sha} --config /tmp/stakepoold-broken.toml\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&broken, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let started = |h: &str| {
        ssh_out(
            &state,
            h,
            "systemctl show -p ActiveEnterTimestampMonotonic -p MainPID stakepoold.service; sha256sum /usr/local/bin/stakepoold",
        )
    };
    let before: Vec<String> = HOSTS.iter().map(|h| started(h)).collect();
    std::fs::write(&pool, with_stakepoold(&good, &broken, "v3-broken")).unwrap();
    let sampler = HealthSampler::start(&state);
    let t = Instant::now();
    let out = poolctl(&["upgrade", "-f", &pool, "--health-timeout", "12"]);
    let rounds = sampler.finish("failed upgrade");
    let stderr = text(&out.stderr);
    eprint!("{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let error = stderr.lines().last().unwrap();
    assert!(
        error.starts_with(
            "poolctl: error: upgrade of voting1 failed: health check \"unlocked\" failed"
        ) && error.contains("not healthy within 12s")
            && error.ends_with("(rolled back to the previous version)"),
        "{error}"
    );
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("poolctl: error:"))
            .count(),
        1,
        "{stderr}"
    );
    // voting1 really was down during the attempt (the sampler saw it), the others never.
    assert!(
        rounds.iter().any(|r| !r[0]),
        "voting1 never looked unhealthy"
    );
    assert!(
        rounds.iter().all(|r| r[1] && r[2]),
        "voting2/3 went unhealthy"
    );
    assert!(
        !stderr.contains("voting2: upgrading") && !stderr.contains("voting3: upgrading"),
        "{stderr}"
    );
    eprintln!(
        "failed upgrade + rollback: {:.1}s",
        t.elapsed().as_secs_f32()
    );
    // voting1 runs v2 again and is healthy; voting2/3 were not touched at all.
    wait_all_healthy(&pool);
    let (status, _) = expect_both(0, &["status", "-f", &pool]);
    assert_eq!(healthy_on(&status, "v2"), 3, "{status}");
    let after: Vec<String> = HOSTS.iter().map(|h| started(h)).collect();
    assert_ne!(before[0], after[0], "voting1 was not restarted");
    assert_eq!(
        before[0].lines().last(),
        after[0].lines().last(),
        "voting1's wrapper"
    );
    assert_eq!(before[1..], after[1..], "voting2/3 were touched");
    // Back to v2 everywhere: pool.toml with v2 plans nothing.
    std::fs::write(&pool, &v2_toml).unwrap();
    let (plan, _) = expect_both(0, &["plan", "-f", &pool]);
    assert!(plan.contains("Plan: 0 of 3"), "{plan}");

    // 3. The gate: with voting3's stakepoold stopped, upgrading voting1 is refused.
    ssh_out(&state, "voting3", "systemctl stop stakepoold.service");
    std::fs::write(&pool, with_stakepoold(&good, &current, "dev")).unwrap();
    let out = poolctl(&["upgrade", "-f", &pool]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let error = stderr.lines().last().unwrap();
    assert!(
        error.starts_with("poolctl: error: upgrade stopped before voting1: voting3 is not healthy"),
        "{error}"
    );
    assert_eq!(started("voting1"), after[0], "voting1 was touched");
    ssh_out(&state, "voting3", "systemctl start stakepoold.service");
    std::fs::write(&pool, &v2_toml).unwrap();
    wait_all_healthy(&pool);
    for f in [&v2, &broken] {
        std::fs::remove_file(f).unwrap();
    }
}
