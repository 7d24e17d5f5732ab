//! The HTTPS server both daemons use: JSON-RPC over `POST /` with Basic auth,
//! and JSON-RPC over WebSocket at `/ws` (Basic auth on the upgrade, or an
//! `authenticate` first message), like exccd's and exccwallet's.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tracing::{debug, warn};

use super::envelope::{Call, Json, parse_error_reply, reply};
use super::httpdate;
use super::service::{Service, Topic};

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 32 * 1024 * 1024;
/// Seconds a websocket may stay unauthenticated (exccd `rpcAuthTimeoutSeconds`).
const AUTH_TIMEOUT_SECS: u64 = 10;
/// Bytes an unauthenticated websocket may send in one message (exccd: 4 KiB).
const UNAUTH_READ_LIMIT: usize = 4096;

/// Accepts connections forever.
pub async fn serve<S: Service>(listener: TcpListener, tls: Arc<rustls::ServerConfig>, svc: Arc<S>) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let svc = svc.clone();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            match acceptor.accept(tcp).await {
                Ok(stream) => {
                    if let Err(e) = handle_conn(stream, svc).await {
                        debug!(%peer, error = %e, "connection closed");
                    }
                }
                Err(e) => debug!(%peer, error = %e, "TLS handshake failed"),
            }
        });
    }
}

struct Head {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one request head; leftover bytes stay in `buf`. `None` on clean EOF.
async fn read_head<R: AsyncRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Head>> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&buf[..end]).to_string();
            buf.drain(..end + 4);
            let mut lines = text.split("\r\n");
            let first = lines.next().unwrap_or_default();
            let mut parts = first.split_whitespace();
            let method = parts.next().unwrap_or_default().to_string();
            let path = parts.next().unwrap_or_default().to_string();
            let headers = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            return Ok(Some(Head {
                method,
                path,
                headers,
            }));
        }
        if buf.len() > MAX_HEAD {
            return Err(std::io::Error::other("request head too large"));
        }
        let mut chunk = [0u8; 8192];
        let n = r.read(&mut chunk).await?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn basic_credentials(head: &Head) -> Option<(String, String)> {
    let v = head.header("Authorization")?;
    let b64 = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

async fn write_response<W: AsyncWrite + Unpin>(
    w: &mut W,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Date: {}\r\n", httpdate::now()));
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    w.write_all(&bytes).await?;
    w.flush().await
}

async fn unauthorized<W: AsyncWrite + Unpin>(w: &mut W, realm: &str) -> std::io::Result<()> {
    write_response(
        w,
        "401 Unauthorized",
        &[
            ("Connection", "close".into()),
            ("Content-Type", "text/plain; charset=utf-8".into()),
            (
                "Www-Authenticate",
                format!("Basic realm=\"{realm}\", realm=\"jsonrpc\""),
            ),
            ("X-Content-Type-Options", "nosniff".into()),
        ],
        b"401 Unauthorized.\n",
    )
    .await
}

async fn handle_conn<S, T>(mut stream: T, svc: Arc<S>) -> std::io::Result<()>
where
    S: Service,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut buf = Vec::new();
    loop {
        let Some(head) = read_head(&mut stream, &mut buf).await? else {
            return Ok(());
        };
        let creds = basic_credentials(&head);
        let auth_ok = creds.as_ref().is_some_and(|(u, p)| svc.authorized(u, p));
        let is_upgrade = head
            .header("Upgrade")
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        if is_upgrade {
            if creds.is_some() && !auth_ok {
                unauthorized(&mut stream, svc.realm()).await?;
                return Ok(());
            }
            if head.path != "/ws" {
                write_response(&mut stream, "404 Not Found", &[], b"404 page not found\n").await?;
                return Ok(());
            }
            let key = head.header("Sec-WebSocket-Key").unwrap_or_default();
            let accept = derive_accept_key(key.as_bytes());
            let resp = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            );
            stream.write_all(resp.as_bytes()).await?;
            stream.flush().await?;
            let ws = WebSocketStream::from_partially_read(stream, buf, Role::Server, None).await;
            return ws_session(ws, svc, auth_ok).await;
        }
        let len: usize = head
            .header("Content-Length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if len > MAX_BODY {
            return Err(std::io::Error::other("body too large"));
        }
        while buf.len() < len {
            let mut chunk = vec![0u8; (len - buf.len()).min(65536)];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body: Vec<u8> = buf.drain(..len).collect();
        if !auth_ok {
            unauthorized(&mut stream, svc.realm()).await?;
            return Ok(());
        }
        if head.method != "POST" {
            write_response(
                &mut stream,
                "405 Method Not Allowed",
                &[("Content-Type", "text/plain; charset=utf-8".into())],
                b"405 Method Not Allowed\n",
            )
            .await?;
            continue;
        }
        if svc.take_drop() {
            return Ok(());
        }
        let text = match Call::parse(&body) {
            Ok(call) => {
                let (jsonrpc, id) = (call.jsonrpc.clone(), call.id.clone());
                let result = svc.call(call).await;
                reply(&jsonrpc, &id, &result)
            }
            Err(_) => parse_error_reply(),
        };
        let delay = svc.faults().delay_ms;
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let mut out = text.into_bytes();
        out.push(b'\n');
        write_response(
            &mut stream,
            "200 OK",
            &[("Content-Type", "application/json".into())],
            &out,
        )
        .await?;
    }
}

