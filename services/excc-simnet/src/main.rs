use clap::Parser;
use excc_simnet::cli::{Cli, Cmd, merged_args, strip_ignored};

fn main() {
    let argv = match merged_args(std::env::args().collect()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("excc-simnet: {e}");
            std::process::exit(2);
        }
    };
    let (argv, ignored) = strip_ignored(argv);
    let cli = Cli::parse_from(argv);
    let level = match &cli.cmd {
        Cmd::Node(a) => a.debuglevel.clone(),
        Cmd::Wallet(a) => a.debuglevel.clone(),
    };
    let watch_stdin = match &cli.cmd {
        Cmd::Node(a) => a.exitwithstdin,
        Cmd::Wallet(a) => a.exitwithstdin,
    };
    if watch_stdin {
        std::thread::spawn(|| {
            use std::io::Read;
            let mut buf = [0u8; 64];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            std::process::exit(0);
        });
    }
    let level: tracing::Level = level.parse().unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    for flag in ignored {
        tracing::info!("--{flag} has no meaning in the simulator; accepted and ignored");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let res = rt.block_on(async move {
        match cli.cmd {
            Cmd::Node(a) => excc_simnet::node::run::run(a).await,
            Cmd::Wallet(a) => excc_simnet::wallet::run::run(a).await,
        }
    });
    if let Err(e) = res {
        eprintln!("excc-simnet: {e:#}");
        std::process::exit(1);
    }
}
