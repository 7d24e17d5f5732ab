//! Every captured reply deserialises into its wire type and serialises back to
//! the same JSON: same key order, key set, JSON types and values; and, for the
//! whole reply envelope, the very same bytes exccd/exccwallet sent.

mod common;

use common::fixtures::{self, Fixture};
use common::ordered::{Ordered, same};
use common::typed::round_trip_reply;
use excc_rpc::types::{Incoming, Notification, NotificationFrame, Response, encode_error_reply};

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
        let ours = match &resp.error {
            Some(e) => encode_error_reply(&serde_json::Value::from(f.request_id()), e),
            None => round_trip_reply(f).unwrap_or_else(|e| panic!("{}: {e}", f.name)),
        };
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
