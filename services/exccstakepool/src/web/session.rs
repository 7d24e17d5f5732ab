//! Sessions in a signed cookie (no server-side table): `user.epoch.expires.csrf.mac`,
//! HMAC-SHA256 under a key derived from the API secret. `epoch` is the account's session
//! epoch when the session began: a password or e-mail change moves it on, which ends every
//! older session of the account. Anonymous visitors get one too (user 0), so
//! the sign-up and sign-in forms carry a CSRF token. The cookie is HttpOnly, SameSite=Strict
//! and Secure when the pool's URL is https.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const COOKIE: &str = "exccstakepool_session";
/// A session lasts six hours.
pub const LIFETIME_SECS: i64 = 6 * 3600;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// 0 = not signed in.
    pub user: i64,
    /// The account's session epoch at sign-in.
    pub epoch: i64,
    pub expires: i64,
    /// The forms' CSRF token (32 hex characters).
    pub csrf: String,
}

fn mac(key: &[u8], body: &str) -> String {
    let mut m = HmacSha256::new_from_slice(key).expect("any key length");
    m.update(body.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// The cookie key for an API secret (a different key than the tokens').
pub fn key(api_secret: &[u8]) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(api_secret).expect("any key length");
    m.update(b"exccstakepool session cookie");
    m.finalize().into_bytes().to_vec()
}

impl Session {
    /// A fresh session for `user` (at its session `epoch`) with a new CSRF token.
    pub fn new(user: i64, epoch: i64, now: i64) -> Session {
        Session {
            user,
            epoch,
            expires: now + LIFETIME_SECS,
            csrf: hex::encode(crate::token::random_bytes::<16>()),
        }
    }

    /// The valid, unexpired session of a request, if any.
    pub fn from_headers(headers: &HeaderMap, key: &[u8], now: i64) -> Option<Session> {
        let value = headers
            .get_all("cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")))?;
        let (body, tag) = value.rsplit_once('.')?;
        if !crate::token::same(&mac(key, body), tag) {
            return None;
        }
        let mut parts = body.split('.');
        let user = parts.next()?.parse().ok()?;
        let epoch = parts.next()?.parse().ok()?;
        let expires: i64 = parts.next()?.parse().ok()?;
        let csrf = parts.next()?.to_owned();
        (expires > now && csrf.len() == 32).then_some(Session {
            user,
            epoch,
            expires,
            csrf,
        })
    }

    /// The `Set-Cookie` value carrying this session.
    pub fn cookie(&self, key: &[u8], secure: bool) -> String {
        let body = format!(
            "{}.{}.{}.{}",
            self.user, self.epoch, self.expires, self.csrf
        );
        format!(
            "{COOKIE}={body}.{}; Path=/; HttpOnly; SameSite=Strict; Max-Age={LIFETIME_SECS}{}",
            mac(key, &body),
            if secure { "; Secure" } else { "" }
        )
    }

    /// Whether a form's CSRF token is this session's (constant time).
    pub fn csrf_ok(&self, presented: &str) -> bool {
        crate::token::same(&self.csrf, presented)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("cookie", format!("a=b; {cookie}").parse().unwrap());
        h
    }

    #[test]
    fn signed_cookies_round_trip_and_tampering_fails() {
        let k = key(b"secret");
        let s = Session::new(7, 3, 1000);
        let set = s.cookie(&k, true);
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.ends_with("Secure")
        );
        let value = set.split(';').next().unwrap();
        assert_eq!(
            Session::from_headers(&headers(value), &k, 1001),
            Some(s.clone())
        );
        // Expired, another key, another user.
        assert_eq!(
            Session::from_headers(&headers(value), &k, 1000 + LIFETIME_SECS),
            None
        );
        assert_eq!(
            Session::from_headers(&headers(value), &key(b"other"), 1001),
            None
        );
        let forged = value.replacen("=7.", "=8.", 1);
        let older_epoch = value.replacen("=7.3.", "=7.2.", 1);
        assert_eq!(
            Session::from_headers(&headers(&older_epoch), &k, 1001),
            None
        );
        assert_eq!(Session::from_headers(&headers(&forged), &k, 1001), None);
        assert!(s.csrf_ok(&s.csrf.clone()) && !s.csrf_ok("0"));
    }
}
