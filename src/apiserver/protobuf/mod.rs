//! Decoding of `application/vnd.kubernetes.protobuf` request bodies.
//!
//! kubectl's typed clientset (1.33+) sends create bodies for built-in kinds as protobuf:
//! the magic `k8s\0`, then a `runtime.Unknown` envelope whose `raw` holds the object's
//! protobuf message. This module turns such a body into the JSON `Value` the JSON API would
//! have carried, so the rest of the server only ever sees JSON.
//!
//! The messages are upstream's: `kubernetes.binpb` is the descriptor set of the
//! `generated.proto` files of k8s.io/api (core/v1, apps/v1, autoscaling/v2, batch/v1,
//! certificates/v1, coordination/v1, discovery/v1, events/v1, flowcontrol/v1,
//! networking/v1, node/v1, policy/v1, scheduling/v1, storage/v1, authentication/v1,
//! v1beta1 and v1alpha1, authorization/v1, rbac/v1, admissionregistration/v1's webhook
//! configurations and ValidatingAdmissionPolicies) and k8s.io/apimachinery, built by `proto/generate.sh`. Decoding walks
//! the wire format along those descriptors; the JSON names are the proto field names
//! (go-to-protobuf takes them from the Go JSON tags, save the few in `JSON_NAMES`).
//! A field number the descriptors do not know is never dropped: the request fails with 415
//! and asks for JSON instead.
//!
//! Presence follows what Go's gogo-protobuf writes and Go's JSON encoder prints:
//! non-pointer scalars are always on the wire, so a zero value there means "unset" and is
//! omitted (`omitempty`); pointer fields and fields without `omitempty` are written only when
//! set, so a present `false`/`0`/`""` is kept. Non-pointer structs are always present and
//! print as objects (`"resources": {}`); a zero `metav1.Time` prints as `null`. The protos do
//! not say which Go fields are pointers, so the rule is: a field upstream does not mark
//! `+optional` is required (no `omitempty`) and keeps its zero; an optional string is a value
//! (`""` omitted), an optional bool or integer is a pointer (zero kept); `POINTER_STRINGS`
//! and `OMITTED_ZEROS` list the Go fields that break that rule.

mod go_facts;
mod json;
mod schema;
mod stored_form;
#[cfg(test)]
mod tests;
mod wire;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use prost_reflect::Kind;
use serde_json::{Map, Value};

use super::codec::{decode_error_prefix, unrecognized};
use super::errors::ApiError;
use super::kinds::ResourceInfo;
use json::Decoder;
use schema::Schema;
use wire::{expect_bytes, utf8, WireReader};

/// The media type of Kubernetes protobuf bodies.
pub const PROTOBUF_MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// Every Kubernetes protobuf body starts with these four bytes.
const MAGIC: &[u8; 4] = b"k8s\0";

const META_V1: &str = "k8s.io.apimachinery.pkg.apis.meta.v1";
const RUNTIME: &str = "k8s.io.apimachinery.pkg.runtime";

/// The request's JSON `object` of `resource`'s kind with its `resource.Quantity` values as
/// upstream reads and stores them (`0.5` → `500m`, `2048Ki` → `2Mi`, `1.500k` kept, a YAML
/// number `1e21` read as kubectl sends it, `1e+21`); `None` when the kind has no quantities.
///
/// Errors: 400 BadRequest for a quantity that does not parse, in the decoder's words
/// (`Pod in version "v1" cannot be handled as a Pod: quantities must match the regular
/// expression ...`).
pub fn read_quantities(resource: &ResourceInfo, object: &Value) -> Result<Option<Value>, ApiError> {
    let schema = Schema::get()?;
    let Some(message) = object_message_name(schema, resource) else {
        return Ok(None);
    };
    stored_form::read_quantities(schema, &message, object).map_err(|e| {
        ApiError::bad_request(format!(
            "{}{e}",
            crate::apiserver::codec::decode_error_prefix(resource)
        ))
    })
}

