//! Facts about a host, read in one SSH command that changes nothing: which users exist, the
//! kind, owner, mode and content (or only the SHA-256, for secrets) of every managed path,
//! the services' states and the restart markers an interrupted apply left.

use std::collections::{BTreeMap, BTreeSet};

use crate::host::{Host, HostError, RemoteCommand};

use super::resource::{HostDesired, PENDING_DIR, Secrecy, Service, WALLET_STATE};

/// One path on the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathFact {
    Absent,
    Dir(Meta),
    File {
        meta: Meta,
        size: u64,
        /// The content, when asked for.
        content: Option<Vec<u8>>,
        /// The SHA-256, when asked for instead of the content (secrets).
        sha256: Option<String>,
    },
    /// Something else (a symlink, a device…): replaced like an absent file.
    Other,
}

/// Owner and permission bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub mode: u32,
    pub owner: String,
    pub group: String,
}

/// A service as systemd reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceFact {
    /// `active`, `inactive`, `failed`, `activating`…
    pub active: String,
    /// `enabled`, `disabled`, or empty for an unknown unit.
    pub enabled: String,
}

/// Everything read from one host.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub users: BTreeSet<String>,
    pub paths: BTreeMap<String, PathFact>,
    pub services: BTreeMap<Service, ServiceFact>,
    /// Distribution packages (of those asked for) that are installed.
    pub packages: BTreeSet<String>,
    /// Services marked for a restart by an apply that did not finish.
    pub pending: BTreeSet<String>,
    /// The voting wallet's files (`WALLET_STATE/*/wallet.db|json`): the wallet exists.
    pub wallet_files: Vec<String>,
}

const FACTS_SCRIPT: &str = r#"
while [ "$1" != -- ]; do
  if getent passwd "$1" >/dev/null 2>&1; then echo "U $1"; fi
  shift
done
shift
while [ "$1" != -- ]; do
  want=$1 p=$2
  shift 2
  if [ -L "$p" ]; then echo "O $p"
  elif [ -d "$p" ]; then echo "D $(stat -c '%a %U %G' -- "$p") $p"
  elif [ -f "$p" ]; then
    m=$(stat -c '%a %U %G %s' -- "$p")
    case $want in
      c) echo "C $m $p"; cat -- "$p"; echo ;;
      h) s=$(sha256sum -- "$p"); echo "H $m ${s%% *} $p" ;;
      *) echo "S $m $p" ;;
    esac
  elif [ -e "$p" ]; then echo "O $p"
  else echo "A $p"; fi
done
shift
while [ "$1" != -- ]; do
  a=$(systemctl is-active "$1" 2>/dev/null); e=$(systemctl is-enabled "$1" 2>/dev/null)
  echo "V $1 ${a:-unknown} ${e:--}"
  shift
done
shift
for p in "$@"; do
  case $(dpkg-query -W -f '${Status}' "$p" 2>/dev/null) in *" installed") echo "P $p" ;; esac
done
for f in "$PENDING"/*; do [ -e "$f" ] && echo "R ${f##*/}"; done
for f in "$WALLET"/*/wallet.db "$WALLET"/*/wallet.json; do [ -f "$f" ] && echo "W $f"; done
echo END
"#;

/// What to ask about a path.
fn want(secrecy: Secrecy) -> &'static str {
    match secrecy {
        Secrecy::Whole => "h",
        _ => "c",
    }
}

/// Reads the facts `desired` needs, in one command.
pub async fn gather(host: &impl Host, desired: &HostDesired) -> Result<Facts, HostError> {
    let mut args: Vec<String> = desired.users.iter().map(|u| u.name.clone()).collect();
    args.push("--".into());
    for d in &desired.dirs {
        args.extend(["s".into(), d.path.clone()]);
    }
    for b in &desired.binaries {
        args.extend(["s".into(), b.path.clone()]);
    }
    for f in &desired.files {
        args.extend([want(f.secrecy).into(), f.path.clone()]);
    }
    // Only whether it is there: it goes once the wallet exists.
    if let Some(w) = &desired.wallet {
        args.extend(["s".into(), w.creation.seed.path.clone()]);
    }
    args.push("--".into());
    args.extend(desired.services.iter().map(|s| s.unit()));
    args.push("--".into());
    args.extend(desired.packages.iter().cloned());
    let script = format!("PENDING={PENDING_DIR}\nWALLET={WALLET_STATE}\n{FACTS_SCRIPT}");
    let out = host
        .run(&RemoteCommand::shell(&script, args))
        .await?
        .check(host.name(), "reading facts")?;
    parse(&out.stdout).map_err(|detail| HostError::Remote {
        host: host.name().to_owned(),
        action: "reading facts".to_owned(),
        detail,
    })
}

