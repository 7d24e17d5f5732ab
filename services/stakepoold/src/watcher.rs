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
/// Failed votes are retried every [`RETRY_DELAY`] for this many attempts, then every
/// [`SLOW_RETRY_DELAY`], for as long as their block is the tip (a vote is useful until
/// the next block, however long that takes: a locked wallet can hold the chain up).
const FAST_RETRIES: u32 = 20;
const SLOW_RETRY_DELAY: Duration = Duration::from_secs(2);

/// Runs the notification loop until the process stops.
pub async fn follow_node(shared: Arc<Shared>) -> anyhow::Result<()> {
    let cfg = client_config(&shared.config.node, shared.config.rpc_timeout)?;
    let (session, mut events) = WsSession::start(cfg, &Subscription::ALL);
    let session = Arc::new(session);
    tokio::spawn(wake_on_node_answer(shared.clone(), session.clone()));
    let (tip_tx, tip_rx) = watch::channel(ChainHash::default());
    // Pool tickets live when the notifications stopped: any of them found
    // missed after the reconnect won while this node could not see it.
    let mut live_at_disconnect: Option<Vec<ChainHash>> = None;
    while let Some(event) = events.recv().await {
        match event {
            Event::Connected | Event::Reconnected => {
                shared.health.update(|f| {
                    f.notifications_connected = true;
                    f.last_error = None;
                });
                tracing::info!("exccd notifications connected; resynchronising tickets");
                // A restarted exccd may be another version.
                let me = shared.clone();
                tokio::spawn(async move {
                    let _ = me.check_api_versions().await;
                });
                shared.request_resync();
                let me = shared.clone();
                // Taken here, so winners announced after the reconnect wait for the scan.
                let gate = shared.book_gate.clone().write_owned().await;
                let before = live_at_disconnect.take();
                tokio::spawn(async move {
                    me.resync_holding_gate().await;
                    drop(gate);
                    if let Some(before) = before {
                        report_missed_while_away(&me, before).await;
                    }
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
                if live_at_disconnect.is_none() {
                    let live = shared.tickets.read().expect("tickets lock");
                    live_at_disconnect = Some(live.live().map(|(t, _)| *t).collect());
                }
                shared.health.update(|f| {
                    f.notifications_connected = false;
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
                while !summary.failed.is_empty() {
                    attempt += 1;
                    let delay = if attempt <= FAST_RETRIES {
                        RETRY_DELAY
                    } else {
                        SLOW_RETRY_DELAY
                    };
                    // Stop retrying as soon as a newer block has winners of its own.
                    if tokio::time::timeout(delay, tip.changed()).await.is_ok() {
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
                report_given_up(&shared, block_hash, height, summary.failed);
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
            for (t, spend) in &tickets {
                if *spend == excc_rpc::types::TicketSpend::Missed
                    && shared
                        .tickets
                        .read()
                        .expect("tickets lock")
                        .get(t)
                        .is_some()
                {
                    record_missed(shared, height, *t, "exccd reported it missed");
                }
            }
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

/// While the notification websocket is down, checks every half second whether
/// exccd answers over HTTPS and, once it does, reconnects at once instead of
/// waiting out the reconnect backoff (a winner announced meanwhile is only
/// votable until the next block).
async fn wake_on_node_answer(shared: Arc<Shared>, session: Arc<WsSession>) {
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if !session.is_connected() && shared.node.get_best_block_hash().await.is_ok() {
            session.reconnect_now();
        }
    }
}

/// Reports the winners a block's retries gave up on. Winners that failed only
/// because the ticket list was incomplete are reported when the book now knows
/// them as the pool's; the rest are counted in one warning.
fn report_given_up(
    shared: &Shared,
    block: ChainHash,
    height: u32,
    failed: Vec<(ChainHash, crate::voter::MissCause, String)>,
) {
    use crate::voter::MissCause;
    let (unknown, known): (Vec<_>, Vec<_>) = failed.into_iter().partition(|(t, cause, _)| {
        *cause == MissCause::TicketListIncomplete
            && shared
                .tickets
                .read()
                .expect("tickets lock")
                .get(t)
                .is_none()
    });
    crate::voter::give_up(shared, block, height, &known);
    if !unknown.is_empty() {
        tracing::warn!(height, %block, winners = unknown.len(),
            "winners could not be checked against an incomplete ticket list; exccd's missed-ticket reports will name any pool ticket among them");
    }
}

/// A pool ticket exccd reports missed: logged, counted and journaled.
fn record_missed(shared: &Shared, height: u32, ticket: ChainHash, why: &str) {
    shared
        .metrics
        .pool_tickets_missed
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    shared.journal.append(&crate::journal::Entry::Missed {
        unix: crate::journal::unix_now(),
        height,
        ticket: ticket.to_string(),
    });
    tracing::error!(%ticket, height, why, "pool ticket MISSED");
}

/// After a gap in the notifications: pool tickets that were live before it and
/// are missed now won while this node could not see them.
async fn report_missed_while_away(shared: &Shared, before: Vec<ChainHash>) {
    if before.is_empty() {
        return;
    }
    let Ok(missed) = shared.node.exists_missed_tickets(&before).await else {
        return;
    };
    let height = shared.health.snapshot().best_height.max(0) as u32;
    for (t, m) in before.iter().zip(missed) {
        if m {
            record_missed(
                shared,
                height,
                *t,
                "won while exccd's notifications were down",
            );
        }
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
    if wallet_info.is_ok() && !shared.health.snapshot().wallet_connected {
        // The wallet (re)appeared, possibly another version.
        let _ = shared.check_api_versions().await;
    }
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
