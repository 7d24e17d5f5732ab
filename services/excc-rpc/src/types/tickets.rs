//! Ticket lists and the `existslivetickets` bitset.

use excc_chain::ChainHash;
use serde::{Deserialize, Serialize};

use super::serde_util::null_as_empty;

/// `livetickets`, `missedtickets`, `ticketsforaddress` (node and wallet): `{"tickets":[…]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketList {
    /// Ticket hashes (a `null` from the server reads as empty).
    #[serde(deserialize_with = "null_as_empty")]
    pub tickets: Vec<ChainHash>,
}

/// A malformed `existslivetickets` bitset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BitsetError {
    /// Not hex.
    #[error("bitset {0:?} is not hex")]
    NotHex(String),
    /// Fewer bytes than needed for the number of hashes asked about.
    #[error("bitset {hex:?} has {bytes} byte(s), {count} hashes need {needed}")]
    TooShort {
        /// The bitset as received.
        hex: String,
        /// Its length in bytes.
        bytes: usize,
        /// Number of hashes asked about.
        count: usize,
        /// Bytes needed.
        needed: usize,
    },
}

/// Decodes exccd's `existslivetickets`/`existsmissedtickets` answer: bit `i`
/// (LSB first within byte `i/8`) set ⇔ `hashes[i]` is in the set.
/// `"0d"` for four hashes → `[true, false, true, true]`.
pub fn decode_exists_bitset(hex_str: &str, count: usize) -> Result<Vec<bool>, BitsetError> {
    let bytes = hex::decode(hex_str).map_err(|_| BitsetError::NotHex(hex_str.into()))?;
    let needed = count.div_ceil(8);
    if bytes.len() < needed {
        return Err(BitsetError::TooShort {
            hex: hex_str.into(),
            bytes: bytes.len(),
            count,
            needed,
        });
    }
    Ok((0..count)
        .map(|i| bytes[i / 8] & (1 << (i % 8)) != 0)
        .collect())
}

/// Encodes flags the way exccd does (the inverse of [`decode_exists_bitset`]).
pub fn encode_exists_bitset(flags: &[bool]) -> String {
    let mut bytes = vec![0u8; flags.len().div_ceil(8)];
    for (i, &f) in flags.iter().enumerate() {
        if f {
            bytes[i / 8] |= 1 << (i % 8);
        }
    }
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitset_matches_observed_values() {
        assert_eq!(
            decode_exists_bitset("05", 3).unwrap(),
            vec![true, false, true]
        );
        assert_eq!(
            decode_exists_bitset("0d", 4).unwrap(),
            vec![true, false, true, true]
        );
        assert_eq!(encode_exists_bitset(&[true, false, true, true]), "0d");
        let nine = [true, false, false, false, false, false, false, false, true];
        assert_eq!(encode_exists_bitset(&nine), "0101");
        assert_eq!(decode_exists_bitset("0101", 9).unwrap(), nine);
        assert!(matches!(
            decode_exists_bitset("01", 9),
            Err(BitsetError::TooShort { needed: 2, .. })
        ));
        assert!(decode_exists_bitset("zz", 1).is_err());
    }

    #[test]
    fn null_ticket_list_reads_as_empty() {
        let t: TicketList = serde_json::from_str(r#"{"tickets":null}"#).unwrap();
        assert!(t.tickets.is_empty());
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"tickets":[]}"#);
    }
}
