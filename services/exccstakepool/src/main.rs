//! `exccstakepool --config FILE [--check-config]`: the pool's web service
//! (`exccstakepool admin add|remove EMAIL --config FILE`: see [`exccstakepool::admins`]). Serves the JSON
//! API (`/api/v1|v2/…`) on `listen`; the database (SQLite or MariaDB) is created or
//! upgraded at start; the voting nodes' stakepoold are reached over mutual-TLS gRPC.
//! SIGTERM/SIGINT stop it gracefully.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use exccstakepool::config::Config;
use exccstakepool::db::Db;
use exccstakepool::mail::Mailer;
use exccstakepool::outbox::Outbox;
use exccstakepool::pool::Pool;
use exccstakepool::voting_nodes::VotingNodes;

fn usage() -> ! {
    eprintln!(
        "usage: exccstakepool --config FILE [--check-config]\n       exccstakepool admin add|remove EMAIL --config FILE"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let all: Vec<String> = std::env::args().skip(1).collect();
    if all.first().map(String::as_str) == Some("admin") {
        println!("{}", exccstakepool::admins::command(&all[1..]).await?);
        return Ok(());
    }
    let mut args = all.into_iter();
    let (mut config, mut check) = (None, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" => config = Some(PathBuf::from(args.next().unwrap_or_else(|| usage()))),
            "--check-config" => check = true,
            _ => usage(),
        }
    }
    let path = config.unwrap_or_else(|| usage());
    let config = Config::load(&path)?;
    if check {
        println!(
            "{}: configuration OK ({} network, {} voting nodes)",
            path.display(),
            config.settings.network,
            config.nodes.len()
        );
        return Ok(());
    }
    let mailer = config
        .smtp
        .as_ref()
        .map(Mailer::new)
        .transpose()
        .context("[smtp]")?
        .map(Outbox::start);
    if !config.settings.admins.is_empty() {
        tracing::warn!(
            "admin_user_ids is deprecated: name the admins in admin_emails, or add them with `exccstakepool admin add EMAIL --config FILE`"
        );
    }
    if mailer.is_none() {
        tracing::info!("no [smtp]: accounts are active at sign-up, no e-mail is sent");
    }
    let db = Db::open(&config.database_url).await?;
    let nodes = VotingNodes::new(&config.nodes, &config.tls).map_err(anyhow::Error::msg)?;
    if let Err(e) = nodes.check_versions().await {
        // A node that is down now may be up later; an incompatible one is logged loudly.
        tracing::warn!("voting nodes: {e}");
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(listen = %config.listen, network = %config.settings.network, "exccstakepool running");
    let pool = Arc::new(Pool {
        settings: config.settings,
        db,
        nodes,
        mailer,
        limiter: Default::default(),
    });
    // Every voting node gets missing scripts and all voting preferences, now and then.
    let syncing = Arc::clone(&pool);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(config.sync_interval);
        loop {
            tick.tick().await;
            if let Err(e) = exccstakepool::sync::sync_nodes(&syncing).await {
                tracing::warn!("voting-node sync: {e}");
            }
            match syncing.db.prune_expired(Db::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    rows = n,
                    "expired links, tickets and unverified accounts deleted"
                ),
                Err(e) => tracing::warn!("deleting expired links: {e}"),
            }
        }
    });
    let app =
        exccstakepool::app(pool).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await
        .context("serving HTTP")?;
    tracing::info!("stopped");
    Ok(())
}

async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}
