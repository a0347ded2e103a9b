//! Request bodies, decoded once at the edge: JSON, YAML or protobuf into the kind's
//! normalized form (its k8s-openapi type's serialization), with the type meta checked and
//! unknown and (in JSON) duplicate fields handled by `fieldValidation`. Everything after
//! works on that object.

use bytes::Bytes;
use http::header;
use serde_json::Value;

use super::super::codec::unrecognized;
use super::super::errors::ApiError;
use super::super::http::RequestContext;
use super::super::kinds::ResourceInfo;
use super::super::{codec, protobuf, validation};

/// The media types accepted for create and update bodies.
const OBJECT_MEDIA_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];

/// An object from a request, normalized, with the warnings its unknown fields produced.
pub(super) struct Decoded {
    pub object: Value,
    pub warnings: Vec<String>,
}

fn media_type(ctx: &RequestContext) -> String {
    ctx.header(header::CONTENT_TYPE)
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Decodes a create or update body into an object of `resource`'s kind.
pub(super) fn decode_body(
    ctx: &RequestContext,
    resource: &ResourceInfo,
    body: &Bytes,
) -> Result<Decoded, ApiError> {
    let media = media_type(ctx);
    let (value, repeats) = decode_noting_repeats(&media, resource, body)?;
    // Only a JSON body is scanned for repeated fields (upstream's strict JSON decoder); the
    // parse notes whether it has any, so that a clean body is not scanned a second time.
    let json = is_json(&media).then_some(JsonDocument {
        body: body.as_ref(),
        repeats,
    });
    decode_ordered(ctx, resource, &value, json)
}

/// A JSON body as parsed, and whether any of its objects repeats a key.
struct JsonDocument<'a> {
    body: &'a [u8],
    repeats: bool,
}

/// The media types decoded as JSON.
fn is_json(media: &str) -> bool {
    matches!(media, "" | "application/json" | "*/*")
}

/// A JSON body that does not parse, refused as upstream's decoder refuses it: Go's
/// `encoding/json` syntax error (serde_json's text only for what Go accepts and serde_json
/// does not, such as nesting beyond 128 levels).
fn json_parse_error(e: serde_json::Error, resource: &ResourceInfo, body: &[u8]) -> ApiError {
    let detail = crate::go_json_syntax::syntax_error(body).unwrap_or_else(|| e.to_string());
    kind_unreadable(resource, &detail, body)
}

/// `SimpleMetaFactory.Interpret`'s failure to read `apiVersion` and `kind` (a JSON error
/// `detail`), as [`unrecognized`] words it.
fn kind_unreadable(resource: &ResourceInfo, detail: &str, body: &[u8]) -> ApiError {
    unrecognized(
        resource,
        &format!("couldn't get version/kind; json parse error: {detail}"),
        body,
    )
}

/// The first document of a YAML stream, as go-yaml's `Unmarshal` reads it (sigs.k8s.io/yaml
/// converts bodies with it): a leading byte-order mark is skipped and documents after the
/// first are ignored; an empty stream is `null`.
///
/// # Errors
///
/// serde_yaml's error for a first document that does not parse.
pub(super) fn first_yaml_document(body: &[u8]) -> Result<Value, serde_yaml::Error> {
    use serde::Deserialize;
    let body = body.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(body);
    match serde_yaml::Deserializer::from_slice(body).next() {
        Some(document) => Value::deserialize(document),
        None => Ok(Value::Null),
    }
}

/// A create or update body of media type `media` (lowercase, without parameters) decoded into
/// an object of `resource`'s kind: JSON, YAML or protobuf, with `apiVersion` and `kind`
/// checked against the endpoint's and filled in when missing. Not yet normalized (see
/// [`codec::normalize`](super::super::codec::normalize)).
///
/// # Errors
///
/// 400 BadRequest in upstream's words for a body that does not parse or names another
/// kind or version; 415 UnsupportedMediaType for any other media type.
pub fn decode_object_bytes(
    media: &str,
    resource: &ResourceInfo,
    body: &[u8],
) -> Result<Value, ApiError> {
    Ok(decode_noting_repeats(media, resource, body)?.0)
}

/// [`decode_object_bytes`], and whether a JSON body repeats a key (never for the other
/// media types, which are not scanned for repeats).
fn decode_noting_repeats(
    media: &str,
    resource: &ResourceInfo,
    body: &[u8],
) -> Result<(Value, bool), ApiError> {
    let (mut value, repeats) = match media {
        media if is_json(media) => match validation::parse_noting_repeats(body) {
            Ok(parsed) => parsed,
            // Go reads invalid UTF-8 and unpaired surrogates in strings as U+FFFD.
            Err(e) => crate::go_json_strings::with_go_replacements(body)
                .and_then(|replaced| validation::parse_noting_repeats(&replaced).ok())
                .ok_or_else(|| json_parse_error(e, resource, body))?,
        },
        "application/yaml" => {
            // Upstream converts YAML to JSON first; the text after `yaml: ` is serde_yaml's.
            let value = first_yaml_document(body).map_err(|e| {
                unrecognized(
                    resource,
                    &format!("error converting YAML to JSON: yaml: {e}"),
                    body,
                )
            })?;
            (value, false)
        }
        // kubectl's typed clients (create namespace, secret, configmap, ...) send protobuf.
        protobuf::PROTOBUF_MEDIA_TYPE => (protobuf::decode_object(body, resource)?, false),
        _ => return Err(ApiError::unsupported_media_type(OBJECT_MEDIA_TYPES)),
    };
    check_type_meta(resource, &mut value, body)?;
    Ok((value, repeats))
}

