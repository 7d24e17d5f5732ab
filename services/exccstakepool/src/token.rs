//! API tokens: the JWT wallets (Exilibrium) keep and send as `Authorization: Bearer …`,
//! compatible with the legacy pool's (`{"alg":"HS256","typ":"JWT"}`, claims `iat`, `iss`,
//! `loggedInAs`) plus a random `jti`, so that every token issued is new even within one
//! second. Unlike the legacy pool, only HS256 is accepted and a token must also equal the one
//! stored for its user (compared in constant time): replacing the stored token revokes the
//! old one.
//!
//! Tokens moved from the legacy Go pool (`exccstakepool migrate-legacy`) are signed with its
//! `apisecret`: with `legacy_api_secret_file` in the config, [`user_of_any`] accepts them too
//! (still only while equal to the stored one), until the user gets a new token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A new token for `user_id`, issued by `issuer` (the pool's base URL) at `iat`, with a
/// random id.
pub fn issue(secret: &[u8], issuer: &str, user_id: i64, iat: i64) -> String {
    let jti = hex::encode(random_bytes::<16>());
    // Claims in alphabetical key order, like the legacy pool's.
    let claims =
        serde_json::json!({ "iat": iat, "iss": issuer, "jti": jti, "loggedInAs": user_id });
    let signing_input = format!("{}.{}", B64.encode(HEADER), B64.encode(claims.to_string()));
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        B64.encode(mac.finalize().into_bytes())
    )
}

/// The user id of a well-signed HS256 token whose `iat` is not in the future, else `None`.
/// The caller must still compare the token with the user's stored one ([`same`]).
pub fn user_of(secret: &[u8], token: &str, now: i64) -> Option<i64> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: serde_json::Value = serde_json::from_slice(&B64.decode(h).ok()?).ok()?;
    if header["alg"] != "HS256" {
        return None;
    }
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(format!("{h}.{c}").as_bytes());
    mac.verify_slice(&B64.decode(s).ok()?).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&B64.decode(c).ok()?).ok()?;
    if claims["iat"].as_i64().is_some_and(|iat| iat > now + 60) {
        return None;
    }
    if claims["exp"].as_i64().is_some_and(|exp| exp < now) {
        return None;
    }
    claims["loggedInAs"].as_i64()
}

/// [`user_of`] with the pool's `secret` or, for a token the legacy pool issued, its
/// `legacy` secret (`legacy_api_secret_file`). The caller still compares the token with the
/// stored one ([`same`]).
pub fn user_of_any(secret: &[u8], legacy: Option<&[u8]>, token: &str, now: i64) -> Option<i64> {
    user_of(secret, token, now).or_else(|| legacy.and_then(|old| user_of(old, token, now)))
}

/// `N` random bytes from the kernel.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    std::io::Read::read_exact(
        &mut std::fs::File::open("/dev/urandom").expect("/dev/urandom"),
        &mut b,
    )
    .expect("reading /dev/urandom");
    b
}

/// Constant-time equality of two tokens.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_tampering_fails() {
        let t = issue(b"secret", "https://pool.example", 7, 1_700_000_000);
        assert_eq!(t.split('.').count(), 3);
        assert_eq!(user_of(b"secret", &t, 1_700_000_100), Some(7));
        assert_eq!(user_of(b"other", &t, 1_700_000_100), None);
        // Issued in the future.
        assert_eq!(user_of(b"secret", &t, 1_600_000_000), None);
        // Another user id with the old signature.
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged =
            B64.encode(r#"{"iat":1700000000,"iss":"https://pool.example","loggedInAs":8}"#);
        parts[1] = &forged;
        assert_eq!(user_of(b"secret", &parts.join("."), 1_700_000_100), None);
        // "none" and other algorithms are refused even with a valid MAC over the parts.
        let none = format!(
            "{}.{}.",
            B64.encode(r#"{"alg":"none"}"#),
            t.split('.').nth(1).unwrap()
        );
        assert_eq!(user_of(b"secret", &none, 1_700_000_100), None);
        assert!(same(&t, &t.clone()));
        assert!(!same(&t, &t[1..]));
    }

    /// A token as the legacy pool made it (no `jti`) verifies with the legacy secret only.
    #[test]
    fn legacy_tokens_verify_with_the_legacy_secret() {
        let claims = r#"{"iat":1600000000,"iss":"https://old.example","loggedInAs":3}"#;
        let input = format!("{}.{}", B64.encode(HEADER), B64.encode(claims));
        let mut mac = HmacSha256::new_from_slice(b"old secret").unwrap();
        mac.update(input.as_bytes());
        let t = format!("{input}.{}", B64.encode(mac.finalize().into_bytes()));
        let now = 1_700_000_000;
        assert_eq!(user_of(b"new secret", &t, now), None);
        assert_eq!(user_of_any(b"new secret", None, &t, now), None);
        assert_eq!(
            user_of_any(b"new secret", Some(b"old secret"), &t, now),
            Some(3)
        );
        assert_eq!(user_of_any(b"new secret", Some(b"other"), &t, now), None);
        let new = issue(b"new secret", "https://x", 4, now);
        assert_eq!(
            user_of_any(b"new secret", Some(b"old secret"), &new, now),
            Some(4)
        );
    }

    #[test]
    fn the_legacy_claims_layout_with_a_random_id() {
        let claims =
            |t: &str| String::from_utf8(B64.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap();
        let (a, b) = (
            issue(b"k", "https://x", 1, 2),
            issue(b"k", "https://x", 1, 2),
        );
        assert_ne!(a, b, "two tokens of one second are different");
        let c = claims(&a);
        let jti = &c[c.find(r#""jti":""#).unwrap() + 7..][..32];
        assert!(jti.bytes().all(|b| b.is_ascii_hexdigit()), "{c}");
        assert_eq!(
            c,
            format!(r#"{{"iat":2,"iss":"https://x","jti":"{jti}","loggedInAs":1}}"#)
        );
    }
}
