//! Test vectors from `excc-chain-and-rpc.md` §2.6 and §5.3, the mainnet fee
//! addresses of `legacy-exccstakepool.md` §15, and the captured simnet fixtures.

use excc_chain::hd::EXTERNAL_BRANCH;
use excc_chain::script::{parse_multisig, pool_ticket_multisig};
use excc_chain::{
    Address, AddressKind, Amount, ExtendedKey, FeeCheck, Network, PubKey, Ticket, Transaction,
};

const SEED: [u8; 32] = {
    let mut s = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        s[i] = i as u8;
        i += 1;
    }
    s
};

const XPRV: &str = "xprv9s21ZrQH143K3EuJY8RRCWBLXFgB9WCcFKsv28bcaDy9LUZtXgHe9q9V8kLi4aJ6H8r5X2wu9gz2ZYXbAhtsAcJKX8Z1Ackw6Wq1oi8DEEk";
const XPUB: &str = "xpub661MyMwAqRbcFiyme9xRZe855HWfYxvTcYoWpX1E8ZW8DGu35DbthdTxz222XRihFsxrdH4BCEe32DBRyKEerW8CUMAB8FDziiNyDG4ecgT";

fn master(n: Network) -> ExtendedKey {
    ExtendedKey::master(n, &SEED).unwrap()
}

#[test]
fn master_keys_of_every_network() {
    let m = master(Network::Mainnet);
    assert_eq!(m.to_string(), XPRV);
    assert_eq!(m.neuter().to_string(), XPUB);
    assert_eq!(
        master(Network::Testnet).neuter().to_string(),
        "tpubVhnMyQmZAhoosV5GfbCgr6tCSPyD46MdaLkB9LKkCLnqswQzK9Tf7TjZsmw56BomtiW2TpNGUpxaB3ZmuU6UthwtbryUr7kbePfMbxhqHgE"
    );
    assert_eq!(
        master(Network::Simnet).neuter().to_string(),
        "spubVNx6fk6e22GL2Bt9qER4e1nhGRpm7UN8fEDxMwRrpLQxpqbm4VJ6VQ5RrZyV6H9rV5PDiLmi2Ac2HkxDBmgU6UGHjXH4GCw7NfbiDKGKciT"
    );
    // Parsing gives back the same keys.
    assert_eq!(ExtendedKey::decode(XPRV).unwrap(), m);
    assert_eq!(ExtendedKey::decode(XPUB).unwrap().to_string(), XPUB);
}

fn child_pub(i: u32) -> PubKey {
    let xpub = ExtendedKey::decode_xpub_for(XPUB, Network::Mainnet).unwrap();
    xpub.derive_path(&[EXTERNAL_BRANCH, i]).unwrap().pubkey()
}

#[test]
fn public_and_private_derivation_agree() {
    let via_private = master(Network::Mainnet)
        .derive_path(&[0, 0])
        .unwrap()
        .pubkey();
    assert_eq!(via_private, child_pub(0));
    assert_eq!(
        child_pub(0).to_string(),
        "02ae4721f05a26f59cfabae89cd898fe514045b000a2d6c891757183df379f1dec"
    );
    assert_eq!(
        child_pub(1).to_string(),
        "02205acd6aeca9d285ec0aa97b5efff35d74070a5cc258e57213f6b7086edbb752"
    );
}

#[test]
fn p2pkh_and_p2pk_of_child_0_on_every_network() {
    let pk = child_pub(0);
    let p2pkh = [
        (Network::Mainnet, "22ty4cRUnG8ukfEwH3FqTrJjLefESjjJyHMq"),
        (Network::Testnet, "TseFTabxtWC46Rmcgkqzp5ujtn64fks1KD4"),
        (Network::Simnet, "Sshabny3QGDKvfMYDES2vFrYc9SxqJQLiLW"),
        (Network::Regnet, "RsMa92DpdK48t5WKegbjhwg5XtJc4Dop87u"),
    ];
    for (n, s) in p2pkh {
        assert_eq!(Address::p2pkh_from_pubkey(n, &pk).to_string(), s, "{n}");
        assert_eq!(
            Address::decode_for(s, n).unwrap().hash160(),
            Address::p2pkh_from_pubkey(n, &pk).hash160()
        );
    }
    let p2pk = [
        (
            Network::Mainnet,
            "2sHTtGq2LQcRb1hdJSodxSYC7AQ4V8ajAZ1tA7UxhTs8LHK6K81qY",
        ),
        (
            Network::Testnet,
            "TkKmsg97eADbofcpfFx1XSM4GtvrucjqWZXdbaggEFjzTzNXvamZ8",
        ),
        (
            Network::Simnet,
            "SkLUhYss1XxTugmdYUFHTN7yMLc7CNhYYkMSWEcs7nAZTccZeThYt",
        ),
    ];
    for (n, s) in p2pk {
        assert_eq!(Address::p2pk(n, pk).to_string(), s, "{n}");
        assert_eq!(Address::decode_pubkey_for(s, n).unwrap(), pk);
    }
}

