//! The 280-byte EXCC block header: the 180-byte Decred layout followed by a
//! 100-byte Equihash solution. The block hash is the single SHA-256 of all 280
//! bytes; merkle roots use single SHA-256 too (exccd `chainhash.HashH`).

use crate::amount::Amount;
use crate::error::ChainError;
use crate::hash::ChainHash;

/// Serialised header length.
pub const HEADER_LEN: usize = 280;
/// Equihash solution length at the end of the header.
pub const EQUIHASH_SOLUTION_LEN: usize = 100;

/// A block header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    pub version: i32,
    pub prev_block: ChainHash,
    /// Regular-tree merkle root.
    pub merkle_root: ChainHash,
    /// Stake-tree merkle root.
    pub stake_root: ChainHash,
    pub vote_bits: u16,
    /// Final lottery state.
    pub final_state: [u8; 6],
    /// Votes in the block.
    pub voters: u16,
    /// New tickets in the block.
    pub fresh_stake: u8,
    pub revocations: u8,
    /// Live ticket pool size.
    pub pool_size: u32,
    /// Compact proof-of-work target.
    pub bits: u32,
    /// Stake difficulty (ticket price) in atoms.
    pub sbits: i64,
    pub height: u32,
    pub size: u32,
    /// Unix seconds.
    pub timestamp: u32,
    pub nonce: u32,
    pub extra_data: [u8; 32],
    pub stake_version: u32,
    pub equihash_solution: [u8; EQUIHASH_SOLUTION_LEN],
}

impl BlockHeader {
    pub fn serialize(&self) -> [u8; HEADER_LEN] {
        let mut b = Vec::with_capacity(HEADER_LEN);
        b.extend_from_slice(&self.version.to_le_bytes());
        b.extend_from_slice(self.prev_block.as_bytes());
        b.extend_from_slice(self.merkle_root.as_bytes());
        b.extend_from_slice(self.stake_root.as_bytes());
        b.extend_from_slice(&self.vote_bits.to_le_bytes());
        b.extend_from_slice(&self.final_state);
        b.extend_from_slice(&self.voters.to_le_bytes());
        b.push(self.fresh_stake);
        b.push(self.revocations);
        b.extend_from_slice(&self.pool_size.to_le_bytes());
        b.extend_from_slice(&self.bits.to_le_bytes());
        b.extend_from_slice(&self.sbits.to_le_bytes());
        b.extend_from_slice(&self.height.to_le_bytes());
        b.extend_from_slice(&self.size.to_le_bytes());
        b.extend_from_slice(&self.timestamp.to_le_bytes());
        b.extend_from_slice(&self.nonce.to_le_bytes());
        b.extend_from_slice(&self.extra_data);
        b.extend_from_slice(&self.stake_version.to_le_bytes());
        b.extend_from_slice(&self.equihash_solution);
        b.try_into().expect("280 bytes")
    }

    /// Decodes the 280 serialised bytes.
    pub fn parse(b: &[u8]) -> Result<Self, ChainError> {
        if b.len() != HEADER_LEN {
            return Err(ChainError::Length {
                what: "block header",
                expected: HEADER_LEN,
                got: b.len(),
            });
        }
        let u16_at = |i: usize| u16::from_le_bytes(b[i..i + 2].try_into().expect("2"));
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4"));
        let hash_at = |i: usize| ChainHash(b[i..i + 32].try_into().expect("32"));
        Ok(BlockHeader {
            version: u32_at(0) as i32,
            prev_block: hash_at(4),
            merkle_root: hash_at(36),
            stake_root: hash_at(68),
            vote_bits: u16_at(100),
            final_state: b[102..108].try_into().expect("6"),
            voters: u16_at(108),
            fresh_stake: b[110],
            revocations: b[111],
            pool_size: u32_at(112),
            bits: u32_at(116),
            sbits: i64::from_le_bytes(b[120..128].try_into().expect("8")),
            height: u32_at(128),
            size: u32_at(132),
            timestamp: u32_at(136),
            nonce: u32_at(140),
            extra_data: b[144..176].try_into().expect("32"),
            stake_version: u32_at(176),
            equihash_solution: b[180..280].try_into().expect("100"),
        })
    }

