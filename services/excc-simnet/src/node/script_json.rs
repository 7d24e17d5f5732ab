//! Output-script classes and disassembly as exccd prints them.

use excc_chain::script::{OP_SSGEN, OP_SSRTX, OP_SSTX, OP_SSTXCHANGE, extract_address};
use excc_chain::ticket::parse_commitment;
use excc_chain::{Amount, Network};
use excc_rpc::types::ScriptPubKey;

use crate::chain::wire::parse_pushes;

fn op_name(op: u8) -> Option<&'static str> {
    Some(match op {
        0x00 => "0",
        0x51 => "1",
        0x52 => "2",
        0x53 => "3",
        0x6a => "OP_RETURN",
        0x76 => "OP_DUP",
        0x87 => "OP_EQUAL",
        0x88 => "OP_EQUALVERIFY",
        0xa9 => "OP_HASH160",
        0xac => "OP_CHECKSIG",
        0xae => "OP_CHECKMULTISIG",
        0xba => "OP_SSTX",
        0xbb => "OP_SSGEN",
        0xbc => "OP_SSRTX",
        0xbd => "OP_SSTXCHANGE",
        _ => return None,
    })
}

/// exccd-style disassembly: opcode names, data pushes as hex.
pub fn disasm(script: &[u8]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < script.len() {
        let op = script[i];
        i += 1;
        let len = match op {
            1..=75 => usize::from(op),
            0x4c => {
                let l = script.get(i).copied().map(usize::from).unwrap_or(0);
                i += 1;
                l
            }
            0x4d => {
                let l = script
                    .get(i..i + 2)
                    .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
                    .unwrap_or(0);
                i += 2;
                l
            }
            _ => {
                out.push(
                    op_name(op)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("OP_UNKNOWN{op}")),
                );
                continue;
            }
        };
        let end = (i + len).min(script.len());
        out.push(hex::encode(&script[i..end]));
        i = end;
    }
    // exccd joins the data of a null-data script into one item after OP_RETURN.
    out.join(" ")
}

/// Disassembly of a signature script (pushes only).
pub fn sig_disasm(script: &[u8]) -> String {
    match parse_pushes(script) {
        Some(items) => items.iter().map(hex::encode).collect::<Vec<_>>().join(" "),
        None => disasm(script),
    }
}

/// `scriptPubKey` of an output.
pub fn script_pub_key(network: Network, script: &[u8], version: u16) -> ScriptPubKey {
    let mut spk = ScriptPubKey {
        asm: disasm(script),
        hex: hex::encode(script),
        req_sigs: 0,
        kind: "nonstandard".into(),
        addresses: vec![],
        commitamt: None,
        version,
    };
    if let Ok(c) = parse_commitment(network, script) {
        spk.kind = "sstxcommitment".into();
        spk.addresses = vec![c.address.encode()];
        spk.commitamt = Some(c.amount);
        return spk;
    }
    if script.first() == Some(&0x6a) {
        spk.kind = "nulldata".into();
        return spk;
    }
    let Some(addr) = extract_address(network, script) else {
        return spk;
    };
    let suffix = if addr.is_p2sh() {
        "scripthash"
    } else {
        "pubkeyhash"
    };
    let prefix = match script.first() {
        Some(&OP_SSTX) => "stakesubmission-",
        Some(&OP_SSGEN) => "stakegen-",
        Some(&OP_SSRTX) => "stakerevoke-",
        Some(&OP_SSTXCHANGE) => "stakechange-",
        _ => "",
    };
    spk.kind = format!("{prefix}{suffix}");
    spk.req_sigs = 1;
    spk.addresses = vec![addr.encode()];
    spk
}

/// Atoms as an `Amount`.
pub fn amount(atoms: i64) -> Amount {
    Amount(atoms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_like_the_captured_ticket() {
        let n = Network::Simnet;
        let s = hex::decode("baa9142b4ec9b004aef639a0f6ad3e1f7970dd4bbcc31287").unwrap();
        let spk = script_pub_key(n, &s, 0);
        assert_eq!(spk.kind, "stakesubmission-scripthash");
        assert_eq!(
            spk.asm,
            "OP_SSTX OP_HASH160 2b4ec9b004aef639a0f6ad3e1f7970dd4bbcc312 OP_EQUAL"
        );
        assert_eq!(spk.addresses, vec!["ScenwhRsEVctDR5xXPzDoenWDvitZHq4bhC"]);
        let c = hex::decode("6a1e54ff271c355f0b089cd6ffd4d0c17b431424c600c668c50d00000000004e")
            .unwrap();
        let spk = script_pub_key(n, &c, 0);
        assert_eq!(spk.kind, "sstxcommitment");
        assert_eq!(spk.commitamt, Some(Amount(231_041_222)));
        assert_eq!(spk.addresses, vec!["Ssc6h7MzA19EDXa1hbf2jha6Kmj9XSZULnc"]);
        assert_eq!(
            spk.asm,
            "OP_RETURN 54ff271c355f0b089cd6ffd4d0c17b431424c600c668c50d00000000004e"
        );
        let ch = hex::decode("bd76a914000000000000000000000000000000000000000088ac").unwrap();
        assert_eq!(script_pub_key(n, &ch, 0).kind, "stakechange-pubkeyhash");
        let nd = hex::decode("6a0601000a000000").unwrap();
        let spk = script_pub_key(n, &nd, 0);
        assert_eq!(spk.kind, "nulldata");
        assert_eq!(spk.asm, "OP_RETURN 01000a000000");
        assert!(spk.addresses.is_empty());
    }
}
