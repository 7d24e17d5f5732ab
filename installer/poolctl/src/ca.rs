//! The pool CA: one certificate authority per pool, kept next to pool.toml in
//! `.poolctl/ca/` (key mode 0600, directory 0700). It issues every TLS certificate of the
//! pool: per host the exccd RPC, exccwallet RPC and stakepoold gRPC server certificates, with
//! the host's name and address plus `localhost` and `127.0.0.1` as SANs, and client
//! certificates (the web service's) that stakepoold's mutual TLS accepts.
//!
//! Issued certificates are stored, so plans are stable: a certificate is issued again only
//! when it is missing, its SANs no longer match the host (address changed), or it is due
//! for renewal ([`renewal_reason`]: leaf certificates live [`LEAF_VALIDITY_DAYS`] and are
//! renewed [`RENEW_DAYS_BEFORE`] days before they expire, so every apply in that window
//! uploads the new one). The CA itself lives [`CA_VALIDITY_DAYS`].
//!
//! Client certificates can be revoked ([`PoolCa::revoke_client`]): the serial is recorded
//! in `ca/revoked`, and `ca/clients.crl`, a revocation list signed by the CA, lists every
//! revoked serial; apply uploads it to every voting host, where stakepoold refuses those
//! certificates at the TLS handshake (`grpc.client_crl`).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason,
    RevokedCertParams, SerialNumber,
};
use time::OffsetDateTime;

/// The CA's common name.
const CA_NAME: &str = "EXCC pool CA (poolctl)";
/// Days a new pool CA certificate is valid.
pub const CA_VALIDITY_DAYS: i64 = 3650;
/// Days an issued (leaf) certificate and the revocation list are valid.
pub const LEAF_VALIDITY_DAYS: i64 = 365;
/// A leaf certificate (or the revocation list) with fewer days left is issued again.
pub const RENEW_DAYS_BEFORE: i64 = 30;
const DAY: i64 = 86_400;
/// Issued certificates start an hour early, for hosts whose clocks lag a little.
const BACKDATE: i64 = 3_600;

/// Why the CA could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("pool CA: cannot {action} {}: {cause}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        cause: String,
    },
    #[error("pool CA: {what} in {} is unusable ({cause}); restore it from a backup (deleting it makes a new CA, which every host and client must then trust)", path.display())]
    Corrupt {
        what: &'static str,
        path: PathBuf,
        cause: String,
    },
    #[error("pool CA: cannot issue a certificate for {subject}: {cause}")]
    Issue { subject: String, cause: String },
    #[error("pool CA: there is no client certificate {name} ({} does not exist); `ls {}` lists them", path.display(), path.parent().map(Path::display).map(|d| d.to_string()).unwrap_or_default())]
    NoClientCert { name: String, path: PathBuf },
    #[error("pool CA: no CA in {} (run `poolctl plan` once to create it)", dir.display())]
    NoCa { dir: PathBuf },
}

/// A certificate and its private key, PEM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    /// Why it was (re)issued just now; `None` when the stored one was kept.
    pub renewed: Option<String>,
}

/// A revoked client certificate (a line of `ca/revoked`: `SERIAL_HEX NAME UNIX_TIME`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    /// The serial number, big-endian bytes.
    pub serial: Vec<u8>,
    pub name: String,
    /// When it was revoked, Unix seconds.
    pub at: i64,
}

/// The pool's certificate authority.
pub struct PoolCa {
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
    /// The clock (Unix seconds) certificates are issued and checked against.
    now: i64,
}

