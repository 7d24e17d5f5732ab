//! Loads the captured exccd/exccwallet 2.7.6 traffic from tests/fixtures (a copy of shared/fixtures).

use std::path::PathBuf;

use serde_json::Value;

/// One fixture file.
pub struct Fixture {
    pub name: String,
    pub json: Value,
}

impl Fixture {
    pub fn method(&self) -> &str {
        self.json["method"].as_str().unwrap_or_default()
    }
    pub fn target(&self) -> &str {
        self.json["target"].as_str().unwrap_or_default()
    }
    pub fn is_wallet(&self) -> bool {
        self.target().starts_with("exccwallet")
    }
    pub fn request(&self) -> Option<&Value> {
        self.json.get("request")
    }
    pub fn params(&self) -> &[Value] {
        self.json["request"]["params"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    pub fn response_raw(&self) -> &str {
        self.json["response_raw"].as_str().unwrap_or_default()
    }
    pub fn result(&self) -> &Value {
        &self.json["response"]["result"]
    }
    pub fn error(&self) -> &Value {
        &self.json["response"]["error"]
    }
    pub fn request_id(&self) -> u64 {
        self.json["request"]["id"]
            .as_u64()
            .expect("numeric request id")
    }
}

/// The fixture directory: `$EXCC_FIXTURES` or `<repo>/tests/fixtures/excc-2.7.6-simnet`.
pub fn dir() -> PathBuf {
    if let Ok(d) = std::env::var("EXCC_FIXTURES") {
        return d.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/excc-2.7.6-simnet")
}

/// Every `*.json` in the fixture directory, sorted by name. Panics when the
/// directory is missing: a silently skipped fixture test proves nothing.
pub fn all() -> Vec<Fixture> {
    let dir = dir();
    let mut out: Vec<Fixture> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixture directory {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read fixture");
            Fixture {
                name: p.file_name().unwrap().to_string_lossy().into_owned(),
                json: serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(
        out.len() > 50,
        "only {} fixtures in {}",
        out.len(),
        dir.display()
    );
    out
}

/// Loads one fixture by file name.
pub fn load(name: &str) -> Fixture {
    all()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

/// Renders JSON compactly the way Go's encoding/json does for request params:
/// integral floats without a fraction (Go writes float64 `1` as `1`).
pub fn go_compact(v: &Value) -> String {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                format!("{}", f as i64)
            }
            _ => n.to_string(),
        },
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(go_compact).collect::<Vec<_>>().join(",")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), go_compact(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// The request bytes a Go client would send for this fixture, with `id` replaced.
pub fn expected_request(req: &Value, id: u64) -> String {
    format!(
        r#"{{"jsonrpc":"1.0","id":{id},"method":{},"params":{}}}"#,
        req["method"],
        go_compact(&req["params"])
    )
}
