//! The patch engine of the embedded API server: JSON patch (RFC 6902), JSON merge patch
//! (RFC 7386), strategic merge patch and server-side apply, as pure functions over JSON values.
//!
//! Strategic merge patch follows the server side of apimachinery's `strategicpatch` package
//! (`StrategicMergeMapPatch`, including its list ordering rules). Server-side apply follows
//! structured-merge-diff closely enough for `kubectl apply --server-side`: merge by list keys,
//! pruning of fields the manager stopped applying, conflicts and `managedFields` in the real
//! `FieldsV1` encoding. The list semantics of the served kinds come from the struct tags of
//! `k8s.io/api/core/v1` and `k8s.io/apimachinery/pkg/apis/meta/v1` (see `field_rule`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::{Map, Value};

use super::errors::{ApiError, FieldError};
use super::resources::ResourceInfo;

/// The API server refuses JSON patches with more operations than this.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

const DIRECTIVE_MARKER: &str = "$patch";
const DELETE_DIRECTIVE: &str = "delete";
const REPLACE_DIRECTIVE: &str = "replace";
const MERGE_DIRECTIVE: &str = "merge";
const RETAIN_KEYS_DIRECTIVE: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST_PREFIX: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER_PREFIX: &str = "$setElementOrder";

/// What `NewGenericServerResponse(422, ...)` says; the detail is not returned to the client.
const GENERIC_INVALID_MESSAGE: &str =
    "the server rejected our request due to an error in our request";

const GO_MAP_TYPE: &str = "map[string]interface {}";
const GO_SLICE_TYPE: &str = "[]interface {}";

// ---------------------------------------------------------------------------------------------
// Patch types
// ---------------------------------------------------------------------------------------------

/// The PATCH flavours, chosen by the request's `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    StrategicMerge,
    Apply,
}

impl PatchType {
    /// The accepted media types, in the order the API server lists them in its 415 message.
    pub const ACCEPTED: &'static [&'static str] = &[
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/apply-patch+yaml",
    ];

    /// From a `Content-Type` header; parameters such as `; charset=utf-8` are ignored.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let media_type = ct.split(';').next().unwrap_or_default().trim();
        [Self::Json, Self::Merge, Self::StrategicMerge, Self::Apply]
            .into_iter()
            .find(|t| t.media_type().eq_ignore_ascii_case(media_type))
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Json => Self::ACCEPTED[0],
            Self::Merge => Self::ACCEPTED[1],
            Self::StrategicMerge => Self::ACCEPTED[2],
            Self::Apply => Self::ACCEPTED[3],
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// One field another manager owns with a different value than the applied configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyConflict {
    /// The other manager as the API server prints it: `"kubectl-client-side-apply" using v1`.
    pub manager: String,
    /// The contested field: `.data.key`, `.spec.containers[name="app"].image`.
    pub field: String,
}

/// Why a patch or an apply failed. The texts are those of the real API server's libraries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The JSON patch document is not a list of operation objects (400).
    #[error("{0}")]
    JsonPatchDecode(String),
    /// More than [`MAX_JSON_PATCH_OPERATIONS`] operations (413).
    #[error(
        "The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {0}"
    )]
    TooManyOperations(usize),
    /// A JSON patch operation did not apply, e.g. a failed `test` (422).
    #[error("{0}")]
    JsonPatchFailed(String),
    /// A merge patch of `null` (400).
    #[error("Invalid JSON Patch")]
    InvalidMergePatch,
    /// The patched document is no longer an object (422).
    #[error("{detail}")]
    PatchedNotAnObject { patched: String, detail: String },
    /// A strategic merge patch that is not a JSON object (400).
    #[error("json: cannot unmarshal {0} into Go value of type map[string]interface {{}}")]
    StrategicPatchNotAnObject(&'static str),
    /// A merging list holds lists (422).
    #[error("lists of lists are not supported")]
    ListOfLists,
    /// A malformed `$deleteFromPrimitiveList/<field>` key (400).
    #[error("invalid patch format of primitive list")]
    BadDeleteFromPrimitiveList,
    /// `$retainKeys` is not a list or leaves out a field the patch sets (400).
    #[error("invalid patch format of retainKeys")]
    BadRetainKeys,
    /// A malformed `$setElementOrder/<field>` key (400).
    #[error("invalid patch format of setElementOrder list")]
    BadSetElementOrder,
    /// A list element without the list's merge key (500, as upstream).
    #[error("map: {map} does not contain declared merge key: {key}")]
    MissingMergeKey { map: String, key: String },
    /// `$patch` with a value other than `replace`/`delete` in a map (500).
    #[error("unknown patch type: {directive} in map: {map}")]
    UnknownPatchDirective { directive: String, map: String },
    /// `$patch: merge` in a list (500).
    #[error("merging lists cannot yet be specified in the patch")]
    MergeDirectiveInList,
    /// Objects in a merging list that has no merge key (500).
    #[error("cannot merge lists without merge key for type map")]
    ListWithoutMergeKey,
    /// A merging list mixes element types (500).
    #[error("list element types are not identical: {0}")]
    MixedListElements(String),
    /// The patch list disagrees with its `$setElementOrder` list (500).
    #[error("The order in patch list:\n{patch}\n doesn't match $setElementOrder list:\n{order}\n")]
    SetElementOrderMismatch { patch: String, order: String },
    /// A value of the wrong JSON type where the patch format wants a list or map (500).
    #[error("expected a {expected}, but received a {actual}")]
    UnexpectedType {
        expected: &'static str,
        actual: &'static str,
    },
    /// Server-side apply without a field manager (422 on PatchOptions).
    #[error("fieldManager: Required value: is required for apply patch")]
    MissingFieldManager,
    /// The applied configuration is not an object (400).
    #[error("error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {0} into Go value of type map[string]interface {{}}")]
    ApplyNotAnObject(&'static str),
    /// The applied configuration names another apiVersion (400).
    #[error("Incorrect version specified in apply patch. Specified patch version: {specified}, expected: {expected}")]
    ApplyVersionMismatch { specified: String, expected: String },
    /// The applied configuration breaks the list rules, e.g. a container without a name (400).
    #[error("failed to create typed patch object ({gvk}): {detail}")]
    InvalidApplyConfiguration { gvk: String, detail: String },
    /// The stored object breaks the list rules (500).
    #[error("failed to create typed live object ({gvk}): {detail}")]
    InvalidLiveObject { gvk: String, detail: String },
    /// Fields owned by other managers would change and `force` is off (409).
    #[error("{}", conflict_message(.0))]
    ApplyConflicts(Vec<ApplyConflict>),
    /// Apply would create an object but the configuration carries a uid (409).
    #[error(
        "uid mismatch: the provided object specified uid {0}, and no existing object was found"
    )]
    UidMismatch(String),
    /// The applied configuration names another uid than the stored object (422).
    #[error("metadata.uid: Invalid value: {0:?}: field is immutable")]
    UidImmutable(String),
    /// The applied configuration names an outdated resourceVersion (409).
    #[error("the object has been modified; please apply your changes to the latest version and try again")]
    ResourceVersionConflict,
    /// The stored object handed in is not a JSON object (500).
    #[error("the object to patch is not a JSON object")]
    OriginalNotAnObject,
}

fn conflict_message(conflicts: &[ApplyConflict]) -> String {
    if let [one] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            one.manager, one.field
        );
    }
    let mut managers: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
    managers.sort_unstable();
    managers.dedup();
    let mut lines = Vec::new();
    for manager in managers {
        lines.push(format!("conflicts with {manager}:"));
        lines.extend(
            conflicts
                .iter()
                .filter(|c| c.manager == manager)
                .map(|c| format!("- {}", c.field)),
        );
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

impl PatchError {
    /// The `Status` a real API server answers with for this failure.
    pub fn into_api_error(self, resource: &ResourceInfo, name: &str) -> ApiError {
        let message = self.to_string();
        match self {
            Self::JsonPatchDecode(_)
            | Self::InvalidMergePatch
            | Self::StrategicPatchNotAnObject(_)
            | Self::BadDeleteFromPrimitiveList
            | Self::BadRetainKeys
            | Self::BadSetElementOrder
            | Self::ApplyNotAnObject(_)
            | Self::ApplyVersionMismatch { .. }
            | Self::InvalidApplyConfiguration { .. } => ApiError::bad_request(message),
            Self::TooManyOperations(_) => ApiError::new(
                413,
                "RequestEntityTooLarge",
                format!("Request entity too large: {message}"),
            ),
            // NewGenericServerResponse(422): the library's detail is not passed on.
            Self::JsonPatchFailed(_) | Self::ListOfLists => {
                ApiError::new(422, "Invalid", GENERIC_INVALID_MESSAGE)
            }
            Self::PatchedNotAnObject { patched, detail } => {
                // NewInvalid with an empty kind and name, as the patch handler builds it.
                let cause = FieldError::invalid("patch", &patched, detail);
                ApiError::new(422, "Invalid", format!(" \"\" is invalid: {cause}")).with_cause(
                    cause.cause_reason(),
                    cause.body(),
                    &cause.field,
                )
            }
            Self::MissingFieldManager => {
                let cause = FieldError {
                    field: "fieldManager".to_string(),
                    kind: super::errors::FieldErrorKind::Required(Some(
                        "is required for apply patch".to_string(),
                    )),
                };
                let mut err = ApiError::new(
                    422,
                    "Invalid",
                    format!("PatchOptions.meta.k8s.io \"\" is invalid: {cause}"),
                )
                .with_cause(cause.cause_reason(), cause.body(), &cause.field);
                err.group = Some("meta.k8s.io".to_string());
                err.kind = Some("PatchOptions".to_string());
                err
            }
            Self::ApplyConflicts(conflicts) => {
                // NewApplyConflict: details carry only the causes.
                let mut err = ApiError::new(409, "Conflict", message);
                for conflict in &conflicts {
                    err = err.with_cause(
                        "FieldManagerConflict",
                        format!("conflict with {}", conflict.manager),
                        &conflict.field,
                    );
                }
                err
            }
            Self::UidMismatch(_) => ApiError::conflict_because(resource, name, &message),
            Self::UidImmutable(uid) => ApiError::invalid(
                resource,
                name,
                vec![FieldError::invalid(
                    "metadata.uid",
                    &uid,
                    "field is immutable",
                )],
            ),
            Self::ResourceVersionConflict => ApiError::conflict(resource, name),
            Self::OriginalNotAnObject => ApiError::internal(message),
            // Plain Go errors: ErrorToAPIStatus makes them a 500 with an empty reason.
            Self::MissingMergeKey { .. }
            | Self::UnknownPatchDirective { .. }
            | Self::MergeDirectiveInList
            | Self::ListWithoutMergeKey
            | Self::MixedListElements(_)
            | Self::SetElementOrderMismatch { .. }
            | Self::UnexpectedType { .. }
            | Self::InvalidLiveObject { .. } => ApiError::new(500, "", message),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Go renderings used in upstream messages
// ---------------------------------------------------------------------------------------------

/// The JSON kind as `encoding/json` names it in "cannot unmarshal X into ..." errors.
fn go_json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The Go type a decoded JSON value has (`reflect.TypeOf`).
fn go_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => GO_SLICE_TYPE,
        Value::Object(_) => GO_MAP_TYPE,
    }
}

/// A decoded JSON value printed with Go's `%v`: `map[k:v]`, `[a b]`, `<nil>`.
fn go_format(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(go_format).collect::<Vec<_>>().join(" ")
            )
        }
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            let rendered: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", go_format(&fields[k.as_str()])))
                .collect();
            format!("map[{}]", rendered.join(" "))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/// Applies a JSON patch, a JSON merge patch or a strategic merge patch to `original`.
///
/// `PatchType::Apply` needs a field manager and goes through [`server_side_apply`]; here it
/// fails the way a real server answers an apply without `fieldManager`.
pub fn apply_patch(
    kind: &str,
    original: &Value,
    patch: &Value,
    ty: PatchType,
) -> Result<Value, PatchError> {
    if !original.is_object() {
        return Err(PatchError::OriginalNotAnObject);
    }
    let patched = match ty {
        PatchType::Json => apply_json_patch(original, patch)?,
        PatchType::Merge => apply_merge_patch(original, patch)?,
        PatchType::StrategicMerge => apply_strategic_merge_patch(kind, original, patch)?,
        PatchType::Apply => return Err(PatchError::MissingFieldManager),
    };
    ensure_object(patched)
}

/// A patched document must still decode into an object.
fn ensure_object(patched: Value) -> Result<Value, PatchError> {
    if patched.is_object() {
        return Ok(patched);
    }
    Err(PatchError::PatchedNotAnObject {
        detail: format!(
            "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}",
            go_json_kind(&patched)
        ),
        patched: patched.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// JSON patch (RFC 6902)
// ---------------------------------------------------------------------------------------------

fn apply_json_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    let operations = match patch {
        Value::Array(operations) => operations,
        // Go decodes `null` into an empty patch.
        Value::Null => return Ok(original.clone()),
        other => {
            return Err(PatchError::JsonPatchDecode(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                go_json_kind(other)
            )))
        }
    };
    if let Some(bad) = operations
        .iter()
        .find(|op| !(op.is_object() || op.is_null()))
    {
        return Err(PatchError::JsonPatchDecode(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
            go_json_kind(bad)
        )));
    }
    if operations.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooManyOperations(operations.len()));
    }
    let mut document = original.clone();
    for operation in operations {
        apply_json_patch_operation(&mut document, operation)?;
    }
    Ok(document)
}

