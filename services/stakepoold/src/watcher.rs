//! Follows exccd: notifications drive voting and the ticket book; a poller keeps
//! the health facts and the wallet's vote defaults current. Nothing here can
//! crash the daemon: failures degrade health and are retried.

use std::sync::Arc;
use std::time::{Duration, Instant};

use excc_chain::ChainHash;
use excc_rpc::types::Notification;
use excc_rpc::{Event, Subscription, WsSession};
use tokio::sync::watch;

use crate::daemon::{Shared, client_config};
use crate::prefs::WalletVoteDefaults;
use crate::voter::{RETRY_DELAY, vote_winners};

/// How often the poller checks exccd and exccwallet.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// How many times a block's failed votes are retried while it is still the tip.
const VOTE_RETRIES: u32 = 20;

/// Runs the notification loop until the process stops.
pub async fn follow_node(shared: Arc<Shared>) -> anyhow::Result<()> {
    let cfg = client_config(&shared.config.node, shared.config.rpc_timeout)?;
    let (session, mut events) = WsSession::start(cfg, &Subscription::ALL);
    let session = Arc::new(session);
    let (tip_tx, tip_rx) = watch::channel(ChainHash::default());
    while let Some(event) = events.recv().await {
        match event {
            Event::Connected | Event::Reconnected => {
                shared.health.update(|f| {
                    f.node_connected = true;
                    f.last_error = None;
                });
                tracing::info!("exccd notifications connected; resynchronising tickets");
                shared.request_resync();
                let me = shared.clone();
                // Taken here, so winners announced after the reconnect wait for the scan.
                let gate = shared.book_gate.clone().write_owned().await;
                tokio::spawn(async move {
                    let _gate = gate;
                    me.resync_holding_gate().await;
                });
                // Winners announced while we were away: ask for the tip's again
                // (their votes wait for the scan above).
                let session = session.clone();
                tokio::spawn(async move {
                    if let Err(e) = session.call_raw("rebroadcastwinners", vec![]).await {
                        tracing::warn!(error = %e, "rebroadcastwinners failed");
                    }
                });
            }
            Event::Disconnected { reason } | Event::ConnectFailed { error: reason } => {
                tracing::warn!(%reason, "exccd notification link down; reconnecting");
                shared.health.update(|f| {
                    f.node_connected = false;
                    f.last_error = Some(reason);
                });
            }
            Event::Notification(n) => handle(&shared, n, &tip_tx, &tip_rx).await,
        }
    }
    Ok(())
}

async fn handle(
    shared: &Arc<Shared>,
    n: Notification,
    tip_tx: &watch::Sender<ChainHash>,
    tip_rx: &watch::Receiver<ChainHash>,
) {
    match n {
        Notification::WinningTickets {
            block_hash,
            height,
            tickets,
        } => {
            let received = Instant::now();
            let _ = tip_tx.send(block_hash);
            let shared = shared.clone();
            let mut tip = tip_rx.clone();
            // Mark this block as seen, so `changed()` waits for the next one.
            tip.borrow_and_update();
            tokio::spawn(async move {
                let mut summary = vote_winners(
                    shared.clone(),
                    block_hash,
                    height,
                    tickets.clone(),
                    received,
                )
                .await;
                let mut attempt = 0;
                while summary.failed > 0 && attempt < VOTE_RETRIES {
                    attempt += 1;
                    // Stop retrying as soon as a newer block has winners of its own.
                    if tokio::time::timeout(RETRY_DELAY, tip.changed())
                        .await
                        .is_ok()
                    {
                        break;
                    }
                    tracing::info!(height, attempt, "retrying failed votes");
                    summary = vote_winners(
                        shared.clone(),
                        block_hash,
                        height,
                        tickets.clone(),
                        Instant::now(),
                    )
                    .await;
                }
            });
        }
        Notification::NewTickets {
            height, tickets, ..
        } => {
            let shared = shared.clone();
            // Taken here, in notification order, before any later winningtickets.
            let gate = shared.book_gate.clone().write_owned().await;
            tokio::spawn(async move {
                let _gate = gate;
                let (live, ignored, not_ours, errors) = shared.classify_all(tickets).await;
                if errors > 0 {
                    // Those tickets are picked up by a full scan once the wallet answers.
                    shared.request_resync();
                }
                tracing::info!(
                    height,
                    live,
                    ignored,
                    not_ours,
                    errors,
                    "new tickets matured"
                );
            });
        }
        Notification::SpentAndMissedTickets {
            height, tickets, ..
        } => {
            let hashes: Vec<ChainHash> = tickets.keys().copied().collect();
            let before = shared.ticket_counts().live;
            shared
                .tickets
                .write()
                .expect("tickets lock")
                .remove_spent(&hashes);
            let removed = before - shared.ticket_counts().live.min(before);
            tracing::debug!(height, removed, "spent and missed tickets removed");
        }
        Notification::BlockConnected { .. }
        | Notification::BlockDisconnected { .. }
        | Notification::Other { .. } => {}
    }
}

/// Polls exccd and exccwallet for the health facts and the wallet's vote defaults.
pub async fn poll_health(shared: Arc<Shared>) {
    let mut interval = tokio::time::interval(POLL_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        poll_once(&shared).await;
        shared.resync_if_needed().await;
    }
}

/// One round of health polling (also run once at startup).
pub async fn poll_once(shared: &Shared) {
    let node = shared.node.get_best_block().await;
    let wallet_info = shared.wallet.wallet_info().await;
    let wallet_tip = shared.wallet.get_best_block().await;
    let synced = match (&node, peer_height(shared).await) {
        (Ok(tip), Some(peers)) => tip.height >= peers,
        (Ok(_), None) => true,
        (Err(_), _) => false,
    };
    if let Ok(info) = &wallet_info {
        let defaults = WalletVoteDefaults {
            vote_bits: info.votebits,
            vote_bits_extended: info.votebitsextended.clone(),
            vote_version: info.voteversion,
        };
        *shared.defaults.write().expect("defaults lock") = Some(defaults);
    }
    shared.health.update(|f| {
        f.node_connected = node.is_ok();
        // The wallet lagging the node means the wallet is not synced; an unreachable
        // wallet says nothing about the node (that is reported as its own problem).
        f.node_synced = synced
            && match (&node, &wallet_tip) {
                (Ok(n), Ok(w)) => w.height + 1 >= n.height,
                (Ok(_), Err(_)) => true,
                (Err(_), _) => false,
            };
        if let Ok(tip) = &node {
            f.best_height = tip.height;
        }
        f.wallet_connected = wallet_info
            .as_ref()
            .map(|i| i.daemonconnected)
            .unwrap_or(false);
        f.wallet_unlocked = wallet_info.as_ref().map(|i| i.unlocked).unwrap_or(false);
        f.wallet_voting = wallet_info.as_ref().map(|i| i.voting).unwrap_or(false);
        if let Ok(i) = &wallet_info {
            f.vote_version = i.voteversion;
        }
        f.last_error = match (&node, &wallet_info) {
            (Err(e), _) => Some(e.to_string()),
            (_, Err(e)) => Some(e.to_string()),
            _ => None,
        };
    });
}

/// The best height any peer of exccd reports (`getpeerinfo` `currentheight`), if it has peers.
async fn peer_height(shared: &Shared) -> Option<i64> {
    let peers = shared.node.call_raw("getpeerinfo", vec![]).await.ok()?;
    peers
        .as_array()?
        .iter()
        .filter_map(|p| p.get("currentheight").and_then(|h| h.as_i64()))
        .max()
}
