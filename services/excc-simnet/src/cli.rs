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

/// exccd flags a real configuration may carry that mean nothing to the
/// simulator: accepted and logged once. `true` = the flag takes a value.
const NODE_IGNORED: &[(&str, bool)] = &[
    ("listen", true),
    ("externalip", true),
    ("nolisten", false),
    ("maxpeers", true),
    ("maxsameip", true),
    ("maxinbound", true),
    ("banduration", true),
    ("banthreshold", true),
    ("nobanning", false),
    ("whitelist", true),
    ("datadir", true),
    ("logdir", true),
    ("nofilelogging", false),
    ("dbtype", true),
    ("profile", true),
    ("cpuprofile", true),
    ("memprofile", true),
    ("rpcmaxclients", true),
    ("rpcmaxwebsockets", true),
    ("rpcmaxconcurrentreqs", true),
    ("altdnsnames", true),
    ("tlscurve", true),
    ("norpc", false),
    ("nodnsseed", false),
    ("upnp", false),
    ("proxy", true),
    ("proxyuser", true),
    ("proxypass", true),
    ("onion", true),
    ("onionuser", true),
    ("onionpass", true),
    ("noonion", false),
    ("addrindex", false),
    ("dropaddrindex", false),
    ("droptxindex", false),
    ("noexistsaddrindex", false),
    ("nocheckpoints", false),
    ("minrelaytxfee", true),
    ("limitfreerelay", true),
    ("norelaypriority", false),
    ("maxorphantx", true),
    ("blockminsize", true),
    ("blockmaxsize", true),
    ("blockprioritysize", true),
    ("sigcachemaxsize", true),
    ("blocksonly", false),
    ("acceptnonstd", false),
    ("rejectnonstd", false),
    ("allowoldvotes", false),
    ("miningtimeoffset", true),
    ("generate", false),
];

/// exccwallet flags without meaning in the simulator (see [`NODE_IGNORED`]).
const WALLET_IGNORED: &[(&str, bool)] = &[
    ("nogrpc", false),
    ("grpclisten", true),
    ("nolegacyrpc", false),
    ("legacyrpclisten", true),
    ("pass", true),
    ("walletpass", true),
    ("promptpass", false),
    ("promptpublicpass", false),
    ("pipetx", false),
    ("noservertls", false),
    ("noclienttls", false),
    ("clientcafile", true),
    ("issueclientcert", false),
    ("rpcmaxclients", true),
    ("rpcmaxwebsockets", true),
    ("logdir", true),
    ("datadir", true),
    ("profile", true),
    ("memprofile", true),
    ("gaplimit", true),
    ("accountgaplimit", true),
    ("disallowfree", false),
    ("txfee", true),
    ("ticketfee", true),
    ("allowhighfees", false),
    ("enableticketbuyer", false),
    ("purchaseaccount", true),
    ("ticketaddress", true),
    ("votingaddress", true),
    ("addridxscanlen", true),
    ("disablecointypeupgrades", false),
    ("manualtickets", false),
    ("spv", false),
    ("spvconnect", true),
    ("proxy", true),
    ("proxyuser", true),
    ("proxypass", true),
];

/// Removes flags a real exccd/exccwallet configuration may carry but the
/// simulator has no use for; returns the remaining argv and the removed flag
/// names (to be logged once). Unknown flags stay, so clap still refuses typos.
pub fn strip_ignored(argv: Vec<String>) -> (Vec<String>, Vec<String>) {
    let table = match argv.get(1).map(String::as_str) {
        Some("node") => NODE_IGNORED,
        Some("wallet") => WALLET_IGNORED,
        _ => return (argv, Vec::new()),
    };
    let mut kept = Vec::with_capacity(argv.len());
    let mut ignored = Vec::new();
    let mut it = argv.into_iter().enumerate().peekable();
    while let Some((i, a)) = it.next() {
        let name = a
            .strip_prefix("--")
            .map(|rest| rest.split('=').next().unwrap_or(rest).to_ascii_lowercase());
        let hit = name
            .as_deref()
            .and_then(|n| table.iter().find(|(k, _)| *k == n).map(|(k, v)| (*k, *v)));
        match hit {
            Some((name, takes_value)) if i >= 2 => {
                if takes_value && !a.contains('=') {
                    it.next();
                }
                if !ignored.iter().any(|n| n == name) {
                    ignored.push(name.to_string());
                }
            }
            _ => kept.push(a),
        }
    }
    (kept, ignored)
}

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

    #[test]
    fn real_config_flags_without_meaning_are_dropped_and_named() {
        let argv: Vec<String> = [
            "excc-simnet",
            "wallet",
            "--nogrpc",
            "--pass",
            "public",
            "--pass=again",
            "--username=u",
            "--grpclisten=1.2.3.4:9111",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (kept, ignored) = strip_ignored(argv);
        assert_eq!(kept, ["excc-simnet", "wallet", "--username=u"]);
        assert_eq!(ignored, ["nogrpc", "pass", "grpclisten"]);
        let cli = Cli::try_parse_from(&kept).unwrap();
        assert!(matches!(cli.cmd, Cmd::Wallet(_)));
        // exccd's --listen (with a separate value), and an unknown flag still refused.
        let node = |extra: &[&str]| {
            let mut v = vec!["excc-simnet".to_string(), "node".to_string()];
            v.extend(extra.iter().map(|s| s.to_string()));
            strip_ignored(v)
        };
        let (kept, ignored) = node(&["--listen", "0.0.0.0:11998", "--simnet"]);
        assert_eq!(ignored, ["listen"]);
        assert!(Cli::try_parse_from(&kept).is_ok());
        let (kept, _) = node(&["--lisen=0.0.0.0:11998"]);
        assert!(Cli::try_parse_from(&kept).is_err());
    }
}
