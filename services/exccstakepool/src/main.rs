//! `exccstakepool --config FILE [--check-config]`: the pool's web service
//! (`exccstakepool admin add|remove EMAIL --config FILE`: see [`exccstakepool::admins`];
//! `exccstakepool backup create|verify|restore …`, without the config: see
//! [`exccstakepool::backup`]; `exccstakepool migrate-legacy --config FILE --from URL …`:
//! see [`exccstakepool::migrate`]). Serves the JSON
//! API (`/api/v1|v2/…`) on `listen`; the database (SQLite or MariaDB) is created or
//! upgraded at start; the voting nodes' stakepoold are reached over mutual-TLS gRPC, each
//! call within `voting_node_timeout_secs`. The port is bound before any node is asked.
//! SIGTERM/SIGINT stop it gracefully. Logs go to journald under systemd, else to stderr
//! (colours only on a terminal).

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
        "usage: exccstakepool --config FILE [--check-config]\n       exccstakepool admin add|remove EMAIL --config FILE\n       exccstakepool backup create|verify|restore --database URL … (see exccstakepool backup)\n       exccstakepool migrate-legacy --config FILE --from mysql://USER@HOST/DB [--from-password-file FILE] [--check]"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_log::init("info");
    let all: Vec<String> = std::env::args().skip(1).collect();
    if all.first().map(String::as_str) == Some("backup") {
        match exccstakepool::backup::command(&all[1..]).await {
            Ok(done) => println!("{done}"),
            Err(e) => {
                eprintln!("exccstakepool backup: {e}");
                std::process::exit(e.exit_code());
            }
        }
        return Ok(());
    }
    if all.first().map(String::as_str) == Some("migrate-legacy") {
        match exccstakepool::migrate::command(&all[1..]).await {
            Ok(done) => println!("{done}"),
            Err(e) => {
                eprintln!("exccstakepool migrate-legacy: {e}");
                std::process::exit(e.exit_code());
            }
        }
        return Ok(());
    }
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
    let nodes = VotingNodes::new(&config.nodes, &config.tls, config.node_timeout)
        .map_err(anyhow::Error::msg)?;
    // The port first: a voting node that hangs must not keep the service from starting.
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let mut settings = config.settings;
    settings.server.max_connections = connections_allowed(settings.server.max_connections);
    tracing::info!(listen = %config.listen, network = %settings.network, "exccstakepool running");
    let pool = Arc::new(Pool {
        settings,
        db,
        nodes,
        mailer,
        limiter: Default::default(),
    });
    // In the background: every node's health and version (logged when it changes), every
    // node's sync with the database, the deletion of expired rows.
    exccstakepool::health::spawn_poll(&pool);
    exccstakepool::sync::spawn(&pool, config.sync_interval);
    exccstakepool::serve::serve(listener, pool, stop_signal()).await;
    tracing::info!("stopped");
    Ok(())
}

/// Raises the open-file limit to what the system allows (systemd's unit sets it) and keeps
/// `max_connections` below it, leaving room for the database, the voting nodes and logs.
fn connections_allowed(configured: usize) -> usize {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    const RESERVE: u64 = 64;
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return configured;
    };
    let soft = if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        hard
    } else {
        soft
    };
    let fit = usize::try_from(soft.saturating_sub(RESERVE)).unwrap_or(usize::MAX);
    if configured > fit {
        tracing::warn!(
            configured,
            open_file_limit = soft,
            "limits.max_connections is above the open-file limit: {fit} connections at most (raise LimitNOFILE)"
        );
    }
    configured.min(fit).max(1)
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
