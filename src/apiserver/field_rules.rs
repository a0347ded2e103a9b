//! The list and map semantics of the served kinds, written once and read by both patch styles
//! and by the OpenAPI documents: the struct tags of
//! `k8s.io/api/core/v1` and `k8s.io/apimachinery/pkg/apis/meta/v1` (`patchStrategy`,
//! `patchMergeKey`) and their OpenAPI markers (`listType`, `listMapKey`, `mapType`).

use serde_json::Value;

/// How a strategic merge patch treats a list (`patchStrategy` / `patchMergeKey` tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmpList {
    /// No strategy: the patch list replaces the list.
    Replace,
    /// `patchStrategy:"merge" patchMergeKey:"<key>"`: objects merged by the key.
    MergeByKey(&'static str),
    /// `patchStrategy:"merge"` on a list of scalars: merged as a set.
    MergeSet,
}

/// How server-side apply treats a field (`listType`, `listMapKey`, `mapType` markers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyShape {
    /// Objects are merged field by field, lists are atomic.
    Default,
    /// `+mapType=atomic` / `+listType=atomic`: replaced and owned as a whole.
    Atomic,
    /// `+listType=set`: scalars merged as a set, owned one by one (`v:` elements).
    Set,
    /// `+listType=map` with `+listMapKey`s: objects merged by their keys (`k:` elements).
    Keyed(&'static [&'static str]),
}

/// How both patch styles treat one field of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRule {
    /// `patchStrategy:"merge,retainKeys"`: a union (a volume's source) whose patch names
    /// the keys to keep (`$retainKeys`).
    pub retain_keys: bool,
    /// The strategic merge patch strategy.
    pub smp: SmpList,
    /// The server-side apply shape.
    pub apply: ApplyShape,
}

/// Maps merged field by field, lists replaced.
pub const DEFAULT_RULE: FieldRule = FieldRule {
    retain_keys: false,
    smp: SmpList::Replace,
    apply: ApplyShape::Default,
};
/// A list of scalars merged as a set.
pub const SET_RULE: FieldRule = FieldRule {
    retain_keys: false,
    smp: SmpList::MergeSet,
    apply: ApplyShape::Set,
};
/// Replaced as a whole.
pub const ATOMIC_RULE: FieldRule = FieldRule {
    retain_keys: false,
    smp: SmpList::Replace,
    apply: ApplyShape::Atomic,
};

/// A list merged by one key in both patch styles.
pub const fn keyed(key: &'static str, apply_keys: &'static [&'static str]) -> FieldRule {
    FieldRule {
        retain_keys: false,
        smp: SmpList::MergeByKey(key),
        apply: ApplyShape::Keyed(apply_keys),
    }
}

/// The rule for the field at `path` of an object of `kind` (field names from the object
/// root; list items are skipped, so `spec.containers.env` is the env list of every
/// container): the metadata rules every kind shares, then the kind's own
/// ([`super::kinds::Strategy::field_rule`]).
pub fn field_rule(kind: &str, path: &[&str]) -> FieldRule {
    match path {
        ["metadata", "ownerReferences"] => keyed("uid", &["uid"]),
        ["metadata", "finalizers"] => SET_RULE,
        ["metadata", "managedFields"] => ATOMIC_RULE,
        _ => super::kinds::ResourceInfo::by_kind(kind)
            .map_or(DEFAULT_RULE, |resource| resource.strategy.field_rule(path)),
    }
}

/// OpenAPI defaults of list-map key fields, used when an item leaves the key out.
pub fn key_default(key: &str) -> Option<Value> {
    (key == "protocol").then(|| Value::String("TCP".to_string()))
}

/// [`field_rule`] for a path of owned names.
pub fn rule_at(kind: &str, names: &[String]) -> FieldRule {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    field_rule(kind, &names)
}
