//! Output scripts and the pool's 1-of-2 multisig redeem script.

use crate::address::{Address, AddressKind};
use crate::error::ChainError;
use crate::network::Network;
use crate::pubkey::PubKey;

pub const OP_0: u8 = 0x00;
pub const OP_DATA_20: u8 = 0x14;
pub const OP_DATA_30: u8 = 0x1e;
pub const OP_DATA_33: u8 = 0x21;
pub const OP_1: u8 = 0x51;
pub const OP_2: u8 = 0x52;
pub const OP_RETURN: u8 = 0x6a;
pub const OP_DUP: u8 = 0x76;
pub const OP_EQUAL: u8 = 0x87;
pub const OP_EQUALVERIFY: u8 = 0x88;
pub const OP_HASH160: u8 = 0xa9;
pub const OP_CHECKSIG: u8 = 0xac;
pub const OP_CHECKMULTISIG: u8 = 0xae;
/// Ticket (stake submission) output tag.
pub const OP_SSTX: u8 = 0xba;
/// Vote (stake generation) output tag.
pub const OP_SSGEN: u8 = 0xbb;
/// Revocation output tag.
pub const OP_SSRTX: u8 = 0xbc;
/// Ticket change output tag.
pub const OP_SSTXCHANGE: u8 = 0xbd;

/// Length of the 1-of-2 multisig redeem script: `51 21 <33> 21 <33> 52 ae`.
pub const MULTISIG_1_OF_2_LEN: usize = 71;

pub fn p2pkh_script(hash: &[u8; 20]) -> Vec<u8> {
    let mut s = vec![OP_DUP, OP_HASH160, OP_DATA_20];
    s.extend_from_slice(hash);
    s.extend_from_slice(&[OP_EQUALVERIFY, OP_CHECKSIG]);
    s
}

pub fn p2sh_script(hash: &[u8; 20]) -> Vec<u8> {
    let mut s = vec![OP_HASH160, OP_DATA_20];
    s.extend_from_slice(hash);
    s.push(OP_EQUAL);
    s
}

pub fn p2pk_script(key: &PubKey) -> Vec<u8> {
    let mut s = vec![OP_DATA_33];
    s.extend_from_slice(&key.serialize());
    s.push(OP_CHECKSIG);
    s
}

/// The pool's ticket script: `OP_1 <pool key> <user key> OP_2 OP_CHECKMULTISIG`
/// (pool key first, as the pool calls `createmultisig 1 [pool, user]`).
pub fn multisig_1_of_2(pool: &PubKey, user: &PubKey) -> Vec<u8> {
    let mut s = Vec::with_capacity(MULTISIG_1_OF_2_LEN);
    s.push(OP_1);
    for key in [pool, user] {
        s.push(OP_DATA_33);
        s.extend_from_slice(&key.serialize());
    }
    s.extend_from_slice(&[OP_2, OP_CHECKMULTISIG]);
    s
}

/// A redeem script and the P2SH address that pays to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Multisig {
    pub redeem_script: Vec<u8>,
    pub address: Address,
}

/// Builds the 1-of-2 ticket script and its P2SH address on `network`.
pub fn pool_ticket_multisig(network: Network, pool: &PubKey, user: &PubKey) -> Multisig {
    let redeem_script = multisig_1_of_2(pool, user);
    let address = Address::p2sh_from_script(network, &redeem_script);
    Multisig {
        redeem_script,
        address,
    }
}

/// Parses a bare `OP_m <keys…> OP_n OP_CHECKMULTISIG` script with compressed keys.
/// Returns `(required, keys)`.
pub fn parse_multisig(script: &[u8]) -> Result<(u8, Vec<PubKey>), ChainError> {
    let bad = |why: &str| ChainError::Script(format!("not a multisig script: {why}"));
    let (&first, rest) = script.split_first().ok_or_else(|| bad("empty"))?;
    let (&last, rest) = rest.split_last().ok_or_else(|| bad("too short"))?;
    let (&n_op, mut keys_part) = rest.split_last().ok_or_else(|| bad("too short"))?;
    if last != OP_CHECKMULTISIG {
        return Err(bad("does not end in OP_CHECKMULTISIG"));
    }
    let small = |op: u8| (OP_1..=OP_1 + 15).contains(&op).then(|| op - OP_1 + 1);
    let m = small(first).ok_or_else(|| bad("first opcode is not OP_1..OP_16"))?;
    let n = small(n_op).ok_or_else(|| bad("key count is not OP_1..OP_16"))?;
    let mut keys = Vec::new();
    while let Some((&len, rest)) = keys_part.split_first() {
        if len != OP_DATA_33 || rest.len() < 33 {
            return Err(bad("keys must be 33-byte compressed pushes"));
        }
        keys.push(PubKey::from_sec1(&rest[..33])?);
        keys_part = &rest[33..];
    }
    if keys.len() != n as usize || m > n {
        return Err(bad("key count does not match"));
    }
    Ok((m, keys))
}

