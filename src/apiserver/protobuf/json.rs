//! Protobuf messages to JSON, walking upstream's descriptors; the apimachinery types with a
//! JSON form of their own (Time, Quantity, IntOrString, ...).

use base64::Engine as _;
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value};

use super::go_facts::{field_key, is_inline, json_name, SKIPPED_TOP_LEVEL};
use super::schema::Schema;
use super::wire::{expect_bytes, expect_varint, utf8, WireReader, WireValue};
use super::{garbled, DecodeError, META_V1, RUNTIME};

/// Seconds of Go's zero `time.Time`, which a non-gogo encoder may write for an unset time.
pub(super) const GO_ZERO_TIME_SECONDS: i64 = -62_135_596_800;

/// Bodies nest messages at most this deep; real objects stay far below it.
const MAX_DEPTH: usize = 64;

/// apimachinery types with a JSON form of their own (Go `MarshalJSON`, or a named slice).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Special {
    /// `metav1.Time` → RFC 3339 seconds, zero → `null`.
    Time,
    /// `metav1.MicroTime` → RFC 3339 with microseconds, zero → `null`.
    MicroTime,
    /// `resource.Quantity` → its string.
    Quantity,
    /// `intstr.IntOrString` → number or string.
    IntOrString,
    /// `metav1.FieldsV1` and `runtime.RawExtension` → the JSON document they carry.
    RawJson,
    /// The `ExtraValue` of authentication/v1, authorization/v1 and certificates/v1
    /// (`[]string`) → array.
    StringList,
}

pub(super) fn special(message: &MessageDescriptor) -> Option<Special> {
    let name = message.full_name();
    let (package, local) = name.rsplit_once('.')?;
    Some(match (package, local) {
        (META_V1, "Time") => Special::Time,
        (META_V1, "MicroTime") => Special::MicroTime,
        ("k8s.io.apimachinery.pkg.api.resource", "Quantity") => Special::Quantity,
        ("k8s.io.apimachinery.pkg.util.intstr", "IntOrString") => Special::IntOrString,
        (META_V1, "FieldsV1") | (RUNTIME, "RawExtension") => Special::RawJson,
        (
            "k8s.io.api.authentication.v1"
            | "k8s.io.api.authorization.v1"
            | "k8s.io.api.certificates.v1",
            "ExtraValue",
        ) => Special::StringList,
        _ => return None,
    })
}

pub(super) struct Decoder<'s> {
    pub(super) schema: &'s Schema,
    /// JSON path of the message being decoded, for error messages.
    pub(super) path: Vec<String>,
}

