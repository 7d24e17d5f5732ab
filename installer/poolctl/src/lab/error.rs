//! Errors of the lab. Each displays as one line: what failed, and what to do about it.

use std::path::PathBuf;

use crate::host::HostError;

/// Why a lab operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The lab creates namespaces, mounts and containers.
    #[error(
        "poolctl lab needs root: it creates network namespaces, overlay mounts and containers; run it as root (e.g. with sudo)"
    )]
    NotRoot,

    /// An argument is out of range.
    #[error("{0}")]
    Invalid(String),

    /// An external command failed.
    #[error("`{command}` failed: {cause}; {hint}")]
    Command {
        command: String,
        cause: String,
        hint: String,
    },

    /// A local file operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    /// Another `poolctl lab` command holds the lab's lock.
    #[error(
        "another poolctl lab command is working on {} (lock {}); wait for it to finish",
        dir.display(),
        lock.display()
    )]
    Busy { dir: PathBuf, lock: PathBuf },

    /// Something on this machine is in the way (another lab, the subnet in use).
    #[error("{0}")]
    Conflict(String),

    /// No lab state in the directory.
    #[error("no lab in {} (no lab.json); start one with `poolctl lab up --dir {}`", dir.display(), dir.display())]
    NoLab { dir: PathBuf },

    /// `lab.json` could not be read.
    #[error("cannot read {}: {cause}; run `poolctl lab down --dir {}` and `up` again", path.display(), dir.display())]
    BadState {
        path: PathBuf,
        dir: PathBuf,
        cause: String,
    },

    /// A host did not reach `running`.
    #[error("{host} did not come up: {reason}; see {}", console.display())]
    Boot {
        host: String,
        reason: String,
        console: PathBuf,
    },

    /// Talking to a lab host failed.
    #[error(transparent)]
    Host(#[from] HostError),
}

impl LabError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| LabError::Io {
            action,
            path,
            source,
        }
    }
}
