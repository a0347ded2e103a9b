//! The registry of served kinds: one module per kind, each a [`ResourceInfo`] (scope,
//! names, verbs, subresources) and a [`Strategy`] (normalizing, defaulting, validation,
//! status handling, table columns, field selectors), in the manner of upstream's
//! `pkg/registry/<group>/<kind>/strategy.go`.
//!
//! Routing, discovery, OpenAPI and the verb handlers read [`ALL`]; nothing outside this
//! module chooses behaviour by a kind's name. Adding a kind is one new file here and one
//! line in [`ALL`].

use bytes::Bytes;
use k8s_openapi::schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::Value;

use super::errors::ApiError;
use super::http::RequestContext;
use super::table::{self, Column};
use super::validation::Issues;

pub(crate) mod admissionregistration;
pub mod configmap;
pub mod mutatingwebhookconfiguration;
pub mod namespace;
pub mod pod;
pub mod secret;
pub mod selfsubjectreview;
pub mod serviceaccount;
pub mod validatingwebhookconfiguration;

pub use configmap::CONFIG_MAPS;
pub use mutatingwebhookconfiguration::MUTATING_WEBHOOK_CONFIGURATIONS;
pub use namespace::NAMESPACES;
pub use pod::PODS;
pub use secret::SECRETS;
pub use selfsubjectreview::{
    SELF_SUBJECT_REVIEWS, SELF_SUBJECT_REVIEWS_V1ALPHA1, SELF_SUBJECT_REVIEWS_V1BETA1,
};
pub use serviceaccount::SERVICE_ACCOUNTS;
pub use validatingwebhookconfiguration::VALIDATING_WEBHOOK_CONFIGURATIONS;

/// Every served resource, core group first; within a group, preferred version first.
pub const ALL: &[ResourceInfo] = &[
    NAMESPACES,
    SERVICE_ACCOUNTS,
    SECRETS,
    PODS,
    CONFIG_MAPS,
    SELF_SUBJECT_REVIEWS,
    SELF_SUBJECT_REVIEWS_V1BETA1,
    SELF_SUBJECT_REVIEWS_V1ALPHA1,
    MUTATING_WEBHOOK_CONFIGURATIONS,
    VALIDATING_WEBHOOK_CONFIGURATIONS,
];

/// The verbs of an ordinary stored resource.
pub const CRUD_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// Static description of one served resource type (one group/version/resource): what
/// discovery publishes as an `APIResource` (metav1) and what routing matches.
#[derive(Clone, Copy)]
pub struct ResourceInfo {
    /// API group; empty for the core group.
    pub group: &'static str,
    /// API version within the group (`v1`, `v1beta1`).
    pub version: &'static str,
    /// Plural lower-case name used in URLs (`pods`).
    pub plural: &'static str,
    /// Singular lower-case name (`pod`), accepted by kubectl in place of the plural.
    pub singular: &'static str,
    /// The object's `kind` (`Pod`).
    pub kind: &'static str,
    /// The collection's `kind` (`PodList`).
    pub list_kind: &'static str,
    /// Whether objects live in a namespace (false: cluster-scoped).
    pub namespaced: bool,
    /// kubectl abbreviations (`po`), published in discovery.
    pub short_names: &'static [&'static str],
    /// Discovery categories (`all` makes `kubectl get all` include the resource).
    pub categories: &'static [&'static str],
    /// Verbs published in discovery, e.g. [`CRUD_VERBS`]; the handlers refuse the others.
    pub verbs: &'static [&'static str],
    /// Subresources served besides the object itself (`status`, `finalize`).
    pub subresources: &'static [&'static str],
    /// Create-only resources (reviews) are not stored; [`Strategy::create_review`] answers.
    pub create_only: bool,
    /// The kind's behaviour.
    pub strategy: &'static dyn Strategy,
    /// The kind's Rust type, whose schema the OpenAPI documents publish.
    pub schema: TypedSchema,
}

/// The OpenAPI schema of a kind's k8s-openapi type (generated from upstream's definitions,
/// field descriptions included).
#[derive(Clone, Copy)]
pub struct TypedSchema {
    /// The schema's name, e.g. `io.k8s.api.core.v1.Pod`.
    pub name: fn() -> std::borrow::Cow<'static, str>,
    /// Adds the schema (and those it refers to) to a generator; answers a reference to it.
    pub subschema: fn(&mut SchemaGenerator) -> Schema,
}

impl TypedSchema {
    /// The schema of `T`.
    pub const fn of<T: JsonSchema>() -> Self {
        Self {
            name: T::schema_name,
            subschema: SchemaGenerator::subschema_for::<T>,
        }
    }
}

impl ResourceInfo {
    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `selfsubjectreviews.authentication.k8s.io`, as used in error messages.
    pub fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// Whether the resource has a `status` subresource: a client's status is dropped on
    /// create, and ordinary writes keep the stored status.
    pub fn has_status(&self) -> bool {
        self.subresources.contains(&"status")
    }

    /// Looks a resource up by group, version and plural name.
    pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceInfo> {
        ALL.iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
    }

    /// Looks a resource up by its kind (the preferred version of it).
    pub fn by_kind(kind: &str) -> Option<&'static ResourceInfo> {
        ALL.iter().find(|r| r.kind == kind)
    }
}

impl PartialEq for ResourceInfo {
    fn eq(&self, other: &Self) -> bool {
        (self.group, self.version, self.plural) == (other.group, other.version, other.plural)
    }
}

impl Eq for ResourceInfo {}

impl std::hash::Hash for ResourceInfo {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.group, self.version, self.plural).hash(state);
    }
}

impl std::fmt::Debug for ResourceInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.api_version(), self.plural)
    }
}

