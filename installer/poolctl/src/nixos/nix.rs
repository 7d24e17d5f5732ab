//! Writing Nix expressions: strings, lists and attribute sets, escaped.

use std::fmt::Write;

/// A Nix string literal: `"…"` with `\`, `"` and `${` escaped.
pub fn str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `[ { key = "k"; value = "v"; } … ]` of extra config lines.
pub fn settings(settings: &[(String, String)]) -> String {
    if settings.is_empty() {
        return "[ ]".to_owned();
    }
    let mut out = String::from("[\n");
    for (k, v) in settings {
        let _ = writeln!(out, "      {{ key = {}; value = {}; }}", str(k), str(v));
    }
    out.push_str("    ]");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(str("plain"), "\"plain\"");
        assert_eq!(str("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(str("${x} $y"), "\"\\${x} $y\"");
        assert_eq!(str("l1\nl2"), "\"l1\\nl2\"");
    }
}