/// The address a (possibly stake-tagged) P2PKH or P2SH output pays to, if any.
pub fn extract_address(network: Network, script: &[u8]) -> Option<Address> {
    let untagged = match script.first() {
        Some(&(OP_SSTX | OP_SSGEN | OP_SSRTX | OP_SSTXCHANGE)) => &script[1..],
        _ => script,
    };
    let kind = match untagged {
        [
            OP_DUP,
            OP_HASH160,
            OP_DATA_20,
            h @ ..,
            OP_EQUALVERIFY,
            OP_CHECKSIG,
        ] if h.len() == 20 => AddressKind::P2pkh(h.try_into().ok()?),
        [OP_HASH160, OP_DATA_20, h @ .., OP_EQUAL] if h.len() == 20 => {
            AddressKind::P2sh(h.try_into().ok()?)
        }
        _ => return None,
    };
    Some(Address { network, kind })
}

/// The data pushes of a push-only script (`OP_0`, direct pushes, `OP_PUSHDATA1/2/4`);
/// `None` if it holds any other opcode or a push runs past the end.
pub fn parse_pushes(script: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = script;
    while let Some((&op, tail)) = rest.split_first() {
        let (len, tail) = match op {
            0 => (0, tail),
            1..=75 => (op as usize, tail),
            0x4c => (usize::from(*tail.first()?), &tail[1..]),
            0x4d => {
                let b = tail.get(..2)?;
                (usize::from(u16::from_le_bytes([b[0], b[1]])), &tail[2..])
            }
            0x4e => {
                let b = tail.get(..4)?;
                (
                    u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize,
                    &tail[4..],
                )
            }
            _ => return None,
        };
        out.push(tail.get(..len)?);
        rest = &tail[len..];
    }
    Some(out)
}

/// True when a vote's ticket-spending input (input 1) carries a signature:
/// `<sig> <redeem script>` (P2SH) or `<sig> <pubkey>` (P2PKH), the signature
/// DER-encoded with a hash-type byte. A locked exccwallet's `generatevote` for a
/// multisig ticket returns the redeem script alone, which exccd refuses.
pub fn vote_is_signed(vote: &crate::Transaction) -> bool {
    let Some(input) = vote.inputs.get(1) else {
        return false;
    };
    let Some(pushes) = parse_pushes(&input.signature_script) else {
        return false;
    };
    match pushes.as_slice() {
        [sig, _, ..] => looks_like_der_signature(sig),
        _ => false,
    }
}

/// A DER ECDSA signature (`0x30 len …`) of plausible size plus the hash-type byte.
fn looks_like_der_signature(sig: &[u8]) -> bool {
    (9..=73).contains(&sig.len()) && sig[0] == 0x30 && usize::from(sig[1]) == sig.len() - 3
}

#[cfg(test)]
mod vote_signature_tests {
    use super::*;

    fn fixture_hex(name: &str) -> String {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/excc-2.7.6-simnet");
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["response"]["result"]["hex"].as_str().unwrap().to_string()
    }

    #[test]
    fn a_locked_wallets_multisig_vote_is_unsigned_and_the_unlocked_one_signed() {
        let locked =
            crate::Transaction::from_hex(&fixture_hex("wallet-generatevote-locked-multisig.json"))
                .unwrap();
        let unlocked = crate::Transaction::from_hex(&fixture_hex(
            "wallet-generatevote-unlocked-multisig.json",
        ))
        .unwrap();
        assert_eq!(locked.txid, unlocked.txid, "txids do not cover signatures");
        assert!(!vote_is_signed(&locked));
        assert!(vote_is_signed(&unlocked));
        let p2pkh = crate::Transaction::from_hex(&fixture_hex("wallet-generatevote.json")).unwrap();
        assert!(vote_is_signed(&p2pkh));
    }

    #[test]
    fn pushes_parse_or_refuse() {
        assert_eq!(
            parse_pushes(&[0x02, 1, 2, 0x00]).unwrap(),
            vec![&[1u8, 2][..], &[][..]]
        );
        assert_eq!(parse_pushes(&[0x4c, 1, 9]).unwrap(), vec![&[9u8][..]]);
        assert!(parse_pushes(&[0x03, 1]).is_none());
        assert!(parse_pushes(&[0xac]).is_none());
    }
}
