//! The 280-byte EXCC block header (180 Decred-layout bytes + 100-byte Equihash
//! solution); the block hash is its single SHA-256.

use excc_chain::ChainHash;

pub const HEADER_LEN: usize = 280;
pub const SOLUTION_LEN: usize = 100;
/// Block version exccd 2.7.6 writes on simnet (observed 9).
pub const BLOCK_VERSION: i32 = 9;
/// Compact target we write: the easiest possible (the simulator does no proof of work).
pub const POW_LIMIT_BITS: u32 = 0x207f_ffff;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub version: i32,
    pub prev_block: ChainHash,
    pub merkle_root: ChainHash,
    pub stake_root: ChainHash,
    pub vote_bits: u16,
    pub final_state: [u8; 6],
    pub voters: u16,
    pub fresh_stake: u8,
    pub revocations: u8,
    pub pool_size: u32,
    pub bits: u32,
    pub sbits: i64,
    pub height: u32,
    pub size: u32,
    pub timestamp: u32,
    pub nonce: u32,
    pub extra_data: [u8; 32],
    pub stake_version: u32,
    pub solution: [u8; SOLUTION_LEN],
}

impl Header {
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
        b.extend_from_slice(&self.solution);
        b.try_into().expect("280 bytes")
    }

    pub fn parse(b: &[u8]) -> Option<Header> {
        if b.len() != HEADER_LEN {
            return None;
        }
        let u16_at = |i: usize| u16::from_le_bytes(b[i..i + 2].try_into().expect("2"));
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4"));
        let hash_at = |i: usize| ChainHash(b[i..i + 32].try_into().expect("32"));
        Some(Header {
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
            solution: b[180..280].try_into().expect("100"),
        })
    }

    pub fn hash(&self) -> ChainHash {
        ChainHash::of(&self.serialize())
    }

    /// Difficulty relative to the simnet pow limit, as `getblockheader` reports it.
    pub fn difficulty(&self) -> f64 {
        let target = |bits: u32| {
            let exp = (bits >> 24) as i32;
            let mant = f64::from(bits & 0x00ff_ffff);
            mant * 2f64.powi(8 * (exp - 3))
        };
        target(POW_LIMIT_BITS) / target(self.bits)
    }
}

/// Merkle root over ids with single SHA-256 (EXCC's `chainhash.HashH`).
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

    const CAPTURED: &str = "09000000f5f62fc758d895d4fa6f69f615d62a0ad0ee0d9d7fee66ea1968cace69a60400c5349c557e29caf613003e79b971c739682d13ef2618a53f8207040ec88dcd009b2b568fc78852094b11285da691cd249cd5c03d441faafc64920ab44eb093cb0100687b1ad2663205000100f8020000860d081f6bdaaa860c000000930000008b0a00004578056be000000022210862d4b61c8b0000000000000000000000000000000000000000000000000000000000e0c0b7417d3951a0155532df21af1615c34ddd9b969b2e4f13df5cde711ee7379ee1ef00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn captured_header_parses_and_hashes_like_exccd() {
        let bytes = hex::decode(CAPTURED).unwrap();
        let h = Header::parse(&bytes).unwrap();
        assert_eq!(h.height, 147);
        assert_eq!(h.voters, 5);
        assert_eq!(h.pool_size, 760);
        assert_eq!(h.sbits, 53_798_951_531);
        assert_eq!(h.serialize().to_vec(), bytes);
        assert_eq!(
            h.hash().to_string(),
            "0002568aee899d291c07536308edae444824648a8ade859a1574e3b3f3c21be4"
        );
        assert_eq!(
            h.prev_block.to_string(),
            "0004a669ceca6819ea66ee7f9d0deed00a2ad615f6696ffad495d858c72ff6f5"
        );
    }
}
