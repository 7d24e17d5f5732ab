//! `local-pool`: a complete EXCC stake pool on this machine, on the simulated network.
//!
//! By default (as root) the pool is provisioned like a real one: `poolctl lab up` boots the
//! voting hosts, the web host `web1` and the database host `db1` (systemd-nspawn containers
//! with sshd and systemd) and applies a pool.toml to them (exccd, exccwallet and stakepoold
//! as hardened units; nginx serving HTTPS with a pool-CA certificate in front of the web
//! service; MariaDB). A demo user signs up on web1 over HTTPS (certificate verified against
//! the pool CA, which is printed so a browser or curl can trust it), gets its ticket address
//! through the JSON API, buys tickets, and a block is mined every few seconds on the first
//! host's exccd, waiting briefly for the pool's votes like exccd's miner. Ctrl-C stops
//! mining and tears the lab down (`--keep` leaves it running, as does a lab that was already
//! up when it started).
//!
//! `--processes` runs the same pool as plain processes of the current user instead (no root):
//! the simulator, stakepoold and the web service (`exccstakepool`, SQLite), the demo user
//! signed up in it. Ctrl-C or SIGTERM stops every process it started.
//!
//! `local-pool [--processes] [--hosts N] [--dir DIR] [--block-secs N] [--blocks N] [--keep]`

mod lab;
mod processes;

use std::path::PathBuf;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The demo account of `--processes` (an admin: the web service's admin_emails name it);
/// on the lab the demo account is the lab pool's admin (`[web] admin_emails`).
pub const DEMO_EMAIL: &str = "demo@localhost";
pub const DEMO_PASSWORD: &str = "demo-pool-password";

/// Ctrl-C (SIGINT) and SIGTERM, listened to from the start: a stop asked for while the pool
/// is still coming up is not lost, and never kills local-pool before it stops its children.
pub struct StopSignal {
    interrupt: Signal,
    terminate: Signal,
}

impl StopSignal {
    fn install() -> std::io::Result<StopSignal> {
        Ok(StopSignal {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves at the next Ctrl-C or SIGTERM (cancel-safe: usable in `select!` loops).
    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }

    /// Runs `work` unless a stop comes first (`None`: then `work` is dropped, and with it
    /// every process it had started).
    pub async fn unless_stopped<T>(
        &mut self,
        work: impl std::future::Future<Output = T>,
    ) -> Option<T> {
        tokio::select! {
            v = work => Some(v),
            _ = self.recv() => None,
        }
    }
}

/// Command-line options.
pub struct Options {
    /// Plain processes instead of the lab.
    pub processes: bool,
    /// Voting hosts of the lab.
    pub hosts: usize,
    /// The lab's (or the processes') directory.
    pub dir: Option<PathBuf>,
    pub block_secs: u64,
    /// Stop after this many blocks (for tests); default: until Ctrl-C.
    pub blocks: Option<u64>,
    /// Leave the lab up when stopping.
    pub keep: bool,
}

const USAGE: &str = "usage: local-pool [--processes] [--hosts N] [--dir DIR] [--block-secs N] [--blocks N] [--keep]";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        processes: false,
        hosts: 2,
        dir: None,
        block_secs: 3,
        blocks: None,
        keep: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |what: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs {what}\n{USAGE}"))
        };
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{a}: {v:?} is not a whole number\n{USAGE}"))
        };
        match a.as_str() {
            "--processes" => o.processes = true,
            "--keep" => o.keep = true,
            "--hosts" => o.hosts = number(value("a number of hosts")?)? as usize,
            "--dir" => o.dir = Some(PathBuf::from(value("a directory")?)),
            "--block-secs" => o.block_secs = number(value("seconds")?)?.max(1),
            "--blocks" => o.blocks = Some(number(value("a number of blocks")?)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if !(1..=9).contains(&o.hosts) {
        return Err(format!("--hosts must be 1 to 9, not {}", o.hosts));
    }
    Ok(o)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("local-pool: {e}");
            std::process::exit(2);
        }
    };
    let mut stop = StopSignal::install()?;
    if opts.processes {
        processes::run(&opts, &mut stop).await
    } else {
        lab::run(&opts, &mut stop).await
    }
}
