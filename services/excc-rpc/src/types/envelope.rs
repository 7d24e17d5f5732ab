//! The JSON-RPC 1.0 envelope exccd and exccwallet speak.
//!
//! Requests: `{"jsonrpc":"1.0","id":N,"method":"m","params":[…]}` (positional
//! params only). Replies always carry both `result` and `error`:
//! `{"jsonrpc":"1.0","result":…,"error":null|{"code":c,"message":"…"},"id":N}`.
//! WebSocket notifications: `{"jsonrpc":"1.0","method":"…","params":[…],"id":null}`.
//! Field order in these structs is the wire order.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The protocol version string exccd echoes.
pub const JSONRPC_VERSION: &str = "1.0";

/// A JSON-RPC 1.0 request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Always `"1.0"` from this client; exccd echoes whatever it got.
    pub jsonrpc: String,
    /// Request id; `null` marks a notification.
    pub id: Value,
    /// Method name.
    pub method: String,
    /// Positional parameters.
    #[serde(default)]
    pub params: Vec<Value>,
}

impl Request {
    /// A request with a numeric id.
    pub fn new(id: u64, method: impl Into<String>, params: Vec<Value>) -> Self {
        Request {
            jsonrpc: JSONRPC_VERSION.into(),
            id: Value::from(id),
            method: method.into(),
            params,
        }
    }

    /// Compact JSON bytes in wire key order.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a Request always serialises")
    }
}

/// A JSON-RPC 1.0 reply. Both `result` and `error` are always present on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// Echo of the request's `jsonrpc`.
    pub jsonrpc: String,
    /// The result, `null` on error.
    #[serde(default)]
    pub result: Value,
    /// The error object, `null` on success.
    #[serde(default)]
    pub error: Option<RpcError>,
    /// Echo of the request id.
    #[serde(default)]
    pub id: Value,
}

impl Response {
    /// A success reply.
    pub fn ok(id: Value, result: Value) -> Self {
        Response {
            jsonrpc: JSONRPC_VERSION.into(),
            result,
            error: None,
            id,
        }
    }

    /// An error reply.
    pub fn err(id: Value, error: RpcError) -> Self {
        Response {
            jsonrpc: JSONRPC_VERSION.into(),
            result: Value::Null,
            error: Some(error),
            id,
        }
    }
}

/// Writes a success reply exactly as exccd/exccwallet do, keeping the field
/// order of the typed `result` (a [`Response`] holds a `Value`, whose objects
/// would be re-sorted): `{"jsonrpc":"1.0","result":…,"error":null,"id":…}`.
/// HTTP bodies from exccd end with a newline (add it); websocket frames do not.
/// Unlike Go, serde_json does not escape `<`, `>` and `&` in strings.
pub fn encode_reply<T: Serialize>(id: &Value, result: &T) -> Result<String, serde_json::Error> {
    Ok(format!(
        r#"{{"jsonrpc":"1.0","result":{},"error":null,"id":{}}}"#,
        serde_json::to_string(result)?,
        id
    ))
}

/// Writes an error reply exactly as exccd/exccwallet do:
/// `{"jsonrpc":"1.0","result":null,"error":{"code":…,"message":"…"},"id":…}`.
pub fn encode_error_reply(id: &Value, error: &RpcError) -> String {
    format!(
        r#"{{"jsonrpc":"1.0","result":null,"error":{},"id":{}}}"#,
        serde_json::to_string(error).expect("an RpcError always serialises"),
        id
    )
}

/// The `{"code":c,"message":"…"}` error object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpcError {
    /// Numeric code (see [`codes`]).
    pub code: i64,
    /// Human-readable message from the server.
    pub message: String,
}

impl RpcError {
    /// Builds an error object.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }

    /// True when the wallet refused because it is locked (`walletpassphrase` needed).
    pub fn is_wallet_locked(&self) -> bool {
        self.code == codes::WALLET_UNLOCK_NEEDED
            || (self.code == codes::WALLET && self.message.contains("wallet locked"))
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {}: {}", self.code, self.message)
    }
}

