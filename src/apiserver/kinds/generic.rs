//! The strategy of the kinds served without behaviour of their own ([`super::builtin`]):
//! what every kind gets from the registry (storage, discovery, OpenAPI, watch, the four
//! patch kinds), decoding through the kind's k8s-openapi type (so unknown and ill-typed
//! fields are refused as for every kind), upstream's metadata validation, the
//! `metadata.generation` rules of kinds with a spec and a status, and table columns: a
//! kind's own printer where it declares one (upstream's
//! `pkg/printers/internalversion/printers.go`, see [`super::printers`]), NAME/AGE otherwise.
//! Defaulting only where a kind declares it ([`super::workload_defaults`]); no kind-specific
//! validation or controllers.

use std::marker::PhantomData;

use jiff::Timestamp;
use serde_json::{json, Value};

use super::{ResourceInfo, Strategy};
use crate::apiserver::deprecation::Lifecycle;
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::{keyed, FieldRule, DEFAULT_RULE};
use crate::apiserver::table::{self, Column, AGE_COLUMN, NAME_COLUMN};
use crate::apiserver::validation::{
    name_is_dns_subdomain, validate_object_meta, validate_object_meta_update, Issues,
};
use crate::authn::UserInfo;

/// The columns of a generically served kind without a printer of its own.
const COLUMNS: &[Column] = &[NAME_COLUMN, AGE_COLUMN];

/// A kind's server-side printer (one `TableHandler` of upstream's `AddHandlers`): its
/// column definitions and the cells of one object's row, wide columns included (the server
/// always prints wide; kubectl hides priority-1 columns unless `-o wide`).
#[derive(Clone, Copy)]
pub struct Printer {
    /// The column definitions, in upstream's order.
    pub columns: &'static [Column],
    /// One cell per column.
    pub row: fn(&Value, Timestamp) -> Vec<Value>,
}

/// NAME and AGE, for kinds without a printer of their own.
const NAME_AGE: Printer = Printer {
    columns: COLUMNS,
    row: name_age_row,
};

fn name_age_row(object: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(table::str_at(object, &["metadata", "name"])),
        json!(table::age(object, now)),
    ]
}

/// API defaulting of a kind (its `SetObjectDefaults_<Kind>`): fills only what is missing.
pub type Defaulter = fn(&mut Value);

/// How patches and OpenAPI treat a kind's lists and maps: field names from the object root,
/// list items skipped ([`Strategy::field_rule`]).
pub type FieldRules = fn(&[&str]) -> FieldRule;

/// The strategy of a kind whose objects are the k8s-openapi type `T`.
pub struct GenericStrategy<T> {
    namespaced: bool,
    /// Kinds with a status subresource keep `metadata.generation`: 1 on create, one more
    /// for each change of the spec (upstream's `PrepareForCreate`/`PrepareForUpdate` of
    /// every such kind).
    generation: bool,
    rules: FieldRules,
    /// Set for kinds upstream tags deprecated ([`Strategy::lifecycle`]).
    lifecycle: Option<Lifecycle>,
    printer: Printer,
    defaults: Option<Defaulter>,
    subresource_writes: Option<SubresourceWriter>,
    creates: Option<CreatePreparer>,
    updates: Option<UpdatePreparer>,
    /// [`Strategy::returns_deleted_object`].
    returns_deleted: bool,
    kind: PhantomData<fn() -> T>,
}

/// A kind's own preparation of a new object (requesting user, object), run once its name
/// and uid are set (upstream's `PrepareForCreate`).
pub type CreatePreparer = fn(&UserInfo, &mut Value);

/// A kind's own preparation of an update (stored object, new object), run before the
/// generation rule (upstream's `PrepareForUpdate`).
pub type UpdatePreparer = fn(&Value, &mut Value);

/// A kind's own rules for writes to its subresources ([`Strategy::update_subresource`]:
/// subresource, stored object, request, now); `None` leaves a subresource to the default.
pub type SubresourceWriter = fn(&str, &Value, &Value, &str) -> Option<Value>;

impl<T> GenericStrategy<T> {
    /// A strategy for a kind of that scope, with a status subresource or not.
    pub const fn new(namespaced: bool, subresources: &[&str], rules: FieldRules) -> Self {
        Self {
            namespaced,
            generation: contains(subresources, "status"),
            rules,
            lifecycle: None,
            printer: NAME_AGE,
            defaults: None,
            subresource_writes: None,
            creates: None,
            updates: None,
            returns_deleted: false,
            kind: PhantomData,
        }
    }

