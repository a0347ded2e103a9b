//! The syntax errors of Go's `encoding/json`, worded as its scanner words them
//! (`encoding/json/scanner.go`: `checkValid`, `quoteChar`), so that a body the API server
//! cannot parse is refused in kube-apiserver's words (`unexpected end of JSON input`,
//! `invalid character '}' after top-level value`) rather than serde_json's. Bodies are still
//! parsed by serde_json; this runs only once a parse has failed, to find Go's text.

/// `encoding/json`'s `maxNestingDepth`.
const MAX_NESTING_DEPTH: usize = 10_000;

/// What the scanner expects next (Go's `step` functions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    /// Inside `\u`, with this many hex digits read.
    InStringEscU(u8),
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    /// Inside a literal (`true`, `false`, `null`), with this many bytes read.
    Literal(&'static str, usize),
}

/// Go's `parseState` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parse {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

/// The message of the `*json.SyntaxError` that `json.Unmarshal` returns for `data`, or
/// `None` when Go's scanner accepts it (serde_json refuses some documents Go takes: nesting
/// beyond 128 levels, invalid UTF-8 inside strings, numbers beyond `f64`).
pub fn syntax_error(data: &[u8]) -> Option<String> {
    let mut scanner = Scanner {
        step: Step::BeginValue,
        stack: Vec::new(),
    };
    for &c in data {
        if let Err(message) = scanner.step(c) {
            return Some(message);
        }
    }
    scanner.eof()
}

