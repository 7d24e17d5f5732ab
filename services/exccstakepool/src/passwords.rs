//! Account passwords: Argon2id (the crate's default parameters, 19 MiB, 2 passes) with a
//! random 16-byte salt, stored as `argon2id$SALT_HEX$HASH_HEX`; verification recomputes
//! and compares in constant time. Request handlers use [`hash_async`] and [`verify_async`]:
//! the work runs on Tokio's blocking threads, at most one per core at a time, so sign-in
//! floods queue up there and never stall the async workers that serve everything else.
//!
//! Accounts moved from the legacy Go pool (`exccstakepool migrate-legacy`) keep its bcrypt
//! hash (`$2a$10$…`) until their next sign-in: [`verify`] accepts it, [`is_legacy`] says
//! so, and the sign-in replaces it with an Argon2id hash ([`crate::accounts::sign_in`]).

use std::sync::LazyLock;

use argon2::Argon2;
use tokio::sync::Semaphore;

const PREFIX: &str = "argon2id";

fn derive(password: &str, salt: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    Argon2::default()
        .hash_password_into(password.as_bytes(), salt, &mut out)
        .expect("Argon2 with default parameters and a 16-byte salt");
    out
}

/// The stored form of `password`.
pub fn hash(password: &str) -> String {
    let salt: [u8; 16] = crate::token::random_bytes();
    format!(
        "{PREFIX}${}${}",
        hex::encode(salt),
        hex::encode(derive(password, &salt))
    )
}

/// Whether `stored` is a legacy bcrypt hash (to be replaced by an Argon2id one).
pub fn is_legacy(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|prefix| stored.starts_with(prefix))
}

/// Whether `password` matches `stored`, an Argon2id hash of ours or a legacy bcrypt hash (a
/// malformed `stored` never matches).
pub fn verify(password: &str, stored: &str) -> bool {
    if is_legacy(stored) {
        // Like Go's bcrypt, which made them: at most 72 bytes of the password count.
        return bcrypt::verify(password, stored).unwrap_or(false);
    }
    let mut parts = stored.split('$');
    let (Some(PREFIX), Some(salt), Some(want), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Ok(salt), Ok(want)) = (hex::decode(salt), hex::decode(want)) else {
        return false;
    };
    if salt.len() < 8 || want.len() != 32 {
        return false;
    }
    let got = derive(password, &salt);
    got.iter().zip(&want).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// One Argon2 computation per core at a time.
static SLOTS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get())));

/// Runs `work` on a blocking thread once a core is free.
async fn off_the_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let _slot = SLOTS
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(work)
        .await
        .expect("password hashing does not panic")
}

/// [`hash`] off the async workers.
pub async fn hash_async(password: &str) -> String {
    let password = password.to_owned();
    off_the_workers(move || hash(&password)).await
}

/// [`verify`] off the async workers.
pub async fn verify_async(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    off_the_workers(move || verify(&password, &stored)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let a = hash("correct horse");
        let b = hash("correct horse");
        assert_ne!(a, b);
        assert!(verify("correct horse", &a) && verify("correct horse", &b));
        assert!(!verify("correct hors", &a));
        assert!(!verify("correct horse", "argon2id$00$00"));
        assert!(!verify("x", ""));
    }

    /// On a runtime with one worker thread, a task spawned before a hash runs while the hash
    /// is computed: the hash does not hold the worker (review M1).
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_leaves_the_async_worker_free() {
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let o = std::sync::Arc::clone(&order);
        let other = tokio::spawn(async move { o.lock().unwrap().push("other task") });
        let stored = hash_async("correct horse").await;
        order.lock().unwrap().push("hash done");
        other.await.unwrap();
        assert_eq!(*order.lock().unwrap(), ["other task", "hash done"]);
        assert!(verify("correct horse", &stored));
    }

    /// A hash written the legacy pool's way (Go's bcrypt, cost 10, `$2a$`) verifies; other
    /// passwords and damaged hashes do not.
    #[test]
    fn legacy_bcrypt_hashes_verify() {
        let legacy = bcrypt::hash_with_result("old password", 10)
            .unwrap()
            .format_for_version(bcrypt::Version::TwoA);
        assert!(legacy.starts_with("$2a$10$") && legacy.len() == 60);
        assert!(is_legacy(&legacy) && !is_legacy(&hash("x")));
        assert!(verify("old password", &legacy));
        assert!(!verify("old passwort", &legacy));
        assert!(!verify("old password", &legacy[..59]));
        assert!(!verify("old password", "$2a$10$"));
    }

    #[tokio::test]
    async fn hashing_off_the_workers_gives_the_same_results() {
        let stored = hash_async("correct horse").await;
        assert!(verify_async("correct horse", &stored).await);
        assert!(!verify_async("correct hors", &stored).await);
    }
}
