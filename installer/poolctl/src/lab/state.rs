//! `DIR/lab.json`: what a running lab looks like, for tests, scripts and `poolctl` itself.
//! Also writes `DIR/known_hosts` and `DIR/ssh_config` so that a plain `ssh -F DIR/ssh_config
//! voting1` works with strict host-key checking.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::LabError;
use crate::host::{Fingerprint, HostError, SshHost, SshOptions, SshTarget};

/// Version of the `lab.json` format.
pub const FORMAT_VERSION: u32 = 1;

/// The content of `lab.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabState {
    /// Format version, currently 1.
    pub version: u32,
    /// The lab directory.
    pub dir: PathBuf,
    /// The bridge in this machine's namespace.
    pub bridge: String,
    /// The lab subnet, `10.231.0.0/24`.
    pub subnet: String,
    /// This machine's address on the bridge.
    pub gateway: String,
    /// Private key that logs in as root on every host (mode 0600).
    pub client_key: PathBuf,
    /// The voting hosts, in order.
    pub hosts: Vec<LabHost>,
    /// The web hosts (`web1`, …), in order.
    #[serde(default)]
    pub web_hosts: Vec<LabHost>,
    /// The database host (`db1`), when the lab's pool uses an installed MariaDB.
    #[serde(default)]
    pub database: Option<LabHost>,
}

/// One host in `lab.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabHost {
    /// `voting1`, `voting2`, …
    pub name: String,
    /// IPv4 address on the lab bridge.
    pub address: String,
    /// sshd's port.
    pub ssh_port: u16,
    /// Login user.
    pub user: String,
    /// Fingerprint of the host's SSH host key, `SHA256:…`.
    pub host_key_fingerprint: Fingerprint,
    /// The host's public host key (`ssh-ed25519 AAAA… root@voting1`).
    pub host_key: String,
    /// Private key to log in with (the same for all hosts).
    pub client_key: PathBuf,
    /// Network namespace of the host.
    pub netns: String,
}

impl LabHost {
    /// Where to connect.
    pub fn ssh_target(&self) -> SshTarget {
        SshTarget::new(&self.name, &self.address)
            .port(self.ssh_port)
            .user(&self.user)
    }

    /// Connection options with the lab's client key.
    pub fn ssh_options(&self) -> SshOptions {
        SshOptions::new(&self.client_key)
    }

    /// Connects as root with the lab's client key, pinning the recorded host key.
    pub async fn connect(&self) -> Result<SshHost, HostError> {
        SshHost::connect(
            self.ssh_target(),
            Some(&self.host_key_fingerprint),
            &self.ssh_options(),
        )
        .await
    }
}

impl LabState {
    /// `DIR/lab.json`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("lab.json")
    }

    /// Reads `DIR/lab.json`.
    pub fn load(dir: &Path) -> Result<Self, LabError> {
        let path = Self::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(LabError::NoLab {
                    dir: dir.to_owned(),
                });
            }
            Err(e) => return Err(LabError::io("cannot read", &path)(e)),
        };
        let state: Self = serde_json::from_str(&text).map_err(|e| LabError::BadState {
            path: path.clone(),
            dir: dir.to_owned(),
            cause: e.to_string(),
        })?;
        if state.version != FORMAT_VERSION {
            return Err(LabError::BadState {
                path,
                dir: dir.to_owned(),
                cause: format!(
                    "format version {} (this poolctl writes {FORMAT_VERSION})",
                    state.version
                ),
            });
        }
        Ok(state)
    }

    /// The host called `name` (any role).
    pub fn host(&self, name: &str) -> Option<&LabHost> {
        self.all_hosts().find(|h| h.name == name)
    }

    /// Every host: voting hosts, the database host, web hosts.
    pub fn all_hosts(&self) -> impl Iterator<Item = &LabHost> {
        self.hosts
            .iter()
            .chain(self.database.iter())
            .chain(self.web_hosts.iter())
    }

    /// Writes `lab.json`, `known_hosts` and `ssh_config` atomically (temp file + rename).
    pub fn save(&self) -> Result<(), LabError> {
        let json = serde_json::to_string_pretty(self).expect("lab state serialises") + "\n";
        write_atomic(&Self::path(&self.dir), &json)?;
        let known: String = self
            .all_hosts()
            .map(|h| format!("{} {}\n", h.address, key_without_comment(&h.host_key)))
            .collect();
        write_atomic(&self.dir.join("known_hosts"), &known)?;
        let mut config = String::from("# Written by poolctl lab: ssh -F THIS_FILE voting1\n");
        for h in self.all_hosts() {
            config.push_str(&format!(
                "\nHost {name}\n    HostName {addr}\n    Port {port}\n    User {user}\n    IdentityFile {key}\n    IdentitiesOnly yes\n    UserKnownHostsFile {known}\n    StrictHostKeyChecking yes\n    BatchMode yes\n",
                name = h.name,
                addr = h.address,
                port = h.ssh_port,
                user = h.user,
                key = h.client_key.display(),
                known = self.dir.join("known_hosts").display(),
            ));
        }
        write_atomic(&self.dir.join("ssh_config"), &config)?;
        Ok(())
    }

    /// Removes `lab.json`, `known_hosts` and `ssh_config`.
    pub fn remove(dir: &Path) {
        for f in ["lab.json", "known_hosts", "ssh_config"] {
            let _ = std::fs::remove_file(dir.join(f));
        }
    }
}

/// `ssh-ed25519 AAAA…` without the trailing comment.
fn key_without_comment(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn write_atomic(path: &Path, text: &str) -> Result<(), LabError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(LabError::io("cannot write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(LabError::io("cannot rename to", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape() {
        let fp: Fingerprint = "SHA256:OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ"
            .parse()
            .unwrap();
        let state = LabState {
            web_hosts: Vec::new(),
            database: None,
            version: 1,
            dir: "/var/tmp/excc-lab".into(),
            bridge: "excclab0".into(),
            subnet: "10.231.0.0/24".into(),
            gateway: "10.231.0.1".into(),
            client_key: "/var/tmp/excc-lab/id_ed25519".into(),
            hosts: vec![LabHost {
                name: "voting1".into(),
                address: "10.231.0.11".into(),
                ssh_port: 22,
                user: "root".into(),
                host_key_fingerprint: fp,
                host_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDSPJuoMRbiJWr7niMdzh4H2UgeN5H/DLrZgFNjxWY0h root@voting1".into(),
                client_key: "/var/tmp/excc-lab/id_ed25519".into(),
                netns: "excclab-voting1".into(),
            }],
        };
        let v: serde_json::Value = serde_json::to_value(&state).unwrap();
        let h = &v["hosts"][0];
        assert_eq!(h["name"], "voting1");
        assert_eq!(h["address"], "10.231.0.11");
        assert_eq!(h["ssh_port"], 22);
        assert_eq!(
            h["host_key_fingerprint"],
            "SHA256:OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ"
        );
        assert_eq!(h["client_key"], "/var/tmp/excc-lab/id_ed25519");
        let back: LabState = serde_json::from_value(v).unwrap();
        assert_eq!(back, state);
        assert_eq!(
            key_without_comment(&state.hosts[0].host_key),
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDSPJuoMRbiJWr7niMdzh4H2UgeN5H/DLrZgFNjxWY0h"
        );
    }
}
