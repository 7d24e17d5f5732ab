//! Every captured reply deserialises into its wire type and serialises back to
//! the same JSON: same key order, key set, JSON types and values; and, for the
//! whole reply envelope, the very same bytes exccd/exccwallet sent.

mod common;

use common::fixtures::{self, Fixture};
use common::ordered::{Ordered, same};
use common::typed::round_trip_result;
use excc_rpc::types::{Incoming, Notification, NotificationFrame, Response};

fn is_plain_exchange(f: &Fixture) -> bool {
    f.request().is_some() && f.json.get("response").is_some()
}

#[test]
fn every_reply_round_trips_through_its_type() {
    let mut checked = 0;
    for f in fixtures::all().iter().filter(|f| is_plain_exchange(f)) {
        let raw = f.response_raw();
        let resp: Response =
            serde_json::from_str(raw).unwrap_or_else(|e| panic!("{}: {e}", f.name));
        let id = f.request_id();
        let error_json = match &resp.error {
            None => "null".to_owned(),
            Some(e) => serde_json::to_string(e).unwrap(),
        };
        let result_json = if resp.error.is_some() {
            "null".to_owned()
        } else {
            round_trip_result(f).unwrap_or_else(|e| panic!("{}: {e}", f.name))
        };
        let ours =
            format!(r#"{{"jsonrpc":"1.0","result":{result_json},"error":{error_json},"id":{id}}}"#);
        same(&Ordered::parse(raw), &Ordered::parse(&ours), "$")
            .unwrap_or_else(|e| panic!("{}: {e}", f.name));
        assert_eq!(ours, raw.trim_end_matches('\n'), "{}: bytes differ", f.name);
        checked += 1;
    }
    assert!(checked >= 70, "only {checked} replies checked");
}

#[test]
fn every_notification_frame_round_trips() {
    let f = fixtures::load("node-ws-notifications.json");
    let frames = f.json["frames"].as_array().unwrap();
    for text in frames.iter().map(|t| t.as_str().unwrap()) {
        let Incoming::Notification(frame) = Incoming::parse(text).unwrap() else {
            panic!("not a notification: {text}");
        };
        let n = Notification::from_frame(&frame).unwrap();
        assert!(
            !matches!(n, Notification::Other { .. }),
            "unmodelled: {text}"
        );
        let back: NotificationFrame = n.to_frame();
        let ours = serde_json::to_string(&back).unwrap();
        same(&Ordered::parse(text), &Ordered::parse(&ours), "$").unwrap();
        assert_eq!(ours, text);
    }
}