    /// The same strategy answering a delete with the deleted object, as upstream's store of
    /// the kind sets `ReturnDeletedObject` ([`Strategy::returns_deleted_object`]).
    pub const fn returns_deleted_object(mut self, returns: bool) -> Self {
        self.returns_deleted = returns;
        self
    }

    /// The same strategy with the kind's own table printer.
    pub const fn printer(mut self, printer: Printer) -> Self {
        self.printer = printer;
        self
    }

    /// The same strategy with the kind's API defaulting.
    pub const fn defaults(mut self, defaults: Defaulter) -> Self {
        self.defaults = Some(defaults);
        self
    }

    /// The same strategy with the kind's own preparation of a new object, run once its
    /// name and uid are set (upstream's `PrepareForCreate`).
    pub const fn creates(mut self, prepare: CreatePreparer) -> Self {
        self.creates = Some(prepare);
        self
    }

    /// The same strategy with the kind's own preparation of an update, run before the
    /// generation rule (upstream's `PrepareForUpdate`).
    pub const fn updates(mut self, prepare: UpdatePreparer) -> Self {
        self.updates = Some(prepare);
        self
    }

    /// The same strategy with the kind's own subresource writes.
    pub const fn subresource_writes(mut self, writes: SubresourceWriter) -> Self {
        self.subresource_writes = Some(writes);
        self
    }

    /// The same strategy for a kind with upstream's lifecycle tags (a deprecated kind).
    pub const fn with_lifecycle(mut self, lifecycle: Option<Lifecycle>) -> Self {
        self.lifecycle = lifecycle;
        self
    }
}

/// Whether `list` holds `item` (a `const` `contains`).
const fn contains(list: &[&str], item: &str) -> bool {
    let mut i = 0;
    while i < list.len() {
        let candidate = list[i].as_bytes();
        let wanted = item.as_bytes();
        if candidate.len() == wanted.len() {
            let mut j = 0;
            while j < wanted.len() && candidate[j] == wanted[j] {
                j += 1;
            }
            if j == wanted.len() {
                return true;
            }
        }
        i += 1;
    }
    false
}

impl<T> Strategy for GenericStrategy<T>
where
    T: serde::de::DeserializeOwned + serde::Serialize + 'static,
{
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<T>(info, object)
    }

    fn default(&self, object: &mut Value) {
        if let Some(defaults) = self.defaults {
            defaults(object);
        }
    }

    fn update_subresource(
        &self,
        subresource: &str,
        existing: &Value,
        request: &Value,
        now: &str,
    ) -> Value {
        self.subresource_writes
            .and_then(|writes| writes(subresource, existing, request, now))
            .unwrap_or_else(|| match subresource {
                "status" => self.status_subresource_write(existing, request),
                _ => existing.clone(),
            })
    }

    fn prepare_for_create(&self, user: &UserInfo, object: &mut Value) {
        if self.generation {
            object["metadata"]["generation"] = json!(1);
        }
        if let Some(prepare) = self.creates {
            prepare(user, object);
        }
    }

    fn prepare_for_update(&self, old: &Value, new: &mut Value) {
        // The kind's own rules first: a spec they restore (a CertificateSigningRequest's)
        // is no change of the spec.
        if let Some(prepare) = self.updates {
            prepare(old, new);
        }
        if self.generation && old.get("spec") != new.get("spec") {
            let generation = old["metadata"]["generation"].as_i64().unwrap_or(0);
            new["metadata"]["generation"] = json!(generation + 1);
        }
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_object_meta(object, self.namespaced, name_is_dns_subdomain, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validate_object_meta_update(old, new, issues);
        validate_object_meta(new, self.namespaced, name_is_dns_subdomain, issues);
    }

    fn field_rule(&self, path: &[&str]) -> FieldRule {
        (self.rules)(path)
    }

    fn lifecycle(&self) -> Option<Lifecycle> {
        self.lifecycle
    }

    fn returns_deleted_object(&self) -> bool {
        self.returns_deleted
    }

    fn table_columns(&self) -> &'static [Column] {
        self.printer.columns
    }

    fn table_row(&self, object: &Value, now: Timestamp) -> (Vec<Value>, Option<Value>) {
        ((self.printer.row)(object, now), None)
    }
}

