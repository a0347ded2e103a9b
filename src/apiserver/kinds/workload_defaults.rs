//! API defaulting of the generically served workload kinds: apps/v1
//! (`pkg/apis/apps/v1/defaults.go`), batch/v1 (`pkg/apis/batch/v1/defaults.go`) and the
//! ReplicationController (`SetDefaults_ReplicationController` in
//! `pkg/apis/core/v1/defaults.go`), each with its pod template defaulted by the pod's own
//! code ([`default_pod_template`]) as upstream's generated `SetObjectDefaults_<Kind>` do.
//! Feature gates as Kubernetes 1.33 has them by default: `MaxUnavailableStatefulSet` off,
//! `StatefulSetAutoDeletePVC` and `JobPodReplacementPolicy` on. Only what is missing is
//! filled in, so every defaulter is idempotent.

use serde_json::{json, Map, Value};

use super::pod::default_pod_template;
use crate::apiserver::defaults::{
    default_string, default_value, existing_object, is_blank, is_unset, object_entry, objects_in,
    str_field,
};

const DEFAULT_REVISION_HISTORY_LIMIT: i64 = 10;
const DEFAULT_PROGRESS_DEADLINE_SECONDS: i64 = 600;
const DEFAULT_BACKOFF_LIMIT: i64 = 6;
/// The backoff limit of a Job with a per-index limit (`math.MaxInt32`).
const UNLIMITED_BACKOFF: i64 = i32::MAX as i64;

/// The object's `spec`, created when missing (a v1 workload's spec is not a pointer);
/// `None` when the object or its spec is not a JSON object.
fn spec(object: &mut Value) -> Option<&mut Map<String, Value>> {
    object
        .as_object_mut()
        .and_then(|object| object_entry(object, "spec"))
}

/// Defaults the pod template at `spec.template` (created when missing, as the Go struct is).
fn default_template(spec: &mut Map<String, Value>) {
    if let Some(template) = object_entry(spec, "template") {
        default_pod_template(template);
    }
}

/// `SetObjectDefaults_Deployment`: one replica, a rolling update of 25% surge and 25%
/// unavailable, ten old ReplicaSets kept, a ten-minute progress deadline.
pub fn default_deployment(object: &mut Value) {
    let Some(spec) = spec(object) else { return };
    default_value(spec, "replicas", json!(1));
    if let Some(strategy) = object_entry(spec, "strategy") {
        default_string(strategy, "type", "RollingUpdate");
        if str_field(strategy, "type") == "RollingUpdate" {
            if let Some(rolling) = object_entry(strategy, "rollingUpdate") {
                default_value(rolling, "maxUnavailable", json!("25%"));
                default_value(rolling, "maxSurge", json!("25%"));
            }
        }
    }
    default_value(
        spec,
        "revisionHistoryLimit",
        json!(DEFAULT_REVISION_HISTORY_LIMIT),
    );
    default_value(
        spec,
        "progressDeadlineSeconds",
        json!(DEFAULT_PROGRESS_DEADLINE_SECONDS),
    );
    default_template(spec);
}

/// `SetObjectDefaults_ReplicaSet`: one replica.
pub fn default_replica_set(object: &mut Value) {
    let Some(spec) = spec(object) else { return };
    default_value(spec, "replicas", json!(1));
    default_template(spec);
}

/// `SetObjectDefaults_DaemonSet`: a rolling update of one unavailable pod and no surge, ten
/// revisions kept.
pub fn default_daemon_set(object: &mut Value) {
    let Some(spec) = spec(object) else { return };
    if let Some(strategy) = object_entry(spec, "updateStrategy") {
        default_string(strategy, "type", "RollingUpdate");
        if str_field(strategy, "type") == "RollingUpdate" {
            if let Some(rolling) = object_entry(strategy, "rollingUpdate") {
                default_value(rolling, "maxUnavailable", json!(1));
                default_value(rolling, "maxSurge", json!(0));
            }
        }
    }
    default_value(
        spec,
        "revisionHistoryLimit",
        json!(DEFAULT_REVISION_HISTORY_LIMIT),
    );
    default_template(spec);
}

