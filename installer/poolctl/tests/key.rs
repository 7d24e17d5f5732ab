//! `poolctl key …` reproduces the chain document's vectors from the command line.

use std::process::{Command, Output};

fn poolctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_poolctl"))
        .args(args)
        .output()
        .expect("run poolctl")
}

fn ok(args: &[&str]) -> String {
    let out = poolctl(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Fails with exit code != 0 and exactly one line on stderr containing `needle`.
fn fails(args: &[&str], needle: &str) {
    let out = poolctl(args);
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.lines().count(),
        1,
        "one-line reason expected, got: {err}"
    );
    assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
    assert!(out.stdout.is_empty());
}

const XPUB: &str = "xpub661MyMwAqRbcFiyme9xRZe855HWfYxvTcYoWpX1E8ZW8DGu35DbthdTxz222XRihFsxrdH4BCEe32DBRyKEerW8CUMAB8FDziiNyDG4ecgT";
const SPUB: &str = "spubVNx6fk6e22GL2Bt9qER4e1nhGRpm7UN8fEDxMwRrpLQxpqbm4VJ6VQ5RrZyV6H9rV5PDiLmi2Ac2HkxDBmgU6UGHjXH4GCw7NfbiDKGKciT";

#[test]
fn derive_prints_index_and_address() {
    let out = ok(&[
        "key",
        "derive",
        "--network",
        "mainnet",
        "--xpub",
        XPUB,
        "--branch",
        "0",
        "--index",
        "0..1",
    ]);
    assert_eq!(out, "0 22ty4cRUnG8ukfEwH3FqTrJjLefESjjJyHMq\n");
    let simnet = ok(&[
        "key",
        "derive",
        "--network",
        "simnet",
        "--xpub",
        SPUB,
        "--index",
        "0..=2",
    ]);
    let lines: Vec<&str> = simnet.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], "0 Sshabny3QGDKvfMYDES2vFrYc9SxqJQLiLW");
    assert!(lines[2].starts_with("2 Ss"));
}

#[test]
fn derive_legacy_fee_addresses() {
    let xpub = "xpub6BpcvynN5SeJND9vFj1noMPwb4SWqjKGmvPq65GToQnob9UbhirCetBWzXm7c3oXPzG9r5VcaPWcaFw6hgizKn6rFk29sLShxwKYFrf5LHR";
    let out = ok(&[
        "key",
        "derive",
        "--network",
        "mainnet",
        "--xpub",
        xpub,
        "--index",
        "0..200",
    ]);
    assert!(
        out.lines()
            .any(|l| l.ends_with(" 22tv7nd31sMmD8BpcVRJAWQLqYCjaCuqpWpz"))
    );
}

#[test]
fn multisig_prints_script_and_p2sh() {
    let out = ok(&[
        "key",
        "multisig",
        "--network",
        "simnet",
        "SkLVFhAKGCqemCSss6Cz1WLRnB5eJEvMweBPHaDz6jUe5c7hR1U9d",
        "SkLUb419D3fMKYdEexrP15M7oiqSxFJoyJ7epjK2TddLVcauL9YkK",
    ]);
    assert_eq!(
        out,
        "redeem_script 512102f7431710ebdecb3be699a0a8c875a9c56015efe41604b2178a0c4dd05f5dc91421029f861327fbba66b48cea3214a6ca281b66015d4695dde75e3da50de4c320f89452ae\naddress ScenwhRsEVctDR5xXPzDoenWDvitZHq4bhC\n"
    );
    let json = ok(&[
        "key",
        "multisig",
        "--network",
        "mainnet",
        "--json",
        "2sHTtGq2LQcRb1hdJSodxSYC7AQ4V8ajAZ1tA7UxhTs8LHK6K81qY",
        "02205acd6aeca9d285ec0aa97b5efff35d74070a5cc258e57213f6b7086edbb752",
    ]);
    assert!(
        json.contains("\"address\":\"2cZy9GzWSBsuVtNqYPcSBTy11dRJJPG2dbp9\""),
        "{json}"
    );
}

#[test]
fn pool_fee_matches_the_wallet() {
    let out = ok(&[
        "key",
        "pool-fee",
        "--network",
        "simnet",
        "--ticket-price",
        "53798951531",
        "--tx-fee",
        "54200",
        "--height",
        "145",
        "--pool-fee-percent",
        "7.5",
    ]);
    assert_eq!(out, "231041222\n");
}

#[test]
fn bad_input_gives_one_line_reasons() {
    fails(
        &[
            "key",
            "derive",
            "--network",
            "testnet",
            "--xpub",
            XPUB,
            "--index",
            "0",
        ],
        "extended public key is for wrong network: it is for mainnet, but testnet was expected",
    );
    let mut typo = XPUB.to_string();
    typo.replace_range(20..21, if &XPUB[20..21] == "a" { "b" } else { "a" });
    fails(
        &[
            "key",
            "derive",
            "--network",
            "mainnet",
            "--xpub",
            &typo,
            "--index",
            "0",
        ],
        "checksum mismatch",
    );
    fails(
        &[
            "key",
            "multisig",
            "--network",
            "simnet",
            "Sshabny3QGDKvfMYDES2vFrYc9SxqJQLiLW",
            "SkLUb419D3fMKYdEexrP15M7oiqSxFJoyJ7epjK2TddLVcauL9YkK",
        ],
        "not a secp256k1 public-key address",
    );
    fails(
        &[
            "key",
            "multisig",
            "--network",
            "mainnet",
            "SkLVFhAKGCqemCSss6Cz1WLRnB5eJEvMweBPHaDz6jUe5c7hR1U9d",
            "SkLUb419D3fMKYdEexrP15M7oiqSxFJoyJ7epjK2TddLVcauL9YkK",
        ],
        "address is for simnet, but mainnet was expected",
    );
    fails(
        &[
            "key",
            "derive",
            "--network",
            "moonnet",
            "--xpub",
            XPUB,
            "--index",
            "0",
        ],
        "unknown network",
    );
    fails(
        &[
            "key",
            "pool-fee",
            "--network",
            "simnet",
            "--ticket-price",
            "1.5",
            "--tx-fee",
            "0",
            "--height",
            "145",
            "--pool-fee-percent",
            "7.5",
        ],
        "whole number of atoms",
    );
    fails(
        &[
            "key",
            "pool-fee",
            "--network",
            "simnet",
            "--ticket-price",
            "100",
            "--tx-fee",
            "0",
            "--height",
            "145",
            "--pool-fee-percent",
            "150",
        ],
        "invalid pool fee percent",
    );
}
