//! JSON parsed with object key order preserved, compared structurally
//! (key order, key set, JSON types, values; numbers compared numerically).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value that remembers object key order.
#[derive(Debug, Clone)]
pub enum Ordered {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Ordered>),
    Obj(Vec<(String, Ordered)>),
}

impl Ordered {
    pub fn parse(text: &str) -> Ordered {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    fn kind(&self) -> &'static str {
        match self {
            Ordered::Null => "null",
            Ordered::Bool(_) => "bool",
            Ordered::Num(_) => "number",
            Ordered::Str(_) => "string",
            Ordered::Arr(_) => "array",
            Ordered::Obj(_) => "object",
        }
    }
}

/// `Ok` when `got` equals `want` with the same key order; else the first difference.
pub fn same(want: &Ordered, got: &Ordered, path: &str) -> Result<(), String> {
    match (want, got) {
        (Ordered::Null, Ordered::Null) => Ok(()),
        (Ordered::Bool(a), Ordered::Bool(b)) if a == b => Ok(()),
        (Ordered::Num(a), Ordered::Num(b)) if a == b => Ok(()),
        (Ordered::Str(a), Ordered::Str(b)) if a == b => Ok(()),
        (Ordered::Arr(a), Ordered::Arr(b)) => {
            if a.len() != b.len() {
                return Err(format!("{path}: array length {} != {}", a.len(), b.len()));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same(x, y, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Ordered::Obj(a), Ordered::Obj(b)) => {
            let ka: Vec<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
            let kb: Vec<&str> = b.iter().map(|(k, _)| k.as_str()).collect();
            if ka != kb {
                return Err(format!("{path}: keys {ka:?} != {kb:?}"));
            }
            for ((k, x), (_, y)) in a.iter().zip(b) {
                same(x, y, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        _ if want.kind() != got.kind() => Err(format!(
            "{path}: type {} != {} ({want:?} vs {got:?})",
            want.kind(),
            got.kind()
        )),
        _ => Err(format!("{path}: {want:?} != {got:?}")),
    }
}

struct V;

impl<'de> Visitor<'de> for V {
    type Value = Ordered;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }
    fn visit_none<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
        Ok(Ordered::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
        Ok(Ordered::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
        Ok(Ordered::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
        Ok(Ordered::Num(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
        Ok(Ordered::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
        Ok(Ordered::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut out = Vec::new();
        while let Some(x) = seq.next_element()? {
            out.push(x);
        }
        Ok(Ordered::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Ordered>()? {
            out.push((k, v));
        }
        Ok(Ordered::Obj(out))
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ordered, D::Error> {
        d.deserialize_any(V)
    }
}
