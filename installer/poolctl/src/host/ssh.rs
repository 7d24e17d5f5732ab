//! [`Host`] over SSH, with pinned host keys.
//!
//! # Why `russh`
//!
//! The transport is [`russh`] (pure Rust, built with its `ring` backend), chosen over
//! `ssh2` and the `openssh` crate:
//!
//! * **Host-key policy is ours, in code.** russh hands every presented key to
//!   `check_server_key` *after* verifying the key-exchange signature, so pinning a
//!   `SHA256:` fingerprint from `pool.toml`, refusing a changed key and learning an unknown
//!   one only on request is a few lines with exact, typed errors. The `openssh` crate drives
//!   the system `ssh`, which can only pin through a known_hosts file holding the whole key
//!   (pool.toml holds fingerprints), and its failures come back as stderr text to parse.
//! * **No system libraries.** ssh2 binds libssh2 + OpenSSL, needing `libssl-dev` on every
//!   build machine (or +77 s for vendored OpenSSL); russh with `ring` needs only a C
//!   compiler, which Rust builds already need.
//! * **Async fan-out.** `poolctl apply` talks to several hosts at once and runs several
//!   commands per connection; russh is tokio-native and multiplexes channels on one
//!   connection, where ssh2 is blocking and would need a thread per session.
//!
//! The cost is a larger dependency tree (RustCrypto crates) and russh's MSRV of 1.89.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::{CommandOutput, Fingerprint, Host, HostError, RemoteCommand};
use crate::config::Secret;

/// Where a host is and whom to log in as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshTarget {
    /// The host's name in `pool.toml`, used in messages.
    pub name: String,
    /// IP address or DNS name.
    pub address: String,
    /// SSH port, normally 22.
    pub port: u16,
    /// Login user, normally `root`.
    pub user: String,
}

impl SshTarget {
    /// `root@address:22`, known as `name`.
    pub fn new(name: impl Into<String>, address: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            address: address.into(),
            port: 22,
            user: "root".to_owned(),
        }
    }

    /// Sets the port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets the login user.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// `address:port`, with an IPv6 address in brackets.
    pub fn addr(&self) -> String {
        if self.address.contains(':') {
            format!("[{}]:{}", self.address, self.port)
        } else {
            format!("{}:{}", self.address, self.port)
        }
    }
}

impl fmt::Display for SshTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.addr())
    }
}

/// How to connect.
#[derive(Clone, Debug)]
pub struct SshOptions {
    /// The client's private key (OpenSSH format), used unless [`agent`](Self::agent) is set.
    pub identity: PathBuf,
    /// The passphrase of an encrypted `identity`.
    pub key_passphrase: Option<Secret>,
    /// Log in with the keys of the SSH agent listening on this socket (`SSH_AUTH_SOCK`)
    /// instead of `identity`.
    pub agent: Option<PathBuf>,
    /// Limit for TCP connect, SSH handshake and login together. Default 10 s.
    pub connect_timeout: Duration,
    /// Accept and return a host key when no fingerprint is pinned (trust on first use).
    /// A pinned fingerprint that does not match is refused regardless. Default `false`.
    pub accept_new_host_key: bool,
    /// Interval of SSH keepalives; a host that misses three in a row is considered gone.
    /// Default 15 s.
    pub keepalive: Duration,
    /// `identity`, decrypted once and shared by the clones (one per host).
    loaded: Arc<OnceLock<Arc<PrivateKey>>>,
}

impl SshOptions {
    /// Defaults with the given client key.
    pub fn new(identity: impl Into<PathBuf>) -> Self {
        Self {
            identity: identity.into(),
            key_passphrase: None,
            agent: None,
            connect_timeout: Duration::from_secs(10),
            accept_new_host_key: false,
            keepalive: Duration::from_secs(15),
            loaded: Arc::default(),
        }
    }

    /// Sets the passphrase of an encrypted identity.
    pub fn key_passphrase(mut self, passphrase: Option<Secret>) -> Self {
        self.key_passphrase = passphrase;
        self.loaded = Arc::default();
        self
    }