fn apply_json_patch_operation(document: &mut Value, operation: &Value) -> Result<(), PatchError> {
    let mut fields = operation.as_object().cloned().unwrap_or_default();
    let op = fields
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    if !matches!(
        op.as_str(),
        "add" | "remove" | "replace" | "move" | "copy" | "test"
    ) {
        return Err(PatchError::JsonPatchFailed(format!(
            "Unexpected kind: {op}"
        )));
    }
    let Some(path) = fields
        .get("path")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Err(PatchError::JsonPatchFailed(format!(
            "{op} operation failed to decode path: missing value"
        )));
    };
    let from = fields
        .get("from")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // The Go library treats a missing value as null.
    if matches!(op.as_str(), "add" | "replace" | "test") && !fields.contains_key("value") {
        fields.insert("value".to_string(), Value::Null);
    }
    // The API server's json-patch library (evanphx v4) lets `replace` create a missing member.
    if op == "replace" && is_missing_object_member(document, &path) {
        fields.insert("op".to_string(), Value::String("add".to_string()));
    }
    let parsed: json_patch::PatchOperation = serde_json::from_value(Value::Object(fields))
        .map_err(|e| PatchError::JsonPatchFailed(format!("{op} operation is invalid: {e}")))?;
    json_patch::patch(document, std::slice::from_ref(&parsed)).map_err(|e| {
        PatchError::JsonPatchFailed(describe_json_patch_failure(&op, &path, &from, &e.kind))
    })
}

/// True when `pointer` names a member that its (existing) parent object lacks.
fn is_missing_object_member(document: &Value, pointer: &str) -> bool {
    let Some(split) = pointer.rfind('/') else {
        return false;
    };
    let (parent, last) = (&pointer[..split], &pointer[split + 1..]);
    let member = last.replace("~1", "/").replace("~0", "~");
    matches!(document.pointer(parent), Some(Value::Object(fields)) if !fields.contains_key(&member))
}

/// The evanphx/json-patch wording for a failed operation.
fn describe_json_patch_failure(
    op: &str,
    path: &str,
    from: &str,
    kind: &json_patch::PatchErrorKind,
) -> String {
    use json_patch::PatchErrorKind;
    match (kind, op) {
        (PatchErrorKind::TestFailed, _) => format!("testing value {path} failed: test failed"),
        (PatchErrorKind::InvalidFromPointer, _) => {
            format!(
                "{op} operation does not apply: doc is missing from path: {from}: missing value"
            )
        }
        (PatchErrorKind::CannotMoveInsideItself, _) => {
            format!("move operation does not apply: cannot move {from} inside itself")
        }
        (_, "test") => {
            format!("test operation does not apply: is missing path: {path}: missing value")
        }
        (_, "replace") => {
            format!("replace operation does not apply: doc is missing path: {path}: missing value")
        }
        (_, "move" | "copy") => {
            format!("{op} operation does not apply: doc is missing destination path: {path}: missing value")
        }
        _ => {
            format!("{op} operation does not apply: doc is missing path: \"{path}\": missing value")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON merge patch (RFC 7386)
// ---------------------------------------------------------------------------------------------

fn apply_merge_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    if patch.is_null() {
        return Err(PatchError::InvalidMergePatch);
    }
    let mut document = original.clone();
    json_patch::merge(&mut document, patch);
    Ok(document)
}

// ---------------------------------------------------------------------------------------------
// Field rules of the served kinds
// ---------------------------------------------------------------------------------------------

/// How a strategic merge patch treats a list (`patchStrategy` / `patchMergeKey` tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SmpList {
    /// No strategy: the patch list replaces the list.
    Replace,
    /// `patchStrategy:"merge" patchMergeKey:"<key>"`: objects merged by the key.
    MergeByKey(&'static str),
    /// `patchStrategy:"merge"` on a list of scalars: merged as a set.
    MergeSet,
}

/// How server-side apply treats a field (`listType`, `listMapKey`, `mapType` markers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApplyShape {
    /// Objects are merged field by field, lists are atomic.
    Default,
    /// `+mapType=atomic` / `+listType=atomic`: replaced and owned as a whole.
    Atomic,
    /// `+listType=set`: scalars merged as a set, owned one by one (`v:` elements).
    Set,
    /// `+listType=map` with `+listMapKey`s: objects merged by their keys (`k:` elements).
    Keyed(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldRule {
    pub(crate) smp: SmpList,
    pub(crate) apply: ApplyShape,
}

const DEFAULT_RULE: FieldRule = FieldRule {
    smp: SmpList::Replace,
    apply: ApplyShape::Default,
};
const SET_RULE: FieldRule = FieldRule {
    smp: SmpList::MergeSet,
    apply: ApplyShape::Set,
};
const ATOMIC_RULE: FieldRule = FieldRule {
    smp: SmpList::Replace,
    apply: ApplyShape::Atomic,
};

/// A list merged by one key in both patch styles.
const fn keyed(key: &'static str, apply_keys: &'static [&'static str]) -> FieldRule {
    FieldRule {
        smp: SmpList::MergeByKey(key),
        apply: ApplyShape::Keyed(apply_keys),
    }
}

/// The rule for the field at `path` (field names from the object root; list items are skipped,
/// so `spec.containers.env` is the env list of every container).
pub(crate) fn field_rule(kind: &str, path: &[&str]) -> FieldRule {
    match path {
        ["metadata", "ownerReferences"] => keyed("uid", &["uid"]),
        ["metadata", "finalizers"] => SET_RULE,
        ["metadata", "managedFields"] => ATOMIC_RULE,
        _ => match kind {
            "Pod" => pod_field_rule(path),
            "ServiceAccount" => match path {
                ["secrets"] => keyed("name", &["name"]),
                // imagePullSecrets has no patch strategy: replaced.
                ["imagePullSecrets"] => ATOMIC_RULE,
                _ => DEFAULT_RULE,
            },
            "Namespace" => match path {
                ["status", "conditions"] => keyed("type", &["type"]),
                // spec.finalizers is `+listType=atomic` without a patch strategy.
                ["spec", "finalizers"] => ATOMIC_RULE,
                _ => DEFAULT_RULE,
            },
            _ => DEFAULT_RULE,
        },
    }
}

pub(crate) fn pod_field_rule(path: &[&str]) -> FieldRule {
    match path {
        ["spec", "containers" | "initContainers" | "ephemeralContainers"] => {
            keyed("name", &["name"])
        }
        ["spec", "containers" | "initContainers" | "ephemeralContainers", rest @ ..] => {
            container_field_rule(rest)
        }
        ["spec", "volumes" | "imagePullSecrets" | "schedulingGates" | "resourceClaims"] => {
            keyed("name", &["name"])
        }
        ["spec", "hostAliases"] => keyed("ip", &["ip"]),
        ["spec", "topologySpreadConstraints"] => {
            keyed("topologyKey", &["topologyKey", "whenUnsatisfiable"])
        }
        ["spec", "nodeSelector" | "tolerations" | "readinessGates"] => ATOMIC_RULE,
        ["status", "conditions"] => keyed("type", &["type"]),
        ["status", "podIPs" | "hostIPs"] => keyed("ip", &["ip"]),
        ["status", "resourceClaimStatuses"] => keyed("name", &["name"]),
        _ => DEFAULT_RULE,
    }
}

pub(crate) fn container_field_rule(path: &[&str]) -> FieldRule {
    match path {
        ["env"] => keyed("name", &["name"]),
        ["ports"] => keyed("containerPort", &["containerPort", "protocol"]),
        ["volumeMounts"] => keyed("mountPath", &["mountPath"]),
        ["volumeDevices"] => keyed("devicePath", &["devicePath"]),
        // `+listType=map` without a patch strategy.
        ["resources", "claims"] => FieldRule {
            smp: SmpList::Replace,
            apply: ApplyShape::Keyed(&["name"]),
        },
        ["args" | "command" | "envFrom" | "resizePolicy"] => ATOMIC_RULE,
        _ => DEFAULT_RULE,
    }
}

/// OpenAPI defaults of list-map key fields, used when an item leaves the key out.
pub(crate) fn key_default(key: &str) -> Option<Value> {
    (key == "protocol").then(|| Value::String("TCP".to_string()))
}

pub(crate) fn rule_at(kind: &str, names: &[String]) -> FieldRule {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    field_rule(kind, &names)
}

fn child_path(path: &[String], field: &str) -> Vec<String> {
    let mut child = path.to_vec();
    child.push(field.to_string());
    child
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch
// ---------------------------------------------------------------------------------------------

fn apply_strategic_merge_patch(
    kind: &str,
    original: &Value,
    patch: &Value,
) -> Result<Value, PatchError> {
    let patch = match patch {
        Value::Object(fields) => fields.clone(),
        // Decoding `null` into a map leaves it empty.
        Value::Null => Map::new(),
        other => return Err(PatchError::StrategicPatchNotAnObject(go_json_kind(other))),
    };
    let original = original
        .as_object()
        .cloned()
        .ok_or(PatchError::OriginalNotAnObject)?;
    let mut merged = Value::Object(StrategicMerge { kind }.merge_map(original, patch, &[])?);
    // Directives left in replaced values are unknown fields to the typed object: dropped.
    strip_directive_keys(&mut merged);
    Ok(merged)
}

fn strip_directive_keys(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|key, _| !key.starts_with('$'));
            fields.values_mut().for_each(strip_directive_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_directive_keys),
        _ => {}
    }
}

fn take_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}

/// The element type of a merging list, as far as merging cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ElementKind {
    Object,
    Scalar(&'static str),
}

/// All elements of both lists must share one type, and lists of lists are refused.
fn slice_element_kind(
    original: &[Value],
    patch: &[Value],
) -> Result<Option<ElementKind>, PatchError> {
    let mut seen: Option<ElementKind> = None;
    for item in original.iter().chain(patch) {
        let kind = match item {
            Value::Array(_) => return Err(PatchError::ListOfLists),
            Value::Object(_) => ElementKind::Object,
            other => ElementKind::Scalar(go_type_name(other)),
        };
        match seen {
            None => seen = Some(kind),
            Some(previous) if previous != kind => {
                return Err(PatchError::MixedListElements(format!(
                    "[{} {}]",
                    go_format(&Value::Array(original.to_vec())),
                    go_format(&Value::Array(patch.to_vec()))
                )))
            }
            Some(_) => {}
        }
    }
    Ok(seen)
}

/// `$deleteFromPrimitiveList/finalizers` → `finalizers`.
fn extract_directive_key<'k>(key: &'k str, prefix: &str) -> Result<&'k str, PatchError> {
    match key.split_once('/') {
        Some((head, field)) if head == prefix => Ok(field),
        _ if prefix == DELETE_FROM_PRIMITIVE_LIST_PREFIX => {
            Err(PatchError::BadDeleteFromPrimitiveList)
        }
        _ => Err(PatchError::BadSetElementOrder),
    }
}

fn is_delete_directive(item: &Value) -> bool {
    item.get(DIRECTIVE_MARKER).and_then(Value::as_str) == Some(DELETE_DIRECTIVE)
}

fn missing_merge_key(item: &Value, key: &str) -> PatchError {
    PatchError::MissingMergeKey {
        map: go_format(item),
        key: key.to_string(),
    }
}

