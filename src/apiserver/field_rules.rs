//! The list and map semantics of the served kinds, written once and read by both patch styles
//! and by the OpenAPI documents: the struct tags of
//! `k8s.io/api/core/v1` and `k8s.io/apimachinery/pkg/apis/meta/v1` (`patchStrategy`,
//! `patchMergeKey`) and their OpenAPI markers (`listType`, `listMapKey`, `mapType`).

use serde_json::Value;

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

/// How both patch styles treat one field of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldRule {
    /// `patchStrategy:"merge,retainKeys"`: a union (a volume's source) whose patch names
    /// the keys to keep (`$retainKeys`).
    pub(crate) retain_keys: bool,
    /// The strategic merge patch strategy.
    pub(crate) smp: SmpList,
    /// The server-side apply shape.
    pub(crate) apply: ApplyShape,
}

/// Maps merged field by field, lists replaced.
pub(crate) const DEFAULT_RULE: FieldRule = FieldRule {
    retain_keys: false,
    smp: SmpList::Replace,
    apply: ApplyShape::Default,
};
/// A list of scalars merged as a set.
pub(crate) const SET_RULE: FieldRule = FieldRule {
    retain_keys: false,
    smp: SmpList::MergeSet,
    apply: ApplyShape::Set,
};
/// Replaced as a whole.
pub(crate) const ATOMIC_RULE: FieldRule = FieldRule {
    retain_keys: false,
    smp: SmpList::Replace,
    apply: ApplyShape::Atomic,
};

/// A list merged by one key in both patch styles.
pub(crate) const fn keyed(key: &'static str, apply_keys: &'static [&'static str]) -> FieldRule {
    FieldRule {
        retain_keys: false,
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

/// The rules of `Pod` (`k8s.io/api/core/v1.PodSpec` and `PodStatus`).
pub(crate) fn pod_field_rule(path: &[&str]) -> FieldRule {
    match path {
        ["spec", "containers" | "initContainers" | "ephemeralContainers"] => {
            keyed("name", &["name"])
        }
        ["spec", "containers" | "initContainers" | "ephemeralContainers", rest @ ..] => {
            container_field_rule(rest)
        }
        ["spec", "volumes" | "resourceClaims"] => FieldRule {
            retain_keys: true,
            ..keyed("name", &["name"])
        },
        ["spec", "imagePullSecrets" | "schedulingGates"] => keyed("name", &["name"]),
        ["spec", "hostAliases"] => keyed("ip", &["ip"]),
        ["spec", "topologySpreadConstraints"] => {
            keyed("topologyKey", &["topologyKey", "whenUnsatisfiable"])
        }
        ["spec", "nodeSelector" | "tolerations" | "readinessGates"] => ATOMIC_RULE,
        ["status", "conditions"] => keyed("type", &["type"]),
        ["status", "podIPs" | "hostIPs"] => keyed("ip", &["ip"]),
        ["status", "resourceClaimStatuses"] => FieldRule {
            retain_keys: true,
            ..keyed("name", &["name"])
        },
        ["status", "containerStatuses" | "initContainerStatuses" | "ephemeralContainerStatuses", "volumeMounts"] => {
            keyed("mountPath", &["mountPath"])
        }
        ["status", "containerStatuses" | "initContainerStatuses" | "ephemeralContainerStatuses", "allocatedResourcesStatus"] => {
            keyed("name", &["name"])
        }
        _ => DEFAULT_RULE,
    }
}

/// The rules of a `Container`, from its own root.
pub(crate) fn container_field_rule(path: &[&str]) -> FieldRule {
    match path {
        ["env"] => keyed("name", &["name"]),
        ["ports"] => keyed("containerPort", &["containerPort", "protocol"]),
        ["volumeMounts"] => keyed("mountPath", &["mountPath"]),
        ["volumeDevices"] => keyed("devicePath", &["devicePath"]),
        // `+listType=map` without a patch strategy.
        ["resources", "claims"] => FieldRule {
            retain_keys: false,
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

/// [`field_rule`] for a path of owned names.
pub(crate) fn rule_at(kind: &str, names: &[String]) -> FieldRule {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    field_rule(kind, &names)
}
