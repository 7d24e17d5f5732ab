//! One websocket connection to `wss://host:port/ws`: a task owns the socket,
//! matches replies to requests by id and forwards notifications.

use std::collections::HashMap;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::config::WsAuth;
use crate::error::Error;
use crate::transport::{Endpoint, into_result};
use crate::types::{Incoming, NotificationFrame, Request, Response};

/// Commands to the connection task.
pub(crate) enum Cmd {
    /// Send `text` and deliver the reply with id `id`.
    Call {
        id: u64,
        text: String,
        reply: oneshot::Sender<Response>,
    },
    /// The caller gave up waiting for `id`.
    Forget(u64),
}

/// A live connection.
pub(crate) struct Conn {
    /// Requests to the connection task; dropping every sender closes the socket.
    pub cmd: mpsc::UnboundedSender<Cmd>,
    /// Notifications in arrival order; ends when the socket closes.
    pub notes: mpsc::UnboundedReceiver<NotificationFrame>,
    /// The task; yields why the connection ended.
    pub done: JoinHandle<String>,
}

/// Connects, upgrades (Basic auth header unless `WsAuth::AuthenticateMessage`)
/// and starts the connection task.
pub(crate) async fn open(ep: &Endpoint) -> Result<Conn, Error> {
    let tls = ep.connect_tls().await?;
    let protocol = |reason: String| Error::Protocol {
        server: ep.server.clone(),
        reason,
    };
    let mut req = format!("wss://{}/ws", ep.cfg.addr)
        .into_client_request()
        .map_err(|e| protocol(format!("bad websocket address: {e}")))?;
    if ep.cfg.ws_auth == WsAuth::Header {
        let auth = HeaderValue::from_str(&ep.cfg.basic_auth())
            .map_err(|_| protocol("credentials are not a valid header value".into()))?;
        req.headers_mut().insert(header::AUTHORIZATION, auth);
    }
    let (ws, _) = tokio_tungstenite::client_async_with_config(req, tls, None)
        .await
        .map_err(|e| match e {
            tungstenite::Error::Http(resp) if resp.status() == StatusCode::UNAUTHORIZED => {
                Error::Unauthorized {
                    server: ep.server.clone(),
                    how: "HTTP 401 on the websocket upgrade".into(),
                }
            }
            other => protocol(format!("websocket handshake: {other}")),
        })?;
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (notes_tx, notes_rx) = mpsc::unbounded_channel();
    let done = tokio::spawn(run(ws, cmd_rx, notes_tx, ep.server.clone()));
    Ok(Conn {
        cmd: cmd_tx,
        notes: notes_rx,
        done,
    })
}

/// Sends one request over `cmd` and waits for its reply within the timeout.
pub(crate) async fn call(
    cmd: &mpsc::UnboundedSender<Cmd>,
    ep: &Endpoint,
    id: u64,
    method: &str,
    params: Vec<Value>,
) -> Result<Value, Error> {
    let text = String::from_utf8(Request::new(id, method, params).to_bytes())
        .expect("serde_json writes UTF-8");
    let (reply, rx) = oneshot::channel();
    let closed = || Error::ConnectionClosed {
        server: ep.server.clone(),
        method: method.to_owned(),
    };
    cmd.send(Cmd::Call { id, text, reply })
        .map_err(|_| closed())?;
    match tokio::time::timeout(ep.cfg.timeout, rx).await {
        Err(_) => {
            let _ = cmd.send(Cmd::Forget(id));
            Err(Error::Timeout {
                server: ep.server.clone(),
                method: method.to_owned(),
                timeout: ep.cfg.timeout,
            })
        }
        Ok(Err(_)) => Err(closed()),
        Ok(Ok(resp)) => into_result(&ep.server, method, resp),
    }
}

type Ws = WebSocketStream<TlsStream<TcpStream>>;

async fn run(
    mut ws: Ws,
    mut cmd_rx: mpsc::UnboundedReceiver<Cmd>,
    notes_tx: mpsc::UnboundedSender<NotificationFrame>,
    server: String,
) -> String {
    let mut pending: HashMap<u64, oneshot::Sender<Response>> = HashMap::new();
    loop {
        tokio::select! {
            cmd = cmd_rx.recv() => match cmd {
                Some(Cmd::Call { id, text, reply }) => {
                    pending.insert(id, reply);
                    if let Err(e) = ws.send(Message::text(text)).await {
                        return format!("send failed: {e}");
                    }
                }
                Some(Cmd::Forget(id)) => {
                    pending.remove(&id);
                }
                None => {
                    let _ = ws.close(None).await;
                    return "closed by the client".into();
                }
            },
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => match Incoming::parse(text.as_str()) {
                    Ok(Incoming::Response(r)) => {
                        match r.id.as_u64().and_then(|id| pending.remove(&id)) {
                            Some(tx) => {
                                let _ = tx.send(r);
                            }
                            None => tracing::warn!(%server, id = %r.id, "websocket reply to no pending request"),
                        }
                    }
                    Ok(Incoming::Notification(n)) => {
                        let _ = notes_tx.send(n);
                    }
                    Err(e) => tracing::warn!(%server, error = %e, "unparseable websocket frame"),
                },
                Some(Ok(Message::Close(frame))) => {
                    return match frame {
                        Some(f) if !f.reason.is_empty() => format!("server closed the websocket: {}", f.reason),
                        _ => "server closed the websocket".into(),
                    };
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return format!("websocket error: {e}"),
                None => return "connection ended".into(),
            }
        }
    }
}