fn expect_map(item: &Value) -> Result<&Map<String, Value>, PatchError> {
    item.as_object().ok_or(PatchError::UnexpectedType {
        expected: GO_MAP_TYPE,
        actual: go_type_name(item),
    })
}

/// Every item must be an object carrying the merge key.
fn validate_merge_key(key: &str, items: &[Value]) -> Result<(), PatchError> {
    for item in items {
        if !expect_map(item)?.contains_key(key) {
            return Err(missing_merge_key(item, key));
        }
    }
    Ok(())
}

/// The position of `item` in `list`, by merge key for objects and by value for scalars.
fn index_in(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    match key {
        Some(key) => {
            let wanted = item.get(key);
            list.iter()
                .position(|candidate| candidate.get(key) == wanted)
        }
        None => list.iter().position(|candidate| candidate == item),
    }
}

/// Splits `merged` into the items that `by` mentions and the server-only ones.
fn partition_by_presence(
    merged: Vec<Value>,
    by: &[Value],
    key: Option<&str>,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut present = Vec::new();
    let mut server_only = Vec::new();
    for item in merged {
        let found = match key {
            None => by.contains(&item),
            Some(key) => {
                let Some(value) = expect_map(&item)?.get(key) else {
                    return Err(missing_merge_key(&item, key));
                };
                let mut found = false;
                for candidate in by {
                    if expect_map(candidate)?.get(key) == Some(value) {
                        found = true;
                        break;
                    }
                }
                found
            }
        };
        if found {
            present.push(item);
        } else {
            server_only.push(item);
        }
    }
    Ok((present, server_only))
}

/// Sorts `to_sort` by the order of `order` (stable); `$patch: delete` items go last.
fn normalize_slice_order(
    to_sort: Vec<Value>,
    order: &[Value],
    key: Option<&str>,
) -> Result<Vec<Value>, PatchError> {
    let (mut kept, deletions): (Vec<Value>, Vec<Value>) = match key {
        Some(key) => {
            validate_merge_key(key, &to_sort)?;
            validate_merge_key(key, order)?;
            to_sort
                .into_iter()
                .partition(|item| !is_delete_directive(item))
        }
        None => (to_sort, Vec::new()),
    };
    kept.sort_by_key(|item| index_in(order, item, key).unwrap_or(usize::MAX));
    kept.extend(deletions);
    Ok(kept)
}

/// Merges the sorted server-only items into the sorted patch items, keeping both relative
/// orders; a server-only item goes first only when the live list had it before the patch item.
fn merge_sorted_slice(
    left: Vec<Value>,
    right: Vec<Value>,
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                matches!((index_in(server_order, l, key), index_in(server_order, r, key)), (Some(li), Some(ri)) if li < ri)
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        merged.extend(next);
    }
    merged
}

fn normalize_element_order(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Result<Vec<Value>, PatchError> {
    let patch_items = normalize_slice_order(patch_items, patch_order, key)?;
    let server_only = normalize_slice_order(server_only, server_order, key)?;
    Ok(merge_sorted_slice(
        server_only,
        patch_items,
        server_order,
        key,
    ))
}

/// The patch list must list its (non-deleted) items in the `$setElementOrder` order.
fn validate_patch_with_set_order_list(
    patch: &[Value],
    order: &[Value],
    key: Option<&str>,
) -> Result<(), PatchError> {
    if order.is_empty() || patch.is_empty() {
        return Ok(());
    }
    let non_deleted: Vec<&Value> = match key {
        Some(_) => {
            for item in patch {
                expect_map(item)?;
            }
            patch
                .iter()
                .filter(|item| !is_delete_directive(item))
                .collect()
        }
        None => patch.iter().collect(),
    };
    let (mut patch_index, mut order_index) = (0, 0);
    while patch_index < non_deleted.len() && order_index < order.len() {
        let item = non_deleted[patch_index];
        if item.get(DIRECTIVE_MARKER).is_some() {
            patch_index += 1;
            continue;
        }
        let equal = match key {
            None => item == &order[order_index],
            Some(key) => {
                let ordered = expect_map(&order[order_index])?;
                let Some(left) = expect_map(item)?.get(key) else {
                    return Err(missing_merge_key(item, key));
                };
                let Some(right) = ordered.get(key) else {
                    return Err(missing_merge_key(&order[order_index], key));
                };
                left == right
            }
        };
        if equal {
            patch_index += 1;
        }
        order_index += 1;
    }
    if patch_index < non_deleted.len() && order_index >= order.len() {
        return Err(PatchError::SetElementOrderMismatch {
            patch: go_format(&Value::Array(patch.to_vec())),
            order: go_format(&Value::Array(order.to_vec())),
        });
    }
    Ok(())
}

fn delete_from_slice(current: Vec<Value>, to_delete: &[Value]) -> Vec<Value> {
    current
        .into_iter()
        .filter(|item| !to_delete.contains(item))
        .collect()
}

/// The strategic merge of apimachinery, for one kind.
struct StrategicMerge<'k> {
    kind: &'k str,
}

impl StrategicMerge<'_> {
    fn merge_map(
        &self,
        mut original: Map<String, Value>,
        mut patch: Map<String, Value>,
        path: &[String],
    ) -> Result<Map<String, Value>, PatchError> {
        if let Some(directive) = patch.get(DIRECTIVE_MARKER) {
            return match directive.as_str() {
                Some(REPLACE_DIRECTIVE) => {
                    patch.remove(DIRECTIVE_MARKER);
                    Ok(patch)
                }
                Some(DELETE_DIRECTIVE) => Ok(Map::new()),
                _ => Err(PatchError::UnknownPatchDirective {
                    directive: go_format(directive),
                    map: go_format(&Value::Object(patch.clone())),
                }),
            };
        }
        apply_retain_keys(&mut original, &mut patch)?;
        self.merge_set_element_order(&mut original, &mut patch, path)?;

        for (key, patch_value) in patch {
            let (field, is_delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX) {
                (
                    extract_directive_key(&key, DELETE_FROM_PRIMITIVE_LIST_PREFIX)?.to_string(),
                    true,
                )
            } else {
                (key, false)
            };
            if patch_value.is_null() {
                original.remove(&field);
                continue;
            }
            let path = child_path(path, &field);
            let merged = match (original.remove(&field), patch_value) {
                (Some(Value::Object(current)), Value::Object(patch_fields)) => {
                    Value::Object(self.merge_map(current, patch_fields, &path)?)
                }
                (Some(Value::Array(current)), Value::Array(patch_items)) => {
                    Value::Array(self.merge_list(current, patch_items, &path, is_delete_list)?)
                }
                // Nothing to delete from: the deletion list is not a value.
                (None, _) if is_delete_list => continue,
                (Some(current), _) if is_delete_list => current,
                // Absent or of another type: the patch value, its directives resolved.
                (_, patch_value) => self.resolve_new_value(patch_value, &path)?,
            };
            original.insert(field, merged);
        }
        Ok(original)
    }

    /// A patch value that lands where nothing mergeable was.
    fn resolve_new_value(&self, value: Value, path: &[String]) -> Result<Value, PatchError> {
        match value {
            Value::Object(fields) => Ok(Value::Object(self.merge_map(Map::new(), fields, path)?)),
            Value::Array(items) if rule_at(self.kind, path).smp != SmpList::Replace => Ok(
                Value::Array(self.merge_list(Vec::new(), items, path, false)?),
            ),
            other => Ok(other),
        }
    }

    fn merge_list(
        &self,
        original: Vec<Value>,
        patch: Vec<Value>,
        path: &[String],
        is_delete_list: bool,
    ) -> Result<Vec<Value>, PatchError> {
        match rule_at(self.kind, path).smp {
            SmpList::Replace if is_delete_list => Ok(delete_from_slice(original, &patch)),
            SmpList::Replace => Ok(patch),
            SmpList::MergeByKey(key) => {
                self.merge_slice(original, patch, Some(key), path, is_delete_list)
            }
            SmpList::MergeSet => self.merge_slice(original, patch, None, path, is_delete_list),
        }
    }

    fn merge_slice(
        &self,
        original: Vec<Value>,
        patch: Vec<Value>,
        merge_key: Option<&'static str>,
        path: &[String],
        is_delete_list: bool,
    ) -> Result<Vec<Value>, PatchError> {
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        let element_kind = slice_element_kind(&original, &patch)?;
        if element_kind != Some(ElementKind::Object) {
            if is_delete_list {
                return Ok(delete_from_slice(original, &patch));
            }
            let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
            for item in original.iter().chain(&patch) {
                if !merged.contains(item) {
                    merged.push(item.clone());
                }
            }
            let (patch_items, server_only) = partition_by_presence(merged, &patch, None)?;
            return normalize_element_order(patch_items, server_only, &patch, &original, None);
        }
        let Some(key) = merge_key else {
            return Err(PatchError::ListWithoutMergeKey);
        };
        let (original, patch) = self.apply_list_directives(original, patch, key, path)?;
        let merged = self.merge_keyed_items(original.clone(), &patch, key, path)?;
        let (patch_items, server_only) = partition_by_presence(merged, &patch, Some(key))?;
        normalize_element_order(patch_items, server_only, &patch, &original, Some(key))
    }

    /// Handles `$patch` list elements: `delete` drops items by key, `replace` makes the rest
    /// of the patch list the whole list. Returns the original and the plain patch items.
    fn apply_list_directives(
        &self,
        mut original: Vec<Value>,
        patch: Vec<Value>,
        key: &str,
        path: &[String],
    ) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
        let mut plain = Vec::with_capacity(patch.len());
        let mut replace = false;
        for item in patch {
            let Some(directive) = expect_map(&item)?.get(DIRECTIVE_MARKER) else {
                plain.push(item);
                continue;
            };
            match directive.as_str() {
                Some(DELETE_DIRECTIVE) => {
                    let Some(value) = item.get(key) else {
                        return Err(missing_merge_key(&item, key));
                    };
                    original.retain(|candidate| candidate.get(key) != Some(value));
                }
                Some(REPLACE_DIRECTIVE) => replace = true,
                Some(MERGE_DIRECTIVE) => return Err(PatchError::MergeDirectiveInList),
                _ => {
                    return Err(PatchError::UnknownPatchDirective {
                        directive: go_format(directive),
                        map: go_format(&item),
                    })
                }
            }
        }
        if !replace {
            return Ok((original, plain));
        }
        let mut replacement = Vec::with_capacity(plain.len());
        for item in plain {
            replacement.push(Value::Object(self.merge_map(
                Map::new(),
                take_object(item),
                path,
            )?));
        }
        Ok((replacement, Vec::new()))
    }

    /// Merges each patch item into the original item with the same key, or appends it.
    fn merge_keyed_items(
        &self,
        mut merged: Vec<Value>,
        patch: &[Value],
        key: &str,
        path: &[String],
    ) -> Result<Vec<Value>, PatchError> {
        for item in patch {
            let fields = expect_map(item)?;
            let Some(wanted) = fields.get(key) else {
                return Err(missing_merge_key(item, key));
            };
            let mut position = None;
            for (index, candidate) in merged.iter().enumerate() {
                if expect_map(candidate)?.get(key) == Some(wanted) {
                    position = Some(index);
                    break;
                }
            }
            match position {
                Some(index) => {
                    let current = take_object(std::mem::take(&mut merged[index]));
                    merged[index] = Value::Object(self.merge_map(current, fields.clone(), path)?);
                }
                None => merged.push(Value::Object(self.merge_map(
                    Map::new(),
                    fields.clone(),
                    path,
                )?)),
            }
        }
        Ok(merged)
    }

    /// `$setElementOrder/<field>`: merges the field's patch list and then orders the result:
    /// the order list first, then the live order for server-only items.
    fn merge_set_element_order(
        &self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
        path: &[String],
    ) -> Result<(), PatchError> {
        let order_keys: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ELEMENT_ORDER_PREFIX))
            .cloned()
            .collect();
        for order_key in order_keys {
            let Some(order_value) = patch.remove(&order_key) else {
                continue;
            };
            let Value::Array(order) = order_value else {
                return Err(PatchError::UnexpectedType {
                    expected: GO_SLICE_TYPE,
                    actual: go_type_name(&order_value),
                });
            };
            let field = extract_directive_key(&order_key, SET_ELEMENT_ORDER_PREFIX)?.to_string();
            let list_at = |value: Option<&Value>| match value {
                None => Ok(None),
                Some(Value::Array(items)) => Ok(Some(items.clone())),
                Some(other) => Err(PatchError::UnexpectedType {
                    expected: GO_SLICE_TYPE,
                    actual: go_type_name(other),
                }),
            };
            let original_list = list_at(original.get(&field))?;
            let patch_list = list_at(patch.get(&field))?;
            let field_path = child_path(path, &field);
            let merge_key = match rule_at(self.kind, &field_path).smp {
                SmpList::MergeByKey(key) => Some(key),
                SmpList::MergeSet | SmpList::Replace => None,
            };
            validate_patch_with_set_order_list(
                patch_list.as_deref().unwrap_or_default(),
                &order,
                merge_key,
            )?;
            let server_order = original_list.clone().unwrap_or_default();
            let merged = match (original_list, patch_list) {
                (Some(current), None) => current,
                (None, Some(items)) => self.merge_list(Vec::new(), items, &field_path, false)?,
                (Some(current), Some(items)) => {
                    self.merge_list(current, items, &field_path, false)?
                }
                (None, None) => continue,
            };
            let key = merge_key.filter(|_| merged.iter().all(Value::is_object));
            let (ordered, server_only) = partition_by_presence(merged, &order, key)?;
            let both = normalize_element_order(ordered, server_only, &order, &server_order, key)?;
            original.insert(field.clone(), Value::Array(both));
            patch.remove(&field);
        }
        Ok(())
    }
}

