//! The generic JSON-RPC client over HTTPS POST or a websocket session.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::ClientConfig;
use crate::error::Error;
use crate::transport::http::HttpTransport;
use crate::transport::ws::session::{Shared, WsSession};
use crate::transport::{Endpoint, into_result};
use crate::types::{Request, Response};

enum Transport {
    Http(HttpTransport),
    Ws(Arc<Shared>),
}

struct Inner {
    transport: Transport,
    next_id: AtomicU64,
}

/// Sends JSON-RPC 1.0 requests (`{"jsonrpc":"1.0","id":N,"method":…,"params":[…]}`)
/// and returns results. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct RpcClient {
    inner: Arc<Inner>,
}

impl RpcClient {
    /// A client posting to `https://addr/`; `label` (`exccd`, `exccwallet`)
    /// names the server in error messages. Connects lazily.
    pub fn http(cfg: ClientConfig, label: &str) -> Self {
        Self::with(Transport::Http(HttpTransport::new(Endpoint::new(
            cfg, label,
        ))))
    }

    /// A client sending its requests over `session`'s websocket.
    pub fn websocket(session: &WsSession) -> Self {
        Self::with(Transport::Ws(session.shared()))
    }

    fn with(transport: Transport) -> Self {
        RpcClient {
            inner: Arc::new(Inner {
                transport,
                next_id: AtomicU64::new(1),
            }),
        }
    }

    /// `exccd at host:port`.
    pub fn server(&self) -> &str {
        match &self.inner.transport {
            Transport::Http(h) => &h.endpoint().server,
            Transport::Ws(s) => &s.ep.server,
        }
    }

    /// Calls `method` with positional `params`; returns the raw `result`.
    pub async fn call_raw(&self, method: &str, params: Vec<Value>) -> Result<Value, Error> {
        match &self.inner.transport {
            Transport::Ws(s) => s.call(method, params).await,
            Transport::Http(h) => {
                let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
                let body = h
                    .post(method, Request::new(id, method, params).to_bytes())
                    .await?;
                let bad = |reason: String| Error::BadResponse {
                    server: self.server().to_owned(),
                    method: method.to_owned(),
                    reason,
                };
                let resp: Response = serde_json::from_slice(&body)
                    .map_err(|e| bad(format!("not a JSON-RPC reply ({e})")))?;
                if resp.id != id {
                    return Err(bad(format!("reply id {} for request id {id}", resp.id)));
                }
                into_result(self.server(), method, resp)
            }
        }
    }

    /// Calls `method` and deserialises the result into `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Vec<Value>,
    ) -> Result<T, Error> {
        let v = self.call_raw(method, params).await?;
        serde_json::from_value(v).map_err(|e| Error::BadResponse {
            server: self.server().to_owned(),
            method: method.to_owned(),
            reason: format!("unexpected result shape ({e})"),
        })
    }
}
