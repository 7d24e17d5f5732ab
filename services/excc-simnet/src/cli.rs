//! Command line: `excc-simnet node …` and `excc-simnet wallet …`, with the
//! exccd.conf / exccwallet.conf INI file (`-C`) merged in before the flags.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::node::config::NodeArgs;
use crate::wallet::config::WalletArgs;

#[derive(Parser, Debug)]
#[command(
    name = "excc-simnet",
    about = "Simulated exccd/exccwallet on the real JSON-RPC wire format"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Run a simulated exccd node.
    Node(NodeArgs),
    /// Run a simulated exccwallet.
    Wallet(WalletArgs),
}

/// Flags that take no value: a config line `key=1` becomes `--key`.
const BOOL_KEYS: &[&str] = &[
    "simnet",
    "txindex",
    "simadmin",
    "createtemp",
    "create",
    "enablevoting",
    "noclienttls",
    "noservertls",
    "exitwithstdin",
];

/// Reads `key=value` lines (`;`/`#` comments, `[sections]` ignored) into flags.
pub fn config_file_args(path: &Path) -> std::io::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty()
            || line.starts_with(';')
            || line.starts_with('#')
            || line.starts_with('[')
        {
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or((line, "1"));
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        if BOOL_KEYS.contains(&k.as_str()) {
            if matches!(v, "1" | "true" | "yes" | "on" | "") {
                out.push(format!("--{k}"));
            }
        } else {
            out.push(format!("--{k}={v}"));
        }
    }
    Ok(out)
}

/// `argv` with the config file's flags inserted right after the subcommand;
/// a key also given on the command line (long form) is taken from there.
pub fn merged_args(argv: Vec<String>) -> Result<Vec<String>, String> {
    let mut cfg: Option<PathBuf> = None;
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        if a == "-C" || a == "--configfile" {
            cfg = argv.get(i + 1).map(PathBuf::from);
        } else if let Some(v) = a.strip_prefix("--configfile=") {
            cfg = Some(PathBuf::from(v));
        }
        i += 1;
    }
    let Some(path) = cfg else { return Ok(argv) };
    let extra = config_file_args(&path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    let on_cli = |flag: &str| {
        let key = flag.split('=').next().unwrap_or(flag);
        argv.iter()
            .skip(2)
            .any(|a| a == key || a.starts_with(&format!("{key}=")))
    };
    let mut out = argv[..2.min(argv.len())].to_vec();
    out.extend(extra.into_iter().filter(|f| !on_cli(f)));
    out.extend(argv.into_iter().skip(2));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lines_become_flags_before_cli_flags() {
        let dir = std::env::temp_dir().join(format!("simnet-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("exccd.conf");
        std::fs::write(
            &f,
            "[Application Options]\n; comment\nsimnet=1\nrpcuser=u\nrpcpass = p\ntxindex=0\n",
        )
        .unwrap();
        let argv: Vec<String> = [
            "excc-simnet",
            "node",
            "-C",
            f.to_str().unwrap(),
            "--rpcpass=q",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let m = merged_args(argv).unwrap();
        assert_eq!(&m[2..4], &["--simnet", "--rpcuser=u"]);
        assert_eq!(m.last().unwrap(), "--rpcpass=q");
        let cli = Cli::try_parse_from(&m).unwrap();
        let Cmd::Node(n) = cli.cmd else { panic!() };
        assert_eq!((n.rpcuser.as_str(), n.rpcpass.as_str()), ("u", "q"));
        assert!(n.simnet && !n.txindex);
    }
}
