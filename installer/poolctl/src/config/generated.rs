//! Secrets poolctl makes itself when pool.toml names none (the web service's API secret, an
//! installed MariaDB's password): 32 random bytes in hex, kept in `.poolctl/secrets/NAME`
//! next to pool.toml (directory 0700, file 0600), created once and reused by every later
//! run.

use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::secret::short_io;
use super::{Secret, SecretRef};

/// Where the secret `name` is kept for the pool.toml in `dir`.
pub fn generated_secret_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(".poolctl").join("secrets").join(name)
}

/// The secret `name` of the pool.toml in `dir`: read when it exists, else made. Errors are
/// one line saying what to do (never the value).
pub(crate) fn generated_secret(dir: &Path, name: &str) -> Result<Secret, String> {
    let path = generated_secret_path(dir, name);
    let secrets_dir = path.parent().expect("a file in .poolctl/secrets/");
    if !path.exists() {
        create(secrets_dir, &path).map_err(|e| {
            format!(
                "cannot generate {}: {} (poolctl keeps the secrets it makes there: fix that, or set this secret in pool.toml)",
                path.display(),
                short_io(&e),
            )
        })?;
    }
    SecretRef::File(path).resolve(dir)
}

/// 32 bytes from the kernel's random source, in hex.
pub fn random_hex() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(hex::encode(bytes))
}

fn create(secrets_dir: &Path, path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(secrets_dir)?;
    std::fs::set_permissions(secrets_dir, std::fs::Permissions::from_mode(0o700))?;
    let value = random_hex()?;
    // Written whole under a private temporary name, then linked into place: a concurrent
    // run either made it first (then its value is kept) or sees the complete file.
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(format!("{value}\n").as_bytes())?;
            f.sync_all()
        });
    let linked = written.and_then(|()| match std::fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = std::fs::remove_file(&tmp);
    linked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_private_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = generated_secret(dir.path(), "web_api_secret").unwrap();
        assert_eq!(first.expose().len(), 64);
        assert!(first.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        let path = generated_secret_path(dir.path(), "web_api_secret");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(
            generated_secret(dir.path(), "web_api_secret").unwrap(),
            first
        );
        let other = generated_secret(dir.path(), "database_password").unwrap();
        assert_ne!(other, first);
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            2
        );
    }

    #[test]
    fn failure_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        // .poolctl is a file: no directory can be made under it.
        std::fs::write(dir.path().join(".poolctl"), "").unwrap();
        let err = generated_secret(dir.path(), "web_api_secret").unwrap_err();
        assert!(
            err.contains("cannot generate") && err.contains("set this secret"),
            "{err}"
        );
    }
}