#[test]
fn multisig_of_children_0_and_1() {
    let redeem = "512102ae4721f05a26f59cfabae89cd898fe514045b000a2d6c891757183df379f1dec2102205acd6aeca9d285ec0aa97b5efff35d74070a5cc258e57213f6b7086edbb75252ae";
    let p2sh = [
        (Network::Mainnet, "2cZy9GzWSBsuVtNqYPcSBTy11dRJJPG2dbp9"),
        (Network::Testnet, "TccExKXkhbqPycixLQVcdzwA4Cvng3z6yqb"),
        (Network::Simnet, "Scfa6XtqDMrforJsrt5ekAsxmaHgqhYExXq"),
        (Network::Regnet, "RcKZdm9cSQhUmGTfJLFMXrhVhK9L4ceTUvx"),
    ];
    for (n, s) in p2sh {
        let m = pool_ticket_multisig(n, &child_pub(0), &child_pub(1));
        assert_eq!(hex::encode(&m.redeem_script), redeem);
        assert_eq!(m.address.to_string(), s, "{n}");
    }
    let (req, keys) = parse_multisig(&hex::decode(redeem).unwrap()).unwrap();
    assert_eq!((req, keys), (1, vec![child_pub(0), child_pub(1)]));
}

#[test]
fn fixture_createmultisig_pool_key_first() {
    // wallet-createmultisig.json
    let pool = Address::decode_pubkey_for(
        "SkLVFhAKGCqemCSss6Cz1WLRnB5eJEvMweBPHaDz6jUe5c7hR1U9d",
        Network::Simnet,
    )
    .unwrap();
    let user = Address::decode_pubkey_for(
        "SkLUb419D3fMKYdEexrP15M7oiqSxFJoyJ7epjK2TddLVcauL9YkK",
        Network::Simnet,
    )
    .unwrap();
    let m = pool_ticket_multisig(Network::Simnet, &pool, &user);
    assert_eq!(m.address.to_string(), "ScenwhRsEVctDR5xXPzDoenWDvitZHq4bhC");
    assert_eq!(
        hex::encode(&m.redeem_script),
        "512102f7431710ebdecb3be699a0a8c875a9c56015efe41604b2178a0c4dd05f5dc91421029f861327fbba66b48cea3214a6ca281b66015d4695dde75e3da50de4c320f89452ae"
    );
}

#[test]
fn legacy_stakepoold_fee_addresses() {
    // legacy-exccstakepool.md §15: membership in the first 10000 addresses of xpub/0.
    let xpub = "xpub6BpcvynN5SeJND9vFj1noMPwb4SWqjKGmvPq65GToQnob9UbhirCetBWzXm7c3oXPzG9r5VcaPWcaFw6hgizKn6rFk29sLShxwKYFrf5LHR";
    let branch = ExtendedKey::decode_xpub_for(xpub, Network::Mainnet)
        .unwrap()
        .child(EXTERNAL_BRANCH)
        .unwrap();
    let set: std::collections::HashSet<String> = (0..10_000)
        .map(|i| {
            Address::p2pkh_from_pubkey(Network::Mainnet, &branch.child(i).unwrap().pubkey())
                .to_string()
        })
        .collect();
    for a in [
        "22tv7nd31sMmD8BpcVRJAWQLqYCjaCuqpWpz",
        "22u4VtFDzXDT517DFfCLRM8i5t814pZXePBK",
        "22u8LM7siis3LUTKfJSnhoHAgh1d1igVdoZi",
        "22u4Qur3XjYLpHJyxxvrmFXRTzCmANFTDUYX",
        "22u7vimxVWBb3axtC2uHyCTprXs74pxC6n2o",
        "22tt57MfvPr3aotqKwQNKiMc12jhSPCVBbzr",
        "22u1VbEvX9Kapqukc7oshGcnt2ZCCeaYEDCP",
        "22tyuR7Ais8NZirdkToEo7qruMZ6maPqXSG1",
    ] {
        assert!(set.contains(a), "{a} not derived");
    }
    let err = ExtendedKey::decode_xpub_for(xpub, Network::Testnet)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("extended public key is for wrong network"),
        "{err}"
    );
}