#[derive(Default)]
struct Subs {
    blocks: bool,
    winning: bool,
    newtickets: bool,
    spentmissed: bool,
}

impl Subs {
    fn wants(&self, t: Topic) -> bool {
        match t {
            Topic::Blocks => self.blocks,
            Topic::WinningTickets => self.winning,
            Topic::NewTickets => self.newtickets,
            Topic::SpentAndMissed => self.spentmissed,
        }
    }

    /// Handles the subscription methods; `None` if `method` is not one.
    fn apply(&mut self, method: &str) -> Option<()> {
        let (flag, on) = match method {
            "notifyblocks" => (&mut self.blocks, true),
            "stopnotifyblocks" => (&mut self.blocks, false),
            "notifywinningtickets" => (&mut self.winning, true),
            "stopnotifywinningtickets" => (&mut self.winning, false),
            "notifynewtickets" => (&mut self.newtickets, true),
            "stopnotifynewtickets" => (&mut self.newtickets, false),
            "notifyspentandmissedtickets" => (&mut self.spentmissed, true),
            "stopnotifyspentandmissedtickets" => (&mut self.spentmissed, false),
            _ => return None,
        };
        *flag = on;
        Some(())
    }
}

async fn ws_session<S, T>(
    ws: WebSocketStream<T>,
    svc: Arc<S>,
    mut authed: bool,
) -> std::io::Result<()>
where
    S: Service,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut source) = ws.split();
    let mut notices = svc.notices();
    let mut subs = Subs::default();
    let close_gen = svc.faults().close_generation;
    let mut fault_tick = tokio::time::interval(Duration::from_millis(100));
    // exccd: 10 s to authenticate, at most 4 KiB read before that.
    let opened = std::time::Instant::now();
    loop {
        let notice = async {
            match notices.as_mut() {
                Some(rx) => rx.recv().await.ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = fault_tick.tick() => {
                if svc.faults().close_generation != close_gen
                    || (!authed && opened.elapsed() > Duration::from_secs(AUTH_TIMEOUT_SECS))
                {
                    let _ = sink.send(Message::Close(None)).await;
                    return Ok(());
                }
            }
            n = notice => {
                if let Some(n) = n
                    && authed
                    && subs.wants(n.topic)
                    && sink.send(Message::text(n.frame)).await.is_err()
                {
                    return Ok(());
                }
            }
            msg = source.next() => {
                let Some(Ok(msg)) = msg else { return Ok(()) };
                let data = match msg {
                    Message::Text(t) => t.as_bytes().to_vec(),
                    Message::Binary(b) => b.to_vec(),
                    Message::Ping(p) => { let _ = sink.send(Message::Pong(p)).await; continue }
                    Message::Close(_) => return Ok(()),
                    _ => continue,
                };
                if !authed && data.len() > UNAUTH_READ_LIMIT {
                    let _ = sink.send(Message::Close(None)).await;
                    return Ok(());
                }
                let Ok(call) = Call::parse(&data) else {
                    if sink.send(Message::text(parse_error_reply())).await.is_err() { return Ok(()) }
                    continue;
                };
                if call.method == "authenticate" {
                    let ok = !authed
                        && matches!((call.params.first().and_then(|v| v.as_str()), call.params.get(1).and_then(|v| v.as_str())),
                            (Some(u), Some(p)) if svc.authorized(u, p));
                    if !ok {
                        let _ = sink.send(Message::Close(None)).await;
                        return Ok(());
                    }
                    authed = true;
                    let text = reply(&call.jsonrpc, &call.id, &Ok(Json::null()));
                    if sink.send(Message::text(text)).await.is_err() { return Ok(()) }
                    continue;
                }
                if !authed {
                    let _ = sink.send(Message::Close(None)).await;
                    return Ok(());
                }
                if svc.take_drop() {
                    continue;
                }
                let mut extra = Vec::new();
                let result = if notices.is_some() && subs.apply(&call.method).is_some() {
                    Ok(Json::null())
                } else if notices.is_some() && call.method == "rebroadcastwinners" {
                    if subs.winning {
                        extra = svc.rebroadcast_winners().await;
                    }
                    Ok(Json::null())
                } else {
                    svc.call(call.clone()).await
                };
                let delay = svc.faults().delay_ms;
                if delay > 0 {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                let text = reply(&call.jsonrpc, &call.id, &result);
                if sink.send(Message::text(text)).await.is_err() { return Ok(()) }
                for f in extra {
                    if sink.send(Message::text(f)).await.is_err() { return Ok(()) }
                }
            }
        }
    }
}
