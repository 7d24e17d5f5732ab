//! `pool-soak [--blocks 1000] [--dir /var/tmp/excc-lab]` (root): the soak of
//! `pool_tests::soak` on a fresh lab. Prints JSON lines `{"metric","value","unit"}`:
//! blocks, pool winners, votes, missed, bit mismatches, p99 vote latency, and per
//! fault whether `/healthz` detected it and after how many blocks it recovered.
//! Exit 1 when a pool vote was missed or a vote's bits were not its owner's.

use pool_tests::bench::{arg, metric};
use pool_tests::soak::{SoakOptions, run};

fn main() -> std::process::ExitCode {
    let opts = SoakOptions {
        blocks: arg("--blocks", 1000),
        dir: arg("--dir", std::path::PathBuf::from(poolctl::lab::DEFAULT_DIR)),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = match rt.block_on(run(&opts)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pool-soak: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    for f in &report.faults {
        println!(
            "{}",
            serde_json::to_string(f).expect("fault outcome serializes")
        );
    }
    metric("soak.blocks", report.blocks as f64, "blocks");
    metric("soak.pool_winners", report.pool_winners as f64, "tickets");
    metric("soak.votes", report.votes as f64, "votes");
    metric(
        "soak.preference_saves",
        report.preference_saves as f64,
        "changes",
    );
    metric(
        "soak.vote_latency_p99",
        report.vote_latency_p99_ms,
        "ms (bucket upper bound)",
    );
    metric(
        "soak.bit_mismatches",
        report.bit_mismatches.map_or(f64::NAN, |m| m as f64),
        "votes",
    );
    metric("soak.missed", report.missed as f64, "votes");
    if report.missed > 0 || report.bit_mismatches != Some(0) || !report.audit_ok {
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