fn parse_meta(words: &[&str]) -> Result<Meta, String> {
    let [mode, owner, group] = words else {
        return Err(format!("bad stat output {words:?}"));
    };
    Ok(Meta {
        mode: u32::from_str_radix(mode, 8).map_err(|_| format!("bad mode {mode:?}"))?,
        owner: (*owner).to_owned(),
        group: (*group).to_owned(),
    })
}

/// Parses the script's output (content blocks are length-prefixed by their size).
pub(crate) fn parse(mut out: &[u8]) -> Result<Facts, String> {
    let mut facts = Facts::default();
    loop {
        let Some(nl) = out.iter().position(|&b| b == b'\n') else {
            return Err("the facts output ended early (no END)".into());
        };
        let line = std::str::from_utf8(&out[..nl]).map_err(|_| "non-UTF-8 facts line")?;
        out = &out[nl + 1..];
        let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
        match tag {
            "END" => return Ok(facts),
            "U" => {
                facts.users.insert(rest.to_owned());
            }
            "R" => {
                facts.pending.insert(rest.to_owned());
            }
            "W" => facts.wallet_files.push(rest.to_owned()),
            "P" => {
                facts.packages.insert(rest.to_owned());
            }
            "A" => {
                facts.paths.insert(rest.to_owned(), PathFact::Absent);
            }
            "O" => {
                facts.paths.insert(rest.to_owned(), PathFact::Other);
            }
            "D" => {
                let w: Vec<&str> = rest.splitn(4, ' ').collect();
                let meta = parse_meta(&w[..3.min(w.len())])?;
                let path = w.get(3).ok_or("no path")?;
                facts.paths.insert((*path).to_owned(), PathFact::Dir(meta));
            }
            "S" | "C" | "H" => {
                let n = if tag == "H" { 6 } else { 5 };
                let w: Vec<&str> = rest.splitn(n, ' ').collect();
                if w.len() != n {
                    return Err(format!("bad facts line {line:?}"));
                }
                let meta = parse_meta(&w[..3])?;
                let size: u64 = w[3].parse().map_err(|_| format!("bad size in {line:?}"))?;
                let path = w[n - 1].to_owned();
                let (content, sha256) = match tag {
                    "C" => {
                        let size = size as usize;
                        if out.len() < size + 1 {
                            return Err(format!("content of {path} cut short"));
                        }
                        let content = out[..size].to_vec();
                        out = &out[size + 1..];
                        (Some(content), None)
                    }
                    "H" => (None, Some(w[4].to_owned())),
                    _ => (None, None),
                };
                facts.paths.insert(
                    path,
                    PathFact::File {
                        meta,
                        size,
                        content,
                        sha256,
                    },
                );
            }
            "V" => {
                let w: Vec<&str> = rest.split(' ').collect();
                let name = w
                    .first()
                    .and_then(|u| Service::from_unit(u))
                    .ok_or_else(|| format!("unknown service in {line:?}"))?;
                facts.services.insert(
                    name,
                    ServiceFact {
                        active: w.get(1).copied().unwrap_or("unknown").to_owned(),
                        enabled: match w.get(2).copied() {
                            None | Some("-") => String::new(),
                            Some(e) => e.to_owned(),
                        },
                    },
                );
            }
            _ => return Err(format!("unexpected facts line {line:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_script_output() {
        let out = b"U exccd\nD 750 root exccd /etc/exccd\nC 600 exccd exccd 6 /etc/exccd/exccd.conf\na=1\nb\n\nH 600 exccd exccd 3 abcd /etc/exccd/rpc.key\nS 755 root root 10 /usr/local/lib/excc-pool/exccd/ff\nA /etc/x\nV exccd.service active enabled\nV stakepoold.service inactive -\nP nginx\nR exccwallet\nW /var/lib/exccwallet/simnet/wallet.json\nEND\n";
        let f = parse(out).unwrap();
        assert!(f.users.contains("exccd"));
        assert_eq!(
            f.paths["/etc/exccd"],
            PathFact::Dir(Meta {
                mode: 0o750,
                owner: "root".into(),
                group: "exccd".into()
            })
        );
        match &f.paths["/etc/exccd/exccd.conf"] {
            PathFact::File { content, size, .. } => {
                assert_eq!(*size, 6);
                assert_eq!(content.as_deref(), Some(&b"a=1\nb\n"[..]));
            }
            other => panic!("{other:?}"),
        }
        match &f.paths["/etc/exccd/rpc.key"] {
            PathFact::File { sha256, .. } => assert_eq!(sha256.as_deref(), Some("abcd")),
            other => panic!("{other:?}"),
        }
        assert_eq!(f.paths["/etc/x"], PathFact::Absent);
        assert_eq!(f.services[&Service::Exccd].enabled, "enabled");
        assert_eq!(f.services[&Service::Stakepoold].enabled, "");
        assert!(f.packages.contains("nginx"));
        assert!(f.pending.contains("exccwallet"));
        assert_eq!(f.wallet_files, ["/var/lib/exccwallet/simnet/wallet.json"]);
        assert!(parse(b"U x\n").is_err());
    }
}
