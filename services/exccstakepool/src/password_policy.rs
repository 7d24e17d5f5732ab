//! What a new password must be (ASVS 2.1.1, 2.1.7): at least [`MIN_CHARS`] characters and
//! not one of the most common passwords (`data/common-passwords.txt`, shipped in the
//! binary), also not one of them with digits or symbols around it, nor a short piece
//! repeated (`passwordpassword`, `abcabcabcabc`).

use std::collections::HashSet;
use std::sync::LazyLock;

/// The fewest characters a password may have.
pub const MIN_CHARS: usize = 12;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with("# ") && !l.is_empty())
        .collect()
});

/// Why a password is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Weakness {
    Short,
    Common,
}

/// Whether `s` is `unit` repeated, for a common or very short `unit`.
fn repeats_something_weak(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    (1..=chars.len() / 2).any(|n| {
        chars.len().is_multiple_of(n) && chars.chunks(n).all(|c| c == &chars[..n]) && {
            let unit: String = chars[..n].iter().collect();
            n <= 4 || COMMON.contains(unit.as_str())
        }
    })
}

/// `Ok` when `password` may be used.
pub fn check(password: &str) -> Result<(), Weakness> {
    if password.chars().count() < MIN_CHARS {
        return Err(Weakness::Short);
    }
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let common = COMMON.contains(lower.as_str())
        || COMMON.contains(core)
        || repeats_something_weak(&lower)
        || repeats_something_weak(core);
    if common {
        Err(Weakness::Common)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_common_passwords_are_refused() {
        assert!(COMMON.len() >= 9_000, "{}", COMMON.len());
        assert_eq!(check("elevenchars"), Err(Weakness::Short));
        // Listed, whole or with digits and symbols around.
        for common in [
            "1qaz2wsx3edc",
            "QWERTY123456",
            "sunshine2024!",
            "2024-Football-2024",
            "passwordpassword",
            "abcabcabcabc",
            "zzzzzzzzzzzz",
            "123456123456",
        ] {
            assert_eq!(check(common), Err(Weakness::Common), "{common}");
        }
        for fine in [
            "correct horse battery",
            "long enough password",
            "Tr0ub4dor&3 staple",
        ] {
            assert_eq!(check(fine), Ok(()), "{fine}");
        }
    }
}
