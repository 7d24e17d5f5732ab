//! Reading requests and writing replies in exccd's JSON-RPC 1.0 shape. Results
//! are written from their typed structs directly (not through `Value`) so the
//! key order is the real software's.

use excc_rpc::types::RpcError;
use serde::Serialize;
use serde_json::Value;

/// A handler's successful result, already serialized.
#[derive(Clone, Debug, PartialEq)]
pub struct Json(pub String);

impl Json {
    pub fn of<T: Serialize>(v: &T) -> Json {
        Json(serde_json::to_string(v).expect("result types always serialize"))
    }

    pub fn null() -> Json {
        Json("null".into())
    }
}

pub type RpcResult = Result<Json, RpcError>;

/// A parsed request; `id` and `jsonrpc` are echoed in the reply.
#[derive(Clone, Debug)]
pub struct Call {
    pub jsonrpc: Value,
    pub id: Value,
    pub method: String,
    pub params: Vec<Value>,
}

impl Call {
    pub fn parse(body: &[u8]) -> Result<Call, Box<str>> {
        let v: Value = serde_json::from_slice(body).map_err(|_| Box::<str>::from("parse"))?;
        let obj = v.as_object().ok_or("not an object")?;
        Ok(Call {
            jsonrpc: obj.get("jsonrpc").cloned().unwrap_or(Value::Null),
            id: obj.get("id").cloned().unwrap_or(Value::Null),
            method: obj
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            params: match obj.get("params") {
                Some(Value::Array(a)) => a.clone(),
                _ => Vec::new(),
            },
        })
    }
}

/// `{"jsonrpc":…,"result":…,"error":…,"id":…}` without a trailing newline.
pub fn reply(call_jsonrpc: &Value, id: &Value, result: &RpcResult) -> String {
    let jsonrpc = match call_jsonrpc {
        Value::Null => Value::from("1.0"),
        v => v.clone(),
    };
    let (res, err) = match result {
        Ok(Json(s)) => (s.clone(), "null".to_string()),
        Err(e) => (
            "null".to_string(),
            serde_json::to_string(e).expect("error serializes"),
        ),
    };
    format!(
        "{{\"jsonrpc\":{},\"result\":{res},\"error\":{err},\"id\":{}}}",
        jsonrpc, id
    )
}

/// The reply to a body that is not JSON.
pub fn parse_error_reply() -> String {
    reply(
        &Value::from("1.0"),
        &Value::Null,
        &Err(RpcError::new(-32700, "Parse error")),
    )
}

/// Positional parameter helpers with exccd-style errors.
pub mod params {
    use excc_rpc::types::RpcError;
    use serde_json::Value;

    pub fn invalid(msg: impl Into<String>) -> RpcError {
        RpcError::new(-8, msg)
    }

    pub fn str_at<'a>(p: &'a [Value], i: usize, name: &str) -> Result<&'a str, RpcError> {
        p.get(i)
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(format!("parameter #{} '{name}' must be a string", i + 1)))
    }

    pub fn opt_str(p: &[Value], i: usize) -> Option<&str> {
        p.get(i).and_then(Value::as_str)
    }

    pub fn i64_at(p: &[Value], i: usize, name: &str) -> Result<i64, RpcError> {
        p.get(i)
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
            .ok_or_else(|| invalid(format!("parameter #{} '{name}' must be a number", i + 1)))
    }

    pub fn opt_i64(p: &[Value], i: usize) -> Option<i64> {
        p.get(i)
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
    }

    pub fn opt_f64(p: &[Value], i: usize) -> Option<f64> {
        p.get(i).and_then(Value::as_f64)
    }

    pub fn opt_bool(p: &[Value], i: usize) -> Option<bool> {
        p.get(i).and_then(|v| match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => n.as_i64().map(|x| x != 0),
            _ => None,
        })
    }

    pub fn require(p: &[Value], n: usize, method: &str) -> Result<(), RpcError> {
        if p.len() < n {
            return Err(RpcError::new(
                -32602,
                format!(
                    "wrong number of params for {method} (expected at least {n}, got {})",
                    p.len()
                ),
            ));
        }
        Ok(())
    }
}
