//! The fields of a JSON request body in document order, and the ones it repeats: what
//! upstream's strict decoder (sigs.k8s.io/json, `UnmarshalStrict`) reports as `duplicate
//! field "<path>"`, and the order in which it reports unknown and duplicate fields.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Where each field path of a document first appears, and the paths it repeats.
/// Paths are dotted, arrays by index: `spec.containers[0].image`.
#[derive(Debug, Default)]
pub struct FieldOrder {
    first_seen: HashMap<String, usize>,
    duplicates: Vec<(usize, String)>,
    seen: usize,
}

impl FieldOrder {
    /// Scans a JSON document; None when it is not JSON (its parse reports that).
    pub fn of_json(body: &[u8]) -> Option<Self> {
        let mut order = Self::default();
        let mut path = String::new();
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        Walker {
            path: &mut path,
            order: &mut order,
        }
        .deserialize(&mut deserializer)
        .ok()?;
        Some(order)
    }

    /// The strict-decoding problems in document order: each of `unknown` (paths, as
    /// `unknown field "<path>"`) and each repeated field (`duplicate field "<path>"`).
    pub fn problems(&self, unknown: &[String]) -> Vec<String> {
        let mut problems: Vec<(usize, String)> = unknown
            .iter()
            .map(|path| {
                let place = self.first_seen.get(path).copied().unwrap_or(usize::MAX);
                (place, format!("unknown field \"{path}\""))
            })
            .chain(
                self.duplicates
                    .iter()
                    .map(|(place, path)| (*place, format!("duplicate field \"{path}\""))),
            )
            .collect();
        // Stable: paths not found keep their given order, after the rest.
        problems.sort_by_key(|(place, _)| *place);
        problems.into_iter().map(|(_, problem)| problem).collect()
    }
}

/// Walks one JSON value, recording the fields below `path`.
struct Walker<'a> {
    path: &'a mut String,
    order: &'a mut FieldOrder,
}

impl<'de> DeserializeSeed<'de> for Walker<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walker<'_> {
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
        let parent = self.path.len();
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if parent > 0 {
                self.path.push('.');
            }
            self.path.push_str(&key);
            let place = self.order.seen;
            self.order.seen += 1;
            if keys.insert(key) {
                self.order
                    .first_seen
                    .entry(self.path.clone())
                    .or_insert(place);
            } else {
                self.order.duplicates.push((place, self.path.clone()));
            }
            map.next_value_seed(Walker {
                path: &mut *self.path,
                order: &mut *self.order,
            })?;
            self.path.truncate(parent);
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let parent = self.path.len();
        let mut index = 0usize;
        loop {
            use std::fmt::Write as _;
            let _ = write!(self.path, "[{index}]");
            let item = seq.next_element_seed(Walker {
                path: &mut *self.path,
                order: &mut *self.order,
            })?;
            self.path.truncate(parent);
            if item.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_are_found_with_their_paths_in_document_order() {
        let body = br#"{"kind":"Pod","spec":{"containers":[{"name":"a","image":"x","name":"b"}],"zz":1,"aa":2},"kind":"Pod"}"#;
        let order = FieldOrder::of_json(body).expect("json");
        assert_eq!(
            order.problems(&["spec.zz".to_string(), "spec.aa".to_string()]),
            [
                "duplicate field \"spec.containers[0].name\"",
                "unknown field \"spec.zz\"",
                "unknown field \"spec.aa\"",
                "duplicate field \"kind\"",
            ]
        );
        assert_eq!(
            FieldOrder::of_json(br#"{"b":1,"a":{"c":[1,{"d":2}]}}"#)
                .expect("json")
                .problems(&["a.c[1].d".to_string(), "b".to_string()]),
            ["unknown field \"b\"", "unknown field \"a.c[1].d\""],
            "unknown fields in document order, not sorted"
        );
        assert!(FieldOrder::of_json(b"{\"a\":").is_none());
    }
}