impl std::fmt::Debug for PoolCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolCa").field("dir", &self.dir).finish()
    }
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, CA_NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// Why a stored certificate valid from `not_before` to `not_after` must be issued again at
/// `now` (all Unix seconds), or `None` to keep it.
pub fn renewal_reason(not_before: i64, not_after: i64, now: i64) -> Option<String> {
    let left = not_after - now;
    if left <= 0 {
        return Some("expired".to_owned());
    }
    if left < RENEW_DAYS_BEFORE * DAY {
        return Some(format!("expires in {} days", (left + DAY - 1) / DAY));
    }
    if not_after - not_before > (LEAF_VALIDITY_DAYS + 1) * DAY {
        return Some(format!(
            "valid for {} days, more than the {LEAF_VALIDITY_DAYS} poolctl issues now",
            (not_after - not_before) / DAY
        ));
    }
    None
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn date(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The DER inside a PEM text.
fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    Some(pem.contents)
}

/// `(not_before, not_after, serial)` of a PEM certificate.
fn cert_facts(pem: &str) -> Option<(i64, i64, Vec<u8>)> {
    let der = pem_der(pem)?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    let v = cert.validity();
    Some((
        v.not_before.timestamp(),
        v.not_after.timestamp(),
        cert.tbs_certificate.serial.to_bytes_be(),
    ))
}

impl PoolCa {
    /// Opens the CA in `state_dir/ca`, creating it on first use.
    pub fn open_or_create(state_dir: &Path) -> Result<PoolCa, CaError> {
        Self::open_at(state_dir, unix_now(), true)
    }

    /// Opens the existing CA in `state_dir/ca`.
    pub fn open(state_dir: &Path) -> Result<PoolCa, CaError> {
        Self::open_at(state_dir, unix_now(), false)
    }

    /// Opens (with `create`, on first use creates) the CA with its clock at `now` (Unix
    /// seconds): certificates are issued and checked for renewal as of then.
    pub fn open_at(state_dir: &Path, now: i64, create: bool) -> Result<PoolCa, CaError> {
        let dir = state_dir.join("ca");
        let key_path = dir.join("ca.key");
        let cert_path = dir.join("ca.cert");
        if !create && !key_path.exists() {
            return Err(CaError::NoCa { dir });
        }
        make_private_dir(&dir)?;
        if !key_path.exists() {
            let key = KeyPair::generate().map_err(|e| issue_error(CA_NAME, e))?;
            let mut params = ca_params();
            params.not_before = date(now - BACKDATE);
            params.not_after = date(now + CA_VALIDITY_DAYS * DAY);
            let cert = params
                .self_signed(&key)
                .map_err(|e| issue_error(CA_NAME, e))?;
            write_file(&key_path, &key.serialize_pem(), 0o600)?;
            write_file(&cert_path, &cert.pem(), 0o644)?;
        }
        let key_pem = read(&key_path)?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| CaError::Corrupt {
            what: "the CA key",
            path: key_path.clone(),
            cause: e.to_string(),
        })?;
        let cert_pem = read(&cert_path)?;
        Ok(PoolCa {
            dir,
            issuer: Issuer::new(ca_params(), key),
            cert_pem,
            now,
        })
    }

    /// The CA certificate, PEM (what clients and stakepoold trust).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The server certificate of `service` on `host` for `sans`, issued once and kept.
    pub fn server_cert(
        &self,
        host: &str,
        service: &str,
        sans: &[String],
    ) -> Result<Issued, CaError> {
        let dir = self.dir.join("hosts").join(host);
        self.stored_or_issue(&dir, service, sans, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate called `name` (e.g. `web` for the web service).
    pub fn client_cert(&self, name: &str) -> Result<Issued, CaError> {
        let dir = self.dir.join("clients");
        self.stored_or_issue(
            &dir,
            name,
            &[name.to_owned()],
            ExtendedKeyUsagePurpose::ClientAuth,
        )
    }

    fn stored_or_issue(
        &self,
        dir: &Path,
        name: &str,
        sans: &[String],
        usage: ExtendedKeyUsagePurpose,
    ) -> Result<Issued, CaError> {
        make_private_dir(dir)?;
        let cert_path = dir.join(format!("{name}.cert"));
        let key_path = dir.join(format!("{name}.key"));
        let sans_path = dir.join(format!("{name}.sans"));
        let want_sans = sans.join("\n") + "\n";
        let stored_sans = std::fs::read_to_string(&sans_path).unwrap_or_default();
        let renewed = if !(cert_path.exists() && key_path.exists()) {
            "new".to_owned()
        } else if stored_sans != want_sans {
            "the host's names changed".to_owned()
        } else {
            let cert_pem = read(&cert_path)?;
            let reason = match cert_facts(&cert_pem) {
                Some((from, to, _)) => renewal_reason(from, to, self.now),
                None => Some("the stored certificate is unreadable".to_owned()),
            };
            match reason {
                None => {
                    return Ok(Issued {
                        cert_pem,
                        key_pem: read(&key_path)?,
                        renewed: None,
                    });
                }
                Some(reason) => reason,
            }
        };
        let subject = format!("{name} ({})", sans.join(", "));
        let key = KeyPair::generate().map_err(|e| issue_error(&subject, e))?;
        let mut params =
            CertificateParams::new(sans.to_vec()).map_err(|e| issue_error(&subject, e))?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![usage];
        params.not_before = date(self.now - BACKDATE);
        params.not_after = date(self.now + LEAF_VALIDITY_DAYS * DAY);
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| issue_error(&subject, e))?;
        let issued = Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            renewed: Some(renewed),
        };
        write_file(&key_path, &issued.key_pem, 0o600)?;
        write_file(&cert_path, &issued.cert_pem, 0o644)?;
        write_file(&sans_path, &want_sans, 0o644)?;
        Ok(issued)
    }

    /// Revokes the client certificate `name`: its serial goes to `ca/revoked` and the
    /// revocation list is signed again; its files are removed, so the next plan issues a
    /// new certificate under the same name.
    pub fn revoke_client(&self, name: &str) -> Result<Revoked, CaError> {
        let clients = self.dir.join("clients");
        let cert_path = clients.join(format!("{name}.cert"));
        if !cert_path.is_file() {
            return Err(CaError::NoClientCert {
                name: name.to_owned(),
                path: cert_path,
            });
        }
        let (_, _, serial) = cert_facts(&read(&cert_path)?).ok_or_else(|| CaError::Corrupt {
            what: "the client certificate",
            path: cert_path.clone(),
            cause: "not a PEM certificate".to_owned(),
        })?;
        let revoked = Revoked {
            serial,
            name: name.to_owned(),
            at: self.now,
        };
        let mut list = self.revoked()?;
        if !list.iter().any(|r| r.serial == revoked.serial) {
            list.push(revoked.clone());
            let text: String = list
                .iter()
                .map(|r| format!("{} {} {}\n", hex::encode(&r.serial), r.name, r.at))
                .collect();
            write_file(&self.dir.join("revoked"), &text, 0o644)?;
        }
        self.sign_crl(&list)?;
        for ext in ["cert", "key", "sans"] {
            let path = clients.join(format!("{name}.{ext}"));
            std::fs::remove_file(&path)
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => Ok(()),
                    _ => Err(e),
                })
                .map_err(|e| CaError::Io {
                    action: "remove",
                    path,
                    cause: e.to_string(),
                })?;
        }
        Ok(revoked)
    }

    /// Every revoked client certificate (`ca/revoked`), oldest first.
    pub fn revoked(&self) -> Result<Vec<Revoked>, CaError> {
        let path = self.dir.join("revoked");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(CaError::Io {
                    action: "read",
                    path,
                    cause: e.to_string(),
                });
            }
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let mut w = line.split_whitespace();
                let parsed = (|| {
                    let serial = hex::decode(w.next()?).ok()?;
                    let name = w.next()?.to_owned();
                    let at = w.next()?.parse().ok()?;
                    Some(Revoked { serial, name, at })
                })();
                parsed.ok_or_else(|| CaError::Corrupt {
                    what: "the list of revoked certificates",
                    path: path.clone(),
                    cause: format!("bad line {line:?}"),
                })
            })
            .collect()
    }

    /// The revocation list of client certificates (PEM), what stakepoold's
    /// `grpc.client_crl` reads. Kept in `ca/clients.crl` so plans are stable; signed
    /// again when missing or due for renewal.
    pub fn crl_pem(&self) -> Result<String, CaError> {
        let path = self.dir.join("clients.crl");
        if path.exists() {
            let pem = read(&path)?;
            let next = pem_der(&pem).and_then(|der| {
                let (_, crl) = x509_parser::parse_x509_crl(&der).ok()?;
                Some(crl.next_update()?.timestamp())
            });
            if next.is_some_and(|n| n - self.now >= RENEW_DAYS_BEFORE * DAY) {
                return Ok(pem);
            }
        }
        self.sign_crl(&self.revoked()?)
    }

    fn sign_crl(&self, list: &[Revoked]) -> Result<String, CaError> {
        let params = CertificateRevocationListParams {
            this_update: date(self.now - BACKDATE),
            next_update: date(self.now + LEAF_VALIDITY_DAYS * DAY),
            // Increases with every list signed (RFC 5280 5.2.3).
            crl_number: SerialNumber::from(self.now.max(0) as u64),
            issuing_distribution_point: None,
            revoked_certs: list
                .iter()
                .map(|r| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&r.serial),
                    revocation_time: date(r.at),
                    reason_code: Some(RevocationReason::Unspecified),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let pem = params
            .signed_by(&self.issuer)
            .and_then(|crl| crl.pem())
            .map_err(|e| issue_error("the revocation list", e))?;
        write_file(&self.dir.join("clients.crl"), &pem, 0o644)?;
        Ok(pem)
    }
}

