//! Small serde helpers reproducing Go `encoding/json` conventions.

use excc_chain::ChainHash;
use serde::{Deserialize, Deserializer, Serializer};

/// Go `omitempty` on an integer: omit zero.
pub fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Go `omitempty` on a bool: omit `false`.
pub fn is_false(v: &bool) -> bool {
    !*v
}

/// Deserialises a Go slice that may be `null` (nil) as an empty `Vec`.
pub fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A hash field that Go writes as `""` when unset (e.g. `gettransaction`
/// `blockhash` of an unmined transaction): `""` ⇔ `None`.
pub mod hash_or_empty {
    use super::*;

    /// `None` → `""`, `Some(h)` → hex.
    pub fn serialize<S: Serializer>(v: &Option<ChainHash>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(h) => s.collect_str(h),
            None => s.serialize_str(""),
        }
    }

    /// `""` or `null` → `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ChainHash>, D::Error> {
        let s = Option::<String>::deserialize(d)?.unwrap_or_default();
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse().map(Some).map_err(serde::de::Error::custom)
        }
    }
}
