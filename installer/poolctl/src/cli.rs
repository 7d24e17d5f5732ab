//! Command-line definition. Every subcommand lives in `command/`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use excc_chain::{Amount, Network, PoolFeePercent};

#[derive(Debug, Parser)]
#[command(name = "poolctl", version, about = "Operate an EXCC stake pool")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what `apply` would change on each voting host (reads only). Exit 0: nothing to
    /// do, 2: changes, 1: error.
    Plan {
        #[command(flatten)]
        pool: PoolArgs,
    },
    /// Make every voting host match pool.toml: users, programs, configs, certificates,
    /// units, wallet unlock and address sync; waits until stakepoold is healthy.
    Apply {
        #[command(flatten)]
        pool: PoolArgs,
        /// No progress lines (the log in .poolctl/logs/ still has them).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Apply pool.toml one voting host at a time: before each, every other host must be
    /// healthy; after it, stakepoold must be healthy (synced, unlocked, voting) in time, else
    /// that host is rolled back to its previous programs and files and upgrade exits 1.
    Upgrade {
        #[command(flatten)]
        pool: PoolArgs,
        /// No progress lines (the log in .poolctl/logs/ still has them).
        #[arg(long, short)]
        quiet: bool,
        /// Seconds each host has to become healthy (default: apply.health_timeout_secs).
        #[arg(long, value_name = "SECS")]
        health_timeout: Option<u64>,
    },
    /// One line per voting host: versions, height vs tip, wallet, tickets, last vote, health.
    Status {
        /// pool.toml to use.
        #[arg(short = 'f', long = "file", default_value = poolctl::config::DEFAULT_FILE, value_name = "POOL_TOML")]
        file: PathBuf,
        /// Print JSON (one array of hosts) instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Take a verified backup of the pool's database now (on the database host, or the web
    /// host for SQLite) and copy it and its manifest into --out.
    Backup {
        /// pool.toml to use.
        #[arg(short = 'f', long = "file", default_value = poolctl::config::DEFAULT_FILE, value_name = "POOL_TOML")]
        file: PathBuf,
        /// Where the copy goes (created if missing).
        #[arg(long, value_name = "DIR", default_value = "backups")]
        out: PathBuf,
    },
    /// Restore the pool's database from a backup (and its FILE.json manifest): checked here
    /// and on the database host first (a damaged or foreign file is refused before anything
    /// stops), then the web services stop, the database is restored, and they start again.
    Restore {
        /// pool.toml to use.
        #[arg(short = 'f', long = "file", default_value = poolctl::config::DEFAULT_FILE, value_name = "POOL_TOML")]
        file: PathBuf,
        /// The backup (as written by `poolctl backup`).
        backup: PathBuf,
        /// Seconds each web host has to become healthy afterwards (default: apply.health_timeout_secs).
        #[arg(long, value_name = "SECS")]
        health_timeout: Option<u64>,
    },
    /// The pool CA in .poolctl/ca/ next to pool.toml (certificates are issued by plan/apply).
    #[command(subcommand)]
    Ca(CaCommand),
    /// Audits the pool's votes against the chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Offline key tools: derive addresses, build ticket multisig scripts, compute pool fees.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Turn the legacy Go pool's configs into a pool.toml, printed on standard output.
    ///
    /// `poolctl import --exccstakepool-conf exccstakepool.conf --stakepoold-conf node1.conf
    /// --stakepoold-conf node2.conf > pool.toml`. Secrets (database, mail, API, RPC
    /// passwords) go into mode-0600 files in --secrets-dir, referenced from pool.toml; options
    /// with no equivalent are listed as comments; TODO comments say what is left to do.
    Import {
        /// The legacy web app's exccstakepool.conf.
        #[arg(long, value_name = "FILE")]
        exccstakepool_conf: PathBuf,
        /// A voting node's stakepoold.conf; once per node, in the order of stakepooldhosts.
        #[arg(long, value_name = "FILE")]
        stakepoold_conf: Vec<PathBuf>,
        /// Where the secret files are written, as pool.toml will reference it (a relative
        /// directory is relative to where pool.toml goes: run import there).
        #[arg(long, value_name = "DIR", default_value = "secrets")]
        secrets_dir: PathBuf,
        /// A directory with the programs to install (exccd, exccwallet, stakepoold,
        /// exccstakepool): [binaries] then names them with their sha256 (else placeholders);
        /// relative like --secrets-dir.
        #[arg(long, value_name = "DIR")]
        binaries_dir: Option<PathBuf>,
    },
    /// Local lab: voting hosts as systemd-nspawn containers with sshd, for tests and rehearsals (root).
    #[command(subcommand)]
    Lab(LabCommand),
    /// NixOS hosts from the same pool.toml (the modules in nixos/ of this repository).
    #[command(subcommand)]
    Nixos(NixosCommand),
}

#[derive(Debug, Subcommand)]
pub enum NixosCommand {
    /// Write one host's NixOS configuration (excc-pool.nix for the pool's modules,
    /// configuration.nix, certs/ from the pool CA, secrets/ 0600 for
    /// /var/lib/excc-pool/secrets on the host) with the settings apply would install.
    Render {
        /// pool.toml to use.
        #[arg(short = 'f', long = "file", default_value = poolctl::config::DEFAULT_FILE, value_name = "POOL_TOML")]
        file: PathBuf,
        /// The [[hosts]] or [[web_hosts]] name.
        #[arg(long, value_name = "NAME")]
        host: String,
        /// Output directory (default: .poolctl/nixos/NAME next to pool.toml).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// Which pool.toml, and whether unknown host keys may be learned.
#[derive(Debug, clap::Args)]
pub struct PoolArgs {
    /// pool.toml to use.
    #[arg(short = 'f', long = "file", default_value = poolctl::config::DEFAULT_FILE, value_name = "POOL_TOML")]
    pub file: PathBuf,
    /// Trust and pin (write to pool.toml) the key of hosts that have no host_key yet.
    /// A changed key is always refused.
    #[arg(long)]
    pub accept_new_host_keys: bool,
}

#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Revoke a client certificate (e.g. `web` after its key leaked): its serial goes on the
    /// pool CA's revocation list, which the next apply uploads to every voting host (then
    /// stakepoold refuses it); the next plan/apply issues a new certificate of that name.
    Revoke {
        /// pool.toml whose .poolctl/ca/ to use.
        #[arg(short = 'f', long = "file", default_value = poolctl::config::DEFAULT_FILE, value_name = "POOL_TOML")]
        file: PathBuf,
        /// The client certificate's name (.poolctl/ca/clients/NAME.cert).
        #[arg(long, value_name = "NAME")]
        client: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// For every pool ticket that won in the range: voted (by which vote, with which bits
    /// and version, cast by which host), missed or revoked (with the cause the hosts'
    /// journals give), and whether the bits were the owner's preference at the time. Exit
    /// 1 on any missed pool vote or bit mismatch.
    Votes {
        /// pool.toml to use.
        #[arg(short = 'f', long = "file", default_value = poolctl::config::DEFAULT_FILE, value_name = "POOL_TOML")]
        file: PathBuf,
        /// First winning height to audit (default: the whole chain).
        #[arg(long, value_name = "H")]
        from: Option<u32>,
        /// Last winning height to audit (default: the tip).
        #[arg(long, value_name = "H")]
        to: Option<u32>,
        /// One JSON object per ticket, then one with the summary.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Boot N voting hosts (voting1 = 10.231.0.11, …), write DIR/lab.json, then write
    /// DIR/pool/pool.toml (simulator binaries built here) and apply it: a working pool.
    Up {
        /// Number of voting hosts (1–50). Hosts beyond N are stopped.
        #[arg(long, default_value_t = 3, value_name = "N")]
        hosts: u32,
        /// Number of web hosts (0–9): nginx + the web service, declared in the lab's pool.
        #[arg(long, default_value_t = 1, value_name = "N")]
        web_hosts: u32,
        /// The web hosts' database: `mariadb` (installed by poolctl on host db1) or `sqlite`
        /// (one web host only).
        #[arg(long, default_value = "mariadb", value_parser = ["mariadb", "sqlite"])]
        database: String,
        /// Lab directory: cached base rootfs, client key, hosts' overlays, lab.json.
        #[arg(long, default_value = poolctl::lab::DEFAULT_DIR, value_name = "DIR")]
        dir: PathBuf,
        /// Only boot the hosts: no DIR/pool/pool.toml, no apply.
        #[arg(long)]
        no_pool: bool,
        /// Write DIR/pool/pool.toml but do not apply it (see `poolctl plan -f` first).
        #[arg(long, conflicts_with = "no_pool")]
        no_apply: bool,
    },
    /// Stop every lab host and remove their mounts, namespaces, cgroups and the bridge.
    Down {
        #[arg(long, default_value = poolctl::lab::DEFAULT_DIR, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Show each lab host's address, host key and systemd state; fails unless all run.
    Status {
        #[arg(long, default_value = poolctl::lab::DEFAULT_DIR, value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print the P2PKH addresses XPUB/BRANCH/INDEX, one `INDEX ADDRESS` per line.
    Derive {
        /// mainnet, testnet, simnet or regnet; the xpub must belong to it.
        #[arg(long, value_name = "NET")]
        network: Network,
        /// Account extended public key (xpub…, tpub…, spub…).
        #[arg(long, value_name = "XPUB")]
        xpub: String,
        /// Branch: 0 = external (fee and ticket addresses), 1 = internal.
        #[arg(long, default_value_t = 0)]
        branch: u32,
        /// `N`, `A..B` (B excluded) or `A..=B` (B included); indices below 2^31.
        #[arg(long, value_name = "A..B", value_parser = parse_index_range)]
        index: IndexRange,
    },
    /// Print the 1-of-2 ticket redeem script (pool key first) and its P2SH address.
    Multisig {
        #[arg(long, value_name = "NET")]
        network: Network,
        /// Print `{"address":…,"redeemScript":…}` like exccwallet's createmultisig.
        #[arg(long)]
        json: bool,
        /// The pool's public-key address (Sk…/Tk…/2s…), or 66 hex characters.
        pool_pubkey_addr: String,
        /// The user's public-key address, or 66 hex characters.
        user_pubkey_addr: String,
    },
    /// Print the pool fee in atoms a ticket must pay (exccwallet's StakePoolTicketFee).
    PoolFee {
        #[arg(long, value_name = "NET")]
        network: Network,
        /// Ticket price (the ticket's vout[0] value) in atoms.
        #[arg(long, value_name = "ATOMS", value_parser = parse_atoms)]
        ticket_price: Amount,
        /// The ticket transaction's fee in atoms.
        #[arg(long, value_name = "ATOMS", value_parser = parse_atoms)]
        tx_fee: Amount,
        /// Height of the block the ticket is mined in.
        #[arg(long, value_name = "H")]
        height: u32,
        /// Pool fee rate in percent, 0.01–100 with at most two decimals (e.g. 7.5).
        #[arg(long, value_name = "P")]
        pool_fee_percent: PoolFeePercent,
    },
}

/// A range of child indices, end excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexRange {
    pub start: u32,
    pub end: u32,
}

const HARDENED: u64 = 1 << 31;

fn parse_index_range(s: &str) -> Result<IndexRange, String> {
    let num = |x: &str| -> Result<u64, String> {
        x.trim()
            .parse::<u64>()
            .map_err(|_| format!("{x:?} is not a non-negative integer"))
    };
    let (start, end) = if let Some((a, b)) = s.split_once("..=") {
        (num(a)?, num(b)?.saturating_add(1))
    } else if let Some((a, b)) = s.split_once("..") {
        (num(a)?, num(b)?)
    } else {
        let n = num(s)?;
        (n, n + 1)
    };
    if start >= end {
        return Err(format!(
            "the range {s} is empty (write A..B with A < B, or A..=B)"
        ));
    }
    if end > HARDENED {
        return Err(format!(
            "indices must be below 2^31 = {HARDENED} (hardened keys cannot be derived from an xpub)"
        ));
    }
    Ok(IndexRange {
        start: start as u32,
        end: end as u32,
    })
}

fn parse_atoms(s: &str) -> Result<Amount, String> {
    s.parse::<i64>()
        .ok()
        .filter(|a| (0..=excc_chain::amount::MAX_ATOMS).contains(a))
        .map(Amount::from_atoms)
        .ok_or_else(|| format!("{s:?} is not a whole number of atoms between 0 and 2.1e15 (1 EXCC = 100000000 atoms)"))
}

/// Prints a clap error as one line (help and version go to stdout unchanged).
pub fn report_usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            ExitCode::SUCCESS
        }
        _ => {
            let text = err.render().to_string();
            let line = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments");
            let line = line.trim_start_matches("error: ");
            eprintln!("poolctl: error: {line} (see poolctl --help)");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_ranges() {
        assert_eq!(
            parse_index_range("0..3"),
            Ok(IndexRange { start: 0, end: 3 })
        );
        assert_eq!(
            parse_index_range("2..=4"),
            Ok(IndexRange { start: 2, end: 5 })
        );
        assert_eq!(parse_index_range("7"), Ok(IndexRange { start: 7, end: 8 }));
        assert!(parse_index_range("3..3").unwrap_err().contains("empty"));
        assert!(
            parse_index_range("0..2147483649")
                .unwrap_err()
                .contains("2^31")
        );
        assert!(
            parse_index_range("a..b")
                .unwrap_err()
                .contains("not a non-negative integer")
        );
    }

    #[test]
    fn atoms() {
        assert_eq!(parse_atoms("54200"), Ok(Amount::from_atoms(54200)));
        assert!(parse_atoms("1.5").is_err());
        assert!(parse_atoms("-1").is_err());
    }
}
