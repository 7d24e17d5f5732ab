//! `stakepoold --config FILE`: the voting daemon of one voting node.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use stakepoold::config::Config;
use stakepoold::daemon::Shared;
use stakepoold::fees::FeeAddresses;
use stakepoold::{server, tls, watcher};
use tokio::sync::watch;

#[derive(Debug, Parser)]
#[command(
    name = "stakepoold",
    version,
    about = "Votes the winning tickets of an EXCC stake pool"
)]
struct Args {
    /// Configuration file (TOML; see sample-configs/stakepoold.toml).
    #[arg(long, short = 'C', default_value = "/etc/stakepoold/stakepoold.toml")]
    config: PathBuf,
    /// Validate the configuration (files, keys, certificates) and exit.
    #[arg(long)]
    check_config: bool,
    /// Log filter, e.g. `info` or `stakepoold=debug` (RUST_LOG also works).
    #[arg(long, default_value = "info")]
    log_level: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // journald under systemd, else stderr (colours only on a terminal).
    service_log::init(&args.log_level);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stakepoold: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let config = Config::load(&args.config)?;
    let tls = tls::grpc_server_config(&config.grpc)?;
    let started = std::time::Instant::now();
    let fees = FeeAddresses::derive(&config.cold_wallet_ext_pub, config.fee_address_count)
        .context("cold_wallet_ext_pub")?;
    tracing::info!(
        count = fees.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "fee addresses derived"
    );
    if args.check_config {
        println!(
            "{}: configuration OK ({} network, {} fee addresses)",
            args.config.display(),
            config.network,
            fees.len()
        );
        return Ok(());
    }
    let http_addr = config.http_listen;
    let shared = Shared::new(config, fees)?;

    watcher::poll_once(&shared).await;
    if let Err(e) = shared.check_api_versions().await {
        anyhow::bail!("{e}");
    }
    if shared.health.snapshot().wallet_voting {
        anyhow::bail!(
            "exccwallet at {} has voting enabled: stakepoold would race it. Set enablevoting=0 in exccwallet.conf (or drop --enablevoting) and restart the wallet",
            shared.config.wallet.address
        );
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let grpc = server::grpc(shared.clone(), tls, stopped(stop_rx.clone())).await?;
    let http = server::http(shared.clone(), http_addr, stopped(stop_rx.clone())).await?;
    let grpc = tokio::spawn(grpc);
    let http = tokio::spawn(http);
    tokio::spawn(watcher::follow_node(shared.clone()));
    tokio::spawn(watcher::poll_health(shared.clone()));

    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    if let Some(interval) = sd_notify::watchdog_enabled() {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval / 2);
            loop {
                tick.tick().await;
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
            }
        });
    }
    tracing::info!(network = %shared.config.network, "stakepoold running");

    wait_for_signal().await;
    tracing::info!("shutting down");
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    let _ = stop_tx.send(true);
    if let Err(e) = shared.persist() {
        tracing::error!(error = %e, "state not saved at shutdown");
    }
    for (name, task) in [("gRPC", grpc), ("HTTP", http)] {
        match tokio::time::timeout(Duration::from_secs(5), task).await {
            Ok(Ok(Err(e))) => {
                tracing::warn!(server = name, error = %e, "server stopped with an error")
            }
            Err(_) => tracing::warn!(server = name, "server did not stop within 5 s"),
            _ => {}
        }
    }
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}
