//! A reconnecting websocket session: subscribes to exccd notifications, yields
//! typed [`Event`]s, and carries requests (replies matched by id).
//!
//! On every (re)connection the session authenticates, re-sends the
//! subscriptions, and only then emits [`Event::Connected`] or
//! [`Event::Reconnected`]; notifications of that connection follow the marker,
//! so a consumer that resyncs on the marker misses nothing. When the socket
//! drops it emits [`Event::Disconnected`] and reconnects with exponential,
//! capped backoff ([`crate::Backoff`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::conn::{self, Cmd, Conn};
use crate::config::{ClientConfig, WsAuth};
use crate::error::Error;
use crate::transport::Endpoint;
use crate::types::Notification;

/// Capacity of the event channel.
const EVENT_BUFFER: usize = 1024;

/// An exccd notification subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subscription {
    /// `notifyblocks`: `blockconnected`, `blockdisconnected`.
    Blocks,
    /// `notifywinningtickets`: `winningtickets`.
    WinningTickets,
    /// `notifynewtickets`: `newtickets`.
    NewTickets,
    /// `notifyspentandmissedtickets`: `spentandmissedtickets`.
    SpentAndMissedTickets,
}

impl Subscription {
    /// Everything the pool needs, in the order Go stakepoold subscribes.
    pub const ALL: [Subscription; 4] = [
        Subscription::Blocks,
        Subscription::WinningTickets,
        Subscription::NewTickets,
        Subscription::SpentAndMissedTickets,
    ];

    /// The subscribing method.
    pub fn method(self) -> &'static str {
        match self {
            Subscription::Blocks => "notifyblocks",
            Subscription::WinningTickets => "notifywinningtickets",
            Subscription::NewTickets => "notifynewtickets",
            Subscription::SpentAndMissedTickets => "notifyspentandmissedtickets",
        }
    }
}

/// What a session reports.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// First connection is up and subscribed.
    Connected,
    /// Connected and subscribed again after a drop: resync state now (blocks,
    /// winning tickets or spent tickets may have been missed meanwhile).
    Reconnected,
    /// A live connection dropped; reconnecting.
    Disconnected {
        /// Why.
        reason: String,
    },
    /// A connection attempt failed (the message says what to fix); retrying.
    ConnectFailed {
        /// The error message.
        error: String,
    },
    /// A server notification.
    Notification(Notification),
}

pub(crate) struct Shared {
    pub ep: Arc<Endpoint>,
    current: Mutex<Option<mpsc::UnboundedSender<Cmd>>>,
    next_id: AtomicU64,
    /// Cuts the reconnect backoff short ([`WsSession::reconnect_now`]).
    wake: tokio::sync::Notify,
}

impl Shared {
    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn set_current(&self, cmd: Option<mpsc::UnboundedSender<Cmd>>) {
        *self.current.lock().expect("session lock") = cmd;
    }

    /// Sends a request over the current connection.
    pub async fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, Error> {
        let cmd = self
            .current
            .lock()
            .expect("session lock")
            .clone()
            .ok_or_else(|| Error::NotConnected {
                server: self.ep.server.clone(),
                method: method.to_owned(),
            })?;
        conn::call(&cmd, &self.ep, self.id(), method, params).await
    }
}

/// A running websocket session. Dropping it closes the connection and stops
/// reconnecting.
pub struct WsSession {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl WsSession {
    /// Starts a session to exccd with the given subscriptions. Keep draining
    /// (or drop) the returned receiver: a full channel stalls event delivery.
    pub fn start(
        cfg: ClientConfig,
        subscriptions: &[Subscription],
    ) -> (WsSession, mpsc::Receiver<Event>) {
        Self::start_labelled(cfg, "exccd", subscriptions)
    }

    /// Like [`WsSession::start`], naming the server `label` in errors
    /// (`exccwallet` for a wallet session without subscriptions).
    pub fn start_labelled(
        cfg: ClientConfig,
        label: &str,
        subscriptions: &[Subscription],
    ) -> (WsSession, mpsc::Receiver<Event>) {
        let shared = Arc::new(Shared {
            ep: Endpoint::new(cfg, label),
            current: Mutex::new(None),
            next_id: AtomicU64::new(1),
            wake: tokio::sync::Notify::new(),
        });
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        let task = tokio::spawn(run(shared.clone(), subscriptions.to_vec(), tx));
        (WsSession { shared, task }, rx)
    }