impl Decoder<'_> {
    fn path_text(&self) -> String {
        if self.path.is_empty() {
            "the top level".to_string()
        } else {
            self.path.concat().trim_start_matches('.').to_string()
        }
    }

    pub(super) fn decode_message(
        &mut self,
        bytes: &[u8],
        message: &MessageDescriptor,
        out: &mut Map<String, Value>,
    ) -> Result<(), DecodeError> {
        if self.path.len() > MAX_DEPTH {
            return Err(garbled(format!(
                "messages nest deeper than {MAX_DEPTH} levels at {}",
                self.path_text()
            )));
        }
        let top_level = self.path.is_empty();
        let mut reader = WireReader::new(bytes);
        while let Some((number, value)) = reader.next_field()? {
            let Some(field) = message.get_field(number) else {
                return Err(DecodeError::UnknownField {
                    number,
                    message: message.name().to_string(),
                    path: self.path_text(),
                });
            };
            if top_level && SKIPPED_TOP_LEVEL.contains(&field_key(&field).as_str()) {
                expect_bytes(value, field.name())?;
                continue;
            }
            self.decode_field(&field, value, out)?;
        }
        Ok(())
    }

    fn decode_field(
        &mut self,
        field: &FieldDescriptor,
        value: WireValue<'_>,
        out: &mut Map<String, Value>,
    ) -> Result<(), DecodeError> {
        let name = json_name(field);
        if field.is_map() {
            let (key, entry) = self.decode_map_entry(field, expect_bytes(value, name)?)?;
            let map = out
                .entry(name.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = map {
                map.insert(key, entry);
            }
            return Ok(());
        }
        if let Kind::Message(message) = field.kind() {
            let bytes = expect_bytes(value, name)?;
            if is_inline(field) {
                return self.decode_message(bytes, &message, out);
            }
            if let Some(special) = special(&message) {
                let json = self.special_json(special, &message, bytes)?;
                if field.is_list() {
                    push_item(out, name, json);
                } else {
                    out.insert(name.to_string(), json);
                }
                return Ok(());
            }
            if field.is_list() {
                let index = out.get(name).and_then(Value::as_array).map_or(0, Vec::len);
                self.path.push(format!(".{name}[{index}]"));
                let mut item = Map::new();
                let result = self.decode_message(bytes, &message, &mut item);
                self.path.pop();
                result?;
                push_item(out, name, Value::Object(item));
            } else {
                // A repeated occurrence of a singular message merges into the first, as in protobuf.
                self.path.push(format!(".{name}"));
                let mut item = match out.remove(name) {
                    Some(Value::Object(existing)) => existing,
                    _ => Map::new(),
                };
                let result = self.decode_message(bytes, &message, &mut item);
                self.path.pop();
                result?;
                out.insert(name.to_string(), Value::Object(item));
            }
            return Ok(());
        }
        if field.is_list() {
            // Repeated numbers may arrive one per field or packed into one length-delimited field.
            if let (WireValue::Bytes(packed), true) = (value, is_varint_kind(&field.kind())) {
                let mut reader = WireReader::new(packed);
                while !reader.at_end() {
                    let (json, _) = scalar_json(field, WireValue::Varint(reader.varint()?))?;
                    push_item(out, name, json);
                }
            } else {
                push_item(out, name, scalar_json(field, value)?.0);
            }
            return Ok(());
        }
        let (json, is_zero) = scalar_json(field, value)?;
        if is_zero && !self.schema.keeps_zero(field) {
            out.remove(name);
        } else {
            out.insert(name.to_string(), json);
        }
        Ok(())
    }

    /// One `map<string, V>` entry {key, value}; a missing key or value is its zero value.
    fn decode_map_entry(
        &mut self,
        field: &FieldDescriptor,
        bytes: &[u8],
    ) -> Result<(String, Value), DecodeError> {
        let Kind::Message(entry) = field.kind() else {
            return Err(garbled(format!("{}: a map without entries", field.name())));
        };
        let value_field = entry.map_entry_value_field();
        let mut key = String::new();
        let mut value = None;
        let mut reader = WireReader::new(bytes);
        while let Some((number, wire)) = reader.next_field()? {
            if number == entry.map_entry_key_field().number() {
                key = utf8(expect_bytes(wire, field.name())?, field.name())?.to_string();
            } else if number == value_field.number() {
                value = Some(self.map_value(&value_field, wire)?);
            } else {
                return Err(garbled(format!(
                    "{}: unknown field {number} in a map entry",
                    field.name()
                )));
            }
        }
        let value = match value {
            Some(value) => value,
            None => self.map_value(&value_field, WireValue::Bytes(&[]))?,
        };
        Ok((key, value))
    }

    fn map_value(
        &mut self,
        field: &FieldDescriptor,
        wire: WireValue<'_>,
    ) -> Result<Value, DecodeError> {
        let name = field.name();
        match field.kind() {
            Kind::Message(message) => {
                let bytes = expect_bytes(wire, name)?;
                match special(&message) {
                    Some(special) => self.special_json(special, &message, bytes),
                    None => {
                        let mut item = Map::new();
                        self.decode_message(bytes, &message, &mut item)?;
                        Ok(Value::Object(item))
                    }
                }
            }
            // An absent scalar value is its zero.
            Kind::String | Kind::Bytes => Ok(scalar_json(field, wire)?.0),
            _ => match wire {
                WireValue::Bytes(&[]) => Ok(scalar_json(field, WireValue::Varint(0))?.0),
                other => Ok(scalar_json(field, other)?.0),
            },
        }
    }

    /// An apimachinery type with its own JSON form, read generically and then reshaped.
    pub(super) fn special_json(
        &mut self,
        special: Special,
        message: &MessageDescriptor,
        bytes: &[u8],
    ) -> Result<Value, DecodeError> {
        let mut fields = Map::new();
        let mut raw: Option<&[u8]> = None;
        let mut reader = WireReader::new(bytes);
        while let Some((number, value)) = reader.next_field()? {
            let Some(field) = message.get_field(number) else {
                return Err(garbled(format!(
                    "unknown field {number} in a {}",
                    message.name()
                )));
            };
            let json = match field.kind() {
                // Raw JSON documents stay bytes until parsed below.
                Kind::Bytes => {
                    raw = Some(expect_bytes(value, field.name())?);
                    continue;
                }
                _ if field.is_list() => {
                    let (item, _) = scalar_json(&field, value)?;
                    let mut items = match fields.remove(field.name()) {
                        Some(Value::Array(items)) => items,
                        _ => Vec::new(),
                    };
                    items.push(item);
                    Value::Array(items)
                }
                _ => scalar_json(&field, value)?.0,
            };
            fields.insert(field.name().to_string(), json);
        }
        let name = message.name();
        let int = |key: &str| fields.get(key).and_then(Value::as_i64).unwrap_or(0);
        Ok(match special {
            Special::Time | Special::MicroTime => {
                if bytes.is_empty() {
                    return Ok(Value::Null);
                }
                let seconds = int("seconds");
                if seconds == GO_ZERO_TIME_SECONDS {
                    return Ok(Value::Null);
                }
                let nanos = i32::try_from(int("nanos")).unwrap_or(0);
                let timestamp = jiff::Timestamp::new(seconds, 0)
                    .map_err(|_| garbled(format!("{name}: time {seconds} is out of range")))?;
                // metav1.Time drops the nanoseconds; MicroTime keeps microseconds.
                if special == Special::Time {
                    Value::String(timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                } else {
                    let micros = nanos.clamp(0, 999_999_999) / 1000;
                    Value::String(format!(
                        "{}.{micros:06}Z",
                        timestamp.strftime("%Y-%m-%dT%H:%M:%S")
                    ))
                }
            }
            Special::Quantity => Value::String(
                fields
                    .get("string")
                    .and_then(Value::as_str)
                    .unwrap_or("0")
                    .to_string(),
            ),
            Special::IntOrString => match int("type") {
                0 => Value::from(int("intVal")),
                1 => fields
                    .get("strVal")
                    .cloned()
                    .unwrap_or_else(|| Value::String(String::new())),
                other => return Err(garbled(format!("{name}: unknown IntOrString type {other}"))),
            },
            Special::RawJson => match raw {
                Some(raw) => serde_json::from_slice(raw)
                    .map_err(|e| garbled(format!("{name}: invalid JSON in {name}: {e}")))?,
                None => Value::Null,
            },
            Special::StringList => fields
                .remove("items")
                .unwrap_or_else(|| Value::Array(Vec::new())),
        })
    }
}

fn is_varint_kind(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Bool | Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Enum(_)
    )
}