    /// Logs in with the keys of the SSH agent at `socket` instead of the identity file.
    pub fn agent(mut self, socket: Option<PathBuf>) -> Self {
        self.agent = socket;
        self
    }

    /// The identity file's key, decrypted with the passphrase when it is encrypted.
    pub fn load_identity(&self) -> Result<Arc<PrivateKey>, HostError> {
        if let Some(key) = self.loaded.get() {
            return Ok(Arc::clone(key));
        }
        let path = &self.identity;
        let fail = |cause: String| HostError::ClientKey {
            path: path.clone(),
            cause,
        };
        let passphrase = self.key_passphrase.as_ref().map(Secret::expose);
        let key = match russh::keys::load_secret_key(path, passphrase) {
            Ok(key) => key,
            Err(russh::keys::Error::KeyIsEncrypted) => return Err(fail(
                "it is encrypted: set ssh.key_passphrase (a secret reference) in pool.toml, or add the key to ssh-agent (ssh-add) and set ssh.agent = true".into(),
            )),
            Err(e) if passphrase.is_some() => {
                return Err(fail(format!(
                    "{e} (is ssh.key_passphrase the key's passphrase?)"
                )));
            }
            Err(e) => return Err(fail(e.to_string())),
        };
        Ok(Arc::clone(self.loaded.get_or_init(|| Arc::new(key))))
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Opts in to learning unknown host keys.
    pub fn accept_new_host_key(mut self, yes: bool) -> Self {
        self.accept_new_host_key = yes;
        self
    }
}

/// An authenticated SSH connection to one host. Commands run in channels of this one
/// connection, so they may run concurrently.
pub struct SshHost {
    target: SshTarget,
    handle: Handle<KeyCheck>,
    host_key: Fingerprint,
    learned: bool,
}

impl fmt::Debug for SshHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SshHost")
            .field("target", &self.target)
            .field("host_key", &self.host_key)
            .field("learned", &self.learned)
            .finish_non_exhaustive()
    }
}

/// The host-key decision, shared between the handshake and [`SshHost::connect`].
#[derive(Debug, Default)]
struct Seen {
    presented: Option<Fingerprint>,
}

struct KeyCheck {
    expected: Option<Fingerprint>,
    accept_new: bool,
    seen: Arc<Mutex<Seen>>,
}

impl client::Handler for KeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let presented = Fingerprint::of_presented(server_public_key);
        let accepted = match &self.expected {
            Some(expected) => *expected == presented,
            None => self.accept_new,
        };
        if accepted {
            // A learned key is pinned for the rest of the session (re-keying).
            self.expected = Some(presented.clone());
        }
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .presented = Some(presented);
        Ok(accepted)
    }
}

/// `Connection refused (os error 111)` → `connection refused`.
fn io_cause(err: &std::io::Error) -> String {
    let text = err.to_string();
    let text = match text.find(" (os error") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => "unknown error".to_owned(),
    }
}

/// Offers each key of the agent at `socket` until the host accepts one.
async fn agent_login(
    handle: &mut Handle<KeyCheck>,
    socket: &Path,
    user: &str,
    hash: Option<HashAlg>,
) -> Result<bool, String> {
    let mut agent = AgentClient::connect_uds(socket).await.map_err(|e| {
        format!(
            "cannot reach the SSH agent at {} (ssh.agent = true): {e}; start ssh-agent and export its SSH_AUTH_SOCK",
            socket.display()
        )
    })?;
    let keys = agent
        .request_identities()
        .await
        .map_err(|e| format!("the SSH agent did not list its keys: {e}"))?;
    if keys.is_empty() {
        return Err("the SSH agent holds no keys; add the pool's key with ssh-add".to_owned());
    }
    for key in keys {
        let public = key.public_key().into_owned();
        let result = handle
            .authenticate_publickey_with(user, public, hash, &mut agent)
            .await
            .map_err(|e| format!("the SSH agent could not sign: {e}"))?;
        if result.success() {
            return Ok(true);
        }
    }
    Ok(false)
}

