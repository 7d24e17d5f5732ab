//! The pool CA: one certificate authority per pool, kept next to pool.toml in
//! `.poolctl/ca/` (key mode 0600, directory 0700). It issues every TLS certificate of the
//! pool: per host the exccd RPC, exccwallet RPC and stakepoold gRPC server certificates, with
//! the host's name and address plus `localhost` and `127.0.0.1` as SANs, and client
//! certificates (the web service's) that stakepoold's mutual TLS accepts.
//!
//! Issued certificates are stored, so plans are stable: a certificate is issued again only
//! when it is missing or its SANs no longer match the host (address changed).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The CA's common name.
const CA_NAME: &str = "EXCC pool CA (poolctl)";

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
}

/// A certificate and its private key, PEM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The pool's certificate authority.
pub struct PoolCa {
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
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

impl PoolCa {
    /// Opens the CA in `state_dir/ca`, creating it on first use.
    pub fn open_or_create(state_dir: &Path) -> Result<PoolCa, CaError> {
        let dir = state_dir.join("ca");
        make_private_dir(&dir)?;
        let key_path = dir.join("ca.key");
        let cert_path = dir.join("ca.cert");
        if !key_path.exists() {
            let key = KeyPair::generate().map_err(|e| issue_error(CA_NAME, e))?;
            let cert = ca_params()
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
        if cert_path.exists() && key_path.exists() && stored_sans == want_sans {
            return Ok(Issued {
                cert_pem: read(&cert_path)?,
                key_pem: read(&key_path)?,
            });
        }
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
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| issue_error(&subject, e))?;
        let issued = Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        };
        write_file(&key_path, &issued.key_pem, 0o600)?;
        write_file(&cert_path, &issued.cert_pem, 0o644)?;
        write_file(&sans_path, &want_sans, 0o644)?;
        Ok(issued)
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
        assert_eq!(a, b);
        let c = ca
            .server_cert("voting1", "exccd-rpc", &host_sans("voting1", "10.0.0.9"))
            .unwrap();
        assert_ne!(a, c);
        assert!(ca.cert_pem().contains("BEGIN CERTIFICATE"));
        assert!(
            ca.client_cert("web")
                .unwrap()
                .key_pem
                .contains("PRIVATE KEY")
        );
    }
}
