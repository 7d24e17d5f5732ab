//! A real SMTP server for tests of what sends e-mail (the web service): ESMTP on loopback
//! with STARTTLS (a certificate from the test CA, so the client checks it for real) and
//! AUTH PLAIN; it keeps every message it accepted and says whether it came over TLS.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// One accepted message.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent (dot-stuffing undone, CRLF line ends).
    pub data: String,
    pub tls: bool,
}

impl Mail {
    /// The body as a reader sees it: quoted-printable or base64 transfer encoding undone.
    pub fn body(&self) -> String {
        let (head, body) = self.data.split_once("\r\n\r\n").unwrap_or(("", &self.data));
        let encoding = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Transfer-Encoding: "))
            .unwrap_or("7bit")
            .trim()
            .to_ascii_lowercase();
        match encoding.as_str() {
            "quoted-printable" => quoted_printable(body),
            "base64" => {
                let joined: String = body.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .unwrap_or_default();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            _ => body.to_owned(),
        }
    }

    /// The first `https?://…` link in the body that contains `path`.
    pub fn link(&self, path: &str) -> Option<String> {
        self.body()
            .split_whitespace()
            .find(|w| (w.starts_with("http://") || w.starts_with("https://")) && w.contains(path))
            .map(str::to_owned)
    }

    pub fn subject(&self) -> &str {
        self.data
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or("")
    }
}

pub struct MailSink {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
}

struct Rules {
    tls: Option<TlsAcceptor>,
    login: Option<(String, String)>,
}

impl MailSink {
    /// Listens on 127.0.0.1. With `tls` (certificate and key PEM), mail is taken only after
    /// STARTTLS; with `login`, only after AUTH PLAIN with that user and password (without,
    /// no AUTH is offered).
    pub async fn start(tls: Option<(&str, &str)>, login: Option<(&str, &str)>) -> MailSink {
        MailSink::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), tls, login).await
    }

    /// [`MailSink::start`] on `addr` (e.g. a relay that comes up late on a known port).
    pub async fn start_on(
        addr: SocketAddr,
        tls: Option<(&str, &str)>,
        login: Option<(&str, &str)>,
    ) -> MailSink {
        let tls = tls.map(|(cert, key)| {
            let certs = CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .expect("certificate PEM");
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key PEM");
            let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
                tokio_rustls::rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("certificate and key");
            TlsAcceptor::from(Arc::new(config))
        });
        let rules = Arc::new(Rules {
            tls,
            login: login.map(|(u, p)| (u.to_owned(), p.to_owned())),
        });
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&mails);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (rules, mails) = (Arc::clone(&rules), Arc::clone(&kept));
                tokio::spawn(async move {
                    let mut plain = BufReader::new(stream);
                    let upgrade = converse(&mut plain, &rules, &mails, false).await;
                    if let (Some(()), Some(acceptor)) = (upgrade, &rules.tls)
                        && let Ok(tls) = acceptor.accept(plain.into_inner()).await
                    {
                        converse(&mut BufReader::new(tls), &rules, &mails, true).await;
                    }
                });
            }
        });
        MailSink { addr, mails }
    }

    pub fn all(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// The messages to `to`.
    pub fn to(&self, to: &str) -> Vec<Mail> {
        self.all()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .collect()
    }

    /// Waits (up to 30 s) until `to` has received `n` messages; returns the `n`th.
    pub async fn nth_to(&self, to: &str, n: usize) -> Mail {
        let what = format!("message #{n} to {to}");
        crate::wait_for(30, &what, || async { self.to(to).get(n - 1).cloned() }).await
    }
}

async fn reply<S: AsyncWrite + Unpin>(s: &mut S, text: &str) -> Option<()> {
    s.write_all(format!("{text}\r\n").as_bytes()).await.ok()?;
    s.flush().await.ok()
}

/// One SMTP conversation. `Some(())` = the client asked for STARTTLS (the caller upgrades
/// the stream and converses again, in TLS, from a fresh state).
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufReader<S>,
    rules: &Rules,
    mails: &Mutex<Vec<Mail>>,
    tls: bool,
) -> Option<()> {
    if !tls {
        reply(s, "220 mail.test ESMTP pool-tests").await?;
    }
    let (mut from, mut to, mut authed) = (None::<String>, Vec::new(), rules.login.is_none());
    loop {
        let mut line = String::new();
        if s.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let must_tls = rules.tls.is_some() && !tls;
        match verb.as_str() {
            "EHLO" | "HELO" => {
                let mut caps = vec!["250-mail.test"];
                if must_tls {
                    caps.push("250-STARTTLS");
                } else if rules.login.is_some() {
                    caps.push("250-AUTH PLAIN");
                }
                caps.push("250 8BITMIME");
                reply(s, &caps.join("\r\n")).await?;
            }
            "STARTTLS" if must_tls => {
                reply(s, "220 go ahead").await?;
                return Some(());
            }
            "AUTH" if !must_tls => {
                let mut words = line.split_whitespace().skip(1);
                let plain = match (words.next(), words.next()) {
                    (Some(m), Some(b)) if m.eq_ignore_ascii_case("PLAIN") => b.to_owned(),
                    _ => {
                        reply(s, "504 only AUTH PLAIN with an initial response").await?;
                        continue;
                    }
                };
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(plain)
                    .unwrap_or_default();
                let parts: Vec<&[u8]> = decoded.split(|&b| b == 0).collect();
                let ok = rules.login.as_ref().is_some_and(|(u, p)| {
                    parts.len() == 3 && parts[1] == u.as_bytes() && parts[2] == p.as_bytes()
                });
                authed = ok;
                reply(s, if ok { "235 ok" } else { "535 bad credentials" }).await?;
            }
            _ if must_tls && verb != "QUIT" && verb != "NOOP" => {
                reply(s, "530 issue STARTTLS first").await?;
            }
            "MAIL" if !authed => reply(s, "530 authentication required").await?,
            "MAIL" => {
                from = Some(angle(line));
                reply(s, "250 ok").await?;
            }
            "RCPT" => {
                to.push(angle(line));
                reply(s, "250 ok").await?;
            }
            "DATA" if from.is_some() && !to.is_empty() => {
                reply(s, "354 end with .").await?;
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    if s.read_line(&mut l).await.ok()? == 0 {
                        return None;
                    }
                    if l.trim_end_matches(['\r', '\n']) == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                }
                mails.lock().unwrap().push(Mail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data,
                    tls,
                });
                reply(s, "250 queued").await?;
            }
            "RSET" => {
                (from, to) = (None, Vec::new());
                reply(s, "250 ok").await?;
            }
            "NOOP" => reply(s, "250 ok").await?,
            "QUIT" => {
                reply(s, "221 bye").await?;
                return None;
            }
            _ => reply(s, "503 bad sequence of commands").await?,
        }
    }
}

/// The address between `<` and `>` of a MAIL FROM / RCPT TO line.
fn angle(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, r)| r.split_once('>'))
        .map(|(a, _)| a.to_owned())
        .unwrap_or_default()
}

/// Undoes quoted-printable (RFC 2045): `=XX` bytes and `=` soft line breaks.
fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
