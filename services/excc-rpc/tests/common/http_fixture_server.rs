//! An HTTPS server that answers each request with a scripted captured reply
//! and records what it received.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::certs::Kind;
use super::server::{HttpRequest, TestServer, read_http_request, with_id, write_http_response};

/// What to answer next.
#[derive(Clone, Default)]
pub struct Script {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub raw: String,
    /// Id in the captured reply, replaced by the request's id; `None` to send `raw` as is.
    pub fixture_id: Option<u64>,
}

pub struct HttpFixtureServer {
    pub server: TestServer,
    pub script: Arc<Mutex<Script>>,
    pub seen: Arc<Mutex<Vec<HttpRequest>>>,
}

impl HttpFixtureServer {
    pub async fn start(kind: Kind) -> Self {
        let script: Arc<Mutex<Script>> = Arc::default();
        let seen: Arc<Mutex<Vec<HttpRequest>>> = Arc::default();
        let (sc, se) = (script.clone(), seen.clone());
        let server = TestServer::start(kind, move |_, mut tls| {
            let (script, seen) = (sc.clone(), se.clone());
            async move {
                while let Some(req) = read_http_request(&mut tls).await {
                    let s = script.lock().unwrap().clone();
                    let body = match s.fixture_id {
                        Some(fid) => {
                            let v: Value = serde_json::from_slice(&req.body).unwrap();
                            with_id(&s.raw, fid, v["id"].as_u64().unwrap())
                        }
                        None => s.raw.clone(),
                    };
                    seen.lock().unwrap().push(req);
                    write_http_response(&mut tls, s.status, &s.headers, body.as_bytes()).await;
                    let close = s
                        .headers
                        .iter()
                        .any(|(k, v)| k.eq_ignore_ascii_case("connection") && v == "close");
                    if close {
                        return;
                    }
                }
            }
        })
        .await;
        HttpFixtureServer {
            server,
            script,
            seen,
        }
    }

    pub fn set(&self, script: Script) {
        *self.script.lock().unwrap() = script;
    }

    pub fn last_request(&self) -> HttpRequest {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request")
    }
}
