//! Typed errors. Every message names the server and says what to do.

use std::io;
use std::time::Duration;

/// An error from an RPC call or session.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a JSON-RPC error object.
    #[error("{server}: {method} failed with RPC error {code}: {message}{}", rpc_hint(*.code, .message))]
    Rpc {
        /// `exccd at host:port` / `exccwallet at host:port`.
        server: String,
        /// Method called.
        method: String,
        /// JSON-RPC error code.
        code: i64,
        /// Server's message.
        message: String,
    },
    /// HTTP 401 on a POST or websocket upgrade, or the socket closed right after `authenticate`.
    #[error(
        "{server} rejected the credentials ({how}): check rpcuser/rpcpass (exccd) or username/password (exccwallet) in the pool config"
    )]
    Unauthorized {
        /// Server.
        server: String,
        /// What happened (`HTTP 401`, `socket closed after authenticate`).
        how: String,
    },
    /// The server's TLS certificate is not the pinned one.
    #[error(
        "{server} presented a TLS certificate that does not match the pinned certificate {cert_file}: copy the server's current rpc.cert to {cert_file} (the server writes a new one when its rpc.cert/rpc.key are deleted)"
    )]
    CertMismatch {
        /// Server.
        server: String,
        /// Where the pinned certificate came from.
        cert_file: String,
    },
    /// The pinned certificate could not be read or parsed.
    #[error(
        "cannot use pinned certificate {path}: {reason}: point the config at the server's rpc.cert (PEM)"
    )]
    CertFile {
        /// File (or label) of the certificate.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// The TLS handshake failed for another reason.
    #[error(
        "TLS handshake with {server} failed: {reason}: check that the server has TLS on (no --notls) and that this is its RPC port"
    )]
    Tls {
        /// Server.
        server: String,
        /// rustls' reason.
        reason: String,
    },
    /// TCP connect failed (refused, unreachable, DNS).
    #[error(
        "cannot connect to {server}: {source}: is it running and listening on that address (exccd rpclisten, exccwallet rpclisten)?"
    )]
    Connect {
        /// Server.
        server: String,
        /// OS error.
        #[source]
        source: io::Error,
    },
    /// No reply within the per-call timeout.
    #[error(
        "{server}: {method} got no reply within {timeout:?}: the server may be stuck, overloaded or rescanning; check it, or raise the RPC timeout"
    )]
    Timeout {
        /// Server.
        server: String,
        /// Method called.
        method: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The reply was not the JSON expected.
    #[error(
        "{server}: malformed reply to {method}: {reason}: is this really exccd/exccwallet 2.7.6 on that port?"
    )]
    BadResponse {
        /// Server.
        server: String,
        /// Method called.
        method: String,
        /// What was wrong.
        reason: String,
    },
    /// An HTTP status other than 200/401 without a JSON-RPC body.
    #[error("{server}: {method} answered with HTTP {status}: {body}: check the server log")]
    Http {
        /// Server.
        server: String,
        /// Method called.
        method: String,
        /// HTTP status.
        status: u16,
        /// Body (truncated).
        body: String,
    },
    /// HTTP or websocket protocol failure.
    #[error(
        "{server}: connection failed: {reason}: check the server is exccd/exccwallet and reachable"
    )]
    Protocol {
        /// Server.
        server: String,
        /// What happened.
        reason: String,
    },
    /// A websocket request was made while the session is reconnecting.
    #[error(
        "{server}: websocket not connected, {method} not sent: the session reconnects by itself; retry shortly"
    )]
    NotConnected {
        /// Server.
        server: String,
        /// Method.
        method: String,
    },
    /// The websocket closed before the reply arrived.
    #[error(
        "{server}: connection closed before {method} was answered: retry once it is back (the session reconnects by itself)"
    )]
    ConnectionClosed {
        /// Server.
        server: String,
        /// Method.
        method: String,
    },
}

fn rpc_hint(code: i64, message: &str) -> &'static str {
    use crate::types::codes;
    match code {
        codes::WALLET_UNLOCK_NEEDED => " (unlock the wallet with walletpassphrase)",
        codes::WALLET if message.contains("wallet locked") => {
            " (the wallet is locked: unlock it with walletpassphrase)"
        }
        codes::WALLET_PASSPHRASE_INCORRECT => " (wrong wallet passphrase)",
        codes::METHOD_NOT_FOUND => {
            " (the server does not know this method: check it is exccd/exccwallet 2.7.6 and the method goes to the right one)"
        }
        codes::MISC if message.contains("wallet commands") => {
            " (this is a wallet method: send it to exccwallet, not exccd)"
        }
        codes::INVALID_PARAMETER | codes::INVALID_PARAMS | codes::INVALID_ADDRESS_OR_KEY => {
            " (check the parameters)"
        }
        _ => "",
    }
}

impl Error {
    /// The JSON-RPC error code, for [`Error::Rpc`].
    pub fn rpc_code(&self) -> Option<i64> {
        match self {
            Error::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// True when exccd cannot serve a mined transaction because it runs without
    /// a transaction index (-32603 "The transaction index must be enabled…").
    pub fn is_no_txindex(&self) -> bool {
        matches!(self, Error::Rpc { code: -32603, message, .. } if message.contains("transaction index"))
    }

    /// True when the wallet refused because it is locked.
    pub fn is_wallet_locked(&self) -> bool {
        match self {
            Error::Rpc { code, message, .. } => {
                crate::types::RpcError::new(*code, message.clone()).is_wallet_locked()
            }
            _ => false,
        }
    }

    /// True for failures of the connection itself (worth retrying later), as
    /// opposed to answers from the server.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. }
                | Error::Timeout { .. }
                | Error::Protocol { .. }
                | Error::NotConnected { .. }
                | Error::ConnectionClosed { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let locked = Error::Rpc {
            server: "exccwallet at h:1".into(),
            method: "generatevote".into(),
            code: -4,
            message: "… wallet locked: default".into(),
        };
        assert!(locked.is_wallet_locked());
        assert!(locked.to_string().contains("walletpassphrase"));
        let t = Error::Timeout {
            server: "exccd at h:1".into(),
            method: "getbestblock".into(),
            timeout: Duration::from_millis(250),
        };
        assert!(t.to_string().contains("getbestblock"));
        assert!(t.to_string().contains("250ms"));
        assert!(t.is_transport());
    }
}
