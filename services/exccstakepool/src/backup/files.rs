//! Files of the backup directory: private modes (directory 0700, files 0600), names
//! (`pool-<UTC yyyymmddThhmmssZ>[-N].<ext>`), atomic writes, checksums and the directory lock.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::BackupError;

/// The directory, created if missing, mode 0700.
pub fn private_dir(dir: &Path) -> Result<(), BackupError> {
    let io = |source| BackupError::io("cannot create the backup directory", dir, source);
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)
}

/// A new file (never an existing one), mode 0600.
pub fn create_private(path: &Path) -> Result<File, BackupError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| BackupError::io("cannot create", path, e))
}

/// `bytes` written to `path` through a temporary file in the same directory and a rename:
/// a reader sees the old contents or the new, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    let dir = parent(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| BackupError::io("cannot write in", dir, e))?;
    let io = |e| BackupError::io("cannot write", path, e);
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    sync_dir(dir)
}

/// Makes the directory's entries (renames, new files) durable.
pub fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| BackupError::io("cannot sync", dir, e))
}

/// The directory a path is in (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// SHA-256 of a file's contents, hex.
pub fn sha256(path: &Path) -> Result<String, BackupError> {
    let io = |e| BackupError::io("cannot read", path, e);
    let mut f = File::open(path).map_err(io)?;
    let mut hash = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            return Ok(hex::encode(hash.finalize()));
        }
        hash.update(&buf[..n]);
    }
}

/// A private scratch directory next to `near` (same file system, so a copy can be renamed
/// into place), or in the system's temporary directory when `near`'s is not writable.
pub fn scratch_dir(near: &Path) -> Result<tempfile::TempDir, BackupError> {
    let builder = || {
        let mut b = tempfile::Builder::new();
        b.prefix(".exccstakepool-scratch-");
        b
    };
    builder()
        .tempdir_in(parent(near))
        .or_else(|_| builder().tempdir())
        .map_err(|e| BackupError::io("cannot create a scratch directory near", near, e))
}

/// Holds `DIR/.lock` while a backup is taken: one `backup create` per directory at a time.
pub fn lock(dir: &Path) -> Result<nix::fcntl::Flock<File>, BackupError> {
    let path = dir.join(".lock");
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| BackupError::io("cannot open", &path, e))?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|_| BackupError::Busy(dir.to_owned()))
}

/// Removes what a `backup create` that died left (`.partial-*`); called with the lock held.
pub fn remove_partials(dir: &Path) -> Result<(), BackupError> {
    let io = |e| BackupError::io("cannot list", dir, e);
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(".partial-"))
        {
            std::fs::remove_file(&path).map_err(|e| BackupError::io("cannot remove", &path, e))?;
        }
    }
    Ok(())
}

/// `yyyymmddThhmmssZ` for Unix time `secs`.
pub fn stamp(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// RFC 3339 (`yyyy-mm-ddThh:mm:ssZ`) for Unix time `secs`.
pub fn rfc3339(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// UTC calendar date and time of Unix time `secs` (H. Hinnant's `civil_from_days`).
fn civil(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The name of a new backup taken at `stamp` in `dir`: `pool-STAMP.ext`, or, when backups
/// of that second exist already, `pool-STAMP-N.ext` numbered after them (so it orders as
/// the newest).
pub fn new_name(dir: &Path, stamp: &str, ext: &str) -> Result<PathBuf, BackupError> {
    let io = |e| BackupError::io("cannot list", dir, e);
    let mut last = 0;
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let name = entry.map_err(io)?.file_name();
        let name = name.to_string_lossy();
        let name = name.strip_suffix(".json").unwrap_or(&name);
        if let Some((s, n)) = backup_order(name)
            && s == stamp
        {
            last = last.max(n);
        }
    }
    Ok(match last {
        0 => dir.join(format!("pool-{stamp}.{ext}")),
        n => dir.join(format!("pool-{stamp}-{}.{ext}", n + 1)),
    })
}

/// The order of a backup file name (`pool-STAMP[-N].sqlite|sql`): its stamp and number;
/// `None` for other files.
pub fn backup_order(name: &str) -> Option<(String, u32)> {
    let rest = name.strip_prefix("pool-")?;
    let base = rest
        .strip_suffix(".sqlite")
        .or_else(|| rest.strip_suffix(".sql"))?;
    let (stamp, n) = match base.split_once('-') {
        Some((s, n)) => (s, n.parse().ok()?),
        None => (base, 1),
    };
    let ok = stamp.len() == 16
        && stamp.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'T',
            15 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    ok.then(|| (stamp.to_owned(), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_names() {
        assert_eq!(stamp(0), "19700101T000000Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(stamp(1_735_787_045), "20250102T030405Z");
        assert_eq!(
            backup_order("pool-20250102T030405Z.sql"),
            Some(("20250102T030405Z".into(), 1))
        );
        assert_eq!(
            backup_order("pool-20250102T030405Z-12.sqlite"),
            Some(("20250102T030405Z".into(), 12))
        );
        for other in [
            "pool-20250102T030405Z.sqlite.json",
            "pool-2025.sql",
            "last-verification.json",
            "pool-20250102T030405Z-x.sql",
        ] {
            assert_eq!(backup_order(other), None, "{other}");
        }
    }
}