/// A kind's behaviour, as upstream's REST strategies have it (`RESTCreateStrategy`,
/// `RESTUpdateStrategy`, `RESTDeleteStrategy` and `TableConvertor` in
/// `k8s.io/apiserver/pkg/registry/rest`, implemented per kind in
/// `pkg/registry/<group>/<kind>/strategy.go`). Objects are the normalized
/// JSON form of the kind's k8s-openapi type (what [`Strategy::normalize`] returns). Every
/// hook but `normalize` has a default that suits a kind without special rules.
pub trait Strategy: Send + Sync + 'static {
    /// The object as its typed (k8s-openapi) form serializes it: unknown fields dropped,
    /// values in canonical form. A type error is 400 BadRequest in the words of Go's decoder
    /// (`Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal ...`).
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError>;

    /// API defaulting (`pkg/apis/core/v1/defaults.go`); fills only what is missing, so it is
    /// idempotent and runs on creates and updates alike.
    fn default(&self, _object: &mut Value) {}

    /// Fields derived from others when the object is written out, run after admission
    /// (a pod's deprecated `spec.serviceAccount`).
    fn sync_derived_fields(&self, _object: &mut Value) {}

    /// Server-set fields of a new object, after its name and uid are assigned
    /// (upstream's `PrepareForCreate`; a pod's `metadata.generation`).
    fn prepare_for_create(&self, _object: &mut Value) {}

    /// Server-set fields of an updated object, from the stored one, after mutating
    /// admission (upstream's `PrepareForUpdate`; a webhook configuration's
    /// `metadata.generation`). Not run on subresource writes.
    fn prepare_for_update(&self, _old: &Value, _new: &mut Value) {}

    /// Whether admission webhooks leave requests on this kind alone (upstream exempts the
    /// webhook configurations themselves, so that a broken webhook cannot lock them in).
    fn exempt_from_admission_webhooks(&self) -> bool {
        false
    }

    /// Field errors of a new object (upstream's `Validate`).
    fn validate_create(&self, _object: &Value, _issues: &mut Issues) {}

    /// Field errors of an update from `old` to `new` (upstream's `ValidateUpdate`).
    fn validate_update(&self, _old: &Value, _new: &Value, _issues: &mut Issues) {}

    /// The object a write to `subresource` produces from the stored object and the request
    /// (upstream's status strategies): by default a `status` write changes only `status`.
    /// The result stays normalized: a field the request lacks is removed, never null.
    fn update_subresource(&self, subresource: &str, existing: &Value, request: &Value) -> Value {
        match subresource {
            "status" => status_write(existing, request),
            _ => existing.clone(),
        }
    }

    /// Whether deleting the object only marks it (with a deletion timestamp) and leaves its
    /// removal to a finalizing step (namespaces), even without finalizers.
    fn finalizes_on_delete(&self) -> bool {
        false
    }

    /// Changes to an object marked for deletion besides its deletion timestamp
    /// (a namespace's `Terminating` phase).
    fn mark_deleted(&self, _object: &mut Value) {}

    /// When a terminating namespace's content of this kind is removed, lowest first:
    /// workloads before the rest, service accounts last, so that controllers see token
    /// secrets go before their accounts.
    fn namespace_deletion_order(&self) -> u8 {
        1
    }

    /// Server-side Table columns (`kubectl get`), upstream's printer columns.
    fn table_columns(&self) -> &'static [Column] {
        table::DEFAULT_COLUMNS
    }

    /// The cells of one Table row, plus row conditions.
    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        table::default_row(object, now)
    }

    /// The field selector label as stored (`spec.host` → `spec.nodeName`), or upstream's
    /// error text. By default only the metadata fields are selectable, with the text of
    /// apimachinery's `DefaultMetaV1FieldSelectorConversion`; kinds that register their own
    /// conversion say `field label not supported: ...`.
    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        match label {
            "metadata.name" | "metadata.namespace" => Ok(label.to_string()),
            _ => Err(format!(
                "{label:?} is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
            )),
        }
    }

    /// How patches and the OpenAPI document treat the list or map at `path` (field names
    /// from the object root, list items skipped); the metadata rules are shared
    /// ([`super::field_rules::field_rule`]).
    fn field_rule(&self, _path: &[&str]) -> super::field_rules::FieldRule {
        super::field_rules::DEFAULT_RULE
    }

    /// The fields the store indexes for field selectors, besides `metadata.name` and
    /// `metadata.namespace` (which it always has); a selector on another field parses the
    /// object.
    fn selectable_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// The value of a selectable field; fields the object does not have are "".
    fn field_value(&self, object: &Value, field: &str) -> String {
        let text = |key: &str| {
            object["metadata"][key]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        match field {
            "metadata.name" => text("name"),
            "metadata.namespace" => text("namespace"),
            _ => String::new(),
        }
    }

    /// The answer to a create of a create-only resource (a review): the object returned
    /// with 201 Created.
    fn create_review(
        &self,
        _info: &ResourceInfo,
        _ctx: &RequestContext,
        _body: &Bytes,
    ) -> Result<Value, ApiError> {
        Err(ApiError::method_not_allowed())
    }
}

/// A write to the `status` subresource: the stored object with the request's status
/// (removed when the request has none).
pub fn status_write(existing: &Value, request: &Value) -> Value {
    let mut merged = existing.clone();
    if let Some(map) = merged.as_object_mut() {
        match request.get("status").filter(|s| !s.is_null()) {
            Some(status) => map.insert("status".into(), status.clone()),
            None => map.remove("status"),
        };
    }
    merged
}

/// The typed round trip behind [`Strategy::normalize`] for kind `T`.
pub fn normalize_as<T>(info: &ResourceInfo, object: &Value) -> Result<Value, ApiError>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    super::codec::round_trip::<T>(info, object)
}