/// The kind and apiVersion of a body. Missing ones are the endpoint's, as a real server's
/// decoder defaults them (the Python client sends neither); present ones must match it.
///
/// A `null` body is an empty object, as Go decodes it; any other value that is not an object
/// is refused with `json.Unmarshal`'s type error.
fn check_type_meta(
    resource: &ResourceInfo,
    value: &mut Value,
    body: &[u8],
) -> Result<(), ApiError> {
    if value.is_null() {
        *value = Value::Object(serde_json::Map::new());
    }
    let Value::Object(map) = value else {
        let detail = crate::go_json_syntax::cannot_unmarshal_into_type_meta(
            crate::go_json_syntax::go_json_kind(value),
        );
        return Err(kind_unreadable(resource, &detail, body));
    };
    // `Interpret` reads both into Go strings: another type (null aside) fails there.
    for key in ["apiVersion", "kind"] {
        if let Some(given) = map.get(key).filter(|v| !v.is_string() && !v.is_null()) {
            let detail = format!(
                "json: cannot unmarshal {} into Go struct field .{key} of type string",
                crate::go_json_syntax::go_json_kind(given)
            );
            return Err(kind_unreadable(resource, &detail, body));
        }
    }
    let expected_version = resource.api_version();
    let text = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (kind, api_version) = (text("kind"), text("apiVersion"));
    if !api_version.is_empty() && api_version != expected_version {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({expected_version})"
        )));
    }
    if !kind.is_empty() && kind != resource.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({}) for this endpoint",
            resource.kind
        )));
    }
    map.insert("apiVersion".into(), Value::String(expected_version));
    map.insert("kind".into(), Value::String(resource.kind.to_string()));
    Ok(())
}

/// An already parsed object (a body, or the result of a patch) into its normalized form.
pub(super) fn decode_value(
    ctx: &RequestContext,
    resource: &ResourceInfo,
    value: &Value,
) -> Result<Decoded, ApiError> {
    decode_ordered(ctx, resource, value, None)
}

/// [`decode_value`] of `value` parsed from the JSON document `json`, if it was one: its
/// repeated fields are problems too, and all are reported in document order (the document
/// is scanned for that only when it has a problem).
fn decode_ordered(
    ctx: &RequestContext,
    resource: &ResourceInfo,
    value: &Value,
    json: Option<JsonDocument<'_>>,
) -> Result<Decoded, ApiError> {
    let mode = field_validation(ctx);
    let typed = codec::typed_form(resource, value)?;
    let mut warnings = Vec::new();
    if mode != "Ignore" {
        let unknown = validation::unknown_fields_against(value, &typed);
        let problems = json
            .filter(|json| json.repeats || !unknown.is_empty())
            .and_then(|json| validation::json_field_problems(json.body, &unknown))
            .unwrap_or_else(|| validation::unknown_field_problems(&unknown));
        report_field_problems(mode, resource, &problems, &mut warnings)?;
    }
    let object = codec::to_stored_form(resource, typed)?;
    Ok(Decoded { object, warnings })
}

/// `fieldValidation` on an object that is not decoded on its own (a server-side apply
/// configuration): Strict rejects unknown fields, Warn (the default) reports them in
/// `warnings`, Ignore drops them silently. They are never stored.
pub(super) fn check_fields(
    ctx: &RequestContext,
    resource: &ResourceInfo,
    object: &Value,
    warnings: &mut Vec<String>,
) -> Result<(), ApiError> {
    let mode = field_validation(ctx);
    if mode == "Ignore" {
        return Ok(());
    }
    report_field_problems(
        mode,
        resource,
        &validation::unknown_field_problems(&validation::unknown_fields(resource, object)),
        warnings,
    )
}

/// The `fieldValidation` parameter (validated with the request's options,
/// [`super::options`]); absent or empty means the default, Warn.
pub(super) fn field_validation(ctx: &RequestContext) -> &str {
    ctx.param("fieldValidation")
        .filter(|mode| !mode.is_empty())
        .unwrap_or("Warn")
}

/// Unknown and duplicate fields (`problems`, as upstream words them) by `fieldValidation`:
/// Strict refuses the request, Warn adds a warning for each, Ignore says nothing.
fn report_field_problems(
    mode: &str,
    resource: &ResourceInfo,
    problems: &[String],
    warnings: &mut Vec<String>,
) -> Result<(), ApiError> {
    if problems.is_empty() || mode == "Ignore" {
        return Ok(());
    }
    if mode == "Strict" {
        return Err(validation::strict_decoding_error(resource, problems));
    }
    warnings.extend(problems.iter().cloned());
    Ok(())
}
