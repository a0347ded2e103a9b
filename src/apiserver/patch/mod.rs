//! The patch engine of the embedded API server: JSON patch (RFC 6902), JSON merge patch
//! (RFC 7386), strategic merge patch and server-side apply, as pure functions over JSON values.
//!
//! Strategic merge patch follows the server side of apimachinery's `strategicpatch` package
//! (`StrategicMergeMapPatch`, including its list ordering rules). Server-side apply follows
//! structured-merge-diff closely enough for `kubectl apply --server-side`: merge by list keys,
//! pruning of fields the manager stopped applying, conflicts and `managedFields` in the real
//! `FieldsV1` encoding. The list semantics of the served kinds come from the struct tags of
//! `k8s.io/api/core/v1` and `k8s.io/apimachinery/pkg/apis/meta/v1` (see `field_rule`).
//!
//! One module per job: `json_patch`, `merge_patch`, `strategic_merge`, `apply`
//! (server-side apply) and `managed_fields` (the `managedFields` entries, and the `Update`
//! entry every other write records through [`record_update`]), over the per-kind list rules
//! in [`super::field_rules`], the field sets of `fieldpath` and the typed view of `typed`.

mod apply;
mod decode;
mod fieldpath;
mod json_patch;
#[cfg(test)]
mod laws;
mod managed_fields;
mod merge_patch;
mod strategic_merge;
mod typed;

use serde_json::Value;

use super::errors::{ApiError, FieldError};
use super::kinds::ResourceInfo;

pub use apply::server_side_apply;
pub(crate) use decode::decode_patch;
pub use fieldpath::{
    decode_fields_v1, display_path, encode_fields_v1, FieldPath, FieldSet, PathElement,
};
pub use managed_fields::{manager_or_user_agent, record_update, record_update_ignoring};

/// The API server refuses JSON patches with more operations than this.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

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
    /// `application/json-patch+json`: RFC 6902 operations.
    Json,
    /// `application/merge-patch+json`: RFC 7386.
    Merge,
    /// `application/strategic-merge-patch+json`: merges lists by their merge keys.
    StrategicMerge,
    /// `application/apply-patch+yaml`: server-side apply.
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

    /// From a `Content-Type` header as upstream's `PatchResource` reads it: what follows the
    /// first `;` (`; charset=utf-8`) is dropped and the rest must be one of
    /// [`Self::ACCEPTED`] exactly, so another case or a space before the `;` is not a patch
    /// type (the handler's 415), unlike the media types of create and update bodies.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        // Go's header parsing has already dropped the whitespace around the value.
        let ct = ct.trim();
        let media_type = match ct.find(';') {
            Some(end) if end > 0 => &ct[..end],
            _ => ct,
        };
        [Self::Json, Self::Merge, Self::StrategicMerge, Self::Apply]
            .into_iter()
            .find(|t| t.media_type() == media_type)
    }

    /// The media type a client sends for this flavour (one of [`Self::ACCEPTED`]).
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
    /// The patch document could not be read (400): a syntax error, or a document that is
    /// not the patch's Go type, in the words of the decoder upstream uses ([`decode_patch`]).
    #[error("{0}")]
    Decode(String),
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
    PatchedNotAnObject {
        /// The patched document as JSON text.
        patched: String,
        /// Go's decoding error for it.
        detail: String,
    },
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
    MissingMergeKey {
        /// The element, printed as Go prints a map.
        map: String,
        /// The merge key it lacks, e.g. `name`.
        key: String,
    },
    /// `$patch` with a value other than `replace`/`delete` in a map (500).
    #[error("unknown patch type: {directive} in map: {map}")]
    UnknownPatchDirective {
        /// The `$patch` value, printed as Go prints it.
        directive: String,
        /// The map holding it, printed as Go prints a map.
        map: String,
    },
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
    SetElementOrderMismatch {
        /// The patch list, printed as Go prints a slice.
        patch: String,
        /// The `$setElementOrder` list, printed as Go prints a slice.
        order: String,
    },
    /// A value of the wrong JSON type where the patch format wants a list or map (500).
    #[error("expected a {expected}, but received a {actual}")]
    UnexpectedType {
        /// The Go type wanted, e.g. `map[string]interface {}`.
        expected: &'static str,
        /// The Go type found.
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
    ApplyVersionMismatch {
        /// The configuration's `apiVersion`.
        specified: String,
        /// The addressed resource's `apiVersion`.
        expected: String,
    },
    /// The applied configuration breaks the list rules, e.g. a container without a name (400).
    #[error("failed to create typed patch object ({gvk}): {detail}")]
    InvalidApplyConfiguration {
        /// `group/version, Kind=kind`.
        gvk: String,
        /// Which rule is broken, and where.
        detail: String,
    },
    /// The stored object breaks the list rules (500).
    #[error("failed to create typed live object ({gvk}): {detail}")]
    InvalidLiveObject {
        /// `group/version, Kind=kind`.
        gvk: String,
        /// Which rule is broken, and where.
        detail: String,
    },
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
            Self::Decode(_)
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
            // NewGenericServerResponse(422): the library's detail is not passed on, and the
            // details it sets are empty (`"details":{}`).
            Self::JsonPatchFailed(_) | Self::ListOfLists => {
                let mut err = ApiError::new(422, "Invalid", GENERIC_INVALID_MESSAGE);
                err.group = Some(String::new());
                err
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
        PatchType::Json => json_patch::apply_json_patch(original, patch)?,
        PatchType::Merge => merge_patch::apply_merge_patch(original, patch)?,
        PatchType::StrategicMerge => {
            strategic_merge::apply_strategic_merge_patch(kind, original, patch)?
        }
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
            "couldn't get version/kind; json parse error: {}",
            crate::go_json_syntax::cannot_unmarshal_into_type_meta(
                crate::go_json_syntax::go_json_kind(&patched)
            )
        ),
        patched: patched.to_string(),
    })
}

/// Fixtures shared by the test modules of the patch engine.
#[cfg(test)]
mod fixtures {
    use serde_json::{json, Value};

    use super::{apply_patch, PatchError, PatchType};

    pub(super) const NOW: &str = "2024-05-01T10:00:00Z";
    pub(super) const LATER: &str = "2024-05-01T11:00:00Z";
    pub(super) const TOKEN_MOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
    pub(super) fn smp(kind: &str, original: &Value, patch: &Value) -> Result<Value, PatchError> {
        apply_patch(kind, original, patch, PatchType::StrategicMerge)
    }

    /// A Pod as the store holds it after `kubectl apply` created it in legacy mode.
    pub(super) fn live_pod() -> Value {
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

    pub(super) fn config_map(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"}, "data": data})
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::live_pod;
    use super::*;
    use crate::apiserver::kinds::PODS;
    use serde_json::json;

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
                "application/apply-patch+yaml;charset=utf-8",
                Some(PatchType::Apply),
            ),
            // Upstream looks the media type up in a set of exact strings.
            ("Application/Apply-Patch+YAML; charset=utf-8", None),
            ("application/merge-patch+json ; charset=utf-8", None),
            ("; application/merge-patch+json", None),
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
}
