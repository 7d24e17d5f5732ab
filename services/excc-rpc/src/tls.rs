//! TLS with the server's own self-signed `rpc.cert` pinned.
//!
//! exccd's `rpc.cert` is ECDSA P-256 and marked as a CA; exccwallet's default
//! is Ed25519. webpki's normal path rejects a CA certificate used as the
//! end-entity certificate, so instead of building a root store this module
//! installs [`PinnedCertVerifier`]: the server's certificate is accepted if and
//! only if its DER bytes equal the pinned certificate's; the handshake
//! signatures are still verified with the `ring` provider's algorithms (so the
//! server must hold the private key). The host name is not checked: the exact
//! certificate is stronger than a name match. Validity dates are not checked
//! either: the operator pinned this very certificate (exccd's are valid 10 years).

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::error::Error;

/// A pinned server certificate and where it came from (for error messages).
#[derive(Clone, PartialEq, Eq)]
pub struct PinnedCert {
    der: CertificateDer<'static>,
    source: String,
}

impl PinnedCert {
    /// Reads the first certificate of a PEM file (the server's `rpc.cert`).
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|e| Error::CertFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_pem(&pem, path.display().to_string())
    }

    /// Parses the first certificate of PEM text; `source` names it in errors.
    pub fn from_pem(pem: &[u8], source: impl Into<String>) -> Result<Self, Error> {
        let source = source.into();
        let der = CertificateDer::from_pem_slice(pem).map_err(|e| Error::CertFile {
            path: source.clone(),
            reason: format!("no PEM CERTIFICATE block ({e})"),
        })?;
        Ok(PinnedCert { der, source })
    }

    /// Pins DER bytes directly.
    pub fn from_der(der: Vec<u8>, source: impl Into<String>) -> Self {
        PinnedCert {
            der: CertificateDer::from(der),
            source: source.into(),
        }
    }

    /// Where the certificate came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        self.der.as_ref()
    }
}

impl fmt::Debug for PinnedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PinnedCert({}, {} bytes)", self.source, self.der.len())
    }
}

/// Accepts exactly the pinned certificate; verifies handshake signatures.
#[derive(Debug)]
pub struct PinnedCertVerifier {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedCertVerifier {
    /// A verifier for `cert` using `provider`'s signature algorithms.
    pub fn new(cert: &PinnedCert, provider: &CryptoProvider) -> Self {
        PinnedCertVerifier {
            pinned: cert.der.clone(),
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for PinnedCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A rustls client configuration (ring provider, TLS 1.2 and 1.3) pinning `cert`.
pub fn client_config(cert: &PinnedCert) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinnedCertVerifier::new(cert, &provider));
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .expect("the ring provider supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// Maps a failed TLS handshake to [`Error::CertMismatch`] or [`Error::Tls`].
pub(crate) fn handshake_error(e: io::Error, server: &str, cert: &PinnedCert) -> Error {
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(_)) => Error::CertMismatch {
            server: server.to_owned(),
            cert_file: cert.source.clone(),
        },
        Some(r) => Error::Tls {
            server: server.to_owned(),
            reason: r.to_string(),
        },
        None => Error::Tls {
            server: server.to_owned(),
            reason: e.to_string(),
        },
    }
}
