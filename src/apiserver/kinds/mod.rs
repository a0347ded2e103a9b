//! The registry of served kinds: one module per kind, each a [`ResourceInfo`] (scope,
//! names, verbs, subresources) and a [`Strategy`] (normalizing, defaulting, validation,
//! status handling, table columns, field selectors), in the manner of upstream's
//! `pkg/registry/<group>/<kind>/strategy.go`.
//!
//! Routing, discovery, OpenAPI and the verb handlers read [`ALL`]; nothing outside this
//! module chooses behaviour by a kind's name. Adding a kind is one new file here and one
//! line in [`ALL`]; a kind served without behaviour of its own is one line in
//! [`builtin`] ([`generic`] has its strategy).

use futures::future::BoxFuture;
use k8s_openapi::schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::Value;

use super::authz::Authorizer;
use super::errors::ApiError;
use super::http::RequestContext;
use super::store::Store;
use super::table::{self, Column};
use super::validation::Issues;
use crate::authn::AuthenticationChain;

pub mod accessreview;
pub mod admission_policy;
pub(crate) mod admissionregistration;
pub mod builtin;
pub mod certificate_signing_request;
pub mod configmap;
pub mod deployment;
pub mod endpoints;
pub mod endpointslice;
pub mod event;
pub mod generic;
pub mod job;
pub mod lease;
pub mod mutatingwebhookconfiguration;
pub mod namespace;
pub mod node;
pub mod pod;
pub mod printers;
pub mod rbac;
pub mod secret;
pub mod selfsubjectreview;
pub mod service;
pub mod serviceaccount;
pub mod serviceaccount_token;
pub mod tokenreview;
pub mod validatingwebhookconfiguration;
pub mod workload_defaults;

pub use accessreview::localsubjectaccessreview::LOCAL_SUBJECT_ACCESS_REVIEWS;
pub use accessreview::selfsubjectaccessreview::SELF_SUBJECT_ACCESS_REVIEWS;
pub use accessreview::selfsubjectrulesreview::SELF_SUBJECT_RULES_REVIEWS;
pub use accessreview::subjectaccessreview::SUBJECT_ACCESS_REVIEWS;
pub use configmap::CONFIG_MAPS;
pub use endpoints::ENDPOINTS;
pub use endpointslice::ENDPOINT_SLICES;
pub use event::{EVENTS, EVENTS_V1};
pub use lease::LEASES;
pub use mutatingwebhookconfiguration::MUTATING_WEBHOOK_CONFIGURATIONS;
pub use namespace::NAMESPACES;
pub use node::NODES;
pub use pod::PODS;
pub use rbac::{CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS};
pub use secret::SECRETS;
pub use selfsubjectreview::{
    SELF_SUBJECT_REVIEWS, SELF_SUBJECT_REVIEWS_V1ALPHA1, SELF_SUBJECT_REVIEWS_V1BETA1,
};
pub use service::SERVICES;
pub use serviceaccount::SERVICE_ACCOUNTS;
pub use tokenreview::TOKEN_REVIEWS;
pub use validatingwebhookconfiguration::VALIDATING_WEBHOOK_CONFIGURATIONS;

/// Every served resource: the kinds with behaviour of their own, core group first and
/// within a group the preferred version first, then those served generically
/// ([`builtin::GENERIC`]).
pub const ALL: &[ResourceInfo] =
    &concat::<{ OWN.len() + builtin::GENERIC.len() }>(OWN, builtin::GENERIC);

/// The kinds with a strategy of their own.
const OWN: &[ResourceInfo] = &[
    NAMESPACES,
    SERVICE_ACCOUNTS,
    SECRETS,
    PODS,
    CONFIG_MAPS,
    SELF_SUBJECT_REVIEWS,
    TOKEN_REVIEWS,
    SELF_SUBJECT_REVIEWS_V1BETA1,
    SELF_SUBJECT_REVIEWS_V1ALPHA1,
    LOCAL_SUBJECT_ACCESS_REVIEWS,
    SELF_SUBJECT_ACCESS_REVIEWS,
    SELF_SUBJECT_RULES_REVIEWS,
    SUBJECT_ACCESS_REVIEWS,
    CLUSTER_ROLES,
    CLUSTER_ROLE_BINDINGS,
    ROLES,
    ROLE_BINDINGS,
    NODES,
    SERVICES,
    ENDPOINTS,
    EVENTS,
    ENDPOINT_SLICES,
    EVENTS_V1,
    LEASES,
    MUTATING_WEBHOOK_CONFIGURATIONS,
    VALIDATING_WEBHOOK_CONFIGURATIONS,
];