impl SshHost {
    /// Connects to `target`, checks its host key and logs in with `options.identity`.
    ///
    /// Host-key policy: if `expected` is `Some`, the presented key must have exactly that
    /// fingerprint, otherwise [`HostError::HostKeyChanged`] (whatever
    /// `options.accept_new_host_key` says). If `expected` is `None`, the key is accepted only
    /// when `options.accept_new_host_key` is set (then [`learned_host_key`](Self::learned_host_key)
    /// returns it), otherwise [`HostError::HostKeyUnknown`]. The client key is offered only
    /// after the host key has been accepted: the identity file's key (decrypted with
    /// `options.key_passphrase`), or with `options.agent` each key of the SSH agent in turn.
    ///
    /// Everything (TCP connect, handshake, login) must finish within
    /// `options.connect_timeout`; an unreachable host gives [`HostError::Unreachable`].
    pub async fn connect(
        target: SshTarget,
        expected: Option<&Fingerprint>,
        options: &SshOptions,
    ) -> Result<Self, HostError> {
        let key = match options.agent {
            Some(_) => None,
            None => Some(options.load_identity()?),
        };
        let deadline = Instant::now() + options.connect_timeout;
        let secs = options.connect_timeout.as_secs_f32();
        let unreachable = |cause: String| HostError::Unreachable {
            host: target.name.clone(),
            addr: target.addr(),
            cause,
        };
        let handshake = |cause: String| HostError::Handshake {
            host: target.name.clone(),
            addr: target.addr(),
            cause,
        };

        let stream = match timeout_at(
            deadline,
            TcpStream::connect((target.address.as_str(), target.port)),
        )
        .await
        {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(unreachable(io_cause(&e))),
            Err(_) => return Err(unreachable(format!("no answer within {secs}s"))),
        };
        let _ = stream.set_nodelay(true);

        let config = Arc::new(client::Config {
            inactivity_timeout: None,
            keepalive_interval: Some(options.keepalive),
            keepalive_max: 3,
            nodelay: true,
            ..Default::default()
        });
        let seen = Arc::new(Mutex::new(Seen::default()));
        let check = KeyCheck {
            expected: expected.cloned(),
            accept_new: options.accept_new_host_key,
            seen: Arc::clone(&seen),
        };
        let connected = timeout_at(deadline, client::connect_stream(config, stream, check)).await;
        let presented = seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .presented
            .clone();
        let mut handle = match connected {
            Ok(Ok(handle)) => handle,
            Ok(Err(e)) => {
                return Err(match (presented, expected) {
                    (Some(presented), Some(expected)) if presented != *expected => {
                        HostError::HostKeyChanged {
                            host: target.name.clone(),
                            addr: target.addr(),
                            expected: expected.clone(),
                            presented,
                        }
                    }
                    (Some(presented), None) if !options.accept_new_host_key => {
                        HostError::HostKeyUnknown {
                            host: target.name.clone(),
                            addr: target.addr(),
                            presented,
                        }
                    }
                    _ => handshake(e.to_string()),
                });
            }
            Err(_) => return Err(handshake(format!("no SSH handshake within {secs}s"))),
        };
        let host_key = presented.ok_or_else(|| handshake("no host key was presented".into()))?;

        let user = target.user.clone();
        let login = async {
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(|e| e.to_string())?
                .flatten();
            match (key, &options.agent) {
                (Some(key), _) => handle
                    .authenticate_publickey(user, PrivateKeyWithHashAlg::new(key, hash))
                    .await
                    .map(|r| r.success())
                    .map_err(|e| e.to_string()),
                (None, Some(socket)) => agent_login(&mut handle, socket, &user, hash).await,
                (None, None) => unreachable!("a key or an agent"),
            }
        };
        match timeout_at(deadline, login).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                return Err(HostError::AuthRejected {
                    host: target.name.clone(),
                    addr: target.addr(),
                    user: target.user.clone(),
                    key: match &options.agent {
                        Some(_) => "the SSH agent's keys".to_owned(),
                        None => format!("the key {}", options.identity.display()),
                    },
                });
            }
            Ok(Err(e)) => return Err(handshake(format!("login failed: {e}"))),
            Err(_) => return Err(handshake(format!("no login answer within {secs}s"))),
        }

        Ok(Self {
            learned: expected.is_none(),
            target,
            handle,
            host_key,
        })
    }

    /// Where this connection goes.
    pub fn target(&self) -> &SshTarget {
        &self.target
    }

    /// The fingerprint of the key the host presented (and that was accepted).
    pub fn host_key(&self) -> &Fingerprint {
        &self.host_key
    }

    /// The fingerprint learned on this connection: `Some` only when no fingerprint was
    /// pinned and the caller opted in to accept a new one. Write it to `pool.toml`.
    pub fn learned_host_key(&self) -> Option<&Fingerprint> {
        self.learned.then_some(&self.host_key)
    }

    /// Says goodbye to the server. Dropping an `SshHost` also closes the connection.
    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
    }

    /// Opens a TCP connection from the host to `host:port` (an SSH `direct-tcpip` channel),
    /// e.g. to the host's loopback-only RPC or health port.
    pub async fn open_tcp(
        &self,
        host: &str,
        port: u16,
    ) -> Result<russh::ChannelStream<client::Msg>, HostError> {
        let channel = self
            .handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
            .await
            .map_err(|e| self.session_error(&format!("connecting to {host}:{port} on it"), e))?;
        Ok(channel.into_stream())
    }

    fn session_error(&self, action: &str, cause: impl fmt::Display) -> HostError {
        HostError::Session {
            host: self.target.name.clone(),
            action: action.to_owned(),
            cause: cause.to_string(),
        }
    }
}

