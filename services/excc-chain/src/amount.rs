//! Amounts in atoms (1 EXCC = 100 000 000 atoms) with exact decimal formatting and parsing.

use std::fmt;
use std::str::FromStr;

use crate::error::ChainError;

/// Atoms per EXCC.
pub const ATOMS_PER_COIN: i64 = 100_000_000;
/// Largest amount that can exist (21 million EXCC, like `dcrutil.MaxAmount`).
pub const MAX_ATOMS: i64 = 21_000_000 * ATOMS_PER_COIN;

/// An amount of EXCC in atoms. Displays as an exact decimal with eight places
/// (`2.31041222`); parses decimal strings exactly, never through floating point.
/// Serialises to JSON as a number of EXCC, as exccd and exccwallet do.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Amount(pub i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub fn from_atoms(atoms: i64) -> Self {
        Amount(atoms)
    }

    pub fn atoms(self) -> i64 {
        self.0
    }

    /// Converts a JSON float of EXCC (as exccd writes them) to atoms, rounding to
    /// the nearest atom like `dcrutil.NewAmount`. Rejects NaN, infinities and
    /// values beyond the maximum supply.
    pub fn from_excc_f64(excc: f64) -> Result<Self, ChainError> {
        let bad = |reason: &str| ChainError::Amount {
            input: excc.to_string(),
            reason: reason.into(),
        };
        if !excc.is_finite() {
            return Err(bad("not a finite number"));
        }
        let atoms = (excc * ATOMS_PER_COIN as f64).round();
        if atoms.abs() > MAX_ATOMS as f64 {
            return Err(bad("exceeds the 21 million EXCC supply"));
        }
        Ok(Amount(atoms as i64))
    }

    /// The amount as a float of EXCC, for JSON-RPC parameters.
    pub fn to_excc_f64(self) -> f64 {
        self.0 as f64 / ATOMS_PER_COIN as f64
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let per = ATOMS_PER_COIN as u64;
        write!(f, "{sign}{}.{:08}", abs / per, abs % per)
    }
}

impl FromStr for Amount {
    type Err = ChainError;

    /// Parses `"2.31041222"`, `"7"`, `"-0.5"`, optionally followed by `" EXCC"`.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| ChainError::Amount {
            input: input.into(),
            reason: reason.into(),
        };
        let s = input.trim();
        let s = s.strip_suffix("EXCC").map(str::trim_end).unwrap_or(s);
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(bad("no digits"));
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("only digits and one decimal point are allowed"));
        }
        if frac.len() > 8 {
            return Err(bad("more than 8 decimal places (1 atom = 0.00000001 EXCC)"));
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| bad("exceeds the 21 million EXCC supply"))?
        };
        let frac_atoms: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<8}")
                .parse()
                .map_err(|_| bad("bad decimals"))?
        };
        let atoms = whole
            .checked_mul(ATOMS_PER_COIN)
            .and_then(|w| w.checked_add(frac_atoms))
            .filter(|a| *a <= MAX_ATOMS)
            .ok_or_else(|| bad("exceeds the 21 million EXCC supply"))?;
        Ok(Amount(if neg { -atoms } else { atoms }))
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_excc_f64())
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Amount::from_excc_f64(v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_exactly() {
        assert_eq!(Amount(231_041_222).to_string(), "2.31041222");
        assert_eq!(Amount(-5).to_string(), "-0.00000005");
        assert_eq!(Amount(0).to_string(), "0.00000000");
    }

    #[test]
    fn parses_exactly() {
        assert_eq!("2.31041222".parse::<Amount>().unwrap(), Amount(231_041_222));
        assert_eq!("7.5".parse::<Amount>().unwrap(), Amount(750_000_000));
        assert_eq!("7".parse::<Amount>().unwrap(), Amount(700_000_000));
        assert_eq!(".5 EXCC".parse::<Amount>().unwrap(), Amount(50_000_000));
        assert_eq!("-1".parse::<Amount>().unwrap(), Amount(-100_000_000));
    }

    #[test]
    fn rejects_bad_amounts_with_reason() {
        for bad in [
            "",
            ".",
            "1.000000001",
            "1e5",
            "abc",
            "1.2.3",
            "99999999999999999999",
        ] {
            let err = bad.parse::<Amount>().unwrap_err().to_string();
            assert!(err.contains("invalid amount"), "{bad}: {err}");
        }
        assert!("21000001".parse::<Amount>().is_err());
    }

    #[test]
    fn json_floats_round_to_atoms() {
        let a: Amount = serde_json::from_str("537.98951531").unwrap();
        assert_eq!(a, Amount(53_798_951_531));
        assert_eq!(serde_json::to_string(&a).unwrap(), "537.98951531");
        assert!(Amount::from_excc_f64(f64::NAN).is_err());
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(atoms in -MAX_ATOMS..=MAX_ATOMS) {
            let a = Amount(atoms);
            prop_assert_eq!(a.to_string().parse::<Amount>().unwrap(), a);
        }

        #[test]
        fn float_round_trip(atoms in 0..=MAX_ATOMS) {
            let a = Amount(atoms);
            prop_assert_eq!(Amount::from_excc_f64(a.to_excc_f64()).unwrap(), a);
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = s.parse::<Amount>();
        }
    }
}
