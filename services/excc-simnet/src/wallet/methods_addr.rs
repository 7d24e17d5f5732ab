//! Addresses and scripts: getnewaddress, validateaddress, createmultisig,
//! importscript, getmasterpubkey, account address indexes, getaddressesbyaccount.

use std::sync::Arc;

use excc_chain::script::parse_multisig;
use excc_chain::{Address, AddressKind, PubKey};
use excc_rpc::types::{CreateMultisig, RpcError, WalletValidateAddress};
use serde_json::Value;

use super::Wallet;
use super::keys::GAP;
use crate::rpc::envelope::{Json, RpcResult, params};

fn check_account(name: &str) -> Result<(), RpcError> {
    if name == "default" {
        Ok(())
    } else {
        Err(RpcError::new(
            -4,
            format!("account {name:?} does not exist; the simulator has only \"default\""),
        ))
    }
}

/// Gap policies are accepted but not enforced: the simulator does not track
/// which addresses received funds, so every policy behaves like "ignore".
pub fn getnewaddress(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    check_account(params::opt_str(p, 0).unwrap_or("default"))?;
    if let Some(policy) = params::opt_str(p, 1)
        && !matches!(policy, "" | "error" | "ignore" | "wrap")
    {
        return Err(RpcError::new(-8, format!("unknown gap policy {policy:?}")));
    }
    let mut st = w.state();
    let next = (st.file.last_index[0] + 1) as u32;
    st.file.last_index[0] = i64::from(next);
    st.keys.ensure(0, next + GAP);
    let addr = st.keys.address(0, next);
    st.save(&w.settings)?;
    Ok(Json::of(&addr.encode()))
}

pub fn validateaddress(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "validateaddress")?;
    let s = params::str_at(p, 0, "address")?;
    let st = w.state();
    let net = st.keys.network();
    let invalid = WalletValidateAddress {
        isvalid: false,
        script: "nonstandard".into(),
        ..Default::default()
    };
    let Ok(addr) = Address::decode_for(s, net) else {
        return Ok(Json::of(&invalid));
    };
    let mut v = WalletValidateAddress {
        isvalid: true,
        address: s.to_string(),
        ..Default::default()
    };
    match addr.kind {
        AddressKind::P2pkh(h) => {
            v.script = "pubkeyhash".into();
            v.iscompressed = true;
            if let Some((b, i)) = st.keys.lookup_hash(&h) {
                fill_owned(&mut v, w, &st, b, i);
            }
        }
        AddressKind::P2pk(k) => {
            v.script = "pubkey".into();
            if let Some((b, i)) = st.keys.lookup_pub(&k) {
                fill_owned(&mut v, w, &st, b, i);
            }
        }
        AddressKind::P2sh(h) => {
            v.isscript = true;
            v.script = "scripthash".into();
            if let Some(script) = st.scripts.get(&h) {
                v.ismine = true;
                v.iscompressed = true;
                v.account = "imported".into();
                v.hex = hex::encode(script);
                if let Ok((m, keys)) = parse_multisig(script) {
                    v.script = "multisig".into();
                    v.sigsrequired = i32::from(m);
                    v.addresses = keys
                        .iter()
                        .map(|k| Address::p2pk(net, *k).encode())
                        .collect();
                }
            }
        }
        _ => v.script = "nonstandard".into(),
    }
    Ok(Json::of(&v))
}

fn fill_owned(
    v: &mut WalletValidateAddress,
    _w: &Arc<Wallet>,
    st: &super::WalletState,
    branch: u32,
    index: u32,
) {
    let net = st.keys.network();
    let Some(pk) = st.keys.lookup_pub_by_index(branch, index) else {
        return;
    };
    v.ismine = true;
    v.pubkeyaddr = Address::p2pk(net, pk).encode();
    v.pubkey = hex::encode(pk.serialize());
    v.account = "default".into();
    v.accountn = Some(0);
    v.branch = Some(branch);
    v.index = Some(index);
}

/// Resolves one `createmultisig` key: a P2PK address, a hex key, or an owned P2PKH address.
fn resolve_key(w: &Arc<Wallet>, s: &str) -> Result<PubKey, RpcError> {
    if (s.len() == 66 || s.len() == 130)
        && let Ok(k) = PubKey::from_hex(s)
    {
        return Ok(k);
    }
    let unsupported = || {
        RpcError::new(
            -5,
            format!(
                "invalid address \"{s}\": decode failed: `address \"{s}\" is not a supported type`"
            ),
        )
    };
    let st = w.state();
    let addr = Address::decode_for(s, st.keys.network()).map_err(|_| unsupported())?;
    match addr.kind {
        AddressKind::P2pk(k) => Ok(k),
        AddressKind::P2pkh(h) => st
            .keys
            .lookup_hash(&h)
            .and_then(|(b, i)| st.keys.lookup_pub_by_index(b, i))
            .ok_or_else(|| {
                RpcError::new(
                    -4,
                    format!("address {s} is not a key of this wallet; use its public key"),
                )
            }),
        _ => Err(unsupported()),
    }
}