/// The JSON kind as `encoding/json` names it in its type errors (`json: cannot unmarshal
/// <kind> into Go value of type ...`): `null`, `bool`, `number`, `string`, `array`, `object`.
pub fn go_json_kind(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `json: cannot unmarshal <kind> into Go value of type struct { APIVersion ...; Kind ... }`:
/// what `json.Unmarshal` says when a body that is not an object (`[]`, `"x"`, `1`, `true`)
/// is read for its `apiVersion` and `kind` (`SimpleMetaFactory.Interpret`). `kind` is Go's
/// name of the JSON value's type: `array`, `string`, `number` or `bool`.
pub fn cannot_unmarshal_into_type_meta(kind: &str) -> String {
    format!(
        "json: cannot unmarshal {kind} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}"
    )
}

struct Scanner {
    step: Step,
    stack: Vec<Parse>,
}

/// `invalid character 'c' <context>`.
fn invalid(c: u8, context: &str) -> Result<(), String> {
    Err(format!("invalid character {} {context}", quote_char(c)))
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

impl Scanner {
    /// `checkValid`'s end, which steps over one more space: a number at the top level ends
    /// there, a document inside a number or literal fails on that space, and one inside
    /// anything else is `unexpected end of JSON input`.
    fn eof(&mut self) -> Option<String> {
        if self.step == Step::EndTop {
            return None;
        }
        match self.step(b' ') {
            Err(message) => Some(message),
            Ok(()) if self.step == Step::EndTop => None,
            Ok(()) => Some("unexpected end of JSON input".into()),
        }
    }

    /// Opens an object or array at the byte `c` (`{` or `[`).
    fn push(&mut self, c: u8, parse: Parse) -> Result<(), String> {
        self.stack.push(parse);
        if self.stack.len() > MAX_NESTING_DEPTH {
            return invalid(c, "exceeded max depth");
        }
        Ok(())
    }

    /// After a value: the top level ends, or the enclosing object or array goes on.
    fn end_value(&mut self, c: u8) -> Result<(), String> {
        let Some(&top) = self.stack.last() else {
            self.step = Step::EndTop;
            return self.step(c);
        };
        if is_space(c) {
            self.step = Step::EndValue;
            return Ok(());
        }
        match top {
            Parse::ObjectKey if c == b':' => {
                *self.stack.last_mut().expect("not empty") = Parse::ObjectValue;
                self.step = Step::BeginValue;
                Ok(())
            }
            Parse::ObjectKey => invalid(c, "after object key"),
            Parse::ObjectValue if c == b',' => {
                *self.stack.last_mut().expect("not empty") = Parse::ObjectKey;
                self.step = Step::BeginString;
                Ok(())
            }
            Parse::ObjectValue if c == b'}' => self.pop(),
            Parse::ObjectValue => invalid(c, "after object key:value pair"),
            Parse::ArrayValue if c == b',' => {
                self.step = Step::BeginValue;
                Ok(())
            }
            Parse::ArrayValue if c == b']' => self.pop(),
            Parse::ArrayValue => invalid(c, "after array element"),
        }
    }

    fn pop(&mut self) -> Result<(), String> {
        self.stack.pop();
        self.step = if self.stack.is_empty() {
            Step::EndTop
        } else {
            Step::EndValue
        };
        Ok(())
    }

    fn begin_value(&mut self, c: u8) -> Result<(), String> {
        self.step = match c {
            c if is_space(c) => Step::BeginValue,
            b'{' => {
                self.push(c, Parse::ObjectKey)?;
                Step::BeginStringOrEmpty
            }
            b'[' => {
                self.push(c, Parse::ArrayValue)?;
                Step::BeginValueOrEmpty
            }
            b'"' => Step::InString,
            b'-' => Step::Neg,
            b'0' => Step::Zero,
            b'1'..=b'9' => Step::One,
            b't' => Step::Literal("true", 1),
            b'f' => Step::Literal("false", 1),
            b'n' => Step::Literal("null", 1),
            c => return invalid(c, "looking for beginning of value"),
        };
        Ok(())
    }

    fn step(&mut self, c: u8) -> Result<(), String> {
        match self.step {
            Step::BeginValue => self.begin_value(c),
            Step::BeginValueOrEmpty if is_space(c) => Ok(()),
            Step::BeginValueOrEmpty if c == b']' => self.end_value(c),
            Step::BeginValueOrEmpty => self.begin_value(c),
            Step::BeginStringOrEmpty if is_space(c) => Ok(()),
            Step::BeginStringOrEmpty if c == b'}' => {
                *self.stack.last_mut().expect("inside an object") = Parse::ObjectValue;
                self.end_value(c)
            }
            Step::BeginStringOrEmpty | Step::BeginString => match c {
                c if is_space(c) => Ok(()),
                b'"' => {
                    self.step = Step::InString;
                    Ok(())
                }
                c => invalid(c, "looking for beginning of object key string"),
            },
            Step::EndValue => self.end_value(c),
            Step::EndTop if is_space(c) => Ok(()),
            Step::EndTop => invalid(c, "after top-level value"),
            Step::InString => {
                match c {
                    b'"' => self.step = Step::EndValue,
                    b'\\' => self.step = Step::InStringEsc,
                    c if c < 0x20 => return invalid(c, "in string literal"),
                    _ => {}
                }
                Ok(())
            }
            Step::InStringEsc => {
                self.step = match c {
                    b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => Step::InString,
                    b'u' => Step::InStringEscU(0),
                    c => return invalid(c, "in string escape code"),
                };
                Ok(())
            }
            Step::InStringEscU(read) => {
                if !c.is_ascii_hexdigit() {
                    return invalid(c, "in \\u hexadecimal character escape");
                }
                self.step = if read == 3 {
                    Step::InString
                } else {
                    Step::InStringEscU(read + 1)
                };
                Ok(())
            }
            Step::Neg => {
                self.step = match c {
                    b'0' => Step::Zero,
                    b'1'..=b'9' => Step::One,
                    c => return invalid(c, "in numeric literal"),
                };
                Ok(())
            }
            Step::One if c.is_ascii_digit() => Ok(()),
            Step::One | Step::Zero => match c {
                b'.' => {
                    self.step = Step::Dot;
                    Ok(())
                }
                b'e' | b'E' => {
                    self.step = Step::E;
                    Ok(())
                }
                c => self.end_value(c),
            },
            Step::Dot if c.is_ascii_digit() => {
                self.step = Step::Dot0;
                Ok(())
            }
            Step::Dot => invalid(c, "after decimal point in numeric literal"),
            Step::Dot0 => match c {
                c if c.is_ascii_digit() => Ok(()),
                b'e' | b'E' => {
                    self.step = Step::E;
                    Ok(())
                }
                c => self.end_value(c),
            },
            Step::E if c == b'+' || c == b'-' => {
                self.step = Step::ESign;
                Ok(())
            }
            Step::E | Step::ESign if c.is_ascii_digit() => {
                self.step = Step::E0;
                Ok(())
            }
            Step::E | Step::ESign => invalid(c, "in exponent of numeric literal"),
            Step::E0 if c.is_ascii_digit() => Ok(()),
            Step::E0 => self.end_value(c),
            Step::Literal(word, read) => {
                let expected = word.as_bytes()[read];
                if c != expected {
                    return invalid(
                        c,
                        &format!("in literal {word} (expecting {})", quote_char(expected)),
                    );
                }
                self.step = if read + 1 == word.len() {
                    Step::EndValue
                } else {
                    Step::Literal(word, read + 1)
                };
                Ok(())
            }
        }
    }
}

/// Go's `quoteChar`: the byte as a rune (so 0x80–0xFF are Latin-1) in single quotes,
/// escaped as `strconv.Quote` escapes it.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".into(),
        b'"' => "'\"'".into(),
        c => format!("'{}'", go_quote_rune(char::from(c))),
    }
}

