//! `excc-simnet node` flags; the same names as exccd's, also readable from an
//! exccd.conf-style file (`-C`).

use std::path::PathBuf;

use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct NodeArgs {
    /// Use the simulation test network (the only one simulated).
    #[arg(long)]
    pub simnet: bool,
    /// Directory for rpc.cert, rpc.key and the default exccd.conf.
    #[arg(short = 'A', long, default_value = "./exccd-simnet")]
    pub appdata: PathBuf,
    /// Config file (INI `key=value`, exccd.conf style).
    #[arg(short = 'C', long)]
    pub configfile: Option<PathBuf>,
    /// Address to listen on for JSON-RPC (HTTPS POST `/` and WebSocket `/ws`).
    #[arg(long, default_value = "127.0.0.1:19556")]
    pub rpclisten: String,
    #[arg(short = 'u', long, default_value = "")]
    pub rpcuser: String,
    #[arg(short = 'P', long, default_value = "")]
    pub rpcpass: String,
    /// TLS certificate (default: <appdata>/rpc.cert, generated if missing).
    #[arg(long)]
    pub rpccert: Option<PathBuf>,
    /// TLS key (default: <appdata>/rpc.key, generated if missing).
    #[arg(long)]
    pub rpckey: Option<PathBuf>,
    /// Address the coinbases pay to.
    #[arg(long)]
    pub miningaddr: Option<String>,
    /// Keep a full transaction index. Without it `getrawtransaction` serves only
    /// mempool transactions (mined ones: -32603), as exccd does.
    #[arg(long)]
    pub txindex: bool,
    /// Peer to sync blocks from (another `excc-simnet node` RPC address); repeatable.
    #[arg(long)]
    pub connect: Vec<String>,
    /// Like --connect.
    #[arg(long)]
    pub addpeer: Vec<String>,
    /// Certificate of the peers (default: this node's own rpc.cert).
    #[arg(long)]
    pub peercafile: Option<PathBuf>,
    /// Seconds `generate` waits for enough votes before failing (0 = wait forever, like exccd).
    #[arg(long, default_value_t = 30)]
    pub generatetimeout: u64,
    /// Milliseconds `generate` waits for all five votes once three are in.
    #[arg(long, default_value_t = 2000)]
    pub votewait: u64,
    /// Hex seed of the ticket lottery (all nodes of one network must share it).
    #[arg(long)]
    pub lotteryseed: Option<String>,
    /// Simulator-only benchmark knob: tickets allowed per block instead of
    /// MaxFreshStakePerBlock (20), to fill a mainnet-sized live pool quickly.
    #[arg(long)]
    pub maxfreshstake: Option<u32>,
    /// Keep the chain in memory only (default: <appdata>/simnet/blocks.jsonl, replayed on start).
    #[arg(long)]
    pub nopersist: bool,
    /// Enable the simulator's fault-injection admin methods (`simnet_*`).
    #[arg(long)]
    pub simadmin: bool,
    /// Exit when standard input closes (for test harnesses: the daemon dies with its parent).
    #[arg(long)]
    pub exitwithstdin: bool,
    /// Log level (error, warn, info, debug, trace).
    #[arg(short = 'd', long, default_value = "info")]
    pub debuglevel: String,
}
