//! An object as upstream's storage round trip leaves it (Go struct → protobuf in etcd → Go
//! struct → JSON), walked along upstream's message descriptors: every `resource.Quantity`
//! (a container's requests and limits, a node's capacity, a claim's storage) printed as
//! `String()` prints it after parsing, and the empty maps and lists of optional fields
//! dropped, as protobuf reads them back as nil and Go's `omitempty` leaves nil out
//! (`labels: {}`, `secrets: []`), as are the zeros of `omitempty` value scalars (`nodeName:
//! ""`; which scalars those are is `Schema::keeps_zero`, shared with protobuf decoding).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use prost_reflect::{Kind, MessageDescriptor};
use serde_json::{Map, Value};

use super::go_facts::{
    field_key, is_inline, json_name, KEPT_EMPTY_COLLECTIONS, OMITTED_EMPTY_REQUIRED,
    VALUE_QUANTITIES,
};
use super::json::{special, Special};
use super::schema::Schema;
use crate::apiserver::quantity::{Quantity, QuantityError};

/// What lies under a field.
enum Target {
    /// The field (or each item) is a quantity.
    Quantity,
    /// A message (full name) with steps of its own.
    Message(String),
    /// Nothing to rewrite: scalars, or a message without steps.
    Plain,
}

/// A field of a message that the walk looks at: a collection, a quantity, a scalar whose
/// zero is left out, or a message field that leads to one of them.
struct Step {
    json: String,
    /// Embedded (`ObjectMeta` of a list, `TypeMeta`): its fields sit in the same object.
    inline: bool,
    list: bool,
    /// `map<string, ...>` (`ResourceList`): the targets are the map's values.
    map: bool,
    /// An optional collection with `omitempty`: dropped when empty.
    omit_empty: bool,
    /// A scalar Go value with `omitempty` (`nodeName`, an env var's `value`): `""`, `false`
    /// and `0` are left out.
    omit_zero: bool,
    /// A Go `resource.Quantity` value, not a pointer: an unset one prints as `"0"`.
    always: bool,
    target: Target,
}

/// The steps of every message that has any, by full name.
type Paths = HashMap<String, Vec<Step>>;

/// The walk's table, built once from the descriptors.
struct Table {
    paths: Paths,
    /// Messages with a quantity somewhere below.
    with_quantities: HashSet<String>,
}

fn table(schema: &'static Schema) -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let paths = build(schema);
        let mut with_quantities = HashSet::new();
        loop {
            let before = with_quantities.len();
            for (name, steps) in &paths {
                let leads = steps.iter().any(|step| match &step.target {
                    Target::Quantity => true,
                    Target::Message(inner) => with_quantities.contains(inner),
                    Target::Plain => false,
                });
                if leads {
                    with_quantities.insert(name.clone());
                }
            }
            if with_quantities.len() == before {
                break;
            }
        }
        Table {
            paths,
            with_quantities,
        }
    })
}

/// Which part of the stored form a walk brings about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// On the request's JSON, before the typed decoding: quantities parsed from what the
    /// client sent (strings, numbers, `null`) and printed as upstream stores them.
    Quantities,
    /// On the typed form: empty optional collections dropped, unset value quantities `"0"`.
    Collections,
}