/// Declares the [`ResourceInfo`] of a generically served kind in one line:
/// `generic_kind!(CONST, Type, "singular", Namespaced | Cluster, [short names],
/// [categories], [subresources], field rules, "verbs"?; printer = P, defaults = F)`, where
/// the options after `;` are [`GenericStrategy`]'s builder methods (`printer`, `defaults`,
/// `creates`, `subresource_writes`).
/// Group, version, plural and kind come from the type's `k8s_openapi::Resource`
/// implementation.
macro_rules! generic_kind {
    ($name:ident, $ty:ident, $singular:literal, $scope:ident, [$($short:literal),*],
     [$($category:literal),*], [$($sub:literal),*], $rules:expr $(, $verbs:expr)?
     $(; $($option:ident = $value:expr),+)?) => {
        $crate::apiserver::kinds::generic::generic_kind!(@lifecycle None; $name, $ty, $singular,
            $scope, [$($short),*], [$($category),*], [$($sub),*], $rules $(, $verbs)?
            $(; $($option = $value),+)?);
    };
    (deprecated $lifecycle:expr; $name:ident, $ty:ident, $singular:literal, $scope:ident,
     [$($short:literal),*], [$($category:literal),*], [$($sub:literal),*], $rules:expr
     $(, $verbs:expr)? $(; $($option:ident = $value:expr),+)?) => {
        $crate::apiserver::kinds::generic::generic_kind!(@lifecycle Some($lifecycle); $name, $ty,
            $singular, $scope, [$($short),*], [$($category),*], [$($sub),*], $rules $(, $verbs)?
            $(; $($option = $value),+)?);
    };
    (@lifecycle $lifecycle:expr; $name:ident, $ty:ident, $singular:literal, $scope:ident,
     [$($short:literal),*], [$($category:literal),*], [$($sub:literal),*], $rules:expr
     $(, $verbs:expr)? $(; $($option:ident = $value:expr),+)?) => {
        #[doc = concat!("`", stringify!($ty), "`, served generically.")]
        pub const $name: $crate::apiserver::kinds::ResourceInfo =
            $crate::apiserver::kinds::ResourceInfo {
                group: <$ty as k8s_openapi::Resource>::GROUP,
                version: <$ty as k8s_openapi::Resource>::VERSION,
                plural: <$ty as k8s_openapi::Resource>::URL_PATH_SEGMENT,
                singular: $singular,
                kind: <$ty as k8s_openapi::Resource>::KIND,
                list_kind: concat!(stringify!($ty), "List"),
                namespaced: $crate::apiserver::kinds::generic::generic_kind!(@namespaced $scope),
                short_names: &[$($short),*],
                categories: &[$($category),*],
                verbs: $crate::apiserver::kinds::generic::generic_kind!(@verbs $($verbs)?),
                subresources: &[$($sub),*],
                create_only: false,
                strategy: &$crate::apiserver::kinds::generic::GenericStrategy::<$ty>::new(
                    $crate::apiserver::kinds::generic::generic_kind!(@namespaced $scope),
                    &[$($sub),*],
                    $rules,
                ).with_lifecycle($lifecycle)$($(.$option($value))+)?,
                schema: $crate::apiserver::kinds::TypedSchema::of::<$ty>(),
            };
    };
    (@namespaced Namespaced) => { true };
    (@namespaced Cluster) => { false };
    (@verbs) => { $crate::apiserver::kinds::CRUD_VERBS };
    (@verbs $verbs:expr) => { $verbs };
}
pub(crate) use generic_kind;

/// Lists merged by nothing but their conditions' `type` (most kinds with a status).
pub fn conditions(path: &[&str]) -> FieldRule {
    match path {
        ["status", "conditions"] => keyed("type", &["type"]),
        _ => DEFAULT_RULE,
    }
}

/// No list or map with a rule of its own.
pub fn plain(_path: &[&str]) -> FieldRule {
    DEFAULT_RULE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn const_contains_compares_whole_strings() {
        assert!(contains(&["scale", "status"], "status"));
        assert!(!contains(&["statuses"], "status"));
        assert!(!contains(&[], "status"));
    }
}
