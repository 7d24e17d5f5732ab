//! Floats that serialise like Go's `encoding/json`.
//!
//! exccd and exccwallet are Go programs: a `float64` of `1000` is written as
//! `1000`, not `1000.0`, and `7.5` as `7.5`. Request parameters (the
//! `purchaseticket` spend limit and pool fee) and every amount in a result use
//! these helpers so the client sends, and the simulator answers, what the real
//! software does. Integral values up to 2^53 are written as JSON integers;
//! everything else as the shortest round-tripping float (what Go does too, except
//! that Go switches to exponent notation below 1e-6 where serde_json already does
//! below 1e-5: same value, different spelling).

use excc_chain::Amount;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest integer an `f64` holds exactly.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

/// An `f64` that serialises like Go (`1000`, `7.5`).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct GoFloat(pub f64);

impl Serialize for GoFloat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_f64(self.0, s)
    }
}

impl<'de> Deserialize<'de> for GoFloat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        f64::deserialize(d).map(GoFloat)
    }
}

impl From<f64> for GoFloat {
    fn from(v: f64) -> Self {
        GoFloat(v)
    }
}

/// Serialises `v` as Go would: integral values as integers.
pub fn serialize_f64<S: Serializer>(v: f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite()
        && v.fract() == 0.0
        && v.abs() <= MAX_EXACT
        && !(v == 0.0 && v.is_sign_negative())
    {
        s.serialize_i64(v as i64)
    } else {
        s.serialize_f64(v)
    }
}

/// `#[serde(with = "gofloat::float")]` for plain `f64` fields.
pub mod float {
    use super::*;

    /// Serialises like Go.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        serialize_f64(*v, s)
    }

    /// Reads any JSON number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        f64::deserialize(d)
    }
}

/// `#[serde(with = "gofloat::amount")]` for [`Amount`] fields (JSON float of EXCC).
pub mod amount {
    use super::*;

    /// Serialises the amount in EXCC like Go (`0`, `537.98951531`).
    pub fn serialize<S: Serializer>(v: &Amount, s: S) -> Result<S::Ok, S::Error> {
        serialize_f64(v.to_excc_f64(), s)
    }

    /// Reads a JSON number of EXCC, rounding to the nearest atom.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        Amount::deserialize(d)
    }
}

/// `#[serde(with = "gofloat::amount_opt", default, skip_serializing_if = "Option::is_none")]`
/// for optional amounts (Go `*float64` with `omitempty`).
pub mod amount_opt {
    use super::*;

    /// Serialises `Some` like [`amount::serialize`]; `None` as `null`.
    pub fn serialize<S: Serializer>(v: &Option<Amount>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(a) => serialize_f64(a.to_excc_f64(), s),
            None => s.serialize_none(),
        }
    }

    /// Reads `null` or a JSON number of EXCC.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Amount>, D::Error> {
        Option::<Amount>::deserialize(d)
    }
}

/// `skip_serializing_if` helper: Go's `omitempty` on a float (omit `0`).
pub fn is_zero_amount(a: &Amount) -> bool {
    a.atoms() == 0
}

/// `skip_serializing_if` helper: Go's `omitempty` on a float (omit `0`).
pub fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_floats_have_no_fraction() {
        assert_eq!(serde_json::to_string(&GoFloat(1000.0)).unwrap(), "1000");
        assert_eq!(serde_json::to_string(&GoFloat(1.0)).unwrap(), "1");
        assert_eq!(serde_json::to_string(&GoFloat(7.5)).unwrap(), "7.5");
        assert_eq!(serde_json::to_string(&GoFloat(0.001)).unwrap(), "0.001");
        assert_eq!(serde_json::to_string(&GoFloat(-2.0)).unwrap(), "-2");
    }

    #[test]
    fn amounts_like_go() {
        #[derive(Serialize, Deserialize)]
        struct T {
            #[serde(with = "amount")]
            a: Amount,
        }
        let t: T = serde_json::from_str(r#"{"a":537.98951531}"#).unwrap();
        assert_eq!(t.a, Amount::from_atoms(53_798_951_531));
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"a":537.98951531}"#);
        let z = T { a: Amount::ZERO };
        assert_eq!(serde_json::to_string(&z).unwrap(), r#"{"a":0}"#);
    }
}
