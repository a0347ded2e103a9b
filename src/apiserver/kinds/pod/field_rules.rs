//! How patches and the OpenAPI document treat a pod's lists and maps: the struct tags of
//! `k8s.io/api/core/v1.PodSpec`, `PodStatus` and `Container` (`patchStrategy`,
//! `patchMergeKey`, `listType`, `listMapKey`, `mapType`).

use crate::apiserver::field_rules::{
    keyed, ApplyShape, FieldRule, SmpList, ATOMIC_RULE, DEFAULT_RULE,
};

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
fn container_field_rule(path: &[&str]) -> FieldRule {
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
