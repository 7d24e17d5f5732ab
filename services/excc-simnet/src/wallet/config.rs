//! `excc-simnet wallet` flags; the same names as exccwallet's, also readable
//! from an exccwallet.conf-style file (`-C`).

use std::path::PathBuf;

use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct WalletArgs {
    /// Use the simulation test network (the only one simulated).
    #[arg(long)]
    pub simnet: bool,
    /// Directory for the wallet file, rpc.cert and rpc.key.
    #[arg(short = 'A', long, default_value = "./exccwallet-simnet")]
    pub appdata: PathBuf,
    /// Config file (INI `key=value`, exccwallet.conf style).
    #[arg(short = 'C', long)]
    pub configfile: Option<PathBuf>,
    /// Address to listen on for JSON-RPC clients.
    #[arg(long, default_value = "127.0.0.1:19557")]
    pub rpclisten: String,
    /// RPC username (also used for the node unless --exccdusername).
    #[arg(short = 'u', long, default_value = "")]
    pub username: String,
    /// RPC password (also used for the node unless --exccdpassword).
    #[arg(short = 'P', long, default_value = "")]
    pub password: String,
    #[arg(long)]
    pub rpccert: Option<PathBuf>,
    #[arg(long)]
    pub rpckey: Option<PathBuf>,
    /// Key type of a generated certificate: Ed25519 (default, like exccwallet) or P-256.
    #[arg(long, default_value = "Ed25519")]
    pub tlscurve: String,
    /// The node's RPC address.
    #[arg(short = 'c', long, default_value = "127.0.0.1:19556")]
    pub rpcconnect: String,
    /// The node's certificate (its rpc.cert).
    #[arg(long)]
    pub cafile: Option<PathBuf>,
    #[arg(long)]
    pub exccdusername: Option<String>,
    #[arg(long)]
    pub exccdpassword: Option<String>,
    /// Enable stake-pool mode: `<account spub>:<last index>` of the pool's cold fee wallet.
    #[arg(long)]
    pub stakepoolcoldextkey: Option<String>,
    /// Pool fee percent required from pool tickets (e.g. 7.5).
    #[arg(long)]
    pub poolfees: Option<String>,
    /// Vote automatically with every winning ticket the wallet can sign for.
    #[arg(long)]
    pub enablevoting: bool,
    /// Create a temporary simnet wallet (private passphrase "password") if none exists.
    #[arg(long)]
    pub createtemp: bool,
    /// Create the wallet non-interactively from --seed/--seedfile and --privpass if none exists.
    #[arg(long)]
    pub create: bool,
    /// Wallet seed, hex (16–64 bytes).
    #[arg(long)]
    pub seed: Option<String>,
    /// File holding the wallet seed in hex.
    #[arg(long)]
    pub seedfile: Option<PathBuf>,
    /// Private passphrase for --create.
    #[arg(long)]
    pub privpass: Option<String>,
    /// Start unlocked (the real wallet starts locked; use walletpassphrase).
    #[arg(long)]
    pub unlocked: bool,
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