impl Host for SshHost {
    fn name(&self) -> &str {
        &self.target.name
    }

    async fn run(&self, command: &RemoteCommand) -> Result<CommandOutput, HostError> {
        let action = || {
            let line = command.line();
            let short: String = line.chars().take(60).collect();
            if short.len() < line.len() {
                format!("running `{short}…`")
            } else {
                format!("running `{short}`")
            }
        };
        let channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|e| self.session_error(&action(), e))?;
        let (mut rx, tx) = channel.split();
        tx.exec(true, command.line())
            .await
            .map_err(|e| self.session_error(&action(), e))?;

        let send_input = async {
            if !command.input().is_empty() {
                tx.data(command.input()).await?;
            }
            tx.eof().await
        };
        let receive = async {
            let mut out = CommandOutput::default();
            let mut refused = false;
            while let Some(msg) = rx.wait().await {
                match msg {
                    ChannelMsg::Data { data } => out.stdout.extend_from_slice(&data),
                    ChannelMsg::ExtendedData { data, ext: 1 } => {
                        out.stderr.extend_from_slice(&data)
                    }
                    ChannelMsg::ExitStatus { exit_status } => out.exit_code = Some(exit_status),
                    ChannelMsg::ExitSignal { signal_name, .. } => {
                        out.signal = Some(format!("{signal_name:?}"))
                    }
                    ChannelMsg::Failure => refused = true,
                    ChannelMsg::Close => break,
                    _ => {}
                }
            }
            (out, refused)
        };
        let (sent, (out, refused)) = tokio::join!(send_input, receive);
        drop(tx);
        if refused {
            return Err(self.session_error(&action(), "the server refused to run the command"));
        }
        if out.exit_code.is_none() && out.signal.is_none() {
            let cause = match sent {
                Err(e) => e.to_string(),
                Ok(()) => "the channel closed without an exit status".to_owned(),
            };
            return Err(self.session_error(&action(), cause));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_causes_are_short() {
        let e = std::io::Error::from_raw_os_error(111);
        assert_eq!(io_cause(&e), "connection refused");
        let e = std::io::Error::from_raw_os_error(113);
        assert_eq!(io_cause(&e), "no route to host");
    }

    #[test]
    fn target_display() {
        let t = SshTarget::new("voting2", "10.231.0.12");
        assert_eq!(t.to_string(), "voting2 (10.231.0.12:22)");
        let t = SshTarget::new("v6", "fd00::2").port(2222);
        assert_eq!(t.addr(), "[fd00::2]:2222");
    }
}