fn push_item(out: &mut Map<String, Value>, name: &str, item: Value) {
    let list = out
        .entry(name.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = list {
        items.push(item);
    }
}

/// A scalar field's value as JSON, and whether it is the type's zero value.
fn scalar_json(
    field: &FieldDescriptor,
    value: WireValue<'_>,
) -> Result<(Value, bool), DecodeError> {
    let name = field.name();
    Ok(match field.kind() {
        Kind::String => {
            let text = utf8(expect_bytes(value, name)?, name)?;
            (Value::String(text.to_string()), text.is_empty())
        }
        Kind::Bytes => {
            let bytes = expect_bytes(value, name)?;
            (
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
                bytes.is_empty(),
            )
        }
        Kind::Bool => {
            let flag = expect_varint(value, name)? != 0;
            (Value::Bool(flag), !flag)
        }
        // Negative numbers arrive sign-extended to 64 bits; int32 keeps the low half, as Go does.
        Kind::Int32 => {
            let raw = expect_varint(value, name)?;
            (Value::from(raw as i32), raw == 0)
        }
        Kind::Int64 => {
            let raw = expect_varint(value, name)?;
            (Value::from(raw as i64), raw == 0)
        }
        Kind::Uint32 | Kind::Uint64 => {
            let raw = expect_varint(value, name)?;
            (Value::from(raw), raw == 0)
        }
        Kind::Double => match value {
            WireValue::Fixed64(bits) => {
                let number = f64::from_bits(bits);
                (Value::from(number), number == 0.0)
            }
            other => {
                return Err(garbled(format!(
                    "{name}: expected a 64-bit field, got {}",
                    other.type_name()
                )))
            }
        },
        other => {
            return Err(garbled(format!(
                "{name}: field type {other:?} is not used by Kubernetes"
            )))
        }
    })
}
