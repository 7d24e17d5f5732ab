//! Client configuration: where the server is, how to authenticate, which
//! certificate to pin, per-call timeout and reconnect backoff.

use std::fmt;
use std::time::Duration;

use crate::tls::PinnedCert;

/// Default per-call timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How a websocket session authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WsAuth {
    /// HTTP Basic `Authorization` header on the upgrade request (what Go
    /// rpcclient does; a wrong password gives HTTP 401 on the upgrade).
    #[default]
    Header,
    /// No header; the first message is `authenticate ["user","pass"]` (a wrong
    /// password makes the server close the socket).
    AuthenticateMessage,
}

/// Exponential reconnect backoff: `initial`, doubled after each failed attempt,
/// capped at `max`; reset after a successful connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// First delay.
    pub initial: Duration,
    /// Upper bound.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt` (0-based) of a reconnect series.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// Everything needed to talk to one exccd or exccwallet RPC server.
#[derive(Clone)]
pub struct ClientConfig {
    /// `host:port` of the RPC listener (`127.0.0.1:9109`, `[::1]:9110`, `node1:9109`).
    pub addr: String,
    /// RPC user (exccd `rpcuser`, exccwallet `username`).
    pub user: String,
    /// RPC password (exccd `rpcpass`, exccwallet `password`). Never logged.
    pub password: String,
    /// The server's own `rpc.cert`, pinned.
    pub cert: PinnedCert,
    /// Per-call timeout (connect + TLS + request + reply).
    pub timeout: Duration,
    /// Websocket reconnect backoff.
    pub backoff: Backoff,
    /// Websocket authentication mode.
    pub ws_auth: WsAuth,
}

impl ClientConfig {
    /// A configuration with the default timeout, backoff and header auth.
    pub fn new(
        addr: impl Into<String>,
        user: impl Into<String>,
        password: impl Into<String>,
        cert: PinnedCert,
    ) -> Self {
        ClientConfig {
            addr: addr.into(),
            user: user.into(),
            password: password.into(),
            cert,
            timeout: DEFAULT_TIMEOUT,
            backoff: Backoff::default(),
            ws_auth: WsAuth::Header,
        }
    }

    /// Sets the per-call timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the reconnect backoff.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets the websocket authentication mode.
    pub fn with_ws_auth(mut self, ws_auth: WsAuth) -> Self {
        self.ws_auth = ws_auth;
        self
    }

    /// The host part of `addr`, without brackets (used as the TLS server name).
    pub fn host(&self) -> &str {
        let host = match self.addr.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => &self.addr,
        };
        host.trim_start_matches('[').trim_end_matches(']')
    }

    /// `Basic base64(user:password)`.
    pub(crate) fn basic_auth(&self) -> String {
        use base64::Engine as _;
        let raw = format!("{}:{}", self.user, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("addr", &self.addr)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("cert", &self.cert.source())
            .field("timeout", &self.timeout)
            .field("backoff", &self.backoff)
            .field("ws_auth", &self.ws_auth)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert_eq!(b.delay(0), Duration::from_millis(100));
        assert_eq!(b.delay(1), Duration::from_millis(200));
        assert_eq!(b.delay(3), Duration::from_millis(800));
        assert_eq!(b.delay(4), Duration::from_secs(1));
        assert_eq!(b.delay(200), Duration::from_secs(1));
    }

    #[test]
    fn host_strips_port_and_brackets() {
        let cert = PinnedCert::from_der(vec![1], "test");
        let c = |a: &str| ClientConfig::new(a, "u", "p", cert.clone());
        assert_eq!(c("127.0.0.1:9109").host(), "127.0.0.1");
        assert_eq!(c("[::1]:9110").host(), "::1");
        assert_eq!(c("node1:9109").host(), "node1");
        assert_eq!(c("node1").host(), "node1");
        assert!(!format!("{:?}", c("h:1")).contains("\"p\""));
        assert_eq!(c("h:1").basic_auth(), "Basic dTpw");
    }
}