/// `a` followed by `b`, at compile time.
const fn concat<const N: usize>(a: &[ResourceInfo], b: &[ResourceInfo]) -> [ResourceInfo; N] {
    assert!(a.len() + b.len() == N && N > 0);
    let mut out = [a[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

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

    /// Looks a resource up by group, version and plural name (every request does: an index
    /// by plural, built once, instead of comparing names along [`ALL`]).
    pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceInfo> {
        type ByPlural = std::collections::HashMap<&'static str, Vec<&'static ResourceInfo>>;
        static BY_PLURAL: std::sync::OnceLock<ByPlural> = std::sync::OnceLock::new();
        BY_PLURAL
            .get_or_init(|| {
                let mut index = ByPlural::new();
                for resource in ALL {
                    index.entry(resource.plural).or_default().push(resource);
                }
                index
            })
            .get(plural)?
            .iter()
            .find(|r| r.group == group && r.version == version)
            .copied()
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
    /// (upstream's `PrepareForCreate`; a pod's `metadata.generation`). `user` is the
    /// requesting user, after impersonation (a CertificateSigningRequest records it).
    fn prepare_for_create(&self, _user: &crate::authn::UserInfo, _object: &mut Value) {}

    /// Server-set fields of an updated object, from the stored one, after the stored status
    /// and identity are carried over (upstream's `PrepareForUpdate`: a generation bump when
    /// the spec changes, a Service's allocated cluster IPs kept). Not run on subresource
    /// writes.
    fn prepare_for_update(&self, _old: &Value, _new: &mut Value) {}

    /// Whether admission webhooks leave requests on this kind alone (upstream exempts the
    /// webhook configurations themselves, so that a broken webhook cannot lock them in).
    fn exempt_from_admission_webhooks(&self) -> bool {
        false
    }

    /// Field errors of a new object (upstream's `Validate`).
    fn validate_create(&self, _object: &Value, _issues: &mut Issues) {}

    /// Warnings for the client about a valid new object (upstream's `WarningsOnCreate`,
    /// added after validation); none by default.
    fn warnings_on_create(&self, _object: &Value) -> Vec<String> {
        Vec::new()
    }

    /// Field errors of an update from `old` to `new` (upstream's `ValidateUpdate`).
    fn validate_update(&self, _old: &Value, _new: &Value, _issues: &mut Issues) {}

    /// Field errors of a write to `subresource` (upstream's per-subresource strategies'
    /// `ValidateUpdate`); by default the kind's own update validation.
    fn validate_subresource_update(
        &self,
        _subresource: &str,
        old: &Value,
        new: &Value,
        issues: &mut Issues,
    ) {
        self.validate_update(old, new, issues);
    }

    /// The object a write to `subresource` produces from the stored object and the request
    /// (upstream's status strategies): by default a `status` write changes only `status`.
    /// The result stays normalized: a field the request lacks is removed, never null.
    /// `now` is the server's time (RFC 3339), for timestamps the write sets.
    fn update_subresource(
        &self,
        subresource: &str,
        existing: &Value,
        request: &Value,
        _now: &str,
    ) -> Value {
        match subresource {
            "status" => self.status_subresource_write(existing, request),
            _ => existing.clone(),
        }
    }

    /// For a kind whose `status` writes take the request's metadata (upstream's status
    /// strategy resets only the spec and these metadata fields, which keep their stored
    /// values): the fields. `None`, the default: a `status` write changes only `status`.
    /// Both a status update ([`Strategy::status_subresource_write`]) and a server-side
    /// apply to the status read it.
    fn status_write_keeps_stored(&self) -> Option<&'static [&'static str]> {
        None
    }

    /// A write to the `status` subresource: [`status_write_with_metadata`] for a kind with
    /// [`Strategy::status_write_keeps_stored`], else [`status_write`].
    fn status_subresource_write(&self, existing: &Value, request: &Value) -> Value {
        match self.status_write_keeps_stored() {
            Some(kept) => status_write_with_metadata(existing, request, kept),
            None => status_write(existing, request),
        }
    }

    /// Whether a new object keeps the status it was sent with although the kind has a
    /// `status` subresource (a node registers with its status); by default it is dropped.
    fn keeps_status_on_create(&self) -> bool {
        false
    }

    /// Whether deleting the object only marks it (with a deletion timestamp) and leaves its
    /// removal to a finalizing step (namespaces), even without finalizers.
    fn finalizes_on_delete(&self) -> bool {
        false
    }

    /// Whether a delete that removes the object answers with the object (upstream's store
    /// sets `ReturnDeletedObject`: pods, service accounts, pod templates, ...); otherwise it
    /// answers a `Status` of `Success` naming it (`Store.finalizeDelete`).
    fn returns_deleted_object(&self) -> bool {
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

    /// The kind's deprecation, if upstream tags it (`+k8s:prerelease-lifecycle-gen`):
    /// requests on it then carry the warning of [`crate::apiserver::deprecation`].
    fn lifecycle(&self) -> Option<crate::apiserver::deprecation::Lifecycle> {
        None
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

    /// What a new object takes from cluster-wide pools before it is validated and stored
    /// (upstream's `BeginCreate` hook: a Service's cluster IP). The reservation lasts as
    /// long as the returned [`Allocation`]; once the object is stored, the stored object
    /// holds it. Errors are the create's answer (422 with upstream's text).
    fn allocate(&self, _store: &Store, _object: &mut Value) -> Result<Allocation, ApiError> {
        Ok(Allocation::none())
    }

    /// How long an object lives after its last write (upstream's `TTLFunc`: Events, for
    /// `--event-ttl`); `None`: until deleted.
    fn ttl(&self) -> Option<std::time::Duration> {
        None
    }

    /// The version this resource's objects are stored in, when it is another resource's
    /// (events.k8s.io/v1 Events are kept as core/v1 Events); the store converts on the way
    /// in and out.
    fn storage_version(&self) -> Option<&'static StorageVersion> {
        None
    }

    /// Checks a create or update needs beyond the verb's own authorization, run after
    /// defaulting and before admission (upstream's policy-based storages of RBAC: a user
    /// may grant only what it holds). A refusal is the error answered.
    fn authorize_write(&self, _check: &WriteCheck<'_>) -> Result<(), ApiError> {
        Ok(())
    }

    /// The answer to a create of a create-only resource (a review), the object returned with
    /// 201 Created (upstream's `rest.Creater.Create` of the kind's REST). `object` is the
    /// decoded, normalized request body, its namespace reconciled with the URL's.
    fn create_review<'a>(
        &'a self,
        _info: &'a ResourceInfo,
        _review: &'a Review<'a>,
        _object: Value,
    ) -> BoxFuture<'a, Result<Value, ApiError>> {
        Box::pin(async { Err(ApiError::method_not_allowed()) })
    }
}

/// What a review is answered from: the request, and the server's authorizer and
/// authentication chain.
pub struct Review<'a> {
    /// The request; its user is the caller (after impersonation).
    pub request: &'a RequestContext,
    /// The namespace of the URL; empty for cluster-scoped resources.
    pub namespace: &'a str,
    /// The server's authorizer (access reviews ask it).
    pub authorizer: &'a dyn Authorizer,
    /// The server's authentication chain (token reviews run it).
    pub authenticator: &'a AuthenticationChain,
    /// Whether a request without credentials is `system:anonymous` (`--anonymous-auth`):
    /// a token review whose token reads as no bearer token at all falls back to it, as
    /// upstream's request authenticator does.
    pub anonymous_auth: bool,
    /// The server's clock (a review's `creationTimestamp`).
    pub clock: &'a dyn crate::clock::Clock,
}

