//! The HTTP server: HTTP/1.1 connections (hyper) under caps that no client can exhaust.
//! A connection must send a request's headers within `header_timeout` (on a fresh
//! connection and between keep-alive requests alike, so silent and idle connections are
//! closed); at most `max_connections` are open at once, at most `connections_per_client`
//! from one client address (IPv6: per /64) unless a reverse proxy stands in front; further
//! ones are closed at once. Bodies, in-flight requests and request time are limited per
//! request ([`crate::request_limits`]). The caller's `stop` future begins a graceful
//! shutdown: no new connections, open ones finish their request (at most 10 s).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::pool::Pool;

/// What one client may hold and how long it may take. `Default` is the configuration's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Open connections in all.
    pub max_connections: usize,
    /// Open connections per client address (not enforced behind a reverse proxy, where
    /// every connection comes from the proxy).
    pub connections_per_client: usize,
    /// Requests handled at once (their bodies already received); others wait.
    pub requests_in_flight: usize,
    /// A request's headers must arrive within this (also the keep-alive idle time).
    pub header_timeout: Duration,
    /// A request's body must arrive within this.
    pub body_timeout: Duration,
    /// A request must be answered within this (waiting for its turn included).
    pub request_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: 4096,
            connections_per_client: 64,
            requests_in_flight: 256,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The largest request head (line and headers) read.
const MAX_HEAD: usize = 64 * 1024;

/// How long open connections get to finish after the stop signal.
const DRAIN: Duration = Duration::from_secs(10);

/// Open connections per client address.
#[derive(Default)]
struct PerClient(Mutex<HashMap<String, usize>>);

/// One open connection of a client; counted down when dropped.
struct Slot {
    table: Arc<PerClient>,
    client: String,
}

impl PerClient {
    fn take(table: &Arc<PerClient>, client: String, cap: usize) -> Option<Slot> {
        let mut t = table.0.lock().expect("connection table lock");
        let n = t.entry(client.clone()).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            table: Arc::clone(table),
            client,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut t = self.table.0.lock().expect("connection table lock");
        if let Some(n) = t.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                t.remove(&self.client);
            }
        }
    }
}

/// Serves [`crate::app`] for `pool` on `listener` until `stop` completes.
pub async fn serve(listener: TcpListener, pool: Arc<Pool>, stop: impl Future<Output = ()>) {
    let limits = pool.settings.server.clone();
    // Behind a reverse proxy every connection is the proxy's.
    let per_client_cap = match pool.settings.limits.real_ip_header {
        Some(_) => usize::MAX,
        None => limits.connections_per_client.max(1),
    };
    let app = crate::app(pool);
    let total = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_client = Arc::new(PerClient::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD);
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            permit = Arc::clone(&total).acquire_owned() => match permit {
                Ok(permit) => tokio::select! {
                    _ = &mut stop => break,
                    r = listener.accept() => r.map(|(stream, peer)| (stream, peer, permit)),
                },
                Err(_) => break,
            },
        };
        let (stream, peer, permit) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // E.g. out of file descriptors: wait for connections to close.
                tracing::warn!("accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let client = crate::rate_limit::client_key(peer.ip());
        let Some(slot) = PerClient::take(&per_client, client, per_client_cap) else {
            // Dropping the stream closes it: this client has enough connections open.
            continue;
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            app.clone().oneshot(req)
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // Errors here are the client's (reset, timeout, bad request): nothing to log.
            let _ = conn.await;
            drop((permit, slot));
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open {DRAIN:?} after the stop signal: closing them");
    }
}
