//! Signatures of ticket-spending inputs. The simulator signs a simplified
//! sighash ([`WireTx::sighash`]) with real secp256k1 ECDSA; the node checks that
//! the signature script redeems the ticket's voting address and that the
//! signature verifies against one of its keys.

use excc_chain::script::parse_multisig;
use excc_chain::{Address, AddressKind, PubKey};
use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};

use super::wire::{WireTx, parse_pushes, push_data};

/// SigHashAll, appended to every DER signature.
pub const SIGHASH_ALL: u8 = 0x01;

/// DER signature of input `input` of `tx` with `secret`, plus the hash type byte.
pub fn sign_input(tx: &WireTx, input: usize, secret: &[u8; 32]) -> Result<Vec<u8>, String> {
    let key = SigningKey::from_slice(secret).map_err(|e| format!("bad private key: {e}"))?;
    let sig: Signature = key
        .sign_prehash(&tx.sighash(input))
        .map_err(|e| format!("signing failed: {e}"))?;
    let sig = sig.normalize_s().unwrap_or(sig);
    let mut out = sig.to_der().as_bytes().to_vec();
    out.push(SIGHASH_ALL);
    Ok(out)
}

/// `<sig> <redeem script>` for a P2SH multisig output.
pub fn p2sh_sig_script(sig: &[u8], redeem: &[u8]) -> Vec<u8> {
    let mut s = Vec::with_capacity(sig.len() + redeem.len() + 4);
    push_data(&mut s, sig);
    push_data(&mut s, redeem);
    s
}

/// `<sig> <pubkey>` for a P2PKH output.
pub fn p2pkh_sig_script(sig: &[u8], key: &PubKey) -> Vec<u8> {
    let mut s = Vec::with_capacity(sig.len() + 36);
    push_data(&mut s, sig);
    push_data(&mut s, &key.serialize());
    s
}

fn verify(tx: &WireTx, input: usize, sig: &[u8], key: &PubKey) -> bool {
    let Some((&hash_type, der)) = sig.split_last() else {
        return false;
    };
    if hash_type != SIGHASH_ALL {
        return false;
    }
    let (Ok(sig), Ok(vk)) = (
        Signature::from_der(der),
        VerifyingKey::from_sec1_bytes(&key.serialize()),
    ) else {
        return false;
    };
    vk.verify_prehash(&tx.sighash(input), &sig).is_ok()
}

/// Checks that input `input` of `tx` carries a valid signature for `paying_to`.
pub fn check_input(tx: &WireTx, input: usize, paying_to: &Address) -> Result<(), String> {
    let script = &tx.inputs[input].sig_script;
    let items = parse_pushes(script).ok_or("signature script is not push-only")?;
    let [sig, last] = items.as_slice() else {
        return Err(format!(
            "signature script has {} items, expected a signature and a key or script",
            items.len()
        ));
    };
    match paying_to.kind {
        AddressKind::P2sh(hash) => {
            if excc_chain::hash::hash160(last) != hash {
                return Err("redeem script does not hash to the ticket's voting address".into());
            }
            let (_, keys) = parse_multisig(last).map_err(|e| e.to_string())?;
            if keys.iter().any(|k| verify(tx, input, sig, k)) {
                Ok(())
            } else {
                Err("signature does not verify against any key of the multisig script".into())
            }
        }
        AddressKind::P2pkh(hash) => {
            let key = PubKey::from_sec1(last).map_err(|e| e.to_string())?;
            if excc_chain::hash::hash160(&key.serialize()) != hash {
                return Err("public key does not hash to the ticket's voting address".into());
            }
            if verify(tx, input, sig, &key) {
                Ok(())
            } else {
                Err("signature does not verify".into())
            }
        }
        _ => Err("unsupported voting address type".into()),
    }
}