/// What [`Strategy::authorize_write`] sees of a create or update.
pub struct WriteCheck<'a> {
    /// The resource written.
    pub resource: &'static ResourceInfo,
    /// Who writes.
    pub user: &'a crate::authn::UserInfo,
    /// The request's namespace; empty for cluster-scoped resources.
    pub namespace: &'a str,
    /// The name in the request's path; empty on a create.
    pub request_name: &'a str,
    /// The object as it would be stored (defaulted).
    pub object: &'a Value,
    /// The stored object an update replaces; None on a create.
    pub old: Option<&'a Value>,
    /// The server's authorizer.
    pub authorizer: &'a dyn super::authz::Authorizer,
    /// The store, for objects the check refers to (the role a binding names).
    pub store: &'a super::store::Store,
}

impl WriteCheck<'_> {
    /// `metadata.name` of the object written.
    pub fn object_name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }
}

/// How a resource served in one version is kept in another's storage (upstream's storage
/// version and its conversion functions). Both functions take and return whole objects,
/// `apiVersion` and `kind` included.
pub struct StorageVersion {
    /// The resource whose objects are stored.
    pub stored: &'static ResourceInfo,
    /// From the served version to the stored one.
    pub to_storage: fn(Value) -> Value,
    /// From the stored version to the served one.
    pub from_storage: fn(Value) -> Value,
}

