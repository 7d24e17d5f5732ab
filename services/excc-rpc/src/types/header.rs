//! The 280-byte EXCC block header carried (hex) by `blockconnected`,
//! `blockdisconnected` and non-verbose `getblockheader`.
//!
//! Layout: the 180-byte Decred header followed by a 100-byte Equihash solution.
//! The block hash is the single SHA-256 of all 280 bytes (checked against the
//! simnet fixtures).

use excc_chain::{Amount, ChainHash};

/// Serialised header length.
pub const HEADER_LEN: usize = 280;
/// Equihash solution length at the end of the header.
pub const EQUIHASH_SOLUTION_LEN: usize = 100;

/// A decoded block header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// Block version.
    pub version: i32,
    /// Previous block hash.
    pub prev_block: ChainHash,
    /// Regular-tree merkle root.
    pub merkle_root: ChainHash,
    /// Stake-tree merkle root.
    pub stake_root: ChainHash,
    /// Vote bits.
    pub vote_bits: u16,
    /// Final lottery state.
    pub final_state: [u8; 6],
    /// Votes in the block.
    pub voters: u16,
    /// New tickets in the block.
    pub fresh_stake: u8,
    /// Revocations in the block.
    pub revocations: u8,
    /// Live pool size.
    pub pool_size: u32,
    /// Compact difficulty.
    pub bits: u32,
    /// Stake difficulty.
    pub sbits: Amount,
    /// Height.
    pub height: u32,
    /// Block size.
    pub size: u32,
    /// Timestamp (unix seconds).
    pub timestamp: u32,
    /// Nonce.
    pub nonce: u32,
    /// Extra data.
    pub extra_data: [u8; 32],
    /// Stake version.
    pub stake_version: u32,
    /// Equihash solution.
    pub equihash_solution: Vec<u8>,
    /// Hash of the header.
    pub hash: ChainHash,
}

/// Why a header could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Not hex.
    #[error("block header is not hex")]
    NotHex,
    /// Wrong length.
    #[error("block header is {0} bytes, expected {HEADER_LEN}")]
    Length(usize),
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        head.try_into().expect("split_at gave N bytes")
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn hash(&mut self) -> ChainHash {
        ChainHash(self.take())
    }
}

impl BlockHeader {
    /// Decodes a header from its 560-character hex form.
    pub fn from_hex(hex_str: &str) -> Result<Self, HeaderError> {
        let bytes = hex::decode(hex_str).map_err(|_| HeaderError::NotHex)?;
        Self::from_bytes(&bytes)
    }

    /// Decodes a header from its 280 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HeaderError> {
        if bytes.len() != HEADER_LEN {
            return Err(HeaderError::Length(bytes.len()));
        }
        let mut r = Reader(bytes);
        Ok(BlockHeader {
            version: i32::from_le_bytes(r.take()),
            prev_block: r.hash(),
            merkle_root: r.hash(),
            stake_root: r.hash(),
            vote_bits: r.u16(),
            final_state: r.take(),
            voters: r.u16(),
            fresh_stake: r.take::<1>()[0],
            revocations: r.take::<1>()[0],
            pool_size: r.u32(),
            bits: r.u32(),
            sbits: Amount::from_atoms(i64::from_le_bytes(r.take())),
            height: r.u32(),
            size: r.u32(),
            timestamp: r.u32(),
            nonce: r.u32(),
            extra_data: r.take(),
            stake_version: r.u32(),
            equihash_solution: r.take::<EQUIHASH_SOLUTION_LEN>().to_vec(),
            hash: ChainHash::of(bytes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Header of simnet block 147 (fixture node-getblockheader-hex.json).
    const HDR: &str = "09000000f5f62fc758d895d4fa6f69f615d62a0ad0ee0d9d7fee66ea1968cace69a60400c5349c557e29caf613003e79b971c739682d13ef2618a53f8207040ec88dcd009b2b568fc78852094b11285da691cd249cd5c03d441faafc64920ab44eb093cb0100687b1ad2663205000100f8020000860d081f6bdaaa860c000000930000008b0a00004578056be000000022210862d4b61c8b0000000000000000000000000000000000000000000000000000000000e0c0b7417d3951a0155532df21af1615c34ddd9b969b2e4f13df5cde711ee7379ee1ef00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn decodes_block_147() {
        let h = BlockHeader::from_hex(HDR).unwrap();
        assert_eq!(
            h.hash.to_string(),
            "0002568aee899d291c07536308edae444824648a8ade859a1574e3b3f3c21be4"
        );
        assert_eq!(h.height, 147);
        assert_eq!(h.version, 9);
        assert_eq!(
            h.prev_block.to_string(),
            "0004a669ceca6819ea66ee7f9d0deed00a2ad615f6696ffad495d858c72ff6f5"
        );
        assert_eq!(h.voters, 5);
        assert_eq!(h.fresh_stake, 1);
        assert_eq!(h.pool_size, 760);
        assert_eq!(h.bits, 0x1f080d86);
        assert_eq!(h.sbits, Amount::from_atoms(53_798_951_531));
        assert_eq!(h.size, 2699);
        assert_eq!(h.timestamp, 1_795_520_581);
        assert_eq!(h.nonce, 224);
        assert_eq!(hex::encode(h.final_state), "687b1ad26632");
        assert_eq!(h.equihash_solution.len(), EQUIHASH_SOLUTION_LEN);
    }

    #[test]
    fn rejects_bad_headers() {
        assert_eq!(BlockHeader::from_hex("zz"), Err(HeaderError::NotHex));
        assert_eq!(BlockHeader::from_hex("00"), Err(HeaderError::Length(1)));
    }
}
