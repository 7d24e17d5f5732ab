//! What a simulated daemon plugs into the shared HTTPS/WebSocket server.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::broadcast;

use super::envelope::{Call, RpcResult};

/// Notification topics a websocket client can subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    Blocks,
    WinningTickets,
    NewTickets,
    SpentAndMissed,
}

/// One notification frame (compact JSON) for one topic.
#[derive(Clone, Debug)]
pub struct Notice {
    pub topic: Topic,
    pub frame: String,
}

/// Per-connection switches the fault-injection admin methods can flip.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Delay every reply by this many milliseconds.
    pub delay_ms: u64,
    /// Drop (never answer, close the connection) the next N requests.
    pub drop_next: u64,
    /// Close every open websocket now (generation counter).
    pub close_generation: u64,
    /// The JSON-RPC API version `version` reports instead of the real one
    /// (`simnet_setapiversion`), to test clients' compatibility checks.
    pub api_version: Option<String>,
}

pub trait Service: Send + Sync + 'static {
    /// HTTP Basic realm, e.g. `exccd RPC`.
    fn realm(&self) -> &'static str;
    /// True when `user`/`pass` may use the server.
    fn authorized(&self, user: &str, pass: &str) -> bool;
    /// Answers one call (HTTP POST or websocket).
    fn call(self: &Arc<Self>, call: Call) -> impl Future<Output = RpcResult> + Send;
    /// Notifications to push to subscribed websockets (`None`: none exist).
    fn notices(&self) -> Option<broadcast::Receiver<Notice>> {
        None
    }
    /// Frames `rebroadcastwinners` sends to the asking websocket.
    fn rebroadcast_winners(self: &Arc<Self>) -> impl Future<Output = Vec<String>> + Send {
        async { Vec::new() }
    }
    /// Current fault-injection settings.
    fn faults(&self) -> Faults {
        Faults::default()
    }
    /// Consumes one "drop the next request" token; true if this request must be dropped.
    fn take_drop(&self) -> bool {
        false
    }
}
