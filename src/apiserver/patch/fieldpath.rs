//! Field paths and field sets as structured-merge-diff's `fieldpath` package has them, and
//! their `FieldsV1` encoding in `metadata.managedFields[].fieldsV1`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// One step of a field path, as structured-merge-diff names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// `f:<name>`: a field of an object.
    Field(String),
    /// `k:{...}`: the item of a keyed list with these key fields (canonical JSON, sorted keys).
    Key(String),
    /// `v:<json>`: the item of a set list with this value (canonical JSON).
    Value(String),
    /// `i:<n>`: a list item by position.
    Index(usize),
}

/// A path from the object root.
pub type FieldPath = Vec<PathElement>;

/// A set of field paths, as recorded in `metadata.managedFields[].fieldsV1`.
pub type FieldSet = BTreeSet<FieldPath>;

/// JSON text with object keys sorted, so equal values give equal text.
pub(super) fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(fields) => {
                let mut keys: Vec<&String> = fields.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&fields[k.as_str()])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

impl PathElement {
    /// The `fieldsV1` key: `f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`.
    pub fn encode(&self) -> String {
        match self {
            Self::Field(name) => format!("f:{name}"),
            Self::Key(key) => format!("k:{key}"),
            Self::Value(value) => format!("v:{value}"),
            Self::Index(index) => format!("i:{index}"),
        }
    }

    /// Parses a `fieldsV1` key written by [`encode`](Self::encode) (or by another
    /// server); `None` for an unknown prefix or malformed JSON / index.
    pub fn decode(text: &str) -> Option<Self> {
        let (prefix, rest) = text.split_once(':')?;
        match prefix {
            "f" => Some(Self::Field(rest.to_string())),
            "k" => match serde_json::from_str::<Value>(rest).ok()? {
                key @ Value::Object(_) => Some(Self::Key(canonical_json(&key))),
                _ => None,
            },
            "v" => Some(Self::Value(canonical_json(
                &serde_json::from_str::<Value>(rest).ok()?,
            ))),
            "i" => rest.parse().ok().map(Self::Index),
            _ => None,
        }
    }

    /// As in conflict messages: `.name`, `[name="c",port=80]`, `[="x"]`, `[0]`.
    pub(super) fn display(&self) -> String {
        match self {
            Self::Field(name) => format!(".{name}"),
            Self::Key(key) => match serde_json::from_str::<Value>(key) {
                Ok(Value::Object(fields)) => {
                    let parts: Vec<String> =
                        fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    format!("[{}]", parts.join(","))
                }
                _ => format!("[{key}]"),
            },
            Self::Value(value) => format!("[={value}]"),
            Self::Index(index) => format!("[{index}]"),
        }
    }
}

/// `.spec.containers[name="app"].image`
pub fn display_path(path: &[PathElement]) -> String {
    path.iter().map(PathElement::display).collect()
}

/// Encodes a field set as `fieldsV1`: nested objects keyed by path elements, with `".": {}`
/// marking a node that is itself in the set and also has children.
pub fn encode_fields_v1(set: &FieldSet) -> Value {
    fn insert(node: &mut Map<String, Value>, path: &[PathElement]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let child = node
            .entry(first.encode())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(child) = child {
            if rest.is_empty() {
                child.insert(".".to_string(), Value::Object(Map::new()));
            } else {
                insert(child, rest);
            }
        }
    }
    fn drop_lone_markers(node: &mut Map<String, Value>) {
        for child in node.values_mut() {
            if let Value::Object(child) = child {
                if child.len() == 1 && child.contains_key(".") {
                    child.clear();
                } else {
                    drop_lone_markers(child);
                }
            }
        }
    }
    let mut root = Map::new();
    for path in set {
        insert(&mut root, path);
    }
    drop_lone_markers(&mut root);
    Value::Object(root)
}

/// Decodes `fieldsV1`; `None` when the document is not a field set.
pub fn decode_fields_v1(value: &Value) -> Option<FieldSet> {
    fn walk(value: &Value, path: &mut FieldPath, set: &mut FieldSet) -> Option<()> {
        let children = value.as_object()?;
        if children.is_empty() && !path.is_empty() {
            set.insert(path.clone());
        }
        for (key, child) in children {
            if key == "." {
                if !path.is_empty() {
                    set.insert(path.clone());
                }
                continue;
            }
            path.push(PathElement::decode(key)?);
            walk(child, path, set)?;
            path.pop();
        }
        Some(())
    }
    let mut set = FieldSet::new();
    walk(value, &mut Vec::new(), &mut set)?;
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_v1_round_trip() {
        // As a real API server records a client-side apply of a Pod.
        let recorded = json!({
            "f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}, "f:labels": {".": {}, "f:app": {}}},
            "f:spec": {
                "f:containers": {"k:{\"name\":\"nginx\"}": {
                    ".": {}, "f:image": {}, "f:name": {},
                    "f:ports": {".": {}, "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}, "f:protocol": {}}}
                }},
                "f:dnsPolicy": {}
            },
            "f:metadata2": {"f:finalizers": {".": {}, "v:\"kubernetes\"": {}}},
            "f:list": {"i:0": {}}
        });
        let set = decode_fields_v1(&recorded).expect("decodes");
        assert!(set.contains(&vec![
            PathElement::Field("spec".into()),
            PathElement::Field("containers".into()),
            PathElement::Key("{\"name\":\"nginx\"}".into()),
        ]));
        assert!(set.contains(&vec![
            PathElement::Field("metadata".into()),
            PathElement::Field("labels".into())
        ]));
        assert!(set.contains(&vec![
            PathElement::Field("metadata2".into()),
            PathElement::Field("finalizers".into()),
            PathElement::Value("\"kubernetes\"".into()),
        ]));
        assert!(
            !set.contains(&vec![PathElement::Field("spec".into())]),
            "spec has no '.' marker"
        );
        assert_eq!(encode_fields_v1(&set), recorded);
        assert_eq!(
            display_path(&[
                PathElement::Field("spec".into()),
                PathElement::Field("containers".into()),
                PathElement::Key("{\"name\":\"nginx\"}".into()),
                PathElement::Field("ports".into()),
                PathElement::Key("{\"containerPort\":80,\"protocol\":\"TCP\"}".into()),
            ]),
            ".spec.containers[name=\"nginx\"].ports[containerPort=80,protocol=\"TCP\"]"
        );
        for bad in [json!({"x:1": {}}), json!({"f:a": 1}), json!({"k:[1]": {}})] {
            assert_eq!(decode_fields_v1(&bad), None, "{bad}");
        }
        assert_eq!(decode_fields_v1(&json!({})), Some(FieldSet::new()));
    }
}
