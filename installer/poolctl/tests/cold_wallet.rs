//! The cold wallet's fee-address sync, on a one-host lab pool with a real (simulated)
//! exccwallet as the cold wallet, made from the lab's cold seed and connected to the lab
//! chain over TLS:
//!
//! * with `[cold_wallet]` in pool.toml, `plan` shows exactly the sync (`accountsyncaddressindex
//!   default 0 100`) and exits 2; `apply` does it; the wallet then watches up to index 100
//!   and `plan` exits 0;
//! * a cold wallet of another seed (wrong xpub) or an unreachable one fails plan and apply
//!   with a one-line reason, and apply changes no host (the host's pending change stays).
//!
//! Needs root (the lab). Not root: prints why and returns; as root (CI) it must run through.

use std::path::Path;

use pool_tests::lab::leader_node;
use pool_tests::pki::write_private;
use pool_tests::simnet::{Daemon, start_wallet};
use poolctl::config::PoolConfig;
use poolctl::lab::is_root;
use serde_json::json;

mod common;
use common::{DIR, expect, expect_both, lab_pool, set_in_table};

/// pool.toml with `[cold_wallet]` pointing at `wallet` (its cert copied next to pool.toml).
fn with_cold_wallet(toml: &str, wallet: &Daemon) -> String {
    let cert = format!("{DIR}/pool/cold-wallet-rpc.cert");
    std::fs::copy(&wallet.cert, &cert).unwrap();
    write_private(
        Path::new(&format!("{DIR}/pool/secrets/cold-wallet-rpc.password")),
        &wallet.pass,
    );
    toml.replace(
        "[ssh]\n",
        &format!(
            "[cold_wallet]\nrpc = \"{}\"\ncert = \"cold-wallet-rpc.cert\"\nuser = \"{}\"\n\n[ssh]\n",
            wallet.addr, wallet.user
        ),
    )
    .replace(
        "[secrets]\n",
        "[secrets]\ncold_wallet_rpc_password = { file = \"secrets/cold-wallet-rpc.password\" }\n",
    )
}

/// Runs poolctl expecting exit 1; the one error line.
fn error_line(args: &[&str]) -> String {
    let (_, stderr) = expect_both(1, args);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("poolctl: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    errors[0].to_owned()
}

#[test]
fn cold_wallet_fee_addresses_are_synced_by_apply() {
    if !is_root() {
        eprintln!(
            "SKIPPED cold_wallet_fee_addresses_are_synced_by_apply: not root; the lab needs root (CI runs it as root)"
        );
        return;
    }
    let (_turn, _guard, _state, pool) = lab_pool(1);
    let config = PoolConfig::load(Path::new(&pool)).unwrap();
    let root = pool_tests::test_dir("cold-wallet");
    let root = root.path();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seed = format!("{DIR}/pool/secrets/cold-wallet.seed");
    let (cold, stranger) = rt.block_on(async {
        let leader = leader_node(&config).await;
        let cold = start_wallet(
            root,
            "cold",
            &leader,
            &[
                "--create".into(),
                format!("--seedfile={seed}"),
                "--privpass=cold".into(),
            ],
        )
        .await;
        let stranger = start_wallet(root, "stranger", &leader, &["--createtemp".into()]).await;
        (cold, stranger)
    });
    let index = |w: &Daemon| {
        rt.block_on(w.ok("accountaddressindex", json!(["default", 0])))
            .as_u64()
            .unwrap()
    };
    assert!(index(&cold) < 100, "a new wallet is not synced yet");

    let good = std::fs::read_to_string(&pool).unwrap();
    let with_cold = with_cold_wallet(&good, &cold);
    std::fs::write(&pool, &with_cold).unwrap();
    let plan = expect(2, &["plan", "-f", &pool]);
    let now = index(&cold);
    assert!(plan.contains("voting1 (10.231.0.11): no changes"), "{plan}");
    assert!(
        plan.contains(&format!(
            "cold wallet ({}, account default): 1 change\n  * sync the fee addresses: accountsyncaddressindex default 0 100 (now {now})",
            cold.addr
        )),
        "{plan}"
    );
    assert!(
        plan.contains("Plan: 0 of 1 host to change, and the cold wallet."),
        "{plan}"
    );
    let out = expect(0, &["apply", "-f", &pool]);
    assert!(
        out.contains(&format!(
            "cold wallet {} watches fee addresses up to index 100",
            cold.addr
        )),
        "{out}"
    );
    assert_eq!(index(&cold), 100);
    let plan = expect(0, &["plan", "-f", &pool]);
    assert!(
        plan.contains("no changes (fee addresses watched up to index 100)"),
        "{plan}"
    );
    let journal = std::fs::read_to_string(format!("{DIR}/pool/.poolctl/journal.jsonl")).unwrap();
    assert!(
        journal.contains("\"host\":\"cold-wallet\",\"step\":\"fee-address-sync\""),
        "{journal}"
    );

    // A wallet of another seed, then an unreachable one: plan and apply stop with one line,
    // before the pending pool-fee change reaches the host.
    let fee5 = set_in_table(&good, "pool", "fee_percent", "5");
    std::fs::write(&pool, with_cold_wallet(&fee5, &stranger)).unwrap();
    let expected = &config.pool.cold_wallet_xpub;
    for cmd in ["plan", "apply"] {
        let e = error_line(&[cmd, "-f", &pool]);
        assert!(
            e.contains("the cold wallet's account \"default\" has xpub")
                && e.contains(&format!("but pool.cold_wallet_xpub is {expected}")),
            "{e}"
        );
    }
    let unreachable = with_cold_wallet(&fee5, &stranger).replace(&stranger.addr, "127.0.0.1:1");
    std::fs::write(&pool, unreachable).unwrap();
    let e = error_line(&["apply", "-f", &pool]);
    assert!(
        e.contains("cold wallet at 127.0.0.1:1:") && e.contains("check [cold_wallet]"),
        "{e}"
    );
    std::fs::write(&pool, &fee5).unwrap();
    let plan = expect(2, &["plan", "-f", &pool]);
    assert!(plan.contains("Plan: 1 of 1 host to change."), "{plan}");
    std::fs::write(&pool, &good).unwrap();
}