/// `strconv.Quote`'s text for one rune below U+0100, without the quotes.
fn go_quote_rune(c: char) -> String {
    match c {
        '\u{7}' => r"\a".into(),
        '\u{8}' => r"\b".into(),
        '\u{c}' => r"\f".into(),
        '\n' => r"\n".into(),
        '\r' => r"\r".into(),
        '\t' => r"\t".into(),
        '\u{b}' => r"\v".into(),
        '\\' => r"\\".into(),
        c if (c as u32) < 0x20 || c == '\u{7f}' => format!(r"\x{:02x}", c as u32),
        // Not printable for Go (`unicode.IsPrint`): C1 controls, no-break space, soft hyphen.
        c if (0x80..=0xa0).contains(&(c as u32)) || c == '\u{ad}' => {
            format!(r"\u{:04x}", c as u32)
        }
        c => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each document with the message Go 1.24's `json.Unmarshal` gives for it.
    #[test]
    fn words_errors_as_go_does() {
        let cases: &[(&str, &str)] = &[
            ("", "unexpected end of JSON input"),
            ("   ", "unexpected end of JSON input"),
            ("{", "unexpected end of JSON input"),
            (r#"{"a":"#, "unexpected end of JSON input"),
            (r#"{"a":"b"#, "unexpected end of JSON input"),
            ("[1,", "unexpected end of JSON input"),
            ("-", "invalid character ' ' in numeric literal"),
            (
                "tru",
                "invalid character ' ' in literal true (expecting 'e')",
            ),
            (
                "1.",
                "invalid character ' ' after decimal point in numeric literal",
            ),
            (
                "{not json",
                "invalid character 'n' looking for beginning of object key string",
            ),
            (r#"{"a":1}}"#, "invalid character '}' after top-level value"),
            (
                r#"{"a":1} x"#,
                "invalid character 'x' after top-level value",
            ),
            (
                "xyz",
                "invalid character 'x' looking for beginning of value",
            ),
            (r#"{"a",1}"#, "invalid character ',' after object key"),
            (
                r#"{"a":1 "b":2}"#,
                "invalid character '\"' after object key:value pair",
            ),
            (
                r#"{"a":1,}"#,
                "invalid character '}' looking for beginning of object key string",
            ),
            ("[1 2]", "invalid character '2' after array element"),
            (
                "[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            (
                r#"{"a":tx}"#,
                "invalid character 'x' in literal true (expecting 'r')",
            ),
            (
                r#"{"a":nul}"#,
                "invalid character '}' in literal null (expecting 'l')",
            ),
            (
                r#"{"a":fals}"#,
                "invalid character '}' in literal false (expecting 'e')",
            ),
            ("[01]", "invalid character '1' after array element"),
            ("[-x]", "invalid character 'x' in numeric literal"),
            (
                "[1.]",
                "invalid character ']' after decimal point in numeric literal",
            ),
            (
                "[1e]",
                "invalid character ']' in exponent of numeric literal",
            ),
            (
                "[1e+]",
                "invalid character ']' in exponent of numeric literal",
            ),
            ("\"a\tb\"", r"invalid character '\t' in string literal"),
            ("\"a\u{1}b\"", r"invalid character '\x01' in string literal"),
            (r#""\x""#, "invalid character 'x' in string escape code"),
            (
                r#""\u12g4""#,
                r"invalid character 'g' in \u hexadecimal character escape",
            ),
            (
                "{'a':1}",
                r"invalid character '\'' looking for beginning of object key string",
            ),
            (
                r"[\]",
                r"invalid character '\\' looking for beginning of value",
            ),
            (
                "\u{feff}{}",
                "invalid character 'ï' looking for beginning of value",
            ),
        ];
        for (document, expected) in cases {
            assert_eq!(
                syntax_error(document.as_bytes()).as_deref(),
                Some(*expected),
                "{document:?}"
            );
        }
        // Bytes are runes below U+0100 (Latin-1), escaped where Go cannot print them.
        for (document, expected) in [
            (
                &b"[\xa0]"[..],
                r"invalid character '\u00a0' looking for beginning of value",
            ),
            (
                b"[\xad]",
                r"invalid character '\u00ad' looking for beginning of value",
            ),
            (
                b"[\x85]",
                r"invalid character '\u0085' looking for beginning of value",
            ),
            (
                b"[\x7f]",
                r"invalid character '\x7f' looking for beginning of value",
            ),
            (
                b"[\xe9]",
                "invalid character '\u{e9}' looking for beginning of value",
            ),
        ] {
            assert_eq!(
                syntax_error(document).as_deref(),
                Some(expected),
                "{document:?}"
            );
        }
    }

    #[test]
    fn accepts_what_go_accepts() {
        for document in [
            "{}",
            " { \"a\" : [ 1 , -2.5e+3 , true , false , null , \"\\u00e9\\n\" ] } \n",
            "[]",
            "\"text\"",
            "123",
            "0",
            "-0.0E-1",
            "{\"deep\":[[[[{}]]]]}",
        ] {
            assert_eq!(syntax_error(document.as_bytes()), None, "{document:?}");
        }
        // Invalid UTF-8 inside a string is not a syntax error for Go.
        assert_eq!(syntax_error(b"{\"a\":\"\xff\"}"), None);
        // 10,000 levels are allowed; one more is not.
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(syntax_error(nested(10_000).as_bytes()), None);
        assert_eq!(
            syntax_error(nested(10_001).as_bytes()).as_deref(),
            Some("invalid character '[' exceeded max depth")
        );
        let objects = format!("{}1{}", r#"{"a":"#.repeat(10_001), "}".repeat(10_001));
        assert_eq!(
            syntax_error(objects.as_bytes()).as_deref(),
            Some("invalid character '{' exceeded max depth")
        );
    }
}
