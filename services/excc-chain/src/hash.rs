//! Hash functions of EXCC (SHA-256 based, unlike Decred's BLAKE-256) and the
//! 32-byte chain hash type used for transaction and block ids.

use std::fmt;
use std::str::FromStr;

use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use crate::error::ChainError;

/// Single SHA-256 (`chainhash.HashB`).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Double SHA-256 (`chainhash.DoubleHashB`), used by base58check checksums.
pub fn sha256d(data: &[u8]) -> [u8; 32] {
    sha256(&sha256(data))
}

/// Hash160 = RIPEMD160(SHA-256(data)): P2PKH and P2SH payloads, BIP32 fingerprints.
pub fn hash160(data: &[u8]) -> [u8; 20] {
    Ripemd160::digest(sha256(data)).into()
}

/// A transaction or block hash. Stored in internal byte order; displayed and parsed
/// as byte-reversed hex, exactly like exccd's `chainhash.Hash.String()`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// The hash of `data` (single SHA-256), as exccd computes tx and block ids.
    pub fn of(data: &[u8]) -> Self {
        ChainHash(sha256(data))
    }

    /// Bytes in internal (wire) order.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// True for the all-zero hash (what `spentby` shows for an unspent ticket).
    pub fn is_zero(&self) -> bool {
        self.0 == [0u8; 32]
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rev = self.0;
        rev.reverse();
        f.write_str(&hex::encode(rev))
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({self})")
    }
}

impl FromStr for ChainHash {
    type Err = ChainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 64 {
            return Err(ChainError::BadHash(format!(
                "expected 64 hex characters, got {}",
                s.len()
            )));
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes).map_err(|e| ChainError::BadHash(e.to_string()))?;
        bytes.reverse();
        Ok(ChainHash(bytes))
    }
}

impl serde::Serialize for ChainHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ChainHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_hash_round_trips_reversed_hex() {
        let s = "0002568aee899d291c07536308edae444824648a8ade859a1574e3b3f3c21be4";
        let h: ChainHash = s.parse().unwrap();
        assert_eq!(h.0[31], 0x00);
        assert_eq!(h.0[0], 0xe4);
        assert_eq!(h.to_string(), s);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{s}\""));
        assert_eq!(serde_json::from_str::<ChainHash>(&json).unwrap(), h);
    }

    #[test]
    fn chain_hash_rejects_bad_input() {
        assert!("00".parse::<ChainHash>().is_err());
        assert!("zz".repeat(32).parse::<ChainHash>().is_err());
    }

    #[test]
    fn hash160_is_ripemd_of_sha256() {
        // RIPEMD160(SHA256("")) is a well-known constant.
        assert_eq!(
            hex::encode(hash160(b"")),
            "b472a266d0bd89c13706a4132ccfb16f7c3b9fcb"
        );
    }
}