    /// Decodes the 560-character hex form (`getblockheader h false`, `blockconnected`).
    pub fn from_hex(s: &str) -> Result<Self, ChainError> {
        let bytes = hex::decode(s.trim())
            .map_err(|e| ChainError::Script(format!("block header is not hex: {e}")))?;
        Self::parse(&bytes)
    }

    /// The block hash: SHA-256 of the 280 bytes.
    pub fn hash(&self) -> ChainHash {
        ChainHash::of(&self.serialize())
    }

    /// The stake difficulty (ticket price).
    pub fn stake_difficulty(&self) -> Amount {
        Amount(self.sbits)
    }
}

/// Merkle root over transaction ids with single SHA-256 (duplicating the last
/// id of an odd level, as Bitcoin and Decred do).
pub fn merkle_root(ids: &[ChainHash]) -> ChainHash {
    if ids.is_empty() {
        return ChainHash([0; 32]);
    }
    let mut level: Vec<ChainHash> = ids.to_vec();
    while level.len() > 1 {
        if level.len() % 2 == 1 {
            level.push(*level.last().expect("non-empty"));
        }
        level = level
            .chunks(2)
            .map(|p| {
                let mut buf = [0u8; 64];
                buf[..32].copy_from_slice(p[0].as_bytes());
                buf[32..].copy_from_slice(p[1].as_bytes());
                ChainHash::of(&buf)
            })
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    // Header of simnet block 147 (fixture node-getblockheader-hex.json).
    const HDR: &str = "09000000f5f62fc758d895d4fa6f69f615d62a0ad0ee0d9d7fee66ea1968cace69a60400c5349c557e29caf613003e79b971c739682d13ef2618a53f8207040ec88dcd009b2b568fc78852094b11285da691cd249cd5c03d441faafc64920ab44eb093cb0100687b1ad2663205000100f8020000860d081f6bdaaa860c000000930000008b0a00004578056be000000022210862d4b61c8b0000000000000000000000000000000000000000000000000000000000e0c0b7417d3951a0155532df21af1615c34ddd9b969b2e4f13df5cde711ee7379ee1ef00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn decodes_and_hashes_block_147_like_exccd() {
        let h = BlockHeader::from_hex(HDR).unwrap();
        assert_eq!(
            h.hash().to_string(),
            "0002568aee899d291c07536308edae444824648a8ade859a1574e3b3f3c21be4"
        );
        assert_eq!(
            h.prev_block.to_string(),
            "0004a669ceca6819ea66ee7f9d0deed00a2ad615f6696ffad495d858c72ff6f5"
        );
        assert_eq!(
            (h.height, h.version, h.voters, h.fresh_stake, h.pool_size),
            (147, 9, 5, 1, 760)
        );
        assert_eq!(
            (h.bits, h.size, h.timestamp, h.nonce),
            (0x1f08_0d86, 2699, 1_795_520_581, 224)
        );
        assert_eq!(h.stake_difficulty(), Amount(53_798_951_531));
        assert_eq!(hex::encode(h.final_state), "687b1ad26632");
        assert_eq!(hex::encode(h.serialize()), HDR);
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(
            BlockHeader::from_hex("zz")
                .unwrap_err()
                .to_string()
                .contains("not hex")
        );
        assert!(
            BlockHeader::from_hex("00")
                .unwrap_err()
                .to_string()
                .contains("280 bytes")
        );
    }

    #[test]
    fn merkle_root_of_one_is_the_id() {
        let id = ChainHash([7; 32]);
        assert_eq!(merkle_root(&[id]), id);
        assert_ne!(merkle_root(&[id, id]), id);
    }
}
