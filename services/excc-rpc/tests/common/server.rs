//! A local TLS server for tests: accepts connections on 127.0.0.1 and hands
//! each TLS stream to a handler; helpers speak just enough HTTP/1.1 and
//! websocket to play exccd/exccwallet.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use excc_rpc::{ClientConfig, PinnedCert};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::certs::{self, Kind, TestCert};

pub type Tls = TlsStream<TcpStream>;
pub type Ws = WebSocketStream<Tls>;
type Handler = Arc<dyn Fn(usize, Tls) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

pub const USER: &str = "u";
pub const PASS: &str = "p";

pub struct TestServer {
    pub addr: String,
    pub cert: TestCert,
    pub connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Starts a server; `handler(n, stream)` runs for the n-th accepted TLS connection.
    pub async fn start<F, Fut>(kind: Kind, handler: F) -> TestServer
    where
        F: Fn(usize, Tls) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |n, s| Box::pin(handler(n, s)));
        let cert = certs::generate(kind);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der.clone()], cert.key.clone_key())
            .expect("server TLS config");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        handler(n, tls).await;
                    }
                });
            }
        });
        TestServer {
            addr,
            cert,
            connections,
            task,
        }
    }

    pub fn pinned(&self) -> PinnedCert {
        PinnedCert::from_pem(self.cert.pem.as_bytes(), "test/rpc.cert").unwrap()
    }

    pub fn config(&self) -> ClientConfig {
        ClientConfig::new(self.addr.clone(), USER, PASS, self.pinned())
            .with_timeout(Duration::from_secs(10))
    }
}

/// One HTTP request as received.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one request (headers + Content-Length body); `None` at EOF.
pub async fn read_http_request(s: &mut Tls) -> Option<HttpRequest> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte).await {
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8(buf).ok()?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).await.ok()?;
    Some(HttpRequest {
        request_line,
        headers,
        body,
    })
}

/// Writes a response with Content-Length (plus the given headers).
pub async fn write_http_response(
    s: &mut Tls,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|c| c.canonical_reason())
        .unwrap_or("");
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (k, v) in headers {
        if !k.eq_ignore_ascii_case("content-length") {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    let _ = s.write_all(&bytes).await;
    let _ = s.flush().await;
}

/// Accepts a websocket upgrade on `/ws`; returns the stream and the
/// `Authorization` header of the upgrade (if any). A header that is present
/// but not `Basic u:p` gets HTTP 401, like exccd.
// The callback's error type is tungstenite's, not ours.
#[allow(clippy::result_large_err)]
pub async fn accept_ws(s: Tls) -> Option<(Ws, Option<String>)> {
    let seen: Arc<Mutex<Option<String>>> = Arc::default();
    let seen2 = seen.clone();
    let cb = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        *seen2.lock().unwrap() = auth.clone();
        assert_eq!(req.uri().path(), "/ws");
        match auth {
            Some(a) if a != basic_auth(USER, PASS) => {
                let mut e = ErrorResponse::new(Some("401 Unauthorized.\n".into()));
                *e.status_mut() = StatusCode::UNAUTHORIZED;
                Err(e)
            }
            _ => Ok(resp),
        }
    };
    let ws = tokio_tungstenite::accept_hdr_async(s, cb).await.ok()?;
    let auth = seen.lock().unwrap().clone();
    Some((ws, auth))
}

pub fn basic_auth(user: &str, pass: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// Replaces the id at the end of a captured reply (`…,"id":N}\n`) with `id`.
pub fn with_id(raw: &str, fixture_id: u64, id: u64) -> String {
    let (head, tail) = raw.rsplit_once("\"id\":").expect("reply has an id");
    assert!(
        tail.trim_end() == format!("{fixture_id}}}"),
        "unexpected reply tail {tail:?}"
    );
    let newline = if raw.ends_with('\n') { "\n" } else { "" };
    format!("{head}\"id\":{id}}}{newline}")
}

/// Waits until `cond` holds, polling; panics after `deadline`.
pub async fn wait_until(what: &str, deadline: Duration, mut cond: impl FnMut() -> bool) {
    let end = tokio::time::Instant::now() + deadline;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < end,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