/// The typed form `object` of `resource`'s kind as upstream's storage round trip leaves it:
/// empty maps and lists of optional fields dropped (`labels: {}`; protobuf reads them back
/// as nil, and `omitempty` leaves nil out), an unset `resourceFieldRef.divisor` as `"0"`.
///
/// Errors: 500 when the embedded descriptors do not load.
pub fn drop_empty_collections(resource: &ResourceInfo, object: &mut Value) -> Result<(), ApiError> {
    let schema = Schema::get()?;
    if let Some(message) = object_message_name(schema, resource) {
        stored_form::drop_empty(schema, &message, object);
    }
    Ok(())
}

/// The full message name of a kind, looked up once per served kind (every write asks twice).
fn object_message_name(
    schema: &'static Schema,
    resource: &ResourceInfo,
) -> Option<Cow<'static, str>> {
    type Names = HashMap<(&'static str, &'static str, &'static str), Option<String>>;
    static NAMES: OnceLock<Names> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        crate::apiserver::kinds::ALL
            .iter()
            .map(|kind| {
                let name = schema
                    .object_message(kind)
                    .map(|m| m.full_name().to_string());
                ((kind.group, kind.version, kind.kind), name)
            })
            .collect()
    });
    match names.get(&(resource.group, resource.version, resource.kind)) {
        Some(name) => name.as_deref().map(Cow::Borrowed),
        // A kind served only as a subresource's body (TokenRequest, Scale).
        None => schema
            .object_message(resource)
            .map(|m| Cow::Owned(m.full_name().to_string())),
    }
}

/// Decodes a `application/vnd.kubernetes.protobuf` body: the 4-byte magic `k8s\0`, then a
/// `runtime.Unknown` {typeMeta: {apiVersion, kind}, raw, contentEncoding, contentType} whose
/// `raw` is the object's protobuf message. Returns the object as the JSON `Value` the JSON API
/// would carry (apiVersion and kind from typeMeta; field names and shapes exactly as the
/// Kubernetes JSON encoding: camelCase, base64 strings for bytes fields such as Secret.data,
/// RFC3339 strings for Time, int-or-string, Quantity strings, maps).
///
/// Every kind of k8s.io/api core/v1, apps/v1, autoscaling/v2, batch/v1, certificates/v1,
/// coordination/v1, discovery/v1, events/v1, flowcontrol/v1, networking/v1, node/v1,
/// policy/v1, scheduling/v1, storage/v1, authentication/v1, authorization/v1 and rbac/v1
/// decodes (TokenRequest, TokenReview and the access reviews included), and
/// admissionregistration/v1's webhook configurations and ValidatingAdmissionPolicies (and
/// their bindings), whatever endpoint serves it.
///
/// Errors: 400 BadRequest for a body that is not well-formed protobuf or names another kind or
/// API version than the endpoint's; 415 UnsupportedMediaType for a kind or field this decoder
/// does not know (the caller should resend as JSON). A Pod's `status` is skipped: the server
/// resets it on create.
pub fn decode_object(body: &[u8], resource: &ResourceInfo) -> Result<Value, ApiError> {
    let schema = Schema::get()?;
    let envelope = decode_envelope(schema, body)
        .map_err(|e| e.into_api_error(resource, |detail| unrecognized(resource, &detail, body)))?;

    if !envelope.content_encoding.is_empty() {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "protobuf bodies with content encoding {:?} are not supported; send the object as JSON",
                envelope.content_encoding
            ),
        ));
    }
    if !envelope.content_type.is_empty() && envelope.content_type != PROTOBUF_MEDIA_TYPE {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "protobuf envelopes carrying {:?} are not supported; send the object as JSON",
                envelope.content_type
            ),
        ));
    }

    // Like upstream's protobuf serializer, an empty type falls back to the endpoint's.
    let expected_version = resource.api_version();
    let api_version = if envelope.api_version.is_empty() {
        expected_version.clone()
    } else {
        envelope.api_version
    };
    let kind = if envelope.kind.is_empty() {
        resource.kind.to_string()
    } else {
        envelope.kind
    };
    if api_version != expected_version {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({expected_version})"
        )));
    }
    if kind != resource.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({}) for this endpoint",
            resource.kind
        )));
    }

    let Some(message) = schema.object_message(resource) else {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "this server cannot decode {} objects from protobuf; send the object as JSON",
                resource.kind
            ),
        ));
    };

    let mut object = Map::new();
    object.insert("kind".into(), Value::String(kind));
    object.insert("apiVersion".into(), Value::String(api_version));
    let mut decoder = Decoder {
        schema,
        path: Vec::new(),
    };
    decoder
        .decode_message(envelope.raw, &message, &mut object)
        .map_err(|e| {
            // The kind is known from here on: upstream's error names it.
            e.into_api_error(resource, |detail| {
                ApiError::bad_request(format!("{}{detail}", decode_error_prefix(resource)))
            })
        })?;
    Ok(Value::Object(object))
}

