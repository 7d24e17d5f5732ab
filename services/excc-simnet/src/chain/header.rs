//! The 280-byte EXCC block header (180 Decred-layout bytes + 100-byte Equihash
//! solution); the block hash is its single SHA-256.

pub use excc_chain::header::{
    BlockHeader as Header, EQUIHASH_SOLUTION_LEN as SOLUTION_LEN, HEADER_LEN, merkle_root,
};

/// Block version exccd 2.7.6 writes on simnet (observed 9).
pub const BLOCK_VERSION: i32 = 9;
/// Compact target we write: the easiest possible (the simulator does no proof of work).
pub const POW_LIMIT_BITS: u32 = 0x207f_ffff;

/// What `getblockheader` reports beyond the header's own fields.
pub trait HeaderExt {
    /// Difficulty relative to the simnet pow limit.
    fn difficulty(&self) -> f64;
}

impl HeaderExt for Header {
    /// Difficulty relative to the simnet pow limit, as `getblockheader` reports it.
    fn difficulty(&self) -> f64 {
        let target = |bits: u32| {
            let exp = (bits >> 24) as i32;
            let mant = f64::from(bits & 0x00ff_ffff);
            mant * 2f64.powi(8 * (exp - 3))
        };
        target(POW_LIMIT_BITS) / target(self.bits)
    }
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
