//! Server-side replay of the websocket fixtures (`node-ws-*.json`).

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::fixtures::{Fixture, expected_request, load};
use super::server::{PASS, USER, Ws, basic_auth, with_id};

/// Reads the next text frame; `None` when the socket closed.
pub async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(t)) => return Some(t.to_string()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

fn id_of(text: &str) -> u64 {
    let v: Value = serde_json::from_str(text).expect("client sent JSON");
    v["id"].as_u64().expect("numeric id")
}

/// Reads one request, asserts its bytes equal the captured request (id
/// normalised), answers with the captured reply. Returns the request text.
pub async fn exchange(ws: &mut Ws, request: &Value, reply: &str) -> String {
    exchange_noting(ws, request, reply, |_| {}).await
}

/// [`exchange`], calling `note` with the request before the reply is sent (so that what the
/// client does after the reply can already see it noted).
pub async fn exchange_noting(
    ws: &mut Ws,
    request: &Value,
    reply: &str,
    note: impl FnOnce(&str),
) -> String {
    let got = next_text(ws).await.expect("client request");
    let id = id_of(&got);
    assert_eq!(got, expected_request(request, id), "request bytes");
    note(&got);
    let fixture_id = request["id"].as_u64().unwrap();
    ws.send(Message::text(with_id(reply, fixture_id, id)))
        .await
        .unwrap();
    got
}

/// Plays exccd for a client that authenticates with the Basic header:
/// answers the four `notify*` subscriptions from `node-ws-subscribe.json`
/// (recording them in `seen`), pushes `push`, then closes the socket when
/// `close` is set or otherwise waits for the client to go.
pub async fn serve_subscriptions(
    mut ws: Ws,
    auth: Option<String>,
    push: &[String],
    close: bool,
    seen: Arc<Mutex<Vec<String>>>,
) {
    assert_eq!(
        auth,
        Some(basic_auth(USER, PASS)),
        "Basic auth on the upgrade"
    );
    let f = load("node-ws-subscribe.json");
    let requests = f.json["requests"].as_array().unwrap();
    let replies = f.json["frames"].as_array().unwrap();
    for (req, reply) in requests.iter().zip(replies) {
        // Noted before the reply: the client reports Connected right after the last one.
        exchange_noting(&mut ws, req, reply.as_str().unwrap(), |got| {
            let method = serde_json::from_str::<Value>(got).unwrap()["method"]
                .as_str()
                .unwrap()
                .to_owned();
            seen.lock().unwrap().push(method);
        })
        .await;
    }
    for frame in push {
        ws.send(Message::text(frame.clone())).await.unwrap();
    }
    if close {
        let _ = ws.close(None).await;
        return;
    }
    while next_text(&mut ws).await.is_some() {}
}

/// Plays exccd for `node-ws-authenticate.json`: no header; the first message
/// must be `authenticate`; wrong credentials close the socket (as exccd does).
pub async fn serve_authenticate(mut ws: Ws, auth: Option<String>, f: &Fixture) {
    assert_eq!(auth, None, "authenticate mode sends no header");
    let exchanges = f.json["exchanges"].as_array().unwrap();
    let first = next_text(&mut ws).await.expect("authenticate request");
    let v: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["method"], "authenticate");
    if v["params"] != serde_json::json!([USER, PASS]) {
        return; // drop: the client sees the socket close
    }
    let (req, reply) = (&exchanges[0][0], exchanges[0][1].as_str().unwrap());
    assert_eq!(first, expected_request(req, id_of(&first)));
    let fixture_id = req["id"].as_u64().unwrap();
    ws.send(Message::text(with_id(reply, fixture_id, id_of(&first))))
        .await
        .unwrap();
    for ex in &exchanges[1..] {
        exchange(&mut ws, &ex[0], ex[1].as_str().unwrap()).await;
    }
    while next_text(&mut ws).await.is_some() {}
}

/// The captured notification frames, in order.
pub fn notification_frames() -> Vec<String> {
    load("node-ws-notifications.json").json["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}