/// The SANs of a host's server certificates.
pub fn host_sans(name: &str, address: &str) -> Vec<String> {
    let mut sans = vec![name.to_owned()];
    for s in [address, "localhost", "127.0.0.1"] {
        if !sans.iter().any(|x| x == s) {
            sans.push(s.to_owned());
        }
    }
    sans
}

fn issue_error(subject: &str, e: rcgen::Error) -> CaError {
    CaError::Issue {
        subject: subject.to_owned(),
        cause: e.to_string(),
    }
}

fn read(path: &Path) -> Result<String, CaError> {
    std::fs::read_to_string(path).map_err(|e| CaError::Io {
        action: "read",
        path: path.to_owned(),
        cause: e.to_string(),
    })
}

fn make_private_dir(dir: &Path) -> Result<(), CaError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| CaError::Io {
            action: "create",
            path: dir.to_owned(),
            cause: e.to_string(),
        })
}

/// Writes atomically with `mode` set before the content is visible.
fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), CaError> {
    let tmp = path.with_extension("tmp");
    let io = |e: std::io::Error| CaError::Io {
        action: "write",
        path: path.to_owned(),
        cause: e.to_string(),
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn issues_once_and_reissues_on_new_sans() {
        let dir = tempfile::tempdir().unwrap();
        let ca = PoolCa::open_or_create(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join("ca/ca.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let sans = host_sans("voting1", "10.231.0.11");
        assert_eq!(sans, ["voting1", "10.231.0.11", "localhost", "127.0.0.1"]);
        let a = ca.server_cert("voting1", "exccd-rpc", &sans).unwrap();
        // Reopened CA, same stored certificate.
        let ca = PoolCa::open_or_create(dir.path()).unwrap();
        let b = ca.server_cert("voting1", "exccd-rpc", &sans).unwrap();
        assert_eq!((&a.cert_pem, &a.key_pem), (&b.cert_pem, &b.key_pem));
        assert_eq!(b.renewed, None);
        let c = ca
            .server_cert("voting1", "exccd-rpc", &host_sans("voting1", "10.0.0.9"))
            .unwrap();
        assert_ne!(a.cert_pem, c.cert_pem);
        assert_eq!(c.renewed.as_deref(), Some("the host's names changed"));
        assert!(ca.cert_pem().contains("BEGIN CERTIFICATE"));
        assert!(
            ca.client_cert("web")
                .unwrap()
                .key_pem
                .contains("PRIVATE KEY")
        );
    }

    #[test]
    fn renewal_decision() {
        let now = 1_800_000_000;
        // Issued now for a year: kept.
        assert_eq!(renewal_reason(now - BACKDATE, now + 365 * DAY, now), None);
        // 31 days left: kept; 29 days left: renewed; expired: renewed.
        assert_eq!(renewal_reason(now - 334 * DAY, now + 31 * DAY, now), None);
        assert_eq!(
            renewal_reason(now - 336 * DAY, now + 29 * DAY, now).as_deref(),
            Some("expires in 29 days")
        );
        assert_eq!(
            renewal_reason(now - 366 * DAY, now - 1, now).as_deref(),
            Some("expired")
        );
        // rcgen's default validity (1975 to 4096), what poolctl issued before: renewed.
        let (from, to) = (157_766_400, 67_767_976_233_532_799);
        assert!(
            renewal_reason(from, to, now)
                .unwrap()
                .contains("more than the 365")
        );
    }

    fn validity(pem: &str) -> (i64, i64) {
        let (from, to, _) = cert_facts(pem).unwrap();
        (from, to)
    }

    #[test]
    fn bounded_validity_and_renewal_before_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = unix_now();
        let ca = PoolCa::open_at(dir.path(), t0, true).unwrap();
        assert_eq!(
            validity(ca.cert_pem()),
            (t0 - BACKDATE, t0 + CA_VALIDITY_DAYS * DAY)
        );
        let sans = host_sans("voting1", "10.231.0.11");
        let first = ca.server_cert("voting1", "stakepoold-grpc", &sans).unwrap();
        assert_eq!(first.renewed.as_deref(), Some("new"));
        assert_eq!(
            validity(&first.cert_pem),
            (t0 - BACKDATE, t0 + LEAF_VALIDITY_DAYS * DAY)
        );
        // 300 days later (65 left): the stored certificate is kept, so plans are stable.
        let later = PoolCa::open_at(dir.path(), t0 + 300 * DAY, true).unwrap();
        let kept = later
            .server_cert("voting1", "stakepoold-grpc", &sans)
            .unwrap();
        assert_eq!(
            (kept.cert_pem.as_str(), kept.renewed),
            (first.cert_pem.as_str(), None)
        );
        // 340 days later (25 left): issued again, with a new key, for another year.
        let t1 = t0 + 340 * DAY;
        let due = PoolCa::open_at(dir.path(), t1, true).unwrap();
        let renewed = due
            .server_cert("voting1", "stakepoold-grpc", &sans)
            .unwrap();
        assert_eq!(renewed.renewed.as_deref(), Some("expires in 25 days"));
        assert_ne!(renewed.key_pem, first.key_pem);
        assert_eq!(
            validity(&renewed.cert_pem),
            (t1 - BACKDATE, t1 + LEAF_VALIDITY_DAYS * DAY)
        );
        let web = due.client_cert("web").unwrap();
        assert_eq!(web.renewed.as_deref(), Some("new"));
        assert_eq!(validity(&web.cert_pem).1, t1 + LEAF_VALIDITY_DAYS * DAY);
    }

    /// The client verifier stakepoold builds (rustls' WebPKI with the pool CA and its CRL).
    fn verify(ca: &PoolCa, client: &Issued) -> Result<(), rustls::Error> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(ca.cert_pem().as_bytes()).unwrap())
            .unwrap();
        let crl =
            CertificateRevocationListDer::from_pem_slice(ca.crl_pem().unwrap().as_bytes()).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                .with_crls([crl])
                .build()
                .unwrap();
        let cert = CertificateDer::from_pem_slice(client.cert_pem.as_bytes()).unwrap();
        verifier
            .verify_client_cert(&cert, &[], UnixTime::now())
            .map(|_| ())
    }

    #[test]
    fn revoked_client_certificates_are_listed_and_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ca = PoolCa::open_or_create(dir.path()).unwrap();
        let old = ca.client_cert("web").unwrap();
        verify(&ca, &old).unwrap();
        // Without revocations the list is stable (kept, not signed again per plan).
        assert_eq!(ca.crl_pem().unwrap(), ca.crl_pem().unwrap());

        let revoked = ca.revoke_client("web").unwrap();
        assert_eq!(revoked.serial, cert_facts(&old.cert_pem).unwrap().2);
        assert_eq!(ca.revoked().unwrap(), [revoked]);
        assert!(matches!(
            verify(&ca, &old),
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Revoked
            ))
        ));
        // The next plan issues a fresh certificate under the same name: accepted.
        let fresh = ca.client_cert("web").unwrap();
        assert_eq!(fresh.renewed.as_deref(), Some("new"));
        verify(&ca, &fresh).unwrap();
        // The list survives reopening.
        let ca = PoolCa::open(dir.path()).unwrap();
        assert!(verify(&ca, &old).is_err());
        assert!(matches!(
            ca.revoke_client("nobody"),
            Err(CaError::NoClientCert { .. })
        ));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            PoolCa::open(empty.path()),
            Err(CaError::NoCa { .. })
        ));
    }
}
