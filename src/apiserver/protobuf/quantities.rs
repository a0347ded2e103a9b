//! Where a kind holds `resource.Quantity` values (a container's requests and limits, a
//! node's capacity, a claim's storage), read from upstream's message descriptors, and
//! their rewriting into the form upstream stores and returns.

use std::collections::HashMap;
use std::sync::OnceLock;

use prost_reflect::{Kind, MessageDescriptor};
use serde_json::{Map, Value};

use super::go_facts::{is_inline, json_name};
use super::json::{special, Special};
use super::schema::Schema;
use crate::apiserver::quantity::{Quantity, QuantityError};

/// What lies under a field on the way to quantities.
enum Target {
    /// The field is a quantity.
    Quantity,
    /// A message (full name) that holds quantities somewhere below.
    Message(String),
}

/// A field of a message that is, or leads to, quantities.
struct Step {
    json: String,
    /// Embedded (`ObjectMeta` of a list, `TypeMeta`): its fields sit in the same object.
    inline: bool,
    list: bool,
    /// `map<string, ...>` (`ResourceList`): the quantities are the map's values.
    map: bool,
    target: Target,
}

/// The steps of every message that holds quantities, by full name.
type Paths = HashMap<String, Vec<Step>>;

fn paths(schema: &'static Schema) -> &'static Paths {
    static PATHS: OnceLock<Paths> = OnceLock::new();
    PATHS.get_or_init(|| build(schema))
}

/// The messages holding quantities, each with its steps: found by propagating from the
/// fields that are quantities until no message gains a step.
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
                    let Kind::Message(inner) = field.kind() else {
                        return None;
                    };
                    let (map, inner) = if field.is_map() {
                        match inner.map_entry_value_field().kind() {
                            Kind::Message(value) => (true, value),
                            _ => return None,
                        }
                    } else {
                        (false, inner)
                    };
                    let target = if special(&inner) == Some(Special::Quantity) {
                        Target::Quantity
                    } else if paths.contains_key(inner.full_name()) {
                        Target::Message(inner.full_name().to_string())
                    } else {
                        return None;
                    };
                    Some(Step {
                        json: json_name(&field).to_string(),
                        inline: is_inline(&field),
                        list: field.is_list(),
                        map,
                        target,
                    })
                })
                .collect();
            let known = paths.get(message.full_name()).map_or(0, Vec::len);
            if steps.len() > known {
                paths.insert(message.full_name().to_string(), steps);
                grew = true;
            }
        }
        if !grew {
            return paths;
        }
    }
}

/// Rewrites every quantity of `object`, an object of the kind whose message is `message`
/// (`k8s.io.api.core.v1.Pod`), into upstream's `String()` form; a kind without quantities
/// costs one lookup. Numbers become strings, as Go's decoder reads them from their text.
///
/// # Errors
/// The first quantity that does not parse, in upstream's words.
pub(super) fn canonicalize(
    schema: &'static Schema,
    message: &str,
    object: &mut Value,
) -> Result<(), QuantityError> {
    let paths = paths(schema);
    match (paths.get(message), object) {
        (Some(steps), Value::Object(fields)) => walk(paths, steps, fields),
        _ => Ok(()),
    }
}

fn walk(
    paths: &Paths,
    steps: &[Step],
    fields: &mut Map<String, Value>,
) -> Result<(), QuantityError> {
    for step in steps {
        if step.inline {
            if let Target::Message(name) = &step.target {
                if let Some(inner) = paths.get(name) {
                    walk(paths, inner, fields)?;
                }
            }
            continue;
        }
        let Some(value) = fields.get_mut(&step.json) else {
            continue;
        };
        match (step.list, step.map, value) {
            (true, _, Value::Array(items)) => {
                for item in items {
                    visit(paths, &step.target, item)?;
                }
            }
            (false, true, Value::Object(entries)) => {
                for (_, item) in entries.iter_mut() {
                    visit(paths, &step.target, item)?;
                }
            }
            (false, false, item) => visit(paths, &step.target, item)?,
            // A shape the typed decoding already refused or dropped.
            _ => {}
        }
    }
    Ok(())
}

fn visit(paths: &Paths, target: &Target, value: &mut Value) -> Result<(), QuantityError> {
    match target {
        Target::Quantity => rewrite(value),
        Target::Message(name) => match (paths.get(name), value) {
            (Some(steps), Value::Object(fields)) => walk(paths, steps, fields),
            _ => Ok(()),
        },
    }
}

/// One quantity: a string or a number (`cpu: 1` in YAML) parsed, printed as upstream stores
/// it; `null` is left for the typed decoding.
fn rewrite(value: &mut Value) -> Result<(), QuantityError> {
    let printed = match value {
        Value::Null => return Ok(()),
        Value::String(text) => Quantity::stored(text.trim())?,
        Value::Number(number) => Quantity::stored(&number.to_string())?,
        _ => return Err(QuantityError::FormatWrong),
    };
    *value = Value::String(printed);
    Ok(())
}
