//! base58check as EXCC uses it: `base58(version || payload || sha256d(version || payload)[..4])`.
//! The version is part of the checked bytes (2 bytes for addresses, 4 for HD keys).

use crate::error::ChainError;
use crate::hash::sha256d;

/// Encodes `data` (version bytes included) with a 4-byte SHA-256² checksum.
pub fn encode_check(data: &[u8]) -> String {
    let mut buf = Vec::with_capacity(data.len() + 4);
    buf.extend_from_slice(data);
    buf.extend_from_slice(&sha256d(data)[..4]);
    bs58::encode(buf).into_string()
}

/// Decodes a base58check string and verifies its checksum; returns the checked
/// bytes (version included, checksum removed).
pub fn decode_check(s: &str) -> Result<Vec<u8>, ChainError> {
    let raw = bs58::decode(s)
        .into_vec()
        .map_err(|e| ChainError::Base58(e.to_string()))?;
    if raw.len() < 5 {
        return Err(ChainError::Length {
            what: "base58check data",
            expected: 5,
            got: raw.len(),
        });
    }
    let (data, sum) = raw.split_at(raw.len() - 4);
    if sha256d(data)[..4] != *sum {
        return Err(ChainError::Checksum);
    }
    Ok(data.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn detects_a_changed_character() {
        let s = encode_check(&[0x0e, 0x91, 1, 2, 3]);
        let mut chars: Vec<char> = s.chars().collect();
        chars[3] = if chars[3] == 'a' { 'b' } else { 'a' };
        let bad: String = chars.into_iter().collect();
        assert_eq!(decode_check(&bad), Err(ChainError::Checksum));
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(any::<u8>(), 1..80)) {
            prop_assert_eq!(decode_check(&encode_check(&data)).unwrap(), data);
        }
    }
}
