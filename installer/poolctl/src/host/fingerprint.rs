//! SSH host-key fingerprints in OpenSSH's `SHA256:base64` form.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use russh::keys::{HashAlg, PublicKey, PublicKeyOrCertificate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The SHA-256 fingerprint of an SSH public key, written as OpenSSH prints it
/// (`ssh-keygen -lf`, `ssh -v`): `SHA256:` followed by 43 characters of unpadded base64.
///
/// This is what `pool.toml` pins for each host and what `lab.json` records.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of a public key.
    pub fn of_key(key: &PublicKey) -> Self {
        Self::from_ssh_key(key.fingerprint(HashAlg::Sha256))
    }

    /// The fingerprint of the key a server presented; for a host certificate, the
    /// fingerprint of the certified key (as `ssh-keygen -lf` prints for a certificate).
    pub fn of_presented(key: &PublicKeyOrCertificate) -> Self {
        match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => Self::of_key(key),
            PublicKeyOrCertificate::Certificate(cert) => {
                Self::from_ssh_key(cert.public_key().fingerprint(HashAlg::Sha256))
            }
        }
    }

    /// The fingerprint of a public key in OpenSSH's one-line format
    /// (`ssh-ed25519 AAAA… comment`, the content of a `.pub` file).
    pub fn of_openssh_public_key(line: &str) -> Result<Self, String> {
        let key = PublicKey::from_openssh(line.trim())
            .map_err(|e| format!("not an OpenSSH public key: {e}"))?;
        Ok(Self::of_key(&key))
    }

    /// The 32 raw bytes of the SHA-256 digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn from_ssh_key(fp: russh::keys::ssh_key::Fingerprint) -> Self {
        let bytes = fp.sha256().expect("a SHA-256 fingerprint was asked for");
        Self(bytes)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SHA256:{}", STANDARD_NO_PAD.encode(self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Fingerprint {
    type Err = String;

    /// Parses `SHA256:` + unpadded (or padded) base64 of 32 bytes.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{s:?} is not an SSH host-key fingerprint; expected SHA256: and 43 base64 characters, as printed by `ssh-keygen -lf KEY.pub`"
            )
        };
        let b64 = s.trim().strip_prefix("SHA256:").ok_or_else(bad)?;
        let bytes = STANDARD_NO_PAD
            .decode(b64.trim_end_matches('='))
            .map_err(|_| bad())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
        Ok(Self(bytes))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // `ssh-keygen -lf` of this key prints
    // 256 SHA256:OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ test (ED25519)
    const PUB: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDSPJuoMRbiJWr7niMdzh4H2UgeN5H/DLrZgFNjxWY0h test";

    #[test]
    fn matches_ssh_keygen() {
        let fp = Fingerprint::of_openssh_public_key(PUB).unwrap();
        assert_eq!(
            fp.to_string(),
            "SHA256:OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ"
        );
        assert_eq!(fp.to_string().parse::<Fingerprint>().unwrap(), fp);
    }

    #[test]
    fn parse_rejects_garbage() {
        for bad in [
            "OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ",
            "SHA256:",
            "SHA256:abc",
            "MD5:aa:bb",
            "SHA256:!!!!uLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ",
        ] {
            let err = bad.parse::<Fingerprint>().unwrap_err();
            assert!(err.contains("ssh-keygen -lf"), "{err}");
        }
        // OpenSSH never pads, but accept a padded value pasted from elsewhere.
        assert!(
            "SHA256:OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ="
                .parse::<Fingerprint>()
                .is_ok()
        );
    }

    #[test]
    fn serde_round_trip() {
        let fp = Fingerprint::of_openssh_public_key(PUB).unwrap();
        let json = serde_json::to_string(&fp).unwrap();
        assert_eq!(
            json,
            "\"SHA256:OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ\""
        );
        assert_eq!(serde_json::from_str::<Fingerprint>(&json).unwrap(), fp);
    }
}
