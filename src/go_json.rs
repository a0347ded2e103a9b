//! JSON as Go's `encoding/json` writes it: compact, object keys sorted (as serde_json writes
//! maps), and the HTML-safe escapes `json.Marshal` applies inside strings.

use serde::Serialize;

/// Compact JSON with Go's HTML-safe escapes (`<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`;
/// those characters only occur inside strings). A value serde cannot write gives empty
/// output (only maps with non-string keys can fail, and callers pass JSON values or structs).
pub(crate) fn go_json(value: &impl Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::go_json;
    use serde_json::json;

    #[test]
    fn html_characters_are_escaped_and_keys_sorted() {
        assert_eq!(
            go_json(&json!({"b": "<a&b>", "a": "\u{2028}"})),
            r#"{"a":"\u2028","b":"\u003ca\u0026b\u003e"}"#
        );
    }
}
