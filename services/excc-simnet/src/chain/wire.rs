//! Decred/EXCC transaction serialization (full = prefix + witness), the way
//! exccd writes it, so `excc_chain::tx::Transaction` parses what we build.

use excc_chain::{Amount, ChainHash, Transaction};
use sha2::{Digest, Sha256};

/// Transaction tree of an outpoint: 0 regular, 1 stake.
pub const TREE_REGULAR: u8 = 0;
pub const TREE_STAKE: u8 = 1;
/// Block index used in witnesses of inputs whose block is not known.
pub const NO_BLOCK_INDEX: u32 = u32::MAX;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireIn {
    pub prev_hash: ChainHash,
    pub prev_index: u32,
    pub tree: u8,
    pub sequence: u32,
    pub value_in: i64,
    pub block_height: u32,
    pub block_index: u32,
    pub sig_script: Vec<u8>,
}

impl WireIn {
    /// The null outpoint input of a coinbase or a vote's stakebase.
    pub fn null(value_in: i64, sig_script: Vec<u8>) -> Self {
        WireIn {
            prev_hash: ChainHash([0; 32]),
            prev_index: u32::MAX,
            tree: TREE_REGULAR,
            sequence: u32::MAX,
            value_in,
            block_height: 0,
            block_index: NO_BLOCK_INDEX,
            sig_script,
        }
    }

    pub fn is_null(&self) -> bool {
        self.prev_hash.is_zero() && self.prev_index == u32::MAX
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireOut {
    pub value: i64,
    pub version: u16,
    pub script: Vec<u8>,
}

impl WireOut {
    pub fn new(value: i64, script: Vec<u8>) -> Self {
        WireOut {
            value,
            version: 0,
            script,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireTx {
    pub version: u16,
    pub inputs: Vec<WireIn>,
    pub outputs: Vec<WireOut>,
    pub lock_time: u32,
    pub expiry: u32,
}

pub fn put_varint(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

impl WireTx {
    fn write_prefix(&self, out: &mut Vec<u8>) {
        put_varint(out, self.inputs.len() as u64);
        for i in &self.inputs {
            out.extend_from_slice(i.prev_hash.as_bytes());
            out.extend_from_slice(&i.prev_index.to_le_bytes());
            out.push(i.tree);
            out.extend_from_slice(&i.sequence.to_le_bytes());
        }
        put_varint(out, self.outputs.len() as u64);
        for o in &self.outputs {
            out.extend_from_slice(&o.value.to_le_bytes());
            out.extend_from_slice(&o.version.to_le_bytes());
            put_bytes(out, &o.script);
        }
        out.extend_from_slice(&self.lock_time.to_le_bytes());
        out.extend_from_slice(&self.expiry.to_le_bytes());
    }

    /// Full serialization (serialization type 0: prefix and witness).
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&u32::from(self.version).to_le_bytes());
        self.write_prefix(&mut out);
        put_varint(&mut out, self.inputs.len() as u64);
        for i in &self.inputs {
            out.extend_from_slice(&i.value_in.to_le_bytes());
            out.extend_from_slice(&i.block_height.to_le_bytes());
            out.extend_from_slice(&i.block_index.to_le_bytes());
            put_bytes(&mut out, &i.sig_script);
        }
        out
    }

    /// Prefix-only serialization (type 1); its SHA-256 is the txid.
    pub fn prefix_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(200);
        out.extend_from_slice(&(u32::from(self.version) | (1 << 16)).to_le_bytes());
        self.write_prefix(&mut out);
        out
    }

    pub fn txid(&self) -> ChainHash {
        ChainHash(Sha256::digest(self.prefix_bytes()).into())
    }

    /// The message our simulated signatures commit to: SHA-256 of the prefix
    /// with the index of the signed input (a simplification of Decred's
    /// SigHashAll, documented in the crate README).
    pub fn sighash(&self, input: usize) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"excc-simnet sighash v1");
        h.update(self.prefix_bytes());
        h.update((input as u32).to_le_bytes());
        h.finalize().into()
    }

    pub fn from_tx(tx: &Transaction) -> Self {
        WireTx {
            version: tx.version,
            inputs: tx
                .inputs
                .iter()
                .map(|i| WireIn {
                    prev_hash: i.prev_hash,
                    prev_index: i.prev_index,
                    tree: i.tree,
                    sequence: i.sequence,
                    value_in: i.value_in.map(Amount::atoms).unwrap_or(0),
                    block_height: i.block_height,
                    block_index: i.block_index,
                    sig_script: i.signature_script.clone(),
                })
                .collect(),
            outputs: tx
                .outputs
                .iter()
                .map(|o| WireOut {
                    value: o.value.atoms(),
                    version: o.script_version,
                    script: o.pk_script.clone(),
                })
                .collect(),
            lock_time: tx.lock_time,
            expiry: tx.expiry,
        }
    }

    pub fn parse(bytes: &[u8]) -> Result<Self, excc_chain::ChainError> {
        Ok(Self::from_tx(&Transaction::parse(bytes)?))
    }
}

/// Pushes `data` with the minimal push opcode.
pub fn push_data(script: &mut Vec<u8>, data: &[u8]) {
    match data.len() {
        0..=75 => script.push(data.len() as u8),
        76..=255 => {
            script.push(0x4c);
            script.push(data.len() as u8);
        }
        _ => {
            script.push(0x4d);
            script.extend_from_slice(&(data.len() as u16).to_le_bytes());
        }
    }
    script.extend_from_slice(data);
}

/// Splits a push-only script into its pushed items (the chain library's parser).
pub use excc_chain::script::parse_pushes;

#[cfg(test)]
mod tests {
    use super::*;

    const VOTE_HEX: &str = "01000000020000000000000000000000000000000000000000000000000000000000000000ffffffff00fffffffffd6d6b34342cbac07807aacb067f6ec2cc65e9149589e8c32c48bd3c91b2b3820000000001ffffffff0300000000000000000000266a24e41bc2f3b3e374159a85de8a8a64244844aeed086353071c299d89ee8a5602009300000000000000000000000000086a0601000a000000b28813fc0000000000001abb76a914adc5a6ed5222d7de7eff5c6abd5537b2a827c3bf88ac000000000000000002310ab7c40000000000000000ffffffff04deadbeef817e5c370000000000000000ffffffff6b483045022100b9a3f3659794fd13b8f0dff419dc037926aca9df22c3c8d0443e935af8645e96022054be037082842fe5f72dc5d2682ddf7d648fae89fc1c01b85bb75c7d0eef0d5b0121035ea0cf5efe1bfbfaae15a921593ecf8c1af699d5082a8de6743b307a273cd429";

    #[test]
    fn captured_vote_round_trips_with_its_txid() {
        let bytes = hex::decode(VOTE_HEX).unwrap();
        let tx = WireTx::parse(&bytes).unwrap();
        assert_eq!(tx.serialize(), bytes);
        assert_eq!(
            tx.txid().to_string(),
            "0369803fa5abcc9f9e42c30f3bbd8cf49e0543c423d19080ce3bd624ca468ede"
        );
        assert!(tx.inputs[0].is_null());
        assert_eq!(tx.inputs[0].sig_script, vec![0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn pushes_round_trip() {
        let mut s = Vec::new();
        push_data(&mut s, &[1; 72]);
        push_data(&mut s, &[2; 100]);
        let items = parse_pushes(&s).unwrap();
        assert_eq!(items, vec![&[1u8; 72][..], &[2u8; 100][..]]);
    }
}
