//! A minimal HTTPS client for tests and `local-pool`: one request per connection (see
//! [`crate::http`]), the server's certificate verified against one CA (e.g. the pool CA
//! that signed a web host's nginx certificate) and the name or address in the URL.

use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};

use crate::http::{Answer, exchange_on};

/// Why an HTTPS client could not be made.
#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    #[error("{url}: only https://HOST[:PORT] URLs (no path) are supported")]
    Url { url: String },
    #[error("{url}: {host:?} is neither a DNS name nor an IP address")]
    Host { url: String, host: String },
    #[error("reading the CA certificate {path}: {detail}")]
    Ca { path: String, detail: String },
    #[error("TLS setup: {0}")]
    Tls(#[from] tokio_rustls::rustls::Error),
}

/// A client of one HTTPS origin (`https://host[:port]`) that trusts only one CA.
#[derive(Clone)]
pub struct HttpsClient {
    /// `host` or `host:port`, for the `Host` header.
    authority: String,
    host: String,
    port: u16,
    name: ServerName<'static>,
    connector: TlsConnector,
}

impl HttpsClient {
    /// A client of `base_url` (`https://10.231.0.111`) whose certificate must chain to the
    /// PEM certificate at `ca` and name the URL's host.
    pub fn new(base_url: &str, ca: &Path) -> Result<HttpsClient, HttpsError> {
        let url_error = || HttpsError::Url {
            url: base_url.to_owned(),
        };
        let authority = base_url
            .strip_prefix("https://")
            .ok_or_else(url_error)?
            .trim_end_matches('/')
            .to_owned();
        if authority.is_empty() || authority.contains('/') {
            return Err(url_error());
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().map_err(|_| url_error())?),
            None => (authority.clone(), 443),
        };
        let name = ServerName::try_from(host.clone()).map_err(|_| HttpsError::Host {
            url: base_url.to_owned(),
            host: host.clone(),
        })?;
        let ca_error = |detail: String| HttpsError::Ca {
            path: ca.display().to_string(),
            detail,
        };
        let mut roots = RootCertStore::empty();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
            .map_err(|e| ca_error(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| ca_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(ca_error("no PEM certificate in it".into()));
        }
        for c in certs {
            roots.add(c)?;
        }
        let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(HttpsClient {
            authority,
            host,
            port,
            name,
            connector: TlsConnector::from(Arc::new(config)),
        })
    }

    /// `https://host[:port]`.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.authority)
    }

    /// Sends `method path` with `headers` (`Name: value` lines) and `body` on a new verified
    /// TLS connection; the whole answer, or `None` when the server cannot be reached, its
    /// certificate does not verify, or it answers garbage.
    pub async fn exchange(
        &self,
        method: &str,
        path: &str,
        headers: &[&str],
        body: &str,
    ) -> Option<Answer> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .ok()?;
        let tls = self.connector.connect(self.name.clone(), tcp).await.ok()?;
        exchange_on(tls, &self.authority, method, path, headers, body).await
    }
}