/// `SetObjectDefaults_StatefulSet`: ordered pod management, a rolling update from partition
/// 0 (only when upstream creates the rolling update itself or one is given), claims retained
/// on delete and scale-down, one replica, ten revisions kept; each volume claim template
/// gets a claim's defaults (`Filesystem` mode, a `Pending` phase).
pub fn default_stateful_set(object: &mut Value) {
    let Some(spec) = spec(object) else { return };
    default_string(spec, "podManagementPolicy", "OrderedReady");
    if let Some(strategy) = object_entry(spec, "updateStrategy") {
        if is_blank(strategy, "type") {
            strategy.insert("type".into(), json!("RollingUpdate"));
            default_value(strategy, "rollingUpdate", json!({}));
        }
        if str_field(strategy, "type") == "RollingUpdate" {
            if let Some(rolling) = existing_object(strategy, "rollingUpdate") {
                default_value(rolling, "partition", json!(0));
            }
        }
    }
    if let Some(retention) = object_entry(spec, "persistentVolumeClaimRetentionPolicy") {
        default_string(retention, "whenDeleted", "Retain");
        default_string(retention, "whenScaled", "Retain");
    }
    default_value(spec, "replicas", json!(1));
    default_value(
        spec,
        "revisionHistoryLimit",
        json!(DEFAULT_REVISION_HISTORY_LIMIT),
    );
    for claim in objects_in(spec, "volumeClaimTemplates") {
        if let Some(claim_spec) = object_entry(claim, "spec") {
            default_string(claim_spec, "volumeMode", "Filesystem");
        }
        if let Some(status) = object_entry(claim, "status") {
            default_string(status, "phase", "Pending");
        }
    }
    default_template(spec);
}

/// `SetObjectDefaults_ReplicationController`: the selector and the labels from the
/// template's labels when unset, one replica. The template is a pointer upstream, so a
/// missing one stays missing.
pub fn default_replication_controller(object: &mut Value) {
    let template_labels = object
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object)
        .cloned();
    if let Some(labels) = template_labels {
        if let Some(metadata) = object
            .as_object_mut()
            .and_then(|o| object_entry(o, "metadata"))
        {
            if metadata
                .get("labels")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty)
            {
                metadata.insert("labels".into(), Value::Object(labels.clone()));
            }
        }
        if let Some(spec) = spec(object) {
            if spec
                .get("selector")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty)
            {
                spec.insert("selector".into(), Value::Object(labels));
            }
        }
    }
    let Some(spec) = spec(object) else { return };
    default_value(spec, "replicas", json!(1));
    if let Some(template) = existing_object(spec, "template") {
        default_pod_template(template);
    }
}

/// `SetObjectDefaults_Job`: one completion and one pod when neither is given, a backoff
/// limit of 6 (unlimited with a per-index limit), the labels from the template when the Job
/// has none, non-indexed completion, not suspended, `True` as the status of pod failure
/// policy condition patterns, and the pod replacement policy (`Failed` with a pod failure
/// policy, `TerminatingOrFailed` otherwise).
pub fn default_job(object: &mut Value) {
    let template_labels = object
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object)
        .cloned();
    if let (Some(labels), Some(metadata)) = (
        template_labels,
        object
            .as_object_mut()
            .and_then(|o| object_entry(o, "metadata")),
    ) {
        if metadata
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty)
        {
            metadata.insert("labels".into(), Value::Object(labels));
        }
    }
    let Some(spec) = spec(object) else { return };
    if is_unset(spec, "completions") && is_unset(spec, "parallelism") {
        spec.insert("completions".into(), json!(1));
        spec.insert("parallelism".into(), json!(1));
    }
    default_value(spec, "parallelism", json!(1));
    if is_unset(spec, "backoffLimit") {
        let limit = if is_unset(spec, "backoffLimitPerIndex") {
            DEFAULT_BACKOFF_LIMIT
        } else {
            UNLIMITED_BACKOFF
        };
        spec.insert("backoffLimit".into(), json!(limit));
    }
    default_value(spec, "completionMode", json!("NonIndexed"));
    default_value(spec, "suspend", json!(false));
    let has_failure_policy = !is_unset(spec, "podFailurePolicy");
    if let Some(policy) = existing_object(spec, "podFailurePolicy") {
        for rule in objects_in(policy, "rules") {
            for pattern in objects_in(rule, "onPodConditions") {
                default_string(pattern, "status", "True");
            }
        }
    }
    let replacement = if has_failure_policy {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    default_value(spec, "podReplacementPolicy", json!(replacement));
    default_template(spec);
}

