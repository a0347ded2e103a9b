//! JSON strings as Go's `encoding/json` decodes them (`unquoteBytes` in
//! `encoding/json/decode.go`): a byte that is not part of valid UTF-8 and a `\u` escape of
//! an unpaired UTF-16 surrogate each become U+FFFD, where serde_json refuses the document.
//! So a body kube-apiserver reads (and stores with U+FFFD) is read here too.

/// The UTF-8 encoding of U+FFFD, which Go writes for each byte it cannot decode.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// `data` with what Go's decoder replaces already replaced: each byte inside a string that
/// is not part of valid UTF-8 by U+FFFD (one per byte, as `utf8.DecodeRune` steps), and
/// each `\uD800`–`\uDFFF` escape that is not a high surrogate followed by a low one by
/// `\ufffd`.
///
/// `None` when Go's scanner refuses the document ([`crate::go_json_syntax::syntax_error`])
/// or when there is nothing to replace; callers use it after serde_json has refused `data`.
pub fn with_go_replacements(data: &[u8]) -> Option<Vec<u8>> {
    if crate::go_json_syntax::syntax_error(data).is_some() {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() + 16);
    let mut replaced = false;
    let mut in_string = false;
    let mut i = 0;
    while i < data.len() {
        let byte = data[i];
        if !in_string {
            // Outside strings a document Go's scanner accepts is ASCII.
            in_string = byte == b'"';
            out.push(byte);
            i += 1;
            continue;
        }
        match byte {
            b'"' => {
                in_string = false;
                out.push(byte);
                i += 1;
            }
            b'\\' if data.get(i + 1) == Some(&b'u') => {
                // The scanner has checked that four hex digits follow.
                let unit = hex4(&data[i + 2..i + 6]);
                let paired = (0xD800..0xDC00).contains(&unit)
                    && data.get(i + 6) == Some(&b'\\')
                    && data.get(i + 7) == Some(&b'u')
                    && data
                        .get(i + 8..i + 12)
                        .is_some_and(|digits| (0xDC00..0xE000).contains(&hex4(digits)));
                if paired {
                    out.extend_from_slice(&data[i..i + 12]);
                    i += 12;
                } else if (0xD800..0xE000).contains(&unit) {
                    out.extend_from_slice(br"\ufffd");
                    replaced = true;
                    i += 6;
                } else {
                    out.extend_from_slice(&data[i..i + 6]);
                    i += 6;
                }
            }
            b'\\' => {
                out.extend_from_slice(&data[i..i + 2]);
                i += 2;
            }
            0x80.. => {
                let width = match byte {
                    0xC2..=0xDF => 2,
                    0xE0..=0xEF => 3,
                    0xF0..=0xF4 => 4,
                    _ => 0,
                };
                let character = data
                    .get(i..i + width)
                    .filter(|bytes| width > 0 && std::str::from_utf8(bytes).is_ok());
                match character {
                    Some(bytes) => {
                        out.extend_from_slice(bytes);
                        i += width;
                    }
                    None => {
                        out.extend_from_slice(REPLACEMENT);
                        replaced = true;
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(byte);
                i += 1;
            }
        }
    }
    replaced.then_some(out)
}

/// Four hex digits (already checked by the scanner) as a UTF-16 code unit.
fn hex4(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |unit, &digit| {
        unit * 16 + char::from(digit).to_digit(16).unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replaced(data: &[u8]) -> Option<String> {
        with_go_replacements(data).map(|bytes| String::from_utf8(bytes).expect("UTF-8 out"))
    }

    #[test]
    fn replaces_what_go_replaces() {
        let cases: &[(&[u8], Option<&str>)] = &[
            // Latin-1 é, a cut three-byte character (one U+FFFD per byte), an encoded
            // surrogate (not UTF-8 either), a byte that never starts a character.
            (b"{\"a\":\"caf\xe9\"}", Some("{\"a\":\"caf\u{FFFD}\"}")),
            (
                b"{\"a\":\"\xe2\x82x\"}",
                Some("{\"a\":\"\u{FFFD}\u{FFFD}x\"}"),
            ),
            (
                b"[\"\xed\xa0\x80\"]",
                Some("[\"\u{FFFD}\u{FFFD}\u{FFFD}\"]"),
            ),
            (b"[\"\xff\xfe\"]", Some("[\"\u{FFFD}\u{FFFD}\"]")),
            // In a key too.
            (b"{\"k\x80\":1}", Some("{\"k\u{FFFD}\":1}")),
            // Unpaired surrogates; a pair is kept; a high one before a non-low escape.
            (br#"["\ud800"]"#, Some(r#"["\ufffd"]"#)),
            (br#"["\uDC00x"]"#, Some(r#"["\ufffdx"]"#)),
            (br#"["\ud800\u0041"]"#, Some(r#"["\ufffd\u0041"]"#)),
            (
                br#"["\ud800\ud800\udc00"]"#,
                Some(r#"["\ufffd\ud800\udc00"]"#),
            ),
            // Nothing to replace: valid text, a valid pair, escaped backslashes.
            ("[\"café \u{1F600}\"]".as_bytes(), None),
            (br#"["\ud83d\ude00"]"#, None),
            (br#"["\\ud800"]"#, None),
            // A document Go refuses is left to the syntax error.
            (b"[\"\xe9\"", None),
            (b"\xe9", None),
        ];
        for (data, expected) in cases {
            assert_eq!(
                replaced(data).as_deref(),
                *expected,
                "{}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn serde_json_reads_the_replaced_document() {
        let data = b"{\"a\":\"caf\xe9 \\ud800 ok\"}";
        assert!(serde_json::from_slice::<serde_json::Value>(data).is_err());
        let fixed = with_go_replacements(data).expect("replaced");
        let value: serde_json::Value = serde_json::from_slice(&fixed).expect("parses");
        assert_eq!(value["a"], "caf\u{FFFD} \u{FFFD} ok");
    }
}