/// `$retainKeys`: drops the original's fields that the list leaves out; every field the patch
/// sets must be listed.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.remove(RETAIN_KEYS_DIRECTIVE) else {
        return Ok(());
    };
    let Value::Array(retained) = retain else {
        return Err(PatchError::BadRetainKeys);
    };
    let is_retained = |key: &str| retained.iter().any(|k| k.as_str() == Some(key));
    for (key, value) in patch.iter() {
        let is_directive = key.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
            || key.starts_with(SET_ELEMENT_ORDER_PREFIX);
        if !value.is_null() && !is_directive && !is_retained(key) {
            return Err(PatchError::BadRetainKeys);
        }
    }
    original.retain(|key, _| is_retained(key));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Field sets (`managedFields[].fieldsV1`)
// ---------------------------------------------------------------------------------------------

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
fn canonical_json(value: &Value) -> String {
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
    fn display(&self) -> String {
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

// ---------------------------------------------------------------------------------------------
// Server-side apply
// ---------------------------------------------------------------------------------------------

/// Metadata fields nobody owns (structured-merge-diff's strip set).
const UNOWNED_METADATA: &[&str] = &[
    "name",
    "namespace",
    "creationTimestamp",
    "selfLink",
    "uid",
    "clusterName",
    "generation",
    "managedFields",
    "resourceVersion",
];

/// Metadata an apply configuration cannot set.
const SYSTEM_METADATA: &[&str] = &[
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "managedFields",
];

/// Kinds whose main resource resets `status` (it is written through the status subresource).
fn resets_status(kind: &str) -> bool {
    matches!(kind, "Pod" | "Namespace")
}

fn is_unowned(kind: &str, path: &[PathElement]) -> bool {
    match path {
        [PathElement::Field(field)] => matches!(field.as_str(), "apiVersion" | "kind" | "metadata"),
        [PathElement::Field(meta), PathElement::Field(field)] if meta == "metadata" => {
            UNOWNED_METADATA.contains(&field.as_str())
        }
        [PathElement::Field(status), ..] if status == "status" => resets_status(kind),
        _ => false,
    }
}

/// `/v1, Kind=Pod`, as Go prints a GroupVersionKind.
fn gvk_string(kind: &str, api_version: &str) -> String {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    format!("{group}/{version}, Kind={kind}")
}

/// The member paths of a value, each with its value for leaves (`None` for keyed list items,
/// which are members and have children).
type Members = BTreeMap<FieldPath, Option<Value>>;

/// Field rules for server-side apply of one kind.
struct ApplySchema<'k> {
    kind: &'k str,
}

impl ApplySchema<'_> {
    fn shape(&self, names: &[String]) -> ApplyShape {
        rule_at(self.kind, names).apply
    }

    /// The path element of a list item; errors name the rule that the item breaks.
    fn item_element(
        &self,
        shape: ApplyShape,
        item: &Value,
        index: usize,
    ) -> Result<PathElement, String> {
        match shape {
            ApplyShape::Keyed(keys) => {
                let Value::Object(fields) = item else {
                    return Err(format!(
                        "element {index}: expected map, got {}",
                        go_json_kind(item)
                    ));
                };
                let mut sorted_keys = keys.to_vec();
                sorted_keys.sort_unstable();
                let mut key = Map::new();
                for name in sorted_keys {
                    let value = fields
                        .get(name)
                        .filter(|v| !v.is_null())
                        .cloned()
                        .or_else(|| key_default(name))
                        .ok_or_else(|| {
                            format!("element {index}: associative list with keys has an element that omits key field {name:?} (and doesn't have default value)")
                        })?;
                    key.insert(name.to_string(), value);
                }
                Ok(PathElement::Key(canonical_json(&Value::Object(key))))
            }
            ApplyShape::Set => Ok(PathElement::Value(canonical_json(item))),
            ApplyShape::Default | ApplyShape::Atomic => Ok(PathElement::Index(index)),
        }
    }

    /// Collects the members of `value` the way structured-merge-diff's `ToFieldSet` does:
    /// scalars, atomic values, empty objects and list items. `strict` refuses duplicate keys.
    fn members(&self, value: &Value, strict: bool) -> Result<Members, String> {
        let mut members = Members::new();
        self.collect(
            value,
            &mut Vec::new(),
            &mut Vec::new(),
            &mut members,
            strict,
        )?;
        Ok(members)
    }

    fn collect(
        &self,
        value: &Value,
        names: &mut Vec<String>,
        path: &mut FieldPath,
        members: &mut Members,
        strict: bool,
    ) -> Result<(), String> {
        let shape = self.shape(names);
        match value {
            Value::Object(fields) if shape != ApplyShape::Atomic => {
                for (name, child) in fields {
                    names.push(name.clone());
                    path.push(PathElement::Field(name.clone()));
                    self.collect(child, names, path, members, strict)?;
                    if matches!(child, Value::Object(m) if m.is_empty()) {
                        members.insert(path.clone(), Some(child.clone()));
                    }
                    path.pop();
                    names.pop();
                }
            }
            Value::Array(items) if matches!(shape, ApplyShape::Keyed(_) | ApplyShape::Set) => {
                for (index, item) in items.iter().enumerate() {
                    let element = self
                        .item_element(shape, item, index)
                        .map_err(|e| format!("{}: {e}", display_path(path)))?;
                    path.push(element);
                    if members.contains_key(path.as_slice()) {
                        if strict {
                            let (last, list) = path
                                .split_last()
                                .map(|(l, p)| (l.display(), display_path(p)))
                                .unwrap_or_default();
                            return Err(format!("{list}: duplicate entries for key {last}"));
                        }
                    } else if shape == ApplyShape::Set {
                        members.insert(path.clone(), Some(item.clone()));
                    } else {
                        if item.is_object() {
                            self.collect(item, names, path, members, strict)?;
                        }
                        members.insert(path.clone(), None);
                    }
                    path.pop();
                }
            }
            _ if path.is_empty() => {}
            _ => {
                members.insert(path.clone(), Some(value.clone()));
            }
        }
        Ok(())
    }

    /// Merges the applied configuration into the live object (configuration wins).
    fn merge(
        &self,
        live: &Value,
        config: &Value,
        names: &mut Vec<String>,
    ) -> Result<Value, String> {
        let shape = self.shape(names);
        match (live, config) {
            (Value::Object(current), Value::Object(applied)) if shape != ApplyShape::Atomic => {
                let mut merged = current.clone();
                for (name, value) in applied {
                    if value.is_null() {
                        merged.remove(name);
                        continue;
                    }
                    names.push(name.clone());
                    let child = match current.get(name) {
                        Some(existing) => self.merge(existing, value, names),
                        None => Ok(without_nulls(value)),
                    };
                    names.pop();
                    merged.insert(name.clone(), child?);
                }
                Ok(Value::Object(merged))
            }
            (Value::Array(current), Value::Array(applied))
                if matches!(shape, ApplyShape::Keyed(_) | ApplyShape::Set) =>
            {
                Ok(Value::Array(
                    self.merge_list(current, applied, shape, names)?,
                ))
            }
            _ => Ok(without_nulls(config)),
        }
    }

    /// Merges an associative list the way structured-merge-diff orders it: live-only items
    /// keep their place, items in both follow the configuration's order, new items are
    /// inserted where the configuration has them.
    fn merge_list(
        &self,
        live: &[Value],
        config: &[Value],
        shape: ApplyShape,
        names: &mut Vec<String>,
    ) -> Result<Vec<Value>, String> {
        let elements = |items: &[Value]| -> Result<Vec<PathElement>, String> {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| self.item_element(shape, item, i))
                .collect()
        };
        let lhs = elements(live)?;
        let rhs = elements(config)?;
        let mut observed_lhs: BTreeMap<&PathElement, usize> = BTreeMap::new();
        for (index, element) in lhs.iter().enumerate() {
            observed_lhs.entry(element).or_insert(index);
        }
        let observed_rhs: BTreeSet<&PathElement> = rhs.iter().collect();
        let mut shared_order: VecDeque<&PathElement> = rhs
            .iter()
            .filter(|e| observed_lhs.contains_key(e))
            .collect();
        let mut next_shared = shared_order.pop_front();
        let mut merged_rhs: BTreeSet<&PathElement> = BTreeSet::new();
        let mut out = Vec::with_capacity(live.len().max(config.len()));
        let (mut li, mut ri) = (0, 0);
        while li < lhs.len() || ri < rhs.len() {
            if li < lhs.len() && ri < rhs.len() {
                if lhs[li] == rhs[ri] {
                    merged_rhs.insert(&lhs[li]);
                    out.push(self.merge(&live[li], &config[ri], names)?);
                    li += 1;
                    ri += 1;
                    next_shared = shared_order.pop_front();
                    continue;
                }
                // A shared item, but not the next one the configuration wants here.
                if observed_rhs.contains(&lhs[li]) && next_shared.is_some_and(|n| *n != lhs[li]) {
                    li += 1;
                    continue;
                }
            }
            if li < lhs.len() {
                if !observed_rhs.contains(&lhs[li]) {
                    out.push(live[li].clone());
                    li += 1;
                    continue;
                }
                if merged_rhs.contains(&lhs[li]) || ri >= rhs.len() {
                    li += 1;
                    continue;
                }
            }
            if ri < rhs.len() {
                let element = &rhs[ri];
                merged_rhs.insert(element);
                let item = match observed_lhs.get(element) {
                    Some(&index) => self.merge(&live[index], &config[ri], names)?,
                    None => without_nulls(&config[ri]),
                };
                out.push(item);
                ri += 1;
                if next_shared == Some(element) {
                    next_shared = shared_order.pop_front();
                }
            }
        }
        Ok(out)
    }

    /// Removes the member at `path`; containers it leaves empty go too.
    fn remove_member(
        &self,
        value: &mut Value,
        path: &[PathElement],
        names: &mut Vec<String>,
    ) -> bool {
        let Some((first, rest)) = path.split_first() else {
            return false;
        };
        match (value, first) {
            (Value::Object(fields), PathElement::Field(name)) => {
                if rest.is_empty() {
                    return fields.remove(name).is_some();
                }
                let Some(child) = fields.get_mut(name) else {
                    return false;
                };
                names.push(name.clone());
                let removed = self.remove_member(child, rest, names);
                names.pop();
                if removed && is_empty_container(child) {
                    fields.remove(name);
                }
                removed
            }
            (Value::Array(items), element) => {
                let shape = self.shape(names);
                let position = items.iter().enumerate().position(|(i, item)| {
                    self.item_element(shape, item, i).ok().as_ref() == Some(element)
                });
                let Some(position) = position else {
                    return false;
                };
                if rest.is_empty() {
                    items.remove(position);
                    return true;
                }
                self.remove_member(&mut items[position], rest, names)
            }
            _ => false,
        }
    }
}

