//! secp256k1 public keys in the encodings EXCC uses.

use std::fmt;

use k256::elliptic_curve::sec1::ToEncodedPoint;

use crate::error::ChainError;

/// A valid (on-curve) compressed secp256k1 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PubKey([u8; 33]);

impl PubKey {
    /// Parses a SEC1 key (33-byte compressed or 65-byte uncompressed) and checks it is on the curve.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, ChainError> {
        let key = k256::PublicKey::from_sec1_bytes(bytes)
            .map_err(|_| ChainError::BadPubKey("not a point on secp256k1".into()))?;
        Ok(Self::from_k256(&key))
    }

    /// Parses 66 or 130 hex characters (what `createmultisig` also accepts).
    pub fn from_hex(s: &str) -> Result<Self, ChainError> {
        let bytes = hex::decode(s).map_err(|e| ChainError::BadPubKey(e.to_string()))?;
        Self::from_sec1(&bytes)
    }

    pub(crate) fn from_k256(key: &k256::PublicKey) -> Self {
        let enc = key.to_encoded_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(enc.as_bytes());
        PubKey(out)
    }

    pub(crate) fn to_k256(self) -> k256::PublicKey {
        k256::PublicKey::from_sec1_bytes(&self.0).expect("PubKey is always a valid point")
    }

    /// Decodes the 33-byte P2PK address payload: `(0x00 | 0x80 if Y is odd) || X`.
    pub fn from_p2pk_payload(payload: &[u8]) -> Result<Self, ChainError> {
        if payload.len() != 33 {
            return Err(ChainError::Length {
                what: "pubkey address payload",
                expected: 33,
                got: payload.len(),
            });
        }
        let suite = payload[0] & 0x7f;
        if suite != 0 {
            return Err(ChainError::BadPubKey(format!(
                "signature suite {suite} is not secp256k1 ECDSA (0)"
            )));
        }
        let mut sec = [0u8; 33];
        sec[0] = if payload[0] & 0x80 != 0 { 0x03 } else { 0x02 };
        sec[1..].copy_from_slice(&payload[1..]);
        Self::from_sec1(&sec)
    }

    /// The 33-byte P2PK address payload.
    pub fn to_p2pk_payload(&self) -> [u8; 33] {
        let mut out = self.0;
        out[0] = if self.0[0] == 0x03 { 0x80 } else { 0x00 };
        out
    }

    /// Compressed SEC1 bytes.
    pub fn serialize(&self) -> [u8; 33] {
        self.0
    }
}

impl fmt::Debug for PubKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PubKey({})", hex::encode(self.0))
    }
}

impl fmt::Display for PubKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}
