//! Self-signed server certificates like exccd's (ECDSA P-256, marked CA) and
//! exccwallet's default (Ed25519).

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// exccd default: ECDSA P-256, CA:true.
    P256Ca,
    /// exccwallet default: Ed25519.
    Ed25519,
}

pub struct TestCert {
    pub pem: String,
    pub der: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
}

pub fn generate(kind: Kind) -> TestCert {
    let alg = match kind {
        Kind::P256Ca => &rcgen::PKCS_ECDSA_P256_SHA256,
        Kind::Ed25519 => &rcgen::PKCS_ED25519,
    };
    let key = KeyPair::generate_for(alg).expect("key generation");
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("cert params");
    if matches!(kind, Kind::P256Ca) {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    let cert = params.self_signed(&key).expect("self-signed cert");
    TestCert {
        pem: cert.pem(),
        der: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}