pub fn multisig_script(m: u8, keys: &[PubKey]) -> Vec<u8> {
    let mut s = vec![0x50 + m];
    for k in keys {
        s.push(0x21);
        s.extend_from_slice(&k.serialize());
    }
    s.push(0x50 + keys.len() as u8);
    s.push(0xae);
    s
}

pub fn createmultisig(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 2, "createmultisig")?;
    let m = params::i64_at(p, 0, "nrequired")?;
    let list = p[1]
        .as_array()
        .ok_or_else(|| params::invalid("parameter #2 'keys' must be an array"))?;
    let mut keys = Vec::new();
    for k in list {
        keys.push(resolve_key(w, k.as_str().unwrap_or_default())?);
    }
    if m < 1 || m as usize > keys.len() || keys.len() > 15 {
        return Err(RpcError::new(
            -8,
            format!("nrequired {m} is not between 1 and the {} keys", keys.len()),
        ));
    }
    let script = multisig_script(m as u8, &keys);
    let net = w.state().keys.network();
    Ok(Json::of(&CreateMultisig {
        address: Address::p2sh_from_script(net, &script).encode(),
        redeem_script: hex::encode(script),
    }))
}

pub fn importscript(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "importscript")?;
    let s = params::str_at(p, 0, "hex")?;
    let script =
        hex::decode(s).map_err(|e| RpcError::new(-22, format!("invalid script hex: {e}")))?;
    if script.is_empty() {
        return Err(RpcError::new(-8, "empty script"));
    }
    let mut st = w.state();
    let h = excc_chain::hash::hash160(&script);
    if st.scripts.insert(h, script).is_none() {
        st.file.scripts.push(s.to_ascii_lowercase());
        st.save(&w.settings)?;
    }
    drop(st);
    // The simulated wallet sees every output already; a requested rescan is only logged, as
    // exccwallet logs each one it starts (tests count them).
    if params::opt_bool(p, 1).unwrap_or(true) {
        let from = params::opt_i64(p, 2).unwrap_or(0);
        tracing::info!(from, "importscript: rescan requested");
    }
    Ok(Json::null())
}

pub fn getmasterpubkey(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    check_account(params::opt_str(p, 0).unwrap_or("default"))?;
    Ok(Json::of(&w.state().keys.account_xpub()))
}

pub fn accountsyncaddressindex(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 3, "accountsyncaddressindex")?;
    check_account(params::str_at(p, 0, "account")?)?;
    let branch = params::i64_at(p, 1, "branch")?;
    let index = params::i64_at(p, 2, "index")?;
    if !(0..=1).contains(&branch) || !(0..=1_000_000).contains(&index) {
        return Err(params::invalid(
            "branch must be 0 or 1 and index between 0 and 1000000",
        ));
    }
    let mut st = w.state();
    let b = branch as usize;
    if index > st.file.last_index[b] {
        st.file.last_index[b] = index;
    }
    st.keys.ensure(branch as u32, index as u32 + GAP);
    st.save(&w.settings)?;
    Ok(Json::null())
}

pub fn accountaddressindex(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 2, "accountaddressindex")?;
    check_account(params::str_at(p, 0, "account")?)?;
    let branch = params::i64_at(p, 1, "branch")?;
    if !(0..=1).contains(&branch) {
        return Err(params::invalid("branch must be 0 or 1"));
    }
    Ok(Json::of(&w.state().file.last_index[branch as usize].max(0)))
}

pub fn getaddressesbyaccount(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "getaddressesbyaccount")?;
    let account = params::str_at(p, 0, "account")?;
    let mut st = w.state();
    let list: Vec<String> = match account {
        "imported" => st
            .imported_addresses()
            .iter()
            .map(Address::encode)
            .collect(),
        "default" => {
            let last = st.file.last_index[0];
            (0..=last)
                .map(|i| st.keys.address(0, i as u32).encode())
                .collect()
        }
        other => {
            return Err(RpcError::new(
                -4,
                format!("account {other:?} does not exist"),
            ));
        }
    };
    Ok(Json::of(&list))
}
