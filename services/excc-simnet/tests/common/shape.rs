//! Structural comparison of JSON values: same keys, same JSON types, same
//! array element shapes; hash-keyed maps compared by value shape.

use serde_json::Value;

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && is_hex(s)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Differences between the captured `want` and our `got` (empty = same shape).
pub fn diff(want: &Value, got: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("$", want, got, &mut out);
    out
}

fn walk(path: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
    if kind(want) != kind(got) {
        out.push(format!(
            "{path}: want {} got {} ({got})",
            kind(want),
            kind(got)
        ));
        return;
    }
    match (want, got) {
        (Value::String(w), Value::String(g)) => {
            if is_hash(w) && !is_hash(g) {
                out.push(format!("{path}: want a 64-hex hash, got {g:?}"));
            } else if is_hex(w)
                && w.len() % 2 == 0
                && w.len() > 8
                && !(is_hex(g) && g.len() % 2 == 0)
            {
                out.push(format!("{path}: want hex, got {g:?}"));
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.is_empty() || g.is_empty() {
                return;
            }
            if w.len() == g.len() {
                for (i, (a, b)) in w.iter().zip(g).enumerate() {
                    walk(&format!("{path}[{i}]"), a, b, out);
                }
            } else {
                for (i, b) in g.iter().enumerate() {
                    walk(&format!("{path}[{i}]"), &w[0], b, out);
                }
            }
        }
        (Value::Object(w), Value::Object(g)) => {
            let hash_keyed = !w.is_empty() && w.keys().all(|k| is_hash(k));
            if hash_keyed {
                let proto = w.values().next().expect("non-empty");
                for (k, v) in g {
                    if !is_hash(k) {
                        out.push(format!("{path}: key {k:?} is not a hash"));
                    }
                    walk(&format!("{path}.{k}"), proto, v, out);
                }
                return;
            }
            for k in w.keys() {
                if !g.contains_key(k) {
                    out.push(format!("{path}: missing key {k:?}"));
                }
            }
            for k in g.keys() {
                if !w.contains_key(k) {
                    out.push(format!("{path}: extra key {k:?}"));
                }
            }
            for (k, a) in w {
                if let Some(b) = g.get(k) {
                    walk(&format!("{path}.{k}"), a, b, out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_missing_extra_and_type_changes() {
        let want = json!({"a": 1, "b": ["x"], "c": {"d": null}});
        assert!(diff(&want, &json!({"a": 2, "b": [], "c": {"d": null}})).is_empty());
        assert_eq!(
            diff(&want, &json!({"a": "1", "b": [], "c": {"d": null}})).len(),
            1
        );
        assert_eq!(
            diff(&want, &json!({"b": [], "c": {"d": null}, "e": 1})).len(),
            2
        );
    }
}
