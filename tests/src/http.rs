//! A minimal HTTP/1.1 client for tests: one request per connection, the whole answer read
//! until the server closes (`Connection: close`).

use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Sends `method path` with `headers` (`Name: value` lines) and `body`; returns the status
/// and the body, or `None` if the server cannot be reached or answers garbage.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
) -> Option<(u16, String)> {
    let r = exchange(addr, method, path, headers, body).await?;
    Some((r.status, r.body))
}

/// A whole answer: status, headers (names lowercase) and body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A connection to `to` from the local address `from` (e.g. 127.0.0.2: another client of a
/// server on loopback).
pub async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let s = match from {
        IpAddr::V4(_) => TcpSocket::new_v4()?,
        IpAddr::V6(_) => TcpSocket::new_v6()?,
    };
    s.bind(SocketAddr::new(from, 0))?;
    s.connect(to).await
}

/// Like [`request`], with the answer's headers.
pub async fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
) -> Option<Answer> {
    let s = TcpStream::connect(addr).await.ok()?;
    exchange_on(s, &addr.to_string(), method, path, headers, body).await
}

/// One request on an open connection `s` (plain TCP, or TLS: [`crate::https`]) with
/// `Host: host`; the whole answer, or `None` on a connection error, garbage or after a minute.
pub async fn exchange_on<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    host: &str,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
) -> Option<Answer> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    head.push_str(body);
    s.write_all(head.as_bytes()).await.ok()?;
    // Read the head, then the body by its Content-Length (servers may keep the connection
    // open despite `Connection: close`), else to the end; never longer than a minute.
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = match s.read(&mut chunk).await {
                Ok(n) => n,
                // A TLS peer that closes without close_notify: the end of the answer.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
                Err(_) => return None,
            };
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok());
                if length.is_some_and(|len| buf.len() >= end + 4 + len) {
                    return Some(buf);
                }
                if is_chunked(&head) && buf[end + 4..].ends_with(b"0\r\n\r\n") {
                    return Some(buf);
                }
            }
            if n == 0 {
                return Some(buf);
            }
        }
    };
    let buf = tokio::time::timeout(std::time::Duration::from_secs(60), read)
        .await
        .ok()??;
    let buf = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = buf.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = if is_chunked(&head.to_ascii_lowercase()) {
        dechunk(body)?
    } else {
        body.to_owned()
    };
    Some(Answer {
        status,
        headers,
        body,
    })
}

/// True when a (lowercased) head says `Transfer-Encoding: chunked` (nginx's answers with no
/// length).
fn is_chunked(head: &str) -> bool {
    head.lines().any(|l| {
        l.strip_prefix("transfer-encoding:")
            .is_some_and(|v| v.contains("chunked"))
    })
}

/// The body of a chunked answer: each `SIZE\r\nDATA\r\n` up to the `0` chunk.
fn dechunk(mut rest: &str) -> Option<String> {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.push_str(after.get(..size)?);
        rest = after.get(size..)?.strip_prefix("\r\n")?;
    }
}
