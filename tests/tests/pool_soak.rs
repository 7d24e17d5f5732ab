//! The soak's short version (150 blocks) on three lab hosts: every fault of
//! `pool_tests::soak` happens, no pool vote is missed, `/healthz` sees the faults
//! on the host that has them, every host recovers, and `poolctl audit votes`
//! finds every vote with its owner's bits. Needs root (CI runs it as root).

use pool_tests::soak::{SoakOptions, run};

#[test]
fn a_short_soak_misses_no_vote_under_every_fault() {
    if !poolctl::lab::is_root() {
        eprintln!(
            "SKIPPED a_short_soak_misses_no_vote_under_every_fault: not root; the lab needs root"
        );
        return;
    }
    let _turn = pool_tests::lab::machine_wide_turn();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let report = rt
        .block_on(run(&SoakOptions {
            blocks: 150,
            dir: std::path::PathBuf::from(pool_tests::lab::TEST_LAB_DIR),
        }))
        .unwrap_or_else(|e| panic!("soak: {e:#}"));
    eprintln!("{}", serde_json::to_string_pretty(&report).unwrap());
    assert!(report.blocks >= 150);
    assert!(report.pool_winners >= 150, "pool tickets win every block");
    assert_eq!(report.missed, 0, "pool votes missed");
    for f in &report.faults {
        assert!(
            f.recovered_after.is_some(),
            "{} on {} never recovered",
            f.fault,
            f.host
        );
    }
    assert_eq!(
        report.bit_mismatches,
        Some(0),
        "votes with bits other than the owner's"
    );
    assert!(report.audit_ok, "poolctl audit votes failed");
}
