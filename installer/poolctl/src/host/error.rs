//! Errors of the host layer. Every variant displays as one line that names the host and
//! says what to do, because `poolctl` prints it as the whole reason of a failure.

use std::path::PathBuf;

use super::Fingerprint;

/// Why talking to a host failed.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// No SSH server answered at the address: refused, no route, DNS, or the connect timeout.
    #[error("cannot reach {host} ({addr}): {cause}")]
    Unreachable {
        host: String,
        addr: String,
        cause: String,
    },

    /// The host presented a key other than the pinned one. Always refused.
    #[error(
        "refusing: host key of {host} ({addr}) changed from {expected} to {presented}; if the change is intended, update pool.toml"
    )]
    HostKeyChanged {
        host: String,
        addr: String,
        expected: Fingerprint,
        presented: Fingerprint,
    },

    /// No fingerprint is pinned for the host and the caller did not opt in to learn one.
    #[error(
        "refusing: host key of {host} ({addr}) is not pinned (it presented {presented}); pin it in pool.toml or rerun with --accept-new-host-keys"
    )]
    HostKeyUnknown {
        host: String,
        addr: String,
        presented: Fingerprint,
    },

    /// The SSH handshake (version exchange, key exchange) failed or timed out.
    #[error("SSH handshake with {host} ({addr}) failed: {cause}")]
    Handshake {
        host: String,
        addr: String,
        cause: String,
    },

    /// The server refused the client key (or every key of the agent).
    #[error(
        "{host} ({addr}) refused SSH login as {user} with {key}; add its .pub to ~{user}/.ssh/authorized_keys there"
    )]
    AuthRejected {
        host: String,
        addr: String,
        user: String,
        /// `the key PATH` or `the SSH agent's keys`.
        key: String,
    },

    /// The local private key could not be read or parsed.
    #[error("cannot load the SSH client key {}: {cause}", path.display())]
    ClientKey { path: PathBuf, cause: String },

    /// The connection broke or a channel could not be used.
    #[error("SSH session with {host} failed while {action}: {cause}")]
    Session {
        host: String,
        action: String,
        cause: String,
    },

    /// A remote command the host layer runs on the caller's behalf failed.
    #[error("{host}: {action} failed: {detail}")]
    Remote {
        host: String,
        action: String,
        detail: String,
    },
}

/// The first non-empty line of a command's stderr (or a stand-in), for one-line errors.
pub(crate) fn first_line(stderr: &[u8], fallback: &str) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| fallback.to_owned())
}