/// The messages with steps, each with its steps: found by propagating from the collections,
/// quantities and omitted zeros until no message gains a step.
fn build(schema: &Schema) -> Paths {
    let messages: Vec<MessageDescriptor> = schema.pool.all_messages().collect();
    let mut paths = Paths::new();
    loop {
        let mut grew = false;
        for message in &messages {
            if message.is_map_entry() {
                continue;
            }
            let steps: Vec<Step> = message
                .fields()
                .filter_map(|field| {
                    let collection = field.is_list() || field.is_map();
                    let inner = match field.kind() {
                        Kind::Message(entry) if field.is_map() => {
                            match entry.map_entry_value_field().kind() {
                                Kind::Message(value) => Some(value),
                                _ => None,
                            }
                        }
                        Kind::Message(inner) => Some(inner),
                        _ => None,
                    };
                    let target = match inner.clone() {
                        Some(inner) if special(&inner) == Some(Special::Quantity) => {
                            Target::Quantity
                        }
                        // Raw JSON, times and the like: their content is not walked.
                        Some(inner)
                            if special(&inner).is_none()
                                && paths.contains_key(inner.full_name()) =>
                        {
                            Target::Message(inner.full_name().to_string())
                        }
                        _ if collection => Target::Plain,
                        // A Go value scalar with `omitempty`: its zero is left out.
                        None if !schema.keeps_zero(&field) => Target::Plain,
                        _ => return None,
                    };
                    let omit_zero = inner.is_none() && !collection && !schema.keeps_zero(&field);
                    let key = field_key(&field);
                    let omit_empty = collection
                        && (!schema.required.contains(field.full_name())
                            || OMITTED_EMPTY_REQUIRED.contains(&key.as_str()))
                        && !KEPT_EMPTY_COLLECTIONS.contains(&key.as_str());
                    let always = !collection
                        && matches!(target, Target::Quantity)
                        && VALUE_QUANTITIES.contains(&key.as_str());
                    Some(Step {
                        json: json_name(&field).to_string(),
                        inline: is_inline(&field),
                        list: field.is_list(),
                        map: field.is_map(),
                        omit_empty,
                        omit_zero,
                        always,
                        target,
                    })
                })
                .collect();
            let known = paths
                .get(message.full_name())
                .map_or(0, |known| weight(known));
            if weight(&steps) > known {
                paths.insert(message.full_name().to_string(), steps);
                grew = true;
            }
        }
        if !grew {
            return paths;
        }
    }
}

/// How much of a message's steps is known: each step, and each that leads somewhere.
fn weight(steps: &[Step]) -> usize {
    steps.len()
        + steps
            .iter()
            .filter(|step| !matches!(step.target, Target::Plain))
            .count()
}

/// Rewrites the quantities of `object`, the request's JSON for the kind whose message is
/// `message` (`k8s.io.api.core.v1.Pod`), as upstream's decoder reads them and its storage
/// prints them: strings and numbers (read in Go's float text, as kubectl sends YAML numbers)
/// parsed and printed with `String()`, a `null` map value as `"0"`. `None` when the kind
/// holds no quantities.
///
/// # Errors
/// The first quantity that does not parse (a bool, object or array included), in upstream's
/// words.
pub(super) fn read_quantities(
    schema: &'static Schema,
    message: &str,
    object: &Value,
) -> Result<Option<Value>, QuantityError> {
    let table = table(schema);
    if !table.with_quantities.contains(message) {
        return Ok(None);
    }
    let mut copy = object.clone();
    if let (Some(steps), Value::Object(fields)) = (table.paths.get(message), &mut copy) {
        walk(&table.paths, steps, fields, Pass::Quantities)?;
    }
    Ok(Some(copy))
}

/// Brings `object`, the typed form of an object of the kind whose message is `message`, to
/// what upstream's storage gives back: empty optional collections dropped, and unset value
/// quantities (a `resourceFieldRef`'s `divisor`) as `"0"`.
pub(super) fn drop_empty(schema: &'static Schema, message: &str, object: &mut Value) {
    let table = table(schema);
    if let (Some(steps), Value::Object(fields)) = (table.paths.get(message), object) {
        // The collections pass has no failures: quantities were read before.
        let _ = walk(&table.paths, steps, fields, Pass::Collections);
    }
}

