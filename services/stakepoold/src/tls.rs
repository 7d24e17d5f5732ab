//! Mutual TLS for the gRPC server: the server presents its certificate and
//! requires a client certificate signed by the configured CA and not revoked by its
//! revocation list (`grpc.client_crl`, read at start). Rejections are
//! logged with the client's certificate subject so an operator can see who
//! was refused and why.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};

use crate::config::GrpcConfig;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    #[error("TLS setup: {0}")]
    Rustls(String),
}

fn file_err(path: &Path, reason: impl fmt::Display) -> TlsError {
    TlsError::File {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Reads every certificate of a PEM file; errors name the file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_err(path, format!("cannot read certificates: {e}")))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(path, format!("not a PEM certificate file: {e}")))?;
    if certs.is_empty() {
        return Err(file_err(path, "contains no certificate"));
    }
    Ok(certs)
}

/// Reads every CRL of a PEM file; errors name the file.
pub fn load_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let crls: Vec<_> = CertificateRevocationListDer::pem_file_iter(path)
        .map_err(|e| file_err(path, format!("cannot read revocation lists: {e}")))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(path, format!("not a PEM X509 CRL file: {e}")))?;
    if crls.is_empty() {
        return Err(file_err(path, "contains no X509 CRL"));
    }
    Ok(crls)
}

pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| file_err(path, format!("not a PEM private key: {e}")))
}

/// A certificate's subject, for log lines (`CN=web1,O=pool` or `<unparsable>`).
pub fn subject_of(cert: &CertificateDer<'_>) -> String {
    x509_parser::parse_x509_certificate(cert.as_ref())
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_else(|_| "<unparsable certificate>".into())
}

/// Wraps the WebPKI client verifier to log the subject of refused certificates.
#[derive(Debug)]
struct LoggingClientVerifier(Arc<dyn ClientCertVerifier>);

impl ClientCertVerifier for LoggingClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.0.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.0
            .verify_client_cert(end_entity, intermediates, now)
            .inspect_err(|e| {
                tracing::warn!(subject = %subject_of(end_entity), error = %e,
                    "refused gRPC client certificate: not signed by grpc.client_ca, not valid now, or revoked by grpc.client_crl");
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The rustls server configuration for the gRPC listener (HTTP/2 only).
pub fn grpc_server_config(grpc: &GrpcConfig) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for ca in load_certs(&grpc.client_ca)? {
        roots
            .add(ca)
            .map_err(|e| file_err(&grpc.client_ca, format!("not a usable CA certificate: {e}")))?;
    }
    let mut builder =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    if let Some(crl) = &grpc.client_crl {
        builder = builder.with_crls(load_crls(crl)?);
    }
    let verifier = builder.build().map_err(|e| {
        let file = grpc.client_crl.as_deref().unwrap_or(&grpc.client_ca);
        file_err(file, e)
    })?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_client_cert_verifier(Arc::new(LoggingClientVerifier(verifier)))
        .with_single_cert(load_certs(&grpc.cert)?, load_key(&grpc.key)?)
        .map_err(|e| {
            file_err(
                &grpc.key,
                format!("does not match {}: {e}", grpc.cert.display()),
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}
