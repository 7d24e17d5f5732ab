//! Round-trip and no-panic properties of every decoder (the fuzz targets in
//! `fuzz/` explore the same functions with coverage guidance).

use excc_chain::hd::HARDENED;
use excc_chain::script::{extract_address, parse_multisig, pool_ticket_multisig};
use excc_chain::ticket::parse_commitment;
use excc_chain::{Address, ExtendedKey, Network, Transaction};
use proptest::prelude::*;

fn network() -> impl Strategy<Value = Network> {
    prop::sample::select(Network::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn xpub_child_keys_round_trip(seed in any::<[u8; 32]>(), n in network(), i in 0u32..HARDENED) {
        let master = ExtendedKey::master(n, &seed).unwrap();
        let account = master.child(HARDENED).unwrap().neuter();
        let s = account.to_string();
        let parsed = ExtendedKey::decode_xpub_for(&s, n).unwrap();
        prop_assert_eq!(&parsed, &account);
        // Public derivation from the parsed xpub equals private derivation.
        let via_pub = parsed.child(0).unwrap().child(i).unwrap().pubkey();
        let via_priv = master.derive_path(&[HARDENED, 0, i]).unwrap().pubkey();
        prop_assert_eq!(via_pub, via_priv);
        // P2PK and P2PKH addresses of the child round-trip.
        let p2pk = Address::p2pk(n, via_pub);
        prop_assert_eq!(Address::decode_pubkey_for(&p2pk.to_string(), n).unwrap(), via_pub);
        let p2pkh = Address::p2pkh_from_pubkey(n, &via_pub);
        prop_assert_eq!(Address::decode_for(&p2pkh.to_string(), n).unwrap(), p2pkh);
    }

    #[test]
    fn multisig_round_trips(seed in any::<[u8; 32]>(), n in network()) {
        let m = ExtendedKey::master(n, &seed).unwrap();
        let (a, b) = (m.child(0).unwrap().pubkey(), m.child(1).unwrap().pubkey());
        let ms = pool_ticket_multisig(n, &a, &b);
        prop_assert_eq!(parse_multisig(&ms.redeem_script).unwrap(), (1, vec![a, b]));
        prop_assert_eq!(extract_address(n, &ms.address.pk_script()), Some(ms.address));
    }

    #[test]
    fn byte_decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_multisig(&data);
        let _ = parse_commitment(Network::Simnet, &data);
        let _ = extract_address(Network::Simnet, &data);
        let _ = Transaction::parse(&data);
        let _ = excc_chain::BlockHeader::parse(&data);
    }

    #[test]
    fn string_decoders_never_panic(s in "[1-9A-HJ-NP-Za-km-z]{0,120}") {
        let _ = Address::decode(&s);
        let _ = ExtendedKey::decode(&s);
    }
}
