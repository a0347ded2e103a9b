//! Every other built-in kind of Kubernetes 1.33, served generically
//! ([`super::generic`]): one line each, with upstream's scope, short names, categories and
//! subresources (a `status` where upstream has one; `scale` is not served), and the list
//! rules patches need (the pod template's come from the pod's own rules). Kinds with a
//! printer upstream name it (`printer = ...`, [`super::printers`]); the workload kinds name
//! their API defaulting (`defaults = ...`, [`super::workload_defaults`]).
//!
//! Left out: alpha and beta versions (off by default upstream), `autoscaling/v1`
//! (upstream keeps it in the same storage as `autoscaling/v2` through a conversion this
//! server does not have), `bindings` (a pod subresource in disguise), and the kinds of
//! RBAC, authorization, authentication and the two webhook configurations, which have kinds
//! of their own. ValidatingAdmissionPolicies and their bindings are stored and served but
//! not enforced, as on a server started with
//! `--disable-admission-plugins=ValidatingAdmissionPolicy`.

use k8s_openapi::api::admissionregistration::v1::{
    ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding,
};
use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use k8s_openapi::api::core::v1::{
    ComponentStatus, LimitRange, PersistentVolume, PersistentVolumeClaim, PodTemplate,
    ReplicationController, ResourceQuota,
};
use k8s_openapi::api::flowcontrol::v1::{FlowSchema, PriorityLevelConfiguration};
use k8s_openapi::api::networking::v1::{
    IPAddress, Ingress, IngressClass, NetworkPolicy, ServiceCIDR,
};
use k8s_openapi::api::node::v1::RuntimeClass;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::api::storage::v1::{
    CSIDriver, CSINode, CSIStorageCapacity, StorageClass, VolumeAttachment,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;

use super::admission_policy;
use super::certificate_signing_request;
use super::deployment as deployment_strategy;
use super::generic::{conditions, generic_kind, plain};
use super::job as job_strategy;
use super::pod::pod_field_rule;
use super::printers::{apps, batch, certificates, networking, policy, storage};
use super::workload_defaults::{
    default_cron_job, default_daemon_set, default_deployment, default_job, default_replica_set,
    default_replication_controller, default_stateful_set,
};
use super::ResourceInfo;
use crate::apiserver::deprecation::Lifecycle;
use crate::apiserver::field_rules::{ApplyShape, FieldRule, SmpList, DEFAULT_RULE};

const COMPONENT_STATUS_LIFECYCLE: Lifecycle = Lifecycle {
    deprecated: (1, 19),
    removed: None,
    replacement: None,
};
// Deprecated in 1.19 without a replacement (k8s.io/api core/v1 `ComponentStatus`'
// `prerelease-lifecycle-gen:deprecated=1.19`): `kubectl get cs` warns.
generic_kind! {deprecated COMPONENT_STATUS_LIFECYCLE; COMPONENT_STATUSES, ComponentStatus, "componentstatus", Cluster, ["cs"], [], [], plain, &["get", "list"]}
generic_kind! {LIMIT_RANGES, LimitRange, "limitrange", Namespaced, ["limits"], [], [], plain; printer = policy::LIMIT_RANGE}
generic_kind! {PERSISTENT_VOLUME_CLAIMS, PersistentVolumeClaim, "persistentvolumeclaim", Namespaced, ["pvc"], [], ["status"], conditions; printer = storage::PERSISTENT_VOLUME_CLAIM, returns_deleted_object = true}
generic_kind! {PERSISTENT_VOLUMES, PersistentVolume, "persistentvolume", Cluster, ["pv"], [], ["status"], plain; printer = storage::PERSISTENT_VOLUME, returns_deleted_object = true}
generic_kind! {POD_TEMPLATES, PodTemplate, "podtemplate", Namespaced, [], [], [], pod_template; returns_deleted_object = true}
generic_kind! {REPLICATION_CONTROLLERS, ReplicationController, "replicationcontroller", Namespaced, ["rc"], ["all"], ["status"], workload; printer = apps::REPLICATION_CONTROLLER, defaults = default_replication_controller}
generic_kind! {RESOURCE_QUOTAS, ResourceQuota, "resourcequota", Namespaced, ["quota"], [], ["status"], plain; printer = policy::RESOURCE_QUOTA, returns_deleted_object = true}
generic_kind! {VALIDATING_ADMISSION_POLICIES, ValidatingAdmissionPolicy, "validatingadmissionpolicy", Cluster, [], ["api-extensions"], ["status"], admission_policy::policy_field_rule; printer = admission_policy::POLICY_PRINTER, defaults = admission_policy::default_policy}
generic_kind! {VALIDATING_ADMISSION_POLICY_BINDINGS, ValidatingAdmissionPolicyBinding, "validatingadmissionpolicybinding", Cluster, [], ["api-extensions"], [], admission_policy::binding_field_rule; printer = admission_policy::BINDING_PRINTER, defaults = admission_policy::default_binding}
generic_kind! {CUSTOM_RESOURCE_DEFINITIONS, CustomResourceDefinition, "customresourcedefinition", Cluster, ["crd", "crds"], ["api-extensions"], ["status"], plain}
generic_kind! {API_SERVICES, APIService, "apiservice", Cluster, [], ["api-extensions"], ["status"], conditions}
generic_kind! {CONTROLLER_REVISIONS, ControllerRevision, "controllerrevision", Namespaced, [], [], [], plain; printer = apps::CONTROLLER_REVISION}
generic_kind! {DAEMON_SETS, DaemonSet, "daemonset", Namespaced, ["ds"], ["all"], ["status"], workload; printer = apps::DAEMON_SET, defaults = default_daemon_set}
generic_kind! {DEPLOYMENTS, Deployment, "deployment", Namespaced, ["deploy"], ["all"], ["status"], workload; printer = apps::DEPLOYMENT, defaults = default_deployment, updates = deployment_strategy::prepare_for_update}
generic_kind! {REPLICA_SETS, ReplicaSet, "replicaset", Namespaced, ["rs"], ["all"], ["status"], workload; printer = apps::REPLICA_SET, defaults = default_replica_set}
generic_kind! {STATEFUL_SETS, StatefulSet, "statefulset", Namespaced, ["sts"], ["all"], ["status"], workload; printer = apps::STATEFUL_SET, defaults = default_stateful_set}
generic_kind! {HORIZONTAL_POD_AUTOSCALERS, HorizontalPodAutoscaler, "horizontalpodautoscaler", Namespaced, ["hpa"], ["all"], ["status"], conditions; printer = policy::HORIZONTAL_POD_AUTOSCALER}
generic_kind! {CRON_JOBS, CronJob, "cronjob", Namespaced, ["cj"], ["all"], ["status"], cron_job; printer = batch::CRON_JOB, defaults = default_cron_job}
generic_kind! {JOBS, Job, "job", Namespaced, [], ["all"], ["status"], job; printer = batch::JOB, defaults = default_job, creates = job_strategy::prepare_for_create}
generic_kind! {CERTIFICATE_SIGNING_REQUESTS, CertificateSigningRequest, "certificatesigningrequest", Cluster, ["csr"], [], ["approval", "status"], certificate_signing_request::field_rule; printer = certificates::CERTIFICATE_SIGNING_REQUEST, creates = certificate_signing_request::prepare_for_create, updates = certificate_signing_request::prepare_for_update, subresource_writes = certificate_signing_request::subresource_write}
generic_kind! {FLOW_SCHEMAS, FlowSchema, "flowschema", Cluster, [], [], ["status"], plain}
generic_kind! {PRIORITY_LEVEL_CONFIGURATIONS, PriorityLevelConfiguration, "prioritylevelconfiguration", Cluster, [], [], ["status"], plain}
generic_kind! {INGRESS_CLASSES, IngressClass, "ingressclass", Cluster, [], [], [], plain; printer = networking::INGRESS_CLASS}
generic_kind! {INGRESSES, Ingress, "ingress", Namespaced, ["ing"], [], ["status"], plain; printer = networking::INGRESS}
generic_kind! {IP_ADDRESSES, IPAddress, "ipaddress", Cluster, ["ip"], [], [], plain}
generic_kind! {NETWORK_POLICIES, NetworkPolicy, "networkpolicy", Namespaced, ["netpol"], [], [], plain; printer = networking::NETWORK_POLICY}
generic_kind! {SERVICE_CIDRS, ServiceCIDR, "servicecidr", Cluster, [], [], ["status"], plain}
generic_kind! {RUNTIME_CLASSES, RuntimeClass, "runtimeclass", Cluster, [], [], [], plain; printer = policy::RUNTIME_CLASS}
generic_kind! {POD_DISRUPTION_BUDGETS, PodDisruptionBudget, "poddisruptionbudget", Namespaced, ["pdb"], [], ["status"], conditions; printer = policy::POD_DISRUPTION_BUDGET}
generic_kind! {PRIORITY_CLASSES, PriorityClass, "priorityclass", Cluster, ["pc"], [], [], plain; printer = policy::PRIORITY_CLASS, defaults = crate::apiserver::priority::default_priority_class}
generic_kind! {CSI_DRIVERS, CSIDriver, "csidriver", Cluster, [], [], [], plain; returns_deleted_object = true}
generic_kind! {CSI_NODES, CSINode, "csinode", Cluster, [], [], [], plain; returns_deleted_object = true}
generic_kind! {CSI_STORAGE_CAPACITIES, CSIStorageCapacity, "csistoragecapacity", Namespaced, [], [], [], plain}
generic_kind! {STORAGE_CLASSES, StorageClass, "storageclass", Cluster, ["sc"], [], [], plain; printer = storage::STORAGE_CLASS, returns_deleted_object = true}
generic_kind! {VOLUME_ATTACHMENTS, VolumeAttachment, "volumeattachment", Cluster, [], [], ["status"], plain; returns_deleted_object = true}

/// The generically served kinds, core group first, then by group as upstream orders
/// discovery.
pub const GENERIC: &[ResourceInfo] = &[
    COMPONENT_STATUSES,
    LIMIT_RANGES,
    PERSISTENT_VOLUME_CLAIMS,
    PERSISTENT_VOLUMES,
    POD_TEMPLATES,
    REPLICATION_CONTROLLERS,
    RESOURCE_QUOTAS,
    VALIDATING_ADMISSION_POLICIES,
    VALIDATING_ADMISSION_POLICY_BINDINGS,
    API_SERVICES,
    CONTROLLER_REVISIONS,
    DAEMON_SETS,
    DEPLOYMENTS,
    REPLICA_SETS,
    STATEFUL_SETS,
    HORIZONTAL_POD_AUTOSCALERS,
    CRON_JOBS,
    JOBS,
    CERTIFICATE_SIGNING_REQUESTS,
    INGRESS_CLASSES,
    INGRESSES,
    IP_ADDRESSES,
    NETWORK_POLICIES,
    SERVICE_CIDRS,
    POD_DISRUPTION_BUDGETS,
    STORAGE_CLASSES,
    VOLUME_ATTACHMENTS,
    CSI_DRIVERS,
    CSI_NODES,
    CSI_STORAGE_CAPACITIES,
    CUSTOM_RESOURCE_DEFINITIONS,
    PRIORITY_CLASSES,
    RUNTIME_CLASSES,
    FLOW_SCHEMAS,
    PRIORITY_LEVEL_CONFIGURATIONS,
];

/// A kind with a pod template at `spec.template` (Deployment, ReplicaSet, DaemonSet,
/// StatefulSet, ReplicationController): the template is a pod's metadata and spec.
fn workload(path: &[&str]) -> FieldRule {
    match path {
        ["spec", "template", rest @ ..] => pod_field_rule(rest),
        _ => conditions(path),
    }
}

/// A PodTemplate: the pod's metadata and spec at `template`.
fn pod_template(path: &[&str]) -> FieldRule {
    match path {
        ["template", rest @ ..] => pod_field_rule(rest),
        _ => DEFAULT_RULE,
    }
}

/// A Job: its pod template, and conditions merged by type in a strategic merge patch but
/// `+listType=atomic` for server-side apply.
fn job(path: &[&str]) -> FieldRule {
    match path {
        ["spec", "template", rest @ ..] => pod_field_rule(rest),
        ["status", "conditions"] => FieldRule {
            retain_keys: false,
            smp: SmpList::MergeByKey("type"),
            apply: ApplyShape::Atomic,
        },
        _ => DEFAULT_RULE,
    }
}

/// A CronJob: a Job template at `spec.jobTemplate`.
fn cron_job(path: &[&str]) -> FieldRule {
    match path {
        ["spec", "jobTemplate", "spec", "template", rest @ ..] => pod_field_rule(rest),
        _ => DEFAULT_RULE,
    }
}

#[cfg(test)]
mod tests {
    use std::any::TypeId;

    use super::*;
    use crate::apiserver::field_rules::field_rule;
    use crate::apiserver::kinds::ALL;
    use crate::apiserver::table::testing::{column_names, now};
    use crate::apiserver::table::{table, IncludeObject};

    /// Scope as k8s-openapi has it, so a wrong `Namespaced`/`Cluster` in the table fails.
    fn namespaced<T: k8s_openapi::Resource>() -> bool
    where
        T::Scope: 'static,
    {
        TypeId::of::<T::Scope>() == TypeId::of::<k8s_openapi::NamespaceResourceScope>()
    }

    #[test]
    fn scopes_and_names_match_the_types() {
        let cases: &[(&ResourceInfo, bool)] = &[
            (&COMPONENT_STATUSES, namespaced::<ComponentStatus>()),
            (&LIMIT_RANGES, namespaced::<LimitRange>()),
            (
                &PERSISTENT_VOLUME_CLAIMS,
                namespaced::<PersistentVolumeClaim>(),
            ),
            (&PERSISTENT_VOLUMES, namespaced::<PersistentVolume>()),
            (&POD_TEMPLATES, namespaced::<PodTemplate>()),
            (
                &REPLICATION_CONTROLLERS,
                namespaced::<ReplicationController>(),
            ),
            (&RESOURCE_QUOTAS, namespaced::<ResourceQuota>()),
            (
                &CUSTOM_RESOURCE_DEFINITIONS,
                namespaced::<CustomResourceDefinition>(),
            ),
            (
                &VALIDATING_ADMISSION_POLICIES,
                namespaced::<ValidatingAdmissionPolicy>(),
            ),
            (
                &VALIDATING_ADMISSION_POLICY_BINDINGS,
                namespaced::<ValidatingAdmissionPolicyBinding>(),
            ),
            (&API_SERVICES, namespaced::<APIService>()),
            (&CONTROLLER_REVISIONS, namespaced::<ControllerRevision>()),
            (&DAEMON_SETS, namespaced::<DaemonSet>()),
            (&DEPLOYMENTS, namespaced::<Deployment>()),
            (&REPLICA_SETS, namespaced::<ReplicaSet>()),
            (&STATEFUL_SETS, namespaced::<StatefulSet>()),
            (
                &HORIZONTAL_POD_AUTOSCALERS,
                namespaced::<HorizontalPodAutoscaler>(),
            ),
            (&CRON_JOBS, namespaced::<CronJob>()),
            (&JOBS, namespaced::<Job>()),
            (
                &CERTIFICATE_SIGNING_REQUESTS,
                namespaced::<CertificateSigningRequest>(),
            ),
            (&FLOW_SCHEMAS, namespaced::<FlowSchema>()),
            (
                &PRIORITY_LEVEL_CONFIGURATIONS,
                namespaced::<PriorityLevelConfiguration>(),
            ),
            (&INGRESS_CLASSES, namespaced::<IngressClass>()),
            (&INGRESSES, namespaced::<Ingress>()),
            (&IP_ADDRESSES, namespaced::<IPAddress>()),
            (&NETWORK_POLICIES, namespaced::<NetworkPolicy>()),
            (&SERVICE_CIDRS, namespaced::<ServiceCIDR>()),
            (&RUNTIME_CLASSES, namespaced::<RuntimeClass>()),
            (&POD_DISRUPTION_BUDGETS, namespaced::<PodDisruptionBudget>()),
            (&PRIORITY_CLASSES, namespaced::<PriorityClass>()),
            (&CSI_DRIVERS, namespaced::<CSIDriver>()),
            (&CSI_NODES, namespaced::<CSINode>()),
            (&CSI_STORAGE_CAPACITIES, namespaced::<CSIStorageCapacity>()),
            (&STORAGE_CLASSES, namespaced::<StorageClass>()),
            (&VOLUME_ATTACHMENTS, namespaced::<VolumeAttachment>()),
        ];
        assert_eq!(cases.len(), GENERIC.len());
        for (resource, namespaced) in cases {
            assert_eq!(resource.namespaced, *namespaced, "{resource:?}");
            assert_eq!(
                resource.singular,
                resource.kind.to_lowercase(),
                "{resource:?}"
            );
            assert!(GENERIC.contains(resource), "{resource:?} is listed");
        }
    }

    #[test]
    fn every_served_resource_is_unique() {
        for (i, a) in ALL.iter().enumerate() {
            for b in &ALL[i + 1..] {
                assert_ne!(a, b, "served twice");
                if a.plural == b.plural && !a.create_only {
                    // Only resources that share their storage may share a plural.
                    let shared = |x: &ResourceInfo, y: &ResourceInfo| {
                        x.strategy.storage_version().is_some_and(|s| s.stored == y)
                    };
                    assert!(shared(a, b) || shared(b, a), "{a:?} and {b:?}");
                }
            }
        }
    }

    #[test]
    fn every_generic_kind_prints_one_cell_per_column() {
        let bare = serde_json::json!({"metadata": {"name": "x"}});
        for resource in GENERIC {
            let table = table(
                resource,
                &[&bare],
                serde_json::json!({}),
                IncludeObject::None,
                now(),
            );
            let columns = table["columnDefinitions"].as_array().map(Vec::len);
            let cells = table["rows"][0]["cells"].as_array().map(Vec::len);
            assert_eq!(columns, cells, "{resource:?}");
            assert_eq!(table["rows"][0]["cells"][0], "x", "{resource:?}");
        }
        assert_eq!(
            column_names(&table(
                &DEPLOYMENTS,
                &[],
                serde_json::json!({}),
                IncludeObject::None,
                now()
            ))
            .len(),
            8
        );
        let fallback = table(
            &IP_ADDRESSES,
            &[],
            serde_json::json!({}),
            IncludeObject::None,
            now(),
        );
        assert_eq!(
            column_names(&fallback),
            [("Name".to_string(), 0), ("Age".to_string(), 0)]
        );
    }

    #[test]
    fn workload_kinds_are_defaulted_through_their_strategy() {
        for (resource, field) in [
            (&DEPLOYMENTS, "progressDeadlineSeconds"),
            (&REPLICA_SETS, "replicas"),
            (&STATEFUL_SETS, "podManagementPolicy"),
            (&DAEMON_SETS, "updateStrategy"),
            (&REPLICATION_CONTROLLERS, "replicas"),
            (&JOBS, "backoffLimit"),
            (&CRON_JOBS, "concurrencyPolicy"),
        ] {
            let mut object = serde_json::json!({"metadata": {"name": "x"}, "spec": {}});
            resource.strategy.default(&mut object);
            assert!(object["spec"].get(field).is_some(), "{resource:?}: {field}");
        }
        let mut other = serde_json::json!({"metadata": {"name": "x"}, "spec": {}});
        INGRESSES.strategy.default(&mut other);
        assert_eq!(other["spec"], serde_json::json!({}));
    }

    #[test]
    fn pod_templates_follow_the_pod_rules() {
        for (kind, prefix) in [
            ("Deployment", &["spec", "template"][..]),
            ("StatefulSet", &["spec", "template"]),
            ("CronJob", &["spec", "jobTemplate", "spec", "template"]),
            ("PodTemplate", &["template"]),
        ] {
            let path: Vec<&str> = prefix
                .iter()
                .copied()
                .chain(["spec", "containers"])
                .collect();
            assert_eq!(
                field_rule(kind, &path).smp,
                SmpList::MergeByKey("name"),
                "{kind}"
            );
            let env: Vec<&str> = path.iter().copied().chain(["env"]).collect();
            assert_eq!(
                field_rule(kind, &env).smp,
                SmpList::MergeByKey("name"),
                "{kind}"
            );
        }
        assert_eq!(
            field_rule("Deployment", &["status", "conditions"]).smp,
            SmpList::MergeByKey("type")
        );
        assert_eq!(
            field_rule("Job", &["status", "conditions"]).apply,
            ApplyShape::Atomic
        );
    }
}