fn is_empty_container(value: &Value) -> bool {
    match value {
        Value::Object(fields) => fields.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Explicit nulls in a configuration mean "absent" once the object is typed.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// One `metadata.managedFields` entry.
struct ManagedEntry {
    /// The entry as stored; kept verbatim unless its field set changes.
    raw: Map<String, Value>,
    manager: String,
    operation: String,
    api_version: String,
    subresource: String,
    time: String,
    fields: FieldSet,
    /// The set as read, `None` when `fieldsV1` could not be read (the entry is then left alone).
    read_fields: Option<FieldSet>,
}

impl ManagedEntry {
    fn read(entry: &Value) -> Option<Self> {
        let raw = entry.as_object()?.clone();
        let text = |key: &str| {
            raw.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let read_fields = raw.get("fieldsV1").and_then(decode_fields_v1);
        Some(Self {
            manager: text("manager"),
            operation: text("operation"),
            api_version: text("apiVersion"),
            subresource: text("subresource"),
            time: text("time"),
            fields: read_fields.clone().unwrap_or_default(),
            read_fields,
            raw,
        })
    }

    fn applied(manager: &str, api_version: &str, time: &str, fields: FieldSet) -> Self {
        let mut raw = Map::new();
        raw.insert("manager".to_string(), Value::String(manager.to_string()));
        raw.insert("operation".to_string(), Value::String("Apply".to_string()));
        raw.insert(
            "apiVersion".to_string(),
            Value::String(api_version.to_string()),
        );
        raw.insert("time".to_string(), Value::String(time.to_string()));
        Self {
            raw,
            manager: manager.to_string(),
            operation: "Apply".to_string(),
            api_version: api_version.to_string(),
            subresource: String::new(),
            time: time.to_string(),
            fields,
            read_fields: None,
        }
    }

    fn is_apply_by(&self, manager: &str) -> bool {
        self.manager == manager && self.operation == "Apply" && self.subresource.is_empty()
    }

    /// The manager as conflict messages print it.
    fn describe(&self) -> String {
        let mut described = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            described.push_str(&format!(" with subresource {:?}", self.subresource));
        }
        if self.operation == "Update" {
            described.push_str(&format!(" using {}", self.api_version));
        }
        described
    }

    fn into_value(mut self) -> Value {
        let unchanged = self
            .read_fields
            .as_ref()
            .is_none_or(|read| *read == self.fields);
        if !unchanged || !self.raw.contains_key("fieldsV1") {
            self.raw.insert(
                "fieldsType".to_string(),
                Value::String("FieldsV1".to_string()),
            );
            self.raw
                .insert("fieldsV1".to_string(), encode_fields_v1(&self.fields));
        }
        Value::Object(self.raw)
    }
}

fn metadata_str<'v>(object: &'v Value, field: &str) -> Option<&'v str> {
    object
        .get("metadata")?
        .get(field)?
        .as_str()
        .filter(|s| !s.is_empty())
}

fn set_managed_fields(object: &mut Value, entries: Vec<ManagedEntry>) {
    let encoded: Vec<Value> = entries.into_iter().map(ManagedEntry::into_value).collect();
    if let Some(meta) = object.as_object_mut().and_then(|o| {
        o.entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
    }) {
        meta.insert("managedFields".to_string(), Value::Array(encoded));
    }
}

