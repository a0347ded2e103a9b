//! Strict-decoding problems of a JSON request body in document order: its unknown fields
//! and the fields it repeats, as upstream's strict decoder (sigs.k8s.io/json,
//! `UnmarshalStrict`) reports them: `unknown field "<path>"`, `duplicate field "<path>"`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::go_format::go_quote;

/// `unknown field "<path>"`, the path quoted as Go's `%q` does.
pub fn unknown_field_problem(path: &str) -> String {
    format!("unknown field {}", go_quote(path))
}

/// `body` parsed as `serde_json::from_slice` parses it, and whether any object in it
/// repeats a key. A repeat is decoded as Go's `encoding/json` decodes it into what the
/// first copy filled ([`merge_repeat`]), so `"metadata":{"name":"a"},"metadata":{"labels":…}`
/// keeps the name, as on a real API server. A document without repeats and without unknown
/// fields has no strict-decoding problems, so it needs no [`json_field_problems`] scan.
///
/// # Errors
///
/// serde_json's error for a document that is not JSON, as `from_slice` gives it.
pub fn parse_noting_repeats(body: &[u8]) -> Result<(serde_json::Value, bool), serde_json::Error> {
    let repeats = std::cell::Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = NotingRepeats(&repeats).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok((value, repeats.get()))
}

/// A `serde_json::Value` visitor that sets its flag when a map repeats a key.
#[derive(Clone, Copy)]
struct NotingRepeats<'a>(&'a std::cell::Cell<bool>);

impl<'de> DeserializeSeed<'de> for NotingRepeats<'_> {
    type Value = serde_json::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NotingRepeats<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(serde_json::Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(serde_json::Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            match object.entry(key) {
                serde_json::map::Entry::Vacant(entry) => {
                    entry.insert(value);
                }
                serde_json::map::Entry::Occupied(mut entry) => {
                    self.0.set(true);
                    merge_repeat(entry.get_mut(), value);
                }
            }
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// The later copy of a repeated key decoded into what the earlier one filled, as Go's
/// `encoding/json` does (the structs kube-apiserver decodes into): an object's fields are
/// decoded into the existing ones, an array's items into the items at the same index (the
/// array takes the later length), anything else is replaced. Go leaves a non-pointer
/// field unchanged by `null`; without the Go type that cannot be told from a pointer one,
/// so `null` replaces here.
fn merge_repeat(earlier: &mut serde_json::Value, later: serde_json::Value) {
    use serde_json::Value;
    match (earlier, later) {
        (Value::Object(earlier), Value::Object(later)) => {
            for (key, value) in later {
                match earlier.get_mut(&key) {
                    Some(existing) => merge_repeat(existing, value),
                    None => {
                        earlier.insert(key, value);
                    }
                }
            }
        }
        (Value::Array(earlier), Value::Array(later)) => {
            let mut existing = std::mem::take(earlier).into_iter();
            for value in later {
                match existing.next() {
                    Some(mut item) => {
                        merge_repeat(&mut item, value);
                        earlier.push(item);
                    }
                    None => earlier.push(value),
                }
            }
        }
        (earlier, later) => *earlier = later,
    }
}

/// The problems of the JSON document `body` in document order: each of `unknown` (dotted
/// paths, arrays by index: `spec.containers[0].imagee`, found by the typed round trip) and
/// each repeated field. The decoder looks neither inside an unknown field nor inside
/// `managedFields[].fieldsV1`, which decodes itself. None when `body` is not JSON.
pub fn json_field_problems(body: &[u8], unknown: &[String]) -> Option<Vec<String>> {
    let mut scan = Scan {
        unknown,
        unknown_seen: vec![false; unknown.len()],
        problems: Vec::new(),
        path: String::new(),
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    Walker { scan: &mut scan }
        .deserialize(&mut deserializer)
        .ok()?;
    // Unknown paths the scan did not meet (none, for a body that is the document) last.
    for (path, seen) in unknown.iter().zip(&scan.unknown_seen) {
        if !seen {
            scan.problems.push(unknown_field_problem(path));
        }
    }
    Some(scan.problems)
}

/// The state of one scan: the current path (a stack; copied only for a problem).
struct Scan<'u> {
    unknown: &'u [String],
    unknown_seen: Vec<bool>,
    problems: Vec<String>,
    path: String,
}

impl Scan<'_> {
    /// Whether the current path is an unknown field; the first time, it is a problem.
    fn at_unknown(&mut self) -> bool {
        let Some(i) = self
            .unknown
            .iter()
            .position(|path| path.len() == self.path.len() && *path == self.path)
        else {
            return false;
        };
        if !self.unknown_seen[i] {
            self.unknown_seen[i] = true;
            self.problems.push(unknown_field_problem(&self.path));
        }
        true
    }

    /// Whether the current path is a `managedFields[].fieldsV1`, which is not scanned.
    fn at_fields_v1(&self) -> bool {
        self.path.starts_with("metadata.managedFields[") && self.path.ends_with("].fieldsV1")
    }
}

/// Walks one JSON value at the scan's current path.
struct Walker<'s, 'u> {
    scan: &'s mut Scan<'u>,
}

impl<'de> DeserializeSeed<'de> for Walker<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walker<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let scan = self.scan;
        let parent = scan.path.len();
        let mut keys: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if parent > 0 {
                scan.path.push('.');
            }
            scan.path.push_str(&key);
            if !keys.insert(key) {
                let problem = format!("duplicate field {}", go_quote(&scan.path));
                scan.problems.push(problem);
            }
            if scan.at_unknown() || scan.at_fields_v1() {
                map.next_value::<IgnoredAny>()?;
            } else {
                map.next_value_seed(Walker { scan: &mut *scan })?;
            }
            scan.path.truncate(parent);
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let scan = self.scan;
        let parent = scan.path.len();
        let mut index = 0usize;
        loop {
            use std::fmt::Write as _;
            let _ = write!(scan.path, "[{index}]");
            let item = seq.next_element_seed(Walker { scan: &mut *scan })?;
            scan.path.truncate(parent);
            if item.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }
}