/// A reservation made by [`Strategy::allocate`], released when dropped.
pub struct Allocation {
    _guard: Option<Box<dyn Send>>,
}

impl Allocation {
    /// Nothing reserved.
    pub fn none() -> Self {
        Self { _guard: None }
    }

    /// A reservation held until `guard` is dropped.
    pub fn held(guard: impl Send + 'static) -> Self {
        Self {
            _guard: Some(Box::new(guard)),
        }
    }
}

/// The kind's zero status, as upstream's `PrepareForCreate` sets it and Go's JSON prints
/// it (a struct value, never left out): the typed form of an empty status, so fields the
/// type requires are there (`{}` for a Deployment, `{"replicas":0}` for a StatefulSet,
/// `{"desiredReplicas":0}` for a HorizontalPodAutoscaler). `{}` when the typed form cannot
/// be built without a spec. Computed once per kind.
pub fn zero_status(info: &ResourceInfo) -> Value {
    type Cache = std::sync::Mutex<
        std::collections::HashMap<(&'static str, &'static str, &'static str), Value>,
    >;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    let key = (info.group, info.version, info.kind);
    let mut known = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    known
        .entry(key)
        .or_insert_with(|| {
            let empty = serde_json::json!({
                "apiVersion": info.api_version(),
                "kind": info.kind,
                "metadata": {},
                "status": {},
            });
            info.strategy
                .normalize(info, &empty)
                .ok()
                .and_then(|mut typed| typed.get_mut("status").map(Value::take))
                .filter(Value::is_object)
                .unwrap_or_else(|| Value::Object(serde_json::Map::new()))
        })
        .clone()
}

/// A status that is missing or empty becomes the kind's [`zero_status`], where the kind
/// has a status subresource (a create, a status write without a status, an object stored
/// before statuses were kept).
pub fn fill_zero_status(info: &ResourceInfo, object: &mut Value) {
    if !info.has_status() {
        return;
    }
    let Some(map) = object.as_object_mut() else {
        return;
    };
    let empty = map
        .get("status")
        .is_none_or(|status| status.as_object().is_some_and(serde_json::Map::is_empty));
    if empty {
        map.insert("status".into(), zero_status(info));
    }
}

/// A write to the `status` subresource: the stored object with the request's status
/// (empty when the request has none: a Go struct value, which JSON always carries; see
/// [`fill_zero_status`]).
pub fn status_write(existing: &Value, request: &Value) -> Value {
    let mut merged = existing.clone();
    if let Some(map) = merged.as_object_mut() {
        let status = request
            .get("status")
            .filter(|s| !s.is_null())
            .cloned()
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        map.insert("status".into(), status);
    }
    merged
}

/// A write to the `status` subresource of a kind whose status strategy resets only the spec
/// (and `kept_metadata`): [`status_write`], but with the request's metadata, so that labels,
/// annotations and finalizers the request changes are kept, as upstream's
/// `namespaceStatusStrategy` and `podStatusStrategy` keep them (`PrepareForUpdate` copies
/// the old `Spec` and, for a pod, the old `OwnerReferences` into the new object). System
/// fields (uid, creation and deletion timestamps, generation) are restored by the update
/// itself, as `rest.BeforeUpdate` restores them. A request without metadata keeps the
/// stored metadata.
pub fn status_write_with_metadata(
    existing: &Value,
    request: &Value,
    kept_metadata: &[&str],
) -> Value {
    let mut merged = status_write(existing, request);
    let Some(mut metadata) = request.get("metadata").and_then(Value::as_object).cloned() else {
        return merged;
    };
    for field in kept_metadata {
        match existing["metadata"].get(*field) {
            Some(value) => metadata.insert((*field).to_string(), value.clone()),
            None => metadata.remove(*field),
        };
    }
    if let Some(map) = merged.as_object_mut() {
        map.insert("metadata".into(), Value::Object(metadata));
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