/// `SetObjectDefaults_CronJob`: concurrent runs allowed, not suspended, three successful and
/// one failed Job kept. The Job template is not a Job, so only its pod template is
/// defaulted.
pub fn default_cron_job(object: &mut Value) {
    let Some(spec) = spec(object) else { return };
    default_string(spec, "concurrencyPolicy", "Allow");
    default_value(spec, "suspend", json!(false));
    default_value(spec, "successfulJobsHistoryLimit", json!(3));
    default_value(spec, "failedJobsHistoryLimit", json!(1));
    if let Some(job_spec) =
        object_entry(spec, "jobTemplate").and_then(|job| object_entry(job, "spec"))
    {
        default_template(job_spec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The template `kubectl create deployment --image=x` sends, and what a 1.33 server
    /// stores in its place.
    fn template() -> Value {
        json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "x", "image": "x"}]}})
    }

    fn defaulted_template() -> Value {
        json!({"metadata": {"labels": {"app": "x"}}, "spec": {
            "containers": [{"name": "x", "image": "x", "imagePullPolicy": "Always",
                "resources": {}, "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File"}],
            "dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
            "schedulerName": "default-scheduler", "securityContext": {},
            "terminationGracePeriodSeconds": 30}})
    }

    fn defaulted(defaults: fn(&mut Value), mut object: Value) -> Value {
        defaults(&mut object);
        let again = {
            let mut twice = object.clone();
            defaults(&mut twice);
            twice
        };
        assert_eq!(object, again, "defaulting is idempotent");
        object
    }

    #[test]
    fn apps_defaults() {
        let cases = [
            (
                default_deployment as fn(&mut Value),
                json!({"spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}}, "template": template()}}),
                json!({"spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}},
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                    "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                    "template": defaulted_template()}}),
            ),
            (
                default_deployment,
                json!({"spec": {"strategy": {"type": "Recreate"}}}),
                json!({"spec": {"replicas": 1, "strategy": {"type": "Recreate"},
                    "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                    "template": {"spec": {"dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
                        "schedulerName": "default-scheduler", "securityContext": {},
                        "terminationGracePeriodSeconds": 30}}}}),
            ),
            (
                default_replica_set,
                json!({"spec": {"template": template()}}),
                json!({"spec": {"replicas": 1, "template": defaulted_template()}}),
            ),
            (
                default_daemon_set,
                json!({"spec": {"template": template()}}),
                json!({"spec": {"updateStrategy": {"type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                    "revisionHistoryLimit": 10, "template": defaulted_template()}}),
            ),
            (
                default_daemon_set,
                json!({"spec": {"updateStrategy": {"type": "OnDelete"}, "template": template()}}),
                json!({"spec": {"updateStrategy": {"type": "OnDelete"},
                    "revisionHistoryLimit": 10, "template": defaulted_template()}}),
            ),
            (
                default_stateful_set,
                json!({"spec": {"template": template(), "volumeClaimTemplates": [{"metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"]}}]}}),
                json!({"spec": {"podManagementPolicy": "OrderedReady", "replicas": 1,
                    "revisionHistoryLimit": 10,
                    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                    "volumeClaimTemplates": [{"metadata": {"name": "data"},
                        "spec": {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem"},
                        "status": {"phase": "Pending"}}],
                    "template": defaulted_template()}}),
            ),
            (
                // A given RollingUpdate without parameters gets no partition: upstream only
                // fills a rollingUpdate that exists.
                default_stateful_set,
                json!({"spec": {"updateStrategy": {"type": "RollingUpdate"}, "replicas": 0,
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}, "template": template()}}),
                json!({"spec": {"podManagementPolicy": "OrderedReady", "replicas": 0,
                    "revisionHistoryLimit": 10, "updateStrategy": {"type": "RollingUpdate"},
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"},
                    "template": defaulted_template()}}),
            ),
        ];
        for (i, (defaults, object, expected)) in cases.into_iter().enumerate() {
            assert_eq!(defaulted(defaults, object), expected, "case {i}");
        }
    }

    #[test]
    fn replication_controller_defaults() {
        let rc = defaulted(
            default_replication_controller,
            json!({"metadata": {"name": "rc"}, "spec": {"template": template()}}),
        );
        assert_eq!(
            rc,
            json!({"metadata": {"name": "rc", "labels": {"app": "x"}},
                "spec": {"replicas": 1, "selector": {"app": "x"}, "template": defaulted_template()}})
        );
        let kept = defaulted(
            default_replication_controller,
            json!({"metadata": {"labels": {"own": "1"}}, "spec": {"replicas": 0, "selector": {"s": "1"}}}),
        );
        assert_eq!(
            kept,
            json!({"metadata": {"labels": {"own": "1"}}, "spec": {"replicas": 0, "selector": {"s": "1"}}})
        );
    }

    #[test]
    fn batch_defaults() {
        let job_template = || {
            let mut t = template();
            t["spec"]["restartPolicy"] = json!("Never");
            t
        };
        let defaulted_job_template = || {
            let mut t = defaulted_template();
            t["spec"]["restartPolicy"] = json!("Never");
            t
        };
        let cases = [
            (
                default_job as fn(&mut Value),
                json!({"metadata": {"name": "j"}, "spec": {"template": job_template()}}),
                json!({"metadata": {"name": "j", "labels": {"app": "x"}}, "spec": {
                    "completions": 1, "parallelism": 1, "backoffLimit": 6,
                    "completionMode": "NonIndexed", "suspend": false,
                    "podReplacementPolicy": "TerminatingOrFailed", "template": defaulted_job_template()}}),
            ),
            (
                default_job,
                json!({"metadata": {"labels": {"own": "1"}}, "spec": {"completions": 5,
                    "completionMode": "Indexed", "backoffLimitPerIndex": 1,
                    "podFailurePolicy": {"rules": [{"action": "Ignore",
                        "onPodConditions": [{"type": "DisruptionTarget"}]}]},
                    "template": job_template()}}),
                json!({"metadata": {"labels": {"own": "1"}}, "spec": {"completions": 5,
                    "parallelism": 1, "backoffLimit": 2147483647, "backoffLimitPerIndex": 1,
                    "completionMode": "Indexed", "suspend": false,
                    "podFailurePolicy": {"rules": [{"action": "Ignore",
                        "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]},
                    "podReplacementPolicy": "Failed", "template": defaulted_job_template()}}),
            ),
            (
                default_job,
                json!({"spec": {"parallelism": 3, "template": job_template()}}),
                json!({"metadata": {"labels": {"app": "x"}}, "spec": {"parallelism": 3,
                    "backoffLimit": 6, "completionMode": "NonIndexed", "suspend": false,
                    "podReplacementPolicy": "TerminatingOrFailed", "template": defaulted_job_template()}}),
            ),
            (
                default_cron_job,
                json!({"spec": {"schedule": "@hourly", "jobTemplate": {"spec": {"template": job_template()}}}}),
                json!({"spec": {"schedule": "@hourly", "concurrencyPolicy": "Allow", "suspend": false,
                    "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                    "jobTemplate": {"spec": {"template": defaulted_job_template()}}}}),
            ),
        ];
        for (i, (defaults, object, expected)) in cases.into_iter().enumerate() {
            assert_eq!(defaulted(defaults, object), expected, "case {i}");
        }
    }

    #[test]
    fn templates_get_pod_spec_defaults_but_not_pod_only_ones() {
        let deployment = defaulted(
            default_deployment,
            json!({"spec": {"template": {"spec": {"hostNetwork": true, "serviceAccountName": "builder",
                "containers": [{"name": "c", "image": "c:1", "ports": [{"containerPort": 80}],
                    "resources": {"limits": {"cpu": "1"}},
                    "readinessProbe": {"httpGet": {"port": 80}}}],
                "volumes": [{"name": "v"}]}}}}),
        );
        let spec = &deployment["spec"]["template"]["spec"];
        let container = &spec["containers"][0];
        assert_eq!(container["imagePullPolicy"], "IfNotPresent");
        assert_eq!(
            container["ports"][0],
            json!({"containerPort": 80, "protocol": "TCP"})
        );
        assert_eq!(container["resources"], json!({"limits": {"cpu": "1"}}));
        assert_eq!(container["readinessProbe"]["periodSeconds"], 10);
        assert_eq!(spec["volumes"][0]["emptyDir"], json!({}));
        assert_eq!(spec["serviceAccount"], "builder");
        for pod_only in ["enableServiceLinks", "priority", "preemptionPolicy"] {
            assert!(spec.get(pod_only).is_none(), "{pod_only}");
        }
        assert!(deployment["spec"]["template"].get("status").is_none());
    }
}