    /// Sends a request over the websocket; [`Error::NotConnected`] while reconnecting.
    pub async fn call_raw(&self, method: &str, params: Vec<Value>) -> Result<Value, Error> {
        self.shared.call(method, params).await
    }

    /// Ends the current reconnect wait and tries again at once, e.g. when the
    /// caller saw the server answer over HTTP again. Does nothing while connected.
    pub fn reconnect_now(&self) {
        if !self.is_connected() {
            self.shared.wake.notify_one();
        }
    }

    /// True while a subscribed connection is up.
    pub fn is_connected(&self) -> bool {
        self.shared.current.lock().expect("session lock").is_some()
    }

    /// `exccd at host:port`.
    pub fn server(&self) -> &str {
        &self.shared.ep.server
    }

    pub(crate) fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }
}

impl Drop for WsSession {
    fn drop(&mut self) {
        self.task.abort();
        self.shared.set_current(None);
    }
}

async fn emit(events: &mpsc::Sender<Event>, ev: Event) {
    // A dropped receiver only means nobody listens; requests still work.
    let _ = events.send(ev).await;
}

async fn run(shared: Arc<Shared>, subs: Vec<Subscription>, events: mpsc::Sender<Event>) {
    let backoff = shared.ep.cfg.backoff;
    let mut failures = 0u32;
    let mut ever_connected = false;
    loop {
        match establish(&shared, &subs).await {
            Ok(Conn {
                cmd,
                mut notes,
                done,
            }) => {
                failures = 0;
                shared.set_current(Some(cmd));
                let marker = if ever_connected {
                    Event::Reconnected
                } else {
                    Event::Connected
                };
                ever_connected = true;
                tracing::info!(server = %shared.ep.server, "websocket connected and subscribed");
                emit(&events, marker).await;
                while let Some(frame) = notes.recv().await {
                    match Notification::from_frame(&frame) {
                        Ok(n) => emit(&events, Event::Notification(n)).await,
                        Err(e) => {
                            tracing::warn!(server = %shared.ep.server, error = %e, "dropping notification")
                        }
                    }
                }
                shared.set_current(None);
                let reason = done.await.unwrap_or_else(|e| e.to_string());
                tracing::warn!(server = %shared.ep.server, %reason, "websocket disconnected");
                emit(&events, Event::Disconnected { reason }).await;
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(server = %shared.ep.server, error = %e, "websocket connect failed");
                emit(
                    &events,
                    Event::ConnectFailed {
                        error: e.to_string(),
                    },
                )
                .await;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff.delay(failures)) => {}
            _ = shared.wake.notified() => {}
        }
    }
}

/// Connects, authenticates and subscribes.
async fn establish(shared: &Shared, subs: &[Subscription]) -> Result<Conn, Error> {
    let ep = &shared.ep;
    let conn = tokio::time::timeout(ep.cfg.timeout, conn::open(ep))
        .await
        .map_err(|_| Error::Timeout {
            server: ep.server.clone(),
            method: "websocket connect".into(),
            timeout: ep.cfg.timeout,
        })??;
    if ep.cfg.ws_auth == WsAuth::AuthenticateMessage {
        let creds = vec![
            Value::from(ep.cfg.user.as_str()),
            Value::from(ep.cfg.password.as_str()),
        ];
        match conn::call(&conn.cmd, ep, shared.id(), "authenticate", creds).await {
            Ok(_) => {}
            Err(Error::ConnectionClosed { .. }) => {
                return Err(Error::Unauthorized {
                    server: ep.server.clone(),
                    how: "socket closed after authenticate".into(),
                });
            }
            Err(e) => return Err(e),
        }
    }
    for s in subs {
        conn::call(&conn.cmd, ep, shared.id(), s.method(), Vec::new()).await?;
    }
    Ok(conn)
}