// ---------------------------------------------------------------------------------------------
// The runtime.Unknown envelope

struct Envelope<'a> {
    api_version: String,
    kind: String,
    raw: &'a [u8],
    content_encoding: String,
    content_type: String,
}

fn decode_envelope<'a>(schema: &Schema, body: &'a [u8]) -> Result<Envelope<'a>, DecodeError> {
    // Upstream's protobuf serializer: `empty data`, a missing prefix (printed as Go prints a
    // byte slice), then `empty body` for the prefix alone.
    if body.is_empty() {
        return Err(garbled("empty data"));
    }
    let Some(rest) = body.strip_prefix(MAGIC.as_slice()) else {
        let prefix: Vec<String> = MAGIC.iter().map(u8::to_string).collect();
        return Err(garbled(format!(
            "provided data does not appear to be a protobuf message, expected prefix [{}]",
            prefix.join(" ")
        )));
    };
    if rest.is_empty() {
        return Err(garbled("empty body"));
    }
    let unknown = schema
        .pool
        .get_message_by_name(&format!("{RUNTIME}.Unknown"))
        .ok_or_else(|| garbled("no runtime.Unknown in the descriptor set"))?;
    let mut envelope = Envelope {
        api_version: String::new(),
        kind: String::new(),
        raw: &[],
        content_encoding: String::new(),
        content_type: String::new(),
    };
    let mut reader = WireReader::new(rest);
    while let Some((number, value)) = reader.next_field()? {
        // Like upstream, envelope fields beyond these carry nothing of the object.
        let Some(field) = unknown.get_field(number) else {
            continue;
        };
        let name = field.name();
        match (name, field.kind()) {
            ("raw", _) => envelope.raw = expect_bytes(value, name)?,
            ("contentEncoding", _) => {
                envelope.content_encoding = utf8(expect_bytes(value, name)?, name)?.to_string()
            }
            ("contentType", _) => {
                envelope.content_type = utf8(expect_bytes(value, name)?, name)?.to_string()
            }
            ("typeMeta", Kind::Message(type_meta)) => {
                let mut decoder = Decoder {
                    schema,
                    path: Vec::new(),
                };
                let mut out = Map::new();
                decoder.decode_message(expect_bytes(value, name)?, &type_meta, &mut out)?;
                let text = |key: &str| {
                    out.get(key)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                envelope.api_version = text("apiVersion");
                envelope.kind = text("kind");
            }
            _ => {}
        }
    }
    Ok(envelope)
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why a body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum DecodeError {
    /// Not well-formed: truncated, bad varint, wrong wire type, invalid UTF-8 ...
    #[error("{0}")]
    Garbled(String),
    /// Well-formed, but uses a field number upstream's message does not have.
    #[error("field number {number} of {message} at {path}")]
    UnknownField {
        number: u32,
        message: String,
        path: String,
    },
}

impl DecodeError {
    /// The error's Status: a garbled body is 400 as `garbled` words it (by where decoding
    /// failed, as upstream's `transformDecodeError` words it), a field this decoder does not
    /// know 415.
    fn into_api_error(
        self,
        resource: &ResourceInfo,
        garbled: impl FnOnce(String) -> ApiError,
    ) -> ApiError {
        match self {
            DecodeError::Garbled(detail) => garbled(detail),
            DecodeError::UnknownField { number, message, path } => ApiError::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "the protobuf body of this {kind} has field number {number} of {message} at {path}, \
                     which this server cannot decode; send the object as JSON instead \
                     (e.g. `kubectl create ... --dry-run=client -o json | kubectl create -f -`)",
                    kind = resource.kind
                ),
            ),
        }
    }
}

fn garbled(detail: impl Into<String>) -> DecodeError {
    DecodeError::Garbled(detail.into())
}