/// An object key, borrowed from the body unless it holds escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(key))
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_noting_parse_is_serde_jsons_but_merges_repeats_as_go_does() {
        let cases = [
            (
                r#"{"a":1,"b":[true,null,-2,1.5e3,"x\u00e9"],"c":{"d":{}}}"#,
                false,
            ),
            (r#"{"a":1,"a":2}"#, true),
            (r#"{"spec":{"containers":[{"name":"x","name":"y"}]}}"#, true),
            (
                r#"{"metadata":{"labels":{"k":"1"}},"spec":{"labels":{"k":"2"}}}"#,
                false,
            ),
            (r#"[1,{"k":[{"k":0,"k":1}]}]"#, true),
            ("18446744073709551615", false),
        ];
        for (body, repeats) in cases {
            let (value, noted) = parse_noting_repeats(body.as_bytes()).expect(body);
            let expected: serde_json::Value = serde_json::from_slice(body.as_bytes()).expect(body);
            assert_eq!(value, expected, "{body}");
            assert_eq!(noted, repeats, "{body}");
        }
        // A repeat is decoded into the earlier copy, as Go's decoder does.
        let merged = [
            (
                r#"{"metadata":{"name":"m1"},"metadata":{"labels":{"a":"b"}}}"#,
                serde_json::json!({"metadata": {"name": "m1", "labels": {"a": "b"}}}),
            ),
            (
                r#"{"labels":{"a":"1"},"labels":{"b":"2","a":"3"}}"#,
                serde_json::json!({"labels": {"a": "3", "b": "2"}}),
            ),
            (
                r#"{"c":[{"name":"a","image":"x"},{"name":"z"}],"c":[{"name":"b"}]}"#,
                serde_json::json!({"c": [{"name": "b", "image": "x"}]}),
            ),
            (
                r#"{"c":[1],"c":[2,3],"s":{"x":1},"s":"text","n":{"x":1},"n":null}"#,
                serde_json::json!({"c": [2, 3], "s": "text", "n": null}),
            ),
        ];
        for (body, expected) in merged {
            let (value, noted) = parse_noting_repeats(body.as_bytes()).expect(body);
            assert_eq!(value, expected, "{body}");
            assert!(noted, "{body}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for bad in ["{", r#"{"a":1} x"#, "", r#"{"a":01}"#, deep.as_str()] {
            let noted = parse_noting_repeats(bad.as_bytes())
                .map(|_| ())
                .map_err(|e| e.to_string());
            let expected = serde_json::from_slice::<serde_json::Value>(bad.as_bytes())
                .map(|_| ())
                .map_err(|e| e.to_string());
            assert!(noted.is_err(), "{bad}");
            assert_eq!(noted, expected, "{bad}");
        }
    }

    fn problems(body: &str, unknown: &[&str]) -> Vec<String> {
        let unknown: Vec<String> = unknown.iter().map(|p| p.to_string()).collect();
        json_field_problems(body.as_bytes(), &unknown).expect("json")
    }

    #[test]
    fn unknown_and_repeated_fields_are_reported_in_document_order() {
        assert_eq!(
            problems(
                r#"{"kind":"Pod","spec":{"containers":[{"name":"a","image":"x","name":"b"}],"zz":1,"aa":2},"kind":"Pod"}"#,
                &["spec.aa", "spec.zz"],
            ),
            [
                r#"duplicate field "spec.containers[0].name""#,
                r#"unknown field "spec.zz""#,
                r#"unknown field "spec.aa""#,
                r#"duplicate field "kind""#,
            ]
        );
        assert_eq!(
            problems(r#"{"b":1,"a":{"c":[1,{"d":2}]}}"#, &["a.c[1].d", "b"]),
            [r#"unknown field "b""#, r#"unknown field "a.c[1].d""#],
        );
        assert!(json_field_problems(b"{\"a\":", &[]).is_none());
    }

    #[test]
    fn unknown_fields_and_fields_v1_are_not_looked_inside_and_paths_are_quoted() {
        assert_eq!(
            problems(r#"{"zz":{"a":1,"a":2}}"#, &["zz"]),
            [r#"unknown field "zz""#]
        );
        assert!(problems(
            r#"{"metadata":{"managedFields":[{"fieldsV1":{"f:a":{},"f:a":{}}}]}}"#,
            &[]
        )
        .is_empty());
        assert_eq!(
            problems(r#"{"data":{"a\"b":"1","a\"b":"2"}}"#, &[]),
            [r#"duplicate field "data.a\"b""#]
        );
    }
}
