//! Reading the pool's programs from disk (or their release archives) and checking them
//! against the SHA-256 pinned in pool.toml, before any host is touched.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use crate::config::{BinaryName, BinarySource, PoolConfig};
use crate::host::sha256_hex;

/// A program ready to install: its bytes and the digest of those bytes.
#[derive(Clone, Debug)]
pub struct PreparedBinary {
    pub name: BinaryName,
    pub version: String,
    pub simulator: bool,
    /// SHA-256 of the executable itself.
    pub sha256: String,
    pub bytes: Arc<Vec<u8>>,
}

/// Why a program cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BinaryError {
    #[error("{file}:{line}: binaries.{name}: cannot read {path}: {cause}")]
    Read {
        file: String,
        line: usize,
        name: BinaryName,
        path: String,
        cause: String,
    },
    #[error(
        "{file}:{line}: binaries.{name}: {path} has sha256 {actual}, but pool.toml pins {expected}; use the right file or, if this build is intended, update sha256"
    )]
    Mismatch {
        file: String,
        line: usize,
        name: BinaryName,
        path: String,
        actual: String,
        expected: String,
    },
    #[error("{file}:{line}: binaries.{name}: cannot extract {member} from {path}: {cause}")]
    Extract {
        file: String,
        line: usize,
        name: BinaryName,
        path: String,
        member: String,
        cause: String,
    },
}

/// Reads and verifies all three programs (in parallel threads: hashing ~100 MB each).
pub fn prepare_all(config: &PoolConfig) -> Result<Vec<PreparedBinary>, BinaryError> {
    let file = config.path.display().to_string();
    std::thread::scope(|scope| {
        let handles: Vec<_> = config
            .binaries
            .iter()
            .map(|b| {
                let file = file.clone();
                scope.spawn(move || prepare(&file, b))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("hashing thread panicked"))
            .collect()
    })
}

fn prepare(file: &str, b: &BinarySource) -> Result<PreparedBinary, BinaryError> {
    let path = b.source.display().to_string();
    let data = std::fs::read(&b.source).map_err(|e| BinaryError::Read {
        file: file.to_owned(),
        line: b.line,
        name: b.name,
        path: path.clone(),
        cause: e.to_string(),
    })?;
    let actual = sha256_hex(&data);
    if actual != b.sha256 {
        return Err(BinaryError::Mismatch {
            file: file.to_owned(),
            line: b.line,
            name: b.name,
            path,
            actual,
            expected: b.sha256.clone(),
        });
    }
    let bytes = match &b.member {
        None => data,
        Some(member) => extract(&b.source, member).map_err(|cause| BinaryError::Extract {
            file: file.to_owned(),
            line: b.line,
            name: b.name,
            path: path.clone(),
            member: member.clone(),
            cause,
        })?,
    };
    Ok(PreparedBinary {
        name: b.name,
        version: b.version.clone(),
        simulator: b.simulator,
        sha256: sha256_hex(&bytes),
        bytes: Arc::new(bytes),
    })
}

/// One member of a `.tar.gz` (or any archive GNU tar reads), by the system's `tar`.
fn extract(archive: &Path, member: &str) -> Result<Vec<u8>, String> {
    let out = Command::new("tar")
        .arg("-xaOf")
        .arg(archive)
        .arg("--")
        .arg(member)
        .output()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(err.lines().next().unwrap_or("tar failed").trim().to_owned());
    }
    if out.stdout.is_empty() {
        return Err("the member is empty".to_owned());
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_member_is_extracted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("exccd-v1")).unwrap();
        std::fs::write(dir.path().join("exccd-v1/exccd"), b"#!/bin/sh\necho hi\n").unwrap();
        let archive = dir.path().join("exccd-v1.tar.gz");
        let ok = Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(dir.path())
            .arg("exccd-v1")
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let bytes = extract(&archive, "exccd-v1/exccd").unwrap();
        assert_eq!(bytes, b"#!/bin/sh\necho hi\n");
        assert!(extract(&archive, "nope").is_err());
    }
}