#[test]
fn wif_vector_base58check() {
    // WIF(priv = 00..1f, compressed): base58check(netid || priv || 0x01)
    for (id, s) in [
        (
            0x80u8,
            "KwDidQJHSE67VJ6MWRvbBKAxhD3F48DvqRT6JRqrjd7MHLBjGF7V",
        ),
        (0xef, "cMai6KJ8sHnNejZctqjiYdg2KSLeiaKcuTbZQrJNEjmMY5JQw6eP"),
    ] {
        let mut data = vec![id];
        data.extend_from_slice(&SEED);
        data.push(1);
        assert_eq!(excc_chain::base58::encode_check(&data), s);
    }
}

fn fixture(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/../../tests/fixtures/excc-2.7.6-simnet/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn fixture_pool_ticket_passes_the_fee_check_exactly() {
    let f = fixture("node-getrawtransaction-ticket-verbose.json");
    let hex = f["response"]["result"]["hex"].as_str().unwrap();
    let tx = Transaction::from_hex(hex).unwrap();
    assert_eq!(
        tx.txid.to_string(),
        "df8b3e1677be2d775713785b36d13ebbf38494fa3054238e0a0daf5a5b2930ac"
    );
    let ticket = Ticket::from_tx(Network::Simnet, &tx).unwrap();
    assert_eq!(
        ticket.voting_address.to_string(),
        "ScenwhRsEVctDR5xXPzDoenWDvitZHq4bhC"
    );
    assert_eq!(ticket.price, Amount(53_798_951_531));
    assert_eq!(ticket.tx_fee, Amount(54_200));
    let fee_addr = ticket.commitments[0].address;
    assert_eq!(fee_addr.to_string(), "Ssc6h7MzA19EDXa1hbf2jha6Kmj9XSZULnc");
    assert_eq!(ticket.commitments[0].limits, 0x4e00);
    // Mined at height 149 (stakepooluserinfo ticketheight).
    let check = ticket.check_pool_fee(|a| *a == fee_addr, 149, "7.5".parse().unwrap());
    assert_eq!(
        check,
        FeeCheck::Paid {
            required: Amount(231_041_222),
            paid: Amount(231_041_222)
        }
    );
    // A higher pool fee rate makes the same ticket low-fee.
    assert!(matches!(
        ticket.check_pool_fee(|a| *a == fee_addr, 149, "7.51".parse().unwrap()),
        FeeCheck::TooLow { .. }
    ));
    // And a fee paid to someone else is not a pool fee.
    assert!(matches!(
        ticket.check_pool_fee(|_| false, 149, "7.5".parse().unwrap()),
        FeeCheck::NotPoolFeeAddress(_)
    ));
    // Input values from the witness agree with the commitments.
    let inputs: i64 = tx.inputs.iter().map(|i| i.value_in.unwrap().atoms()).sum();
    assert_eq!(inputs - tx.output_total().atoms(), 54_200);
}

#[test]
fn fixture_vote_parses_and_hashes() {
    let f = fixture("node-getrawtransaction-vote-verbose.json");
    let result = &f["response"]["result"];
    let tx = Transaction::from_hex(result["hex"].as_str().unwrap()).unwrap();
    assert_eq!(tx.txid.to_string(), result["txid"].as_str().unwrap());
    assert!(Ticket::from_tx(Network::Simnet, &tx).is_err());
}

#[test]
fn fixture_getmasterpubkey_is_a_simnet_spub() {
    let f = fixture("wallet-getmasterpubkey.json");
    let s = f["response"]["result"].as_str().unwrap();
    let k = ExtendedKey::decode_xpub_for(s, Network::Simnet).unwrap();
    assert!(!k.is_private());
    assert!(matches!(
        Address::p2pkh_from_pubkey(
            Network::Simnet,
            &k.child(0).unwrap().child(0).unwrap().pubkey()
        )
        .kind,
        AddressKind::P2pkh(_)
    ));
    let err = ExtendedKey::decode_xpub_for(s, Network::Mainnet)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "extended public key is for wrong network: it is for simnet, but mainnet was expected"
    );
}