fn walk(
    paths: &Paths,
    steps: &[Step],
    fields: &mut Map<String, Value>,
    pass: Pass,
) -> Result<(), QuantityError> {
    for step in steps {
        if step.inline {
            if let Target::Message(name) = &step.target {
                if let Some(inner) = paths.get(name) {
                    walk(paths, inner, fields, pass)?;
                }
            }
            continue;
        }
        if step.always && pass == Pass::Collections {
            let value = fields.entry(step.json.clone()).or_insert(Value::Null);
            if value.is_null() {
                *value = Value::String("0".to_string());
            }
            continue;
        }
        let Some(value) = fields.get_mut(&step.json) else {
            continue;
        };
        if step.omit_zero {
            if pass == Pass::Collections && is_zero(value) {
                fields.remove(&step.json);
            }
            continue;
        }
        match (step.list, step.map, value) {
            (true, _, Value::Array(items)) => {
                for item in items.iter_mut() {
                    visit(paths, &step.target, item, pass)?;
                }
                if items.is_empty() && step.omit_empty && pass == Pass::Collections {
                    fields.remove(&step.json);
                }
            }
            (false, true, Value::Object(entries)) => {
                for (_, item) in entries.iter_mut() {
                    if item.is_null() && matches!(step.target, Target::Quantity) {
                        // Go's decoder hands `null` to Quantity's UnmarshalJSON: zero.
                        *item = Value::String("0".to_string());
                        continue;
                    }
                    visit(paths, &step.target, item, pass)?;
                }
                if entries.is_empty() && step.omit_empty && pass == Pass::Collections {
                    fields.remove(&step.json);
                }
            }
            (false, false, Value::Null) => {}
            (false, false, item) => visit(paths, &step.target, item, pass)?,
            // A shape the typed decoding refuses or drops.
            _ => {}
        }
    }
    Ok(())
}

/// Go's zero of a scalar as JSON carries it.
fn is_zero(value: &Value) -> bool {
    match value {
        Value::String(text) => text.is_empty(),
        Value::Bool(set) => !set,
        Value::Number(number) => number.as_f64() == Some(0.0),
        _ => false,
    }
}

fn visit(
    paths: &Paths,
    target: &Target,
    value: &mut Value,
    pass: Pass,
) -> Result<(), QuantityError> {
    match target {
        Target::Quantity if pass == Pass::Quantities => rewrite(value),
        Target::Message(name) => match (paths.get(name), value) {
            (Some(steps), Value::Object(fields)) => walk(paths, steps, fields, pass),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// One quantity as the client sent it, printed as upstream stores it.
fn rewrite(value: &mut Value) -> Result<(), QuantityError> {
    let printed = match value {
        Value::String(text) => Quantity::stored(text.trim())?,
        Value::Number(number) => Quantity::stored(&go_number_text(number))?,
        _ => return Err(QuantityError::FormatWrong),
    };
    *value = Value::String(printed);
    Ok(())
}

/// A JSON number as Go's encoder writes a float64 (kubectl turns YAML numbers into such JSON):
/// plain decimals from 1e-6 up to 1e21, exponent form (`1e+21`, `1e-7`) beyond.
fn go_number_text(number: &serde_json::Number) -> String {
    match number.as_f64() {
        Some(float) if !(number.is_i64() || number.is_u64()) => {
            let magnitude = float.abs();
            if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
                let text = format!("{float:e}");
                match text.split_once('e') {
                    Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                        format!("{mantissa}e+{exponent}")
                    }
                    _ => text,
                }
            } else {
                float.to_string()
            }
        }
        _ => number.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::go_number_text;

    #[test]
    fn numbers_read_as_go_writes_them() {
        for (json, text) in [
            ("1", "1"),
            ("0.5", "0.5"),
            ("1e20", "100000000000000000000"),
            ("1e21", "1e+21"),
            ("1.5e22", "1.5e+22"),
            ("1e-7", "1e-7"),
            ("0.000001", "0.000001"),
            ("-2e21", "-2e+21"),
        ] {
            let number: serde_json::Number = serde_json::from_str(json).expect("number");
            assert_eq!(go_number_text(&number), text, "{json}");
        }
    }
}