/// Error codes used by exccd (`dcrjson`) and exccwallet.
pub mod codes {
    /// Generic failure; exccd uses it for "This implementation does not implement wallet commands".
    pub const MISC: i64 = -1;
    /// Generic wallet error (exccwallet: e.g. "… wallet locked: default").
    pub const WALLET: i64 = -4;
    /// Invalid address or key.
    pub const INVALID_ADDRESS_OR_KEY: i64 = -5;
    /// Invalid parameter (exccd `getvoteinfo` "unrecognized vote version").
    pub const INVALID_PARAMETER: i64 = -8;
    /// The wallet must be unlocked first.
    pub const WALLET_UNLOCK_NEEDED: i64 = -13;
    /// Wrong wallet passphrase.
    pub const WALLET_PASSPHRASE_INCORRECT: i64 = -14;
    /// Transaction rejected, e.g. "already have transaction".
    pub const DUPLICATE_TX: i64 = -40;
    /// Malformed request.
    pub const INVALID_REQUEST: i64 = -32600;
    /// Unknown method name.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Wrong parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal server error.
    pub const INTERNAL: i64 = -32603;
    /// Unparseable JSON.
    pub const PARSE: i64 = -32700;
}

/// A server-push notification frame (websocket only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationFrame {
    /// `"1.0"`.
    pub jsonrpc: String,
    /// Notification name (`blockconnected`, `winningtickets`, …).
    pub method: String,
    /// Positional payload.
    #[serde(default)]
    pub params: Vec<Value>,
    /// Always `null`.
    #[serde(default)]
    pub id: Value,
}

impl NotificationFrame {
    /// A notification frame with `id: null`.
    pub fn new(method: impl Into<String>, params: Vec<Value>) -> Self {
        NotificationFrame {
            jsonrpc: JSONRPC_VERSION.into(),
            method: method.into(),
            params,
            id: Value::Null,
        }
    }
}

/// One websocket frame from the server: a reply or a notification.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    /// Reply to a request (has a non-null id or no `method`).
    Response(Response),
    /// Server push (`method` present, `id` null).
    Notification(NotificationFrame),
}

impl Incoming {
    /// Classifies and parses one text frame.
    pub fn parse(text: &str) -> Result<Incoming, serde_json::Error> {
        let v: Value = serde_json::from_str(text)?;
        let is_note =
            v.get("method").is_some_and(Value::is_string) && v.get("id").is_none_or(Value::is_null);
        if is_note {
            serde_json::from_value(v).map(Incoming::Notification)
        } else {
            serde_json::from_value(v).map(Incoming::Response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_keys_in_wire_order() {
        let r = Request::new(7, "getbestblock", vec![]);
        assert_eq!(
            String::from_utf8(r.to_bytes()).unwrap(),
            r#"{"jsonrpc":"1.0","id":7,"method":"getbestblock","params":[]}"#
        );
    }

    #[test]
    fn response_keeps_null_error() {
        let r = Response::ok(Value::from(3), Value::from(147));
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"jsonrpc":"1.0","result":147,"error":null,"id":3}"#
        );
        let e = Response::err(Value::from(10), RpcError::new(-32601, "Method not found"));
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"jsonrpc":"1.0","result":null,"error":{"code":-32601,"message":"Method not found"},"id":10}"#
        );
    }

    #[test]
    fn classifies_frames() {
        let n = Incoming::parse(
            r#"{"jsonrpc":"1.0","method":"blockconnected","params":["00",null],"id":null}"#,
        )
        .unwrap();
        assert!(matches!(n, Incoming::Notification(ref f) if f.method == "blockconnected"));
        let r =
            Incoming::parse(r#"{"jsonrpc":"1.0","result":null,"error":null,"id":1000}"#).unwrap();
        assert!(matches!(r, Incoming::Response(ref r) if r.id == 1000));
    }

    #[test]
    fn wallet_locked_detection() {
        let e = RpcError::new(
            -4,
            "wallet.GenerateVoteTx: transaction script fails to execute:: txscript.SignTxOutput:: wallet locked: default",
        );
        assert!(e.is_wallet_locked());
        assert!(!RpcError::new(-4, "other").is_wallet_locked());
    }
}