/// Server-side apply of `applied` (the full configuration `kubectl apply --server-side` sends)
/// by `field_manager`.
///
/// Without `existing` the configuration becomes the new object. Otherwise it is merged into the
/// object with the kind's list keys; fields this manager applied last time and no longer applies
/// are removed unless another manager owns them; fields other managers own and the
/// configuration changes are conflicts unless `force` (ownership then moves). Ownership is
/// recorded in `metadata.managedFields`. `metadata.resourceVersion`, `uid`, `creationTimestamp`
/// and `managedFields` in the configuration are not applied (resourceVersion and uid act as
/// preconditions), nor is `status` of kinds with a status subresource.
pub fn server_side_apply(
    kind: &str,
    existing: Option<&Value>,
    applied: &Value,
    field_manager: &str,
    force: bool,
    now_rfc3339: &str,
) -> Result<Value, PatchError> {
    if field_manager.is_empty() {
        return Err(PatchError::MissingFieldManager);
    }
    // An empty YAML document decodes into an empty map.
    let empty = Value::Object(Map::new());
    let applied = if applied.is_null() { &empty } else { applied };
    if !applied.is_object() {
        return Err(PatchError::ApplyNotAnObject(go_json_kind(applied)));
    }
    let api_version = applied
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let expected_version = ResourceInfo::by_kind(kind)
        .map(ResourceInfo::api_version)
        .or_else(|| {
            existing
                .and_then(|e| e.get("apiVersion"))
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    if let Some(expected) = expected_version.filter(|expected| *expected != api_version) {
        return Err(PatchError::ApplyVersionMismatch {
            specified: api_version,
            expected,
        });
    }

    let mut config = applied.clone();
    if let Some(meta) = config.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in SYSTEM_METADATA {
            meta.remove(*field);
        }
    }
    if resets_status(kind) {
        if let Some(fields) = config.as_object_mut() {
            fields.remove("status");
        }
    }

    let schema = ApplySchema { kind };
    let applied_set: FieldSet = schema
        .members(&config, true)
        .map_err(|detail| PatchError::InvalidApplyConfiguration {
            gvk: gvk_string(kind, &api_version),
            detail,
        })?
        .into_keys()
        .filter(|path| !is_unowned(kind, path))
        .collect();

    let Some(live) = existing else {
        if let Some(uid) = metadata_str(applied, "uid") {
            return Err(PatchError::UidMismatch(uid.to_string()));
        }
        let mut created = without_nulls(&config);
        set_managed_fields(
            &mut created,
            vec![ManagedEntry::applied(
                field_manager,
                &api_version,
                now_rfc3339,
                applied_set,
            )],
        );
        return Ok(created);
    };
    if !live.is_object() {
        return Err(PatchError::OriginalNotAnObject);
    }
    if let Some(uid) =
        metadata_str(applied, "uid").filter(|uid| Some(*uid) != metadata_str(live, "uid"))
    {
        return Err(PatchError::UidImmutable(uid.to_string()));
    }
    if metadata_str(applied, "resourceVersion")
        .is_some_and(|rv| Some(rv) != metadata_str(live, "resourceVersion"))
    {
        return Err(PatchError::ResourceVersionConflict);
    }

    let mut entries: Vec<ManagedEntry> = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(ManagedEntry::read).collect())
        .unwrap_or_default();
    let mut live_object = live.clone();
    if let Some(meta) = live_object
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
    {
        meta.remove("managedFields");
    }
    let live_error = |detail| PatchError::InvalidLiveObject {
        gvk: gvk_string(kind, &api_version),
        detail,
    };

    let mut merged = schema
        .merge(&live_object, &config, &mut Vec::new())
        .map_err(live_error)?;

    // Prune what this manager applied last time, no longer applies and nobody else owns.
    let own_index = entries.iter().position(|e| e.is_apply_by(field_manager));
    let mut still_owned = applied_set.clone();
    for (index, entry) in entries.iter().enumerate() {
        if Some(index) != own_index {
            still_owned.extend(entry.fields.iter().cloned());
        }
    }
    if let Some(own) = own_index.map(|i| &entries[i]) {
        for path in own.fields.difference(&still_owned) {
            schema.remove_member(&mut merged, path, &mut Vec::new());
        }
    }

    // What changed, for conflicts and for other managers' ownership.
    let before = schema.members(&live_object, false).map_err(live_error)?;
    let after = schema.members(&merged, false).map_err(live_error)?;
    let changed: FieldSet = after
        .iter()
        .filter(|(path, value)| before.get(*path) != Some(value) && !is_unowned(kind, path))
        .map(|(path, _)| path.clone())
        .collect();
    let removed: FieldSet = before
        .keys()
        .filter(|path| !after.contains_key(*path))
        .cloned()
        .collect();

    let mut conflicts = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        if Some(index) == own_index {
            continue;
        }
        for path in entry.fields.intersection(&changed) {
            conflicts.push(ApplyConflict {
                manager: entry.describe(),
                field: display_path(path),
            });
        }
    }
    if !force && !conflicts.is_empty() {
        return Err(PatchError::ApplyConflicts(conflicts));
    }

    let unchanged = merged == live_object;
    let previous = own_index.map(|index| entries.remove(index));
    for entry in &mut entries {
        entry
            .fields
            .retain(|path| !changed.contains(path) && !removed.contains(path));
    }
    entries.retain(|entry| entry.read_fields.is_none() || !entry.fields.is_empty());
    let own = match previous {
        Some(mut previous) if unchanged => {
            previous.fields = applied_set;
            previous
        }
        _ => ManagedEntry::applied(field_manager, &api_version, now_rfc3339, applied_set),
    };
    entries.push(own);
    // The API server keeps entries sorted: Apply before Update, then by time and manager.
    entries.sort_by(|a, b| {
        (
            &a.operation,
            &a.time,
            &a.manager,
            &a.api_version,
            &a.subresource,
        )
            .cmp(&(
                &b.operation,
                &b.time,
                &b.manager,
                &b.api_version,
                &b.subresource,
            ))
    });
    set_managed_fields(&mut merged, entries);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::resources::{CONFIG_MAPS, PODS};
    use serde_json::json;

    const NOW: &str = "2024-05-01T10:00:00Z";
    const LATER: &str = "2024-05-01T11:00:00Z";
    const TOKEN_MOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

    fn smp(kind: &str, original: &Value, patch: &Value) -> Result<Value, PatchError> {
        apply_patch(kind, original, patch, PatchType::StrategicMerge)
    }

    /// A Pod as the store holds it after `kubectl apply` created it in legacy mode.
    fn live_pod() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "web",
                "namespace": "default",
                "uid": "5b7f0c1e-0000-4000-8000-000000000001",
                "resourceVersion": "42",
                "creationTimestamp": "2024-05-01T09:00:00Z",
                "labels": {"app": "web"},
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}],\"image\":\"nginx:1.25\",\"name\":\"nginx\",\"ports\":[{\"containerPort\":80}]}]}}\n"
                }
            },
            "spec": {
                "containers": [{
                    "name": "nginx",
                    "image": "nginx:1.25",
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "imagePullPolicy": "IfNotPresent",
                    "volumeMounts": [{"name": "default-token-x7k2p", "readOnly": true, "mountPath": TOKEN_MOUNT}]
                }],
                "volumes": [{"name": "default-token-x7k2p", "secret": {"secretName": "default-token-x7k2p", "defaultMode": 420}}],
                "restartPolicy": "Always",
                "dnsPolicy": "ClusterFirst",
                "serviceAccountName": "default",
                "serviceAccount": "default",
                "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
            },
            "status": {"phase": "Pending", "qosClass": "BestEffort"}
        })
    }

    fn config_map(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"}, "data": data})
    }

    // ----- content types ---------------------------------------------------------------------

    #[test]
    fn patch_type_from_content_type() {
        let cases = [
            ("application/json-patch+json", Some(PatchType::Json)),
            (
                "application/merge-patch+json; charset=utf-8",
                Some(PatchType::Merge),
            ),
            (
                "application/strategic-merge-patch+json",
                Some(PatchType::StrategicMerge),
            ),
            ("application/apply-patch+yaml", Some(PatchType::Apply)),
            (
                "Application/Apply-Patch+YAML ; charset=utf-8",
                Some(PatchType::Apply),
            ),
            ("application/apply-patch+json", None),
            ("application/json", None),
            ("", None),
        ];
        for (content_type, expected) in cases {
            assert_eq!(
                PatchType::from_content_type(content_type),
                expected,
                "{content_type:?}"
            );
        }
        for ty in [
            PatchType::Json,
            PatchType::Merge,
            PatchType::StrategicMerge,
            PatchType::Apply,
        ] {
            assert_eq!(PatchType::from_content_type(ty.media_type()), Some(ty));
        }
        assert_eq!(
            ApiError::unsupported_media_type(PatchType::ACCEPTED).message,
            "the body of the request was in an unknown format - accepted media types include: \
             application/json-patch+json, application/merge-patch+json, \
             application/strategic-merge-patch+json, application/apply-patch+yaml"
        );
    }

    // ----- JSON patch ------------------------------------------------------------------------

    #[test]
    fn json_patch_cases() {
        let original = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "labels": {"app": "web"}, "finalizers": ["a"]},
            "data": {"a": "1"}
        });
        let with = |pointer: &str, value: Value| {
            let mut expected = original.clone();
            if let Some(slot) = expected.pointer_mut(pointer) {
                *slot = value;
            }
            expected
        };
        let failed = |message: &str| Err(PatchError::JsonPatchFailed(message.to_string()));
        let cases: Vec<(&str, Value, Result<Value, PatchError>)> = vec![
            (
                "add a label",
                json!([{"op": "add", "path": "/metadata/labels/tier", "value": "db"}]),
                Ok(with("/metadata/labels", json!({"app": "web", "tier": "db"}))),
            ),
            ("remove a key", json!([{"op": "remove", "path": "/data/a"}]), Ok(with("/data", json!({})))),
            (
                "replace a value",
                json!([{"op": "replace", "path": "/data/a", "value": "2"}]),
                Ok(with("/data/a", json!("2"))),
            ),
            (
                "replace creates a missing member, as the Go library does",
                json!([{"op": "replace", "path": "/data/b", "value": "2"}]),
                Ok(with("/data", json!({"a": "1", "b": "2"}))),
            ),
            (
                "test then replace",
                json!([{"op": "test", "path": "/data/a", "value": "1"}, {"op": "replace", "path": "/data/a", "value": "9"}]),
                Ok(with("/data/a", json!("9"))),
            ),
            (
                "move",
                json!([{"op": "move", "from": "/data/a", "path": "/data/c"}]),
                Ok(with("/data", json!({"c": "1"}))),
            ),
            (
                "copy",
                json!([{"op": "copy", "from": "/data/a", "path": "/data/c"}]),
                Ok(with("/data", json!({"a": "1", "c": "1"}))),
            ),
            (
                "append to a list",
                json!([{"op": "add", "path": "/metadata/finalizers/-", "value": "b"}]),
                Ok(with("/metadata/finalizers", json!(["a", "b"]))),
            ),
            ("null is an empty patch", Value::Null, Ok(original.clone())),
            (
                "failed test",
                json!([{"op": "test", "path": "/data/a", "value": "2"}, {"op": "remove", "path": "/data/a"}]),
                failed("testing value /data/a failed: test failed"),
            ),
            (
                "remove a missing key",
                json!([{"op": "remove", "path": "/data/zzz"}]),
                failed("remove operation does not apply: doc is missing path: \"/data/zzz\": missing value"),
            ),
            (
                "add below a missing parent",
                json!([{"op": "add", "path": "/spec/x", "value": 1}]),
                failed("add operation does not apply: doc is missing path: \"/spec/x\": missing value"),
            ),
            ("unknown operation", json!([{"op": "frobnicate", "path": "/data"}]), failed("Unexpected kind: frobnicate")),
            (
                "operation without a path",
                json!([{"op": "add", "value": 1}]),
                failed("add operation failed to decode path: missing value"),
            ),
            (
                "not a list",
                json!({"op": "add"}),
                Err(PatchError::JsonPatchDecode(
                    "json: cannot unmarshal object into Go value of type jsonpatch.Patch".to_string(),
                )),
            ),
            (
                "an operation that is not an object",
                json!(["add"]),
                Err(PatchError::JsonPatchDecode(
                    "json: cannot unmarshal string into Go value of type jsonpatch.Operation".to_string(),
                )),
            ),
        ];
        for (name, patch, expected) in cases {
            assert_eq!(
                apply_patch("ConfigMap", &original, &patch, PatchType::Json),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn json_patch_that_replaces_the_document_with_a_list_is_invalid() {
        let original = config_map(json!({}));
        let err = apply_patch(
            "ConfigMap",
            &original,
            &json!([{"op": "replace", "path": "", "value": [1]}]),
            PatchType::Json,
        )
        .expect_err("a list is not an object");
        assert!(
            matches!(&err, PatchError::PatchedNotAnObject { patched, .. } if patched == "[1]"),
            "{err:?}"
        );
        let api = err.into_api_error(&CONFIG_MAPS, "cfg");
        assert_eq!(api.code, 422);
        assert_eq!(api.reason, "Invalid");
        assert!(api.message.starts_with(" \"\" is invalid: patch: Invalid value: \"[1]\": couldn't get version/kind; json parse error: json: cannot unmarshal array"), "{}", api.message);
        assert_eq!(api.causes[0].field, "patch");
        assert_eq!(api.causes[0].reason, "FieldValueInvalid");
    }

    #[test]
    fn json_patch_operation_limit() {
        let original = config_map(json!({}));
        let ops: Vec<Value> = (0..=MAX_JSON_PATCH_OPERATIONS)
            .map(|_| json!({"op": "test", "path": "/kind", "value": "ConfigMap"}))
            .collect();
        let err = apply_patch("ConfigMap", &original, &Value::Array(ops), PatchType::Json)
            .expect_err("too many");
        assert_eq!(err, PatchError::TooManyOperations(10_001));
        let api = err.into_api_error(&CONFIG_MAPS, "cfg");
        assert_eq!(
            (api.code, api.reason.as_str()),
            (413, "RequestEntityTooLarge")
        );
        assert_eq!(
            api.message,
            "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
        );
    }

    // ----- merge patch -----------------------------------------------------------------------

    #[test]
    fn merge_patch_cases() {
        let original = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "labels": {"app": "web"}, "finalizers": ["a", "b"]},
            "data": {"a": "1", "b": "2"}
        });
        let cases: Vec<(&str, Value, Result<Value, PatchError>)> = vec![
            (
                "set a label, delete a key",
                json!({"metadata": {"labels": {"tier": "db"}}, "data": {"a": null}}),
                Ok(json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "cfg", "labels": {"app": "web", "tier": "db"}, "finalizers": ["a", "b"]},
                    "data": {"b": "2"}
                })),
            ),
            (
                "lists are replaced, new objects lose their nulls",
                json!({"metadata": {"finalizers": ["c"], "annotations": {"x": "1", "y": null}}}),
                Ok(json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "cfg", "labels": {"app": "web"}, "finalizers": ["c"], "annotations": {"x": "1"}},
                    "data": {"a": "1", "b": "2"}
                })),
            ),
            (
                "null is refused",
                Value::Null,
                Err(PatchError::InvalidMergePatch),
            ),
        ];
        for (name, patch, expected) in cases {
            assert_eq!(
                apply_patch("ConfigMap", &original, &patch, PatchType::Merge),
                expected,
                "{name}"
            );
        }
        let err =
            apply_patch("ConfigMap", &original, &json!(["x"]), PatchType::Merge).expect_err("list");
        assert!(
            matches!(err, PatchError::PatchedNotAnObject { .. }),
            "{err:?}"
        );
        let api = PatchError::InvalidMergePatch.into_api_error(&CONFIG_MAPS, "cfg");
        assert_eq!(
            (api.code, api.reason.as_str(), api.message.as_str()),
            (400, "BadRequest", "Invalid JSON Patch")
        );
    }

    // ----- strategic merge patch ---------------------------------------------------------------

    #[test]
    fn kubectl_client_side_apply_second_run() {
        // `kubectl apply -f pod.yaml` (1.28–1.33) created the Pod; the second run, after adding a
        // label and bumping the image, sends this three-way patch.
        let live = live_pod();
        let last_applied = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web\",\"tier\":\"frontend\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}],\"image\":\"nginx:1.27\",\"name\":\"nginx\",\"ports\":[{\"containerPort\":80}]}]}}\n";
        let patch = json!({
            "metadata": {
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied},
                "labels": {"tier": "frontend"}
            },
            "spec": {
                "$setElementOrder/containers": [{"name": "nginx"}],
                "containers": [{"image": "nginx:1.27", "name": "nginx"}]
            }
        });
        let patched = smp("Pod", &live, &patch).expect("patch applies");
        let mut expected = live.clone();
        expected["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
            json!(last_applied);
        expected["metadata"]["labels"]["tier"] = json!("frontend");
        expected["spec"]["containers"][0]["image"] = json!("nginx:1.27");
        assert_eq!(patched, expected);

        // A third run with nothing changed computes `{}` (kubectl then skips the request).
        assert_eq!(smp("Pod", &patched, &json!({})).expect("no-op"), patched);
    }

    #[test]
    fn kubectl_client_side_apply_removing_a_label_and_an_env_var() {
        let live = live_pod();
        let patch = json!({
            "metadata": {"labels": {"app": null}},
            "spec": {
                "$setElementOrder/containers": [{"name": "nginx"}],
                "containers": [{
                    "$setElementOrder/env": [{"name": "A"}, {"name": "C"}],
                    "env": [{"name": "C", "value": "3"}, {"$patch": "delete", "name": "B"}],
                    "name": "nginx"
                }]
            }
        });
        let patched = smp("Pod", &live, &patch).expect("patch applies");
        assert_eq!(patched["metadata"]["labels"], json!({}));
        assert_eq!(
            patched["spec"]["containers"][0]["env"],
            json!([{"name": "A", "value": "1"}, {"name": "C", "value": "3"}])
        );
        // Server-added fields are kept.
        assert_eq!(
            patched["spec"]["containers"][0]["volumeMounts"],
            live["spec"]["containers"][0]["volumeMounts"]
        );
        assert_eq!(patched["spec"]["volumes"], live["spec"]["volumes"]);
        assert_eq!(patched["status"], live["status"]);
    }

    #[test]
    fn kubectl_patch_strategic_adds_an_env_var() {
        // kubectl patch pod web --type strategic -p '{"spec":{"containers":[{"name":"nginx","env":[{"name":"NEW","value":"x"}]}]}}'
        let live = live_pod();
        let patch = json!({"spec": {"containers": [{"name": "nginx", "env": [{"name": "NEW", "value": "x"}]}]}});
        let patched = smp("Pod", &live, &patch).expect("patch applies");
        // Without $setElementOrder, apimachinery puts patch items before server-only ones.
        assert_eq!(
            patched["spec"]["containers"][0]["env"],
            json!([{"name": "NEW", "value": "x"}, {"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
        );
        let mut expected = live.clone();
        expected["spec"]["containers"][0]["env"] = patched["spec"]["containers"][0]["env"].clone();
        assert_eq!(patched, expected);

        // Changing an existing variable keeps its place.
        let patch = json!({"spec": {"containers": [{"name": "nginx", "env": [{"name": "B", "value": "20"}]}]}});
        let patched = smp("Pod", &live, &patch).expect("patch applies");
        assert_eq!(
            patched["spec"]["containers"][0]["env"],
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "20"}])
        );
    }

    #[test]
    fn strategic_merge_cases() {
        let cases: Vec<(&str, &str, Value, Value, Value)> = vec![
            (
                "maps merge, null deletes",
                "ConfigMap",
                json!({"metadata": {"labels": {"x": "1"}}, "data": {"a": "1", "b": "2"}}),
                json!({"metadata": {"labels": {"y": "2"}}, "data": {"b": null, "c": "3"}}),
                json!({"metadata": {"labels": {"x": "1", "y": "2"}}, "data": {"a": "1", "c": "3"}}),
            ),
            (
                "a null for a missing key changes nothing",
                "ConfigMap",
                json!({"data": {"a": "1"}}),
                json!({"data": {"zzz": null}}),
                json!({"data": {"a": "1"}}),
            ),
            (
                "lists without a patch strategy are replaced",
                "Pod",
                json!({"spec": {"tolerations": [{"key": "a", "operator": "Exists"}], "containers": [{"name": "c", "args": ["x", "y"]}]}}),
                json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}], "containers": [{"name": "c", "args": ["z"]}]}}),
                json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}], "containers": [{"name": "c", "args": ["z"]}]}}),
            ),
            (
                "new keyed items go before server-only ones",
                "Pod",
                json!({"spec": {"containers": [{"name": "a", "image": "a"}]}}),
                json!({"spec": {"containers": [{"name": "b", "image": "b"}]}}),
                json!({"spec": {"containers": [{"name": "b", "image": "b"}, {"name": "a", "image": "a"}]}}),
            ),
            (
                "$setElementOrder decides the order",
                "Pod",
                json!({"spec": {"containers": [{"name": "a", "image": "a"}, {"name": "b", "image": "b"}]}}),
                json!({"spec": {
                    "$setElementOrder/containers": [{"name": "b"}, {"name": "c"}, {"name": "a"}],
                    "containers": [{"name": "c", "image": "c"}]
                }}),
                json!({"spec": {"containers": [{"name": "b", "image": "b"}, {"name": "c", "image": "c"}, {"name": "a", "image": "a"}]}}),
            ),
            (
                "volumeMounts merge by mountPath, ports by containerPort",
                "Pod",
                json!({"spec": {"containers": [{"name": "a",
                    "volumeMounts": [{"name": "v", "mountPath": "/v"}],
                    "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}}),
                json!({"spec": {"containers": [{"name": "a",
                    "volumeMounts": [{"mountPath": "/v", "readOnly": true}],
                    "ports": [{"containerPort": 80, "name": "http"}]}]}}),
                json!({"spec": {"containers": [{"name": "a",
                    "volumeMounts": [{"name": "v", "mountPath": "/v", "readOnly": true}],
                    "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}]}]}}),
            ),
            (
                "$patch: delete removes list items by key",
                "Pod",
                json!({"spec": {"volumes": [{"name": "a", "emptyDir": {}}, {"name": "b", "emptyDir": {}}]}}),
                json!({"spec": {"volumes": [{"$patch": "delete", "name": "a"}]}}),
                json!({"spec": {"volumes": [{"name": "b", "emptyDir": {}}]}}),
            ),
            (
                "$patch: replace in a list replaces the list",
                "Pod",
                json!({"spec": {"containers": [{"name": "a", "image": "a"}, {"name": "b", "image": "b"}]}}),
                json!({"spec": {"containers": [{"name": "c", "image": "c"}, {"$patch": "replace"}]}}),
                json!({"spec": {"containers": [{"name": "c", "image": "c"}]}}),
            ),
            (
                "$patch: replace in a map replaces the map",
                "Pod",
                json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
                json!({"metadata": {"labels": {"$patch": "replace", "c": "3"}}}),
                json!({"metadata": {"labels": {"c": "3"}}}),
            ),
            (
                "$patch: delete in a map empties it",
                "Pod",
                json!({"spec": {"securityContext": {"runAsUser": 1000}, "dnsPolicy": "ClusterFirst"}}),
                json!({"spec": {"securityContext": {"$patch": "delete"}}}),
                json!({"spec": {"securityContext": {}, "dnsPolicy": "ClusterFirst"}}),
            ),
            (
                "$retainKeys drops the fields it does not list (volume source switch)",
                "Pod",
                json!({"spec": {"volumes": [{"name": "data", "emptyDir": {}}]}}),
                json!({"spec": {
                    "$setElementOrder/volumes": [{"name": "data"}],
                    "volumes": [{"$retainKeys": ["configMap", "name"], "configMap": {"name": "cm"}, "name": "data"}]
                }}),
                json!({"spec": {"volumes": [{"name": "data", "configMap": {"name": "cm"}}]}}),
            ),
            (
                "finalizers merge as a set",
                "ConfigMap",
                json!({"metadata": {"finalizers": ["a", "b"]}}),
                json!({"metadata": {"finalizers": ["b", "c"]}}),
                // `a` stays first: the live list has it before `b`.
                json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
            ),
            (
                "$deleteFromPrimitiveList with $setElementOrder (kubectl apply)",
                "ConfigMap",
                json!({"metadata": {"finalizers": ["a", "b"]}}),
                json!({"metadata": {
                    "$deleteFromPrimitiveList/finalizers": ["a"],
                    "$setElementOrder/finalizers": ["b", "c"],
                    "finalizers": ["c"]
                }}),
                json!({"metadata": {"finalizers": ["b", "c"]}}),
            ),
            (
                "$deleteFromPrimitiveList alone",
                "Pod",
                json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "zzz"]}}),
                json!({"metadata": {"finalizers": ["a", "c"]}}),
            ),
            (
                "ownerReferences merge by uid",
                "Secret",
                json!({"metadata": {"ownerReferences": [{"uid": "1", "kind": "ServiceAccount", "name": "a"}]}}),
                json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "b"}, {"uid": "2", "kind": "Pod", "name": "p"}]}}),
                json!({"metadata": {"ownerReferences": [{"uid": "1", "kind": "ServiceAccount", "name": "b"}, {"uid": "2", "kind": "Pod", "name": "p"}]}}),
            ),
            (
                "ServiceAccount secrets merge by name, imagePullSecrets are replaced",
                "ServiceAccount",
                json!({"secrets": [{"name": "default-token-1"}], "imagePullSecrets": [{"name": "reg-a"}]}),
                json!({"secrets": [{"name": "default-token-2"}], "imagePullSecrets": [{"name": "reg-b"}]}),
                json!({"secrets": [{"name": "default-token-2"}, {"name": "default-token-1"}], "imagePullSecrets": [{"name": "reg-b"}]}),
            ),
            (
                "Namespace spec.finalizers are replaced",
                "Namespace",
                json!({"spec": {"finalizers": ["kubernetes"]}}),
                json!({"spec": {"finalizers": ["other"]}}),
                json!({"spec": {"finalizers": ["other"]}}),
            ),
            (
                "an unknown kind replaces lists",
                "Widget",
                json!({"spec": {"containers": [{"name": "a"}]}}),
                json!({"spec": {"containers": [{"name": "b"}]}}),
                json!({"spec": {"containers": [{"name": "b"}]}}),
            ),
            (
                "a new list field takes the patch, directives resolved",
                "Pod",
                json!({"spec": {}}),
                json!({"spec": {"initContainers": [{"name": "init", "image": "busybox", "env": [{"name": "X", "value": "1"}]}]}}),
                json!({"spec": {"initContainers": [{"name": "init", "image": "busybox", "env": [{"name": "X", "value": "1"}]}]}}),
            ),
            (
                "a value of another type is replaced",
                "ConfigMap",
                json!({"data": "oops"}),
                json!({"data": {"a": "1"}}),
                json!({"data": {"a": "1"}}),
            ),
            (
                "null changes nothing",
                "ConfigMap",
                json!({"data": {"a": "1"}}),
                Value::Null,
                json!({"data": {"a": "1"}}),
            ),
        ];
        for (name, kind, original, patch, expected) in cases {
            assert_eq!(smp(kind, &original, &patch), Ok(expected), "{name}");
        }
    }

    #[test]
    fn strategic_merge_errors() {
        let pod = json!({"metadata": {"finalizers": ["x"]}, "spec": {"containers": [{"name": "a", "image": "a"}]}});
        let cases: Vec<(&str, Value, PatchError, u16)> = vec![
            (
                "not an object",
                json!([1]),
                PatchError::StrategicPatchNotAnObject("array"),
                400,
            ),
            (
                "$patch: merge in a list",
                json!({"spec": {"containers": [{"name": "a", "$patch": "merge"}]}}),
                PatchError::MergeDirectiveInList,
                500,
            ),
            (
                "unknown $patch in a map",
                json!({"metadata": {"labels": {"$patch": "frobnicate", "a": "1"}}}),
                PatchError::UnknownPatchDirective {
                    directive: "frobnicate".to_string(),
                    map: "map[$patch:frobnicate a:1]".to_string(),
                },
                500,
            ),
            (
                "container without its merge key",
                json!({"spec": {"containers": [{"image": "busybox"}]}}),
                PatchError::MissingMergeKey {
                    map: "map[image:busybox]".to_string(),
                    key: "name".to_string(),
                },
                500,
            ),
            (
                "$retainKeys that is not a list",
                json!({"spec": {"$retainKeys": "x"}}),
                PatchError::BadRetainKeys,
                400,
            ),
            (
                "$retainKeys that leaves out a patched field",
                json!({"spec": {"$retainKeys": ["containers"], "dnsPolicy": "None"}}),
                PatchError::BadRetainKeys,
                400,
            ),
            (
                "$setElementOrder without a field",
                json!({"spec": {"$setElementOrder": []}}),
                PatchError::BadSetElementOrder,
                400,
            ),
            (
                "$deleteFromPrimitiveList without a field",
                json!({"metadata": {"$deleteFromPrimitiveList": ["x"]}}),
                PatchError::BadDeleteFromPrimitiveList,
                400,
            ),
            (
                "a list of lists",
                json!({"metadata": {"finalizers": [["y"]]}}),
                PatchError::ListOfLists,
                422,
            ),
            (
                "mixed element types",
                json!({"metadata": {"finalizers": [1]}}),
                PatchError::MixedListElements("[[x] [1]]".to_string()),
                500,
            ),
            (
                "patch list out of $setElementOrder",
                json!({"spec": {"$setElementOrder/containers": [{"name": "a"}], "containers": [{"name": "b", "image": "b"}]}}),
                PatchError::SetElementOrderMismatch {
                    patch: "[map[image:b name:b]]".to_string(),
                    order: "[map[name:a]]".to_string(),
                },
                500,
            ),
        ];
        for (name, patch, expected, code) in cases {
            let err = smp("Pod", &pod, &patch).expect_err(name);
            assert_eq!(err, expected, "{name}");
            let api = err.into_api_error(&PODS, "web");
            assert_eq!(api.code, code, "{name}");
            if code == 500 {
                assert_eq!(api.reason, "", "{name}: a plain Go error has no reason");
                assert_eq!(api.message, expected.to_string(), "{name}");
            }
        }
        let api = PatchError::ListOfLists.into_api_error(&PODS, "web");
        assert_eq!(
            (api.reason.as_str(), api.message.as_str()),
            ("Invalid", GENERIC_INVALID_MESSAGE)
        );
    }

    #[test]
    fn apply_patch_type_needs_a_field_manager() {
        let err = apply_patch("Pod", &live_pod(), &json!({}), PatchType::Apply)
            .expect_err("needs a manager");
        assert_eq!(err, PatchError::MissingFieldManager);
        let api = err.into_api_error(&PODS, "web");
        assert_eq!(api.code, 422);
        assert_eq!(
            api.message,
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
        );
        assert_eq!(api.causes[0].field, "fieldManager");
        assert_eq!(api.kind.as_deref(), Some("PatchOptions"));
    }

    // ----- field sets --------------------------------------------------------------------------

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

    // ----- server-side apply -------------------------------------------------------------------

    fn pod_config(image: &str) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}]},
            "status": {"phase": "Running"}
        })
    }

    fn managed_fields(object: &Value) -> &Value {
        &object["metadata"]["managedFields"]
    }

    /// What the store adds to a created Pod: system metadata, defaults, admission, status.
    fn stored_pod(created: &Value) -> Value {
        let mut stored = created.clone();
        stored["metadata"]["uid"] = json!("5b7f0c1e-0000-4000-8000-000000000001");
        stored["metadata"]["resourceVersion"] = json!("7");
        stored["metadata"]["creationTimestamp"] = json!("2024-05-01T10:00:00Z");
        let container = &mut stored["spec"]["containers"][0];
        container["ports"][0]["protocol"] = json!("TCP");
        container["imagePullPolicy"] = json!("IfNotPresent");
        container["terminationMessagePath"] = json!("/dev/termination-log");
        container["volumeMounts"] =
            json!([{"name": "default-token-x7k2p", "readOnly": true, "mountPath": TOKEN_MOUNT}]);
        stored["spec"]["volumes"] = json!([{"name": "default-token-x7k2p", "secret": {"secretName": "default-token-x7k2p"}}]);
        stored["spec"]["serviceAccountName"] = json!("default");
        stored["status"] = json!({"phase": "Pending"});
        stored
    }

    #[test]
    fn server_side_apply_creates_with_managed_fields() {
        let created = server_side_apply(
            "Pod",
            None,
            &pod_config("nginx:1.27"),
            "kubectl",
            false,
            NOW,
        )
        .expect("creates");
        assert_eq!(created["spec"], pod_config("nginx:1.27")["spec"]);
        assert_eq!(
            created.get("status"),
            None,
            "status goes through the status subresource"
        );
        assert_eq!(
            managed_fields(&created),
            &json!([{
                "manager": "kubectl",
                "operation": "Apply",
                "apiVersion": "v1",
                "time": NOW,
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                        ".": {}, "f:image": {}, "f:name": {},
                        "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}
                    }}}
                }
            }])
        );
    }

    #[test]
    fn server_side_apply_ignores_system_metadata_in_the_configuration() {
        let mut config = config_map(json!({"key": "v"}));
        config["metadata"]["creationTimestamp"] = Value::Null;
        config["metadata"]["managedFields"] =
            json!([{"manager": "someone-else", "operation": "Update"}]);
        let created =
            server_side_apply("ConfigMap", None, &config, "kubectl", true, NOW).expect("creates");
        assert_eq!(created["metadata"].get("creationTimestamp"), None);
        assert_eq!(managed_fields(&created).as_array().map(Vec::len), Some(1));
        assert_eq!(
            managed_fields(&created)[0]["fieldsV1"],
            json!({"f:data": {"f:key": {}}})
        );
    }

    #[test]
    fn server_side_apply_twice_gives_the_same_object() {
        let config = pod_config("nginx:1.27");
        let created =
            server_side_apply("Pod", None, &config, "kubectl", false, NOW).expect("creates");
        let stored = stored_pod(&created);
        let again = server_side_apply("Pod", Some(&stored), &config, "kubectl", false, LATER)
            .expect("applies");
        assert_eq!(again, stored);

        // A changed image is applied; the entry's time moves.
        let updated = server_side_apply(
            "Pod",
            Some(&stored),
            &pod_config("nginx:1.28"),
            "kubectl",
            false,
            LATER,
        )
        .expect("applies");
        let mut expected = stored.clone();
        expected["spec"]["containers"][0]["image"] = json!("nginx:1.28");
        expected["metadata"]["managedFields"][0]["time"] = json!(LATER);
        assert_eq!(updated, expected);
    }

    #[test]
    fn server_side_apply_removes_fields_the_manager_dropped() {
        let mut first = config_map(json!({"key": "v", "extra": "x"}));
        first["metadata"]["labels"] = json!({"app": "web", "tier": "db"});
        let mut stored =
            server_side_apply("ConfigMap", None, &first, "kubectl", false, NOW).expect("creates");
        stored["metadata"]["resourceVersion"] = json!("3");

        let mut second = config_map(json!({"key": "v"}));
        second["metadata"]["labels"] = json!({"app": "web"});
        let updated =
            server_side_apply("ConfigMap", Some(&stored), &second, "kubectl", false, LATER)
                .expect("applies");
        assert_eq!(updated["metadata"]["labels"], json!({"app": "web"}));
        assert_eq!(updated["data"], json!({"key": "v"}));
        assert_eq!(updated["metadata"]["resourceVersion"], json!("3"));
        assert_eq!(
            managed_fields(&updated),
            &json!([{
                "manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": LATER,
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {"f:key": {}}, "f:metadata": {"f:labels": {"f:app": {}}}}
            }])
        );

        // Dropping the last label removes the now empty map.
        let third = config_map(json!({"key": "v"}));
        let updated =
            server_side_apply("ConfigMap", Some(&updated), &third, "kubectl", false, LATER)
                .expect("applies");
        assert_eq!(updated["metadata"].get("labels"), None);
    }

    #[test]
    fn server_side_apply_keeps_a_dropped_field_another_manager_owns() {
        let mut stored = config_map(json!({"key": "v"}));
        stored["metadata"]["labels"] = json!({"app": "web", "tier": "db"});
        stored["metadata"]["managedFields"] = json!([
            {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": NOW, "fieldsType": "FieldsV1",
             "fieldsV1": {"f:data": {"f:key": {}}, "f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}}}},
            {"manager": "kubectl-label", "operation": "Update", "apiVersion": "v1", "time": NOW, "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:labels": {"f:tier": {}}}}}
        ]);
        let mut config = config_map(json!({"key": "v"}));
        config["metadata"]["labels"] = json!({"app": "web"});
        let updated =
            server_side_apply("ConfigMap", Some(&stored), &config, "kubectl", false, LATER)
                .expect("applies");
        assert_eq!(
            updated["metadata"]["labels"],
            json!({"app": "web", "tier": "db"})
        );
        assert_eq!(
            managed_fields(&updated)[0]["fieldsV1"],
            json!({"f:data": {"f:key": {}}, "f:metadata": {"f:labels": {"f:app": {}}}})
        );
        assert_eq!(
            managed_fields(&updated)[1],
            stored["metadata"]["managedFields"][1]
        );
    }

    #[test]
    fn server_side_apply_conflicts_with_other_managers() {
        let mut stored = config_map(json!({"key": "old", "other": "o"}));
        stored["metadata"]["managedFields"] = json!([{
            "manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
            "time": "2024-05-01T09:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {".": {}, "f:key": {}, "f:other": {}}}
        }]);

        // Same value: shared ownership, no conflict.
        let same = server_side_apply(
            "ConfigMap",
            Some(&stored),
            &config_map(json!({"key": "old"})),
            "kubectl",
            false,
            NOW,
        )
        .expect("no conflict");
        assert_eq!(same["data"], stored["data"]);
        assert_eq!(
            managed_fields(&same)[1],
            stored["metadata"]["managedFields"][0]
        );

        let config = config_map(json!({"key": "new"}));
        let err = server_side_apply("ConfigMap", Some(&stored), &config, "kubectl", false, NOW)
            .expect_err("conflicts");
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .data.key"
        );
        let api = err.into_api_error(&CONFIG_MAPS, "cfg");
        assert_eq!((api.code, api.reason.as_str()), (409, "Conflict"));
        assert_eq!(api.causes.len(), 1);
        assert_eq!(api.causes[0].reason, "FieldManagerConflict");
        assert_eq!(
            api.causes[0].message,
            "conflict with \"kubectl-client-side-apply\" using v1"
        );
        assert_eq!(api.causes[0].field, ".data.key");
        assert_eq!(api.name, None);

        // --force-conflicts: the value changes and ownership moves.
        let forced = server_side_apply("ConfigMap", Some(&stored), &config, "kubectl", true, NOW)
            .expect("forced");
        assert_eq!(forced["data"], json!({"key": "new", "other": "o"}));
        assert_eq!(
            managed_fields(&forced),
            &json!([
                {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": NOW,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:key": {}}}},
                {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
                 "time": "2024-05-01T09:00:00Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:data": {".": {}, "f:other": {}}}}
            ])
        );
    }

    #[test]
    fn server_side_apply_conflict_message_with_several_conflicts() {
        let conflicts = vec![
            ApplyConflict {
                manager: "\"b\"".into(),
                field: ".data.x".into(),
            },
            ApplyConflict {
                manager: "\"a\" using v1".into(),
                field: ".data.y".into(),
            },
            ApplyConflict {
                manager: "\"b\"".into(),
                field: ".data.z".into(),
            },
        ];
        assert_eq!(
            PatchError::ApplyConflicts(conflicts).to_string(),
            "Apply failed with 3 conflicts: conflicts with \"a\" using v1:\n- .data.y\nconflicts with \"b\":\n- .data.x\n- .data.z"
        );
    }

    #[test]
    fn server_side_apply_merges_keyed_lists() {
        let config = pod_config("nginx:1.27");
        let mut stored = stored_pod(
            &server_side_apply("Pod", None, &config, "kubectl", false, NOW).expect("creates"),
        );
        // Another manager added a sidecar and a finalizer.
        stored["spec"]["containers"]
            .as_array_mut()
            .expect("list")
            .push(json!({"name": "sidecar", "image": "envoy"}));
        stored["metadata"]["finalizers"] = json!(["example.com/keep"]);

        let mut next = pod_config("nginx:1.28");
        next["metadata"]["finalizers"] = json!(["example.com/mine"]);
        next["spec"]["containers"][0]["env"] = json!([{"name": "A", "value": "1"}]);
        let updated = server_side_apply("Pod", Some(&stored), &next, "kubectl", false, LATER)
            .expect("applies");
        let containers = &updated["spec"]["containers"];
        assert_eq!(containers[0]["image"], json!("nginx:1.28"));
        assert_eq!(containers[0]["env"], json!([{"name": "A", "value": "1"}]));
        assert_eq!(
            containers[0]["volumeMounts"],
            stored["spec"]["containers"][0]["volumeMounts"]
        );
        assert_eq!(containers[1], json!({"name": "sidecar", "image": "envoy"}));
        assert_eq!(
            updated["metadata"]["finalizers"],
            json!(["example.com/keep", "example.com/mine"])
        );
        assert_eq!(
            managed_fields(&updated)[0]["fieldsV1"]["f:metadata"]["f:finalizers"],
            json!({"v:\"example.com/mine\"": {}})
        );
    }

    #[test]
    fn server_side_apply_list_order_follows_structured_merge_diff() {
        let schema = ApplySchema { kind: "Pod" };
        let live = json!({"spec": {"containers": [{"name": "a"}, {"name": "x"}, {"name": "b"}]}});
        let config = json!({"spec": {"containers": [{"name": "b"}, {"name": "a"}, {"name": "n"}]}});
        let merged = schema
            .merge(&live, &config, &mut Vec::new())
            .expect("merges");
        assert_eq!(
            merged["spec"]["containers"],
            json!([{"name": "x"}, {"name": "b"}, {"name": "a"}, {"name": "n"}])
        );
    }

    #[test]
    fn server_side_apply_errors() {
        let stored = stored_pod(
            &server_side_apply("Pod", None, &pod_config("a"), "kubectl", false, NOW)
                .expect("creates"),
        );
        let mut wrong_version = pod_config("a");
        wrong_version["apiVersion"] = json!("apps/v1");
        let mut nameless = pod_config("a");
        nameless["spec"]["containers"] = json!([{"image": "a"}]);
        let mut duplicated = pod_config("a");
        duplicated["spec"]["containers"] = json!([{"name": "a"}, {"name": "a"}]);
        let mut with_uid = pod_config("a");
        with_uid["metadata"]["uid"] = json!("other-uid");
        let mut stale = pod_config("a");
        stale["metadata"]["resourceVersion"] = json!("1");

        // (case, stored object, configuration, field manager, error, HTTP code)
        type Case<'a> = (&'a str, Option<&'a Value>, Value, &'a str, PatchError, u16);
        let cases: Vec<Case> = vec![
            ("no field manager", None, pod_config("a"), "", PatchError::MissingFieldManager, 422),
            ("not an object", None, json!("x"), "kubectl", PatchError::ApplyNotAnObject("string"), 400),
            (
                "an empty document",
                Some(&stored),
                Value::Null,
                "kubectl",
                PatchError::ApplyVersionMismatch { specified: String::new(), expected: "v1".into() },
                400,
            ),
            (
                "another apiVersion",
                Some(&stored),
                wrong_version,
                "kubectl",
                PatchError::ApplyVersionMismatch { specified: "apps/v1".into(), expected: "v1".into() },
                400,
            ),
            (
                "a container without a name",
                None,
                nameless,
                "kubectl",
                PatchError::InvalidApplyConfiguration {
                    gvk: "/v1, Kind=Pod".into(),
                    detail: ".spec.containers: element 0: associative list with keys has an element that omits key field \"name\" (and doesn't have default value)".into(),
                },
                400,
            ),
            (
                "duplicate container names",
                None,
                duplicated,
                "kubectl",
                PatchError::InvalidApplyConfiguration {
                    gvk: "/v1, Kind=Pod".into(),
                    detail: ".spec.containers: duplicate entries for key [name=\"a\"]".into(),
                },
                400,
            ),
            ("a uid on create", None, with_uid.clone(), "kubectl", PatchError::UidMismatch("other-uid".into()), 409),
            ("another uid", Some(&stored), with_uid, "kubectl", PatchError::UidImmutable("other-uid".into()), 422),
            ("a stale resourceVersion", Some(&stored), stale, "kubectl", PatchError::ResourceVersionConflict, 409),
        ];
        for (name, existing, config, manager, expected, code) in cases {
            let err =
                server_side_apply("Pod", existing, &config, manager, false, LATER).expect_err(name);
            assert_eq!(err, expected, "{name}");
            assert_eq!(err.into_api_error(&PODS, "web").code, code, "{name}");
        }
        let api = PatchError::UidMismatch("u".into()).into_api_error(&PODS, "web");
        assert_eq!(
            api.message,
            "Operation cannot be fulfilled on pods \"web\": uid mismatch: the provided object specified uid u, and no existing object was found"
        );
        let api = PatchError::UidImmutable("u".into()).into_api_error(&PODS, "web");
        assert_eq!(
            api.message,
            "Pod \"web\" is invalid: metadata.uid: Invalid value: \"u\": field is immutable"
        );

        // The stored object's own uid and resourceVersion are fine.
        let mut current = pod_config("a");
        current["metadata"]["uid"] = stored["metadata"]["uid"].clone();
        current["metadata"]["resourceVersion"] = stored["metadata"]["resourceVersion"].clone();
        assert_eq!(
            server_side_apply("Pod", Some(&stored), &current, "kubectl", false, LATER),
            Ok(stored)
        );
    }
}
