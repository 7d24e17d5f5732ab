//! A throw-away certificate authority for the tests' mutual TLS (the pool CA
//! that poolctl runs in production plays this role).

use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, IsCa, Issuer,
    KeyIdMethod, KeyPair, RevokedCertParams, SanType, SerialNumber, date_time_ymd,
};

pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub cert_pem: String,
}

/// A certificate and key written to files (key mode 0600).
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The certificate's serial number (big-endian), for revocation lists.
    pub serial: u64,
}

/// Serial numbers unique within the test process.
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        TestCa {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    pub fn write_cert(&self, path: &Path) -> PathBuf {
        std::fs::write(path, &self.cert_pem).unwrap();
        path.into()
    }

    /// Issues a leaf certificate for `cn` with DNS `localhost` and IP 127.0.0.1 SANs.
    pub fn issue(&self, cn: &str, dir: &Path) -> Issued {
        self.issue_for(cn, &[], dir)
    }

    /// Like [`TestCa::issue`], the certificate also naming the DNS names `names` (a server
    /// known by a name, as the pool CA's host certificates are).
    pub fn issue_for(&self, cn: &str, names: &[&str], dir: &Path) -> Issued {
        let key = KeyPair::generate().unwrap();
        let dns = std::iter::once("localhost").chain(names.iter().copied());
        let mut params =
            CertificateParams::new(dns.map(str::to_owned).collect::<Vec<_>>()).unwrap();
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        params.distinguished_name.push(DnType::CommonName, cn);
        let serial = NEXT_SERIAL.fetch_add(1, Ordering::Relaxed);
        params.serial_number = Some(SerialNumber::from(serial));
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let issued = Issued {
            cert: dir.join(format!("{cn}.cert")),
            key: dir.join(format!("{cn}.key")),
            serial,
        };
        std::fs::write(&issued.cert, cert.pem()).unwrap();
        write_private(&issued.key, &key.serialize_pem());
        issued
    }
}

impl TestCa {
    /// A revocation list (PEM X509 CRL) signed by this CA listing `serials`.
    pub fn revocation_list(&self, serials: &[u64]) -> String {
        let params = CertificateRevocationListParams {
            this_update: date_time_ymd(2020, 1, 1),
            next_update: date_time_ymd(2100, 1, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from(*s),
                    revocation_time: date_time_ymd(2020, 1, 1),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params.signed_by(&self.issuer).unwrap().pem().unwrap()
    }
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, contents: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(contents.as_bytes()).unwrap();
}
