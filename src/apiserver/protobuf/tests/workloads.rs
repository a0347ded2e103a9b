//! Presence in the apps, autoscaling, batch and networking messages: the Go pointer and
//! `omitempty` facts of `go_facts` decide which zero values print.

use super::*;
use crate::apiserver::kinds::builtin::{
    HORIZONTAL_POD_AUTOSCALERS, INGRESS_CLASSES, IP_ADDRESSES, STATEFUL_SETS,
};

/// A pod template with one container, as the workload kinds nest it.
fn template() -> Pb {
    Pb::new().msg(2, Pb::new().msg(2, container("c", "i")))
}

#[test]
fn job_pointer_zeros_print_and_status_counters_do_not() {
    let spec = Pb::new()
        .int(1, 0)
        .int(7, 0)
        .bool(5, false)
        .msg(6, template())
        .int(8, 0)
        .str(9, "")
        .bool(10, false)
        .str(14, "Failed")
        .str(15, "");
    let status = Pb::new().int(4, 0).int(5, 0).int(6, 0).str(7, "").int(9, 0);
    let job = Pb::new()
        .msg(1, object_meta("j"))
        .msg(2, spec)
        .msg(3, status);

    let decoded = decode_object(&envelope("batch/v1", "Job", job), &JOBS).unwrap();

    // Go: parallelism, backoffLimit, manualSelector, ttlSecondsAfterFinished,
    // completionMode, suspend, managedBy and ready are pointers; active, succeeded, failed
    // and completedIndexes are `omitempty` values.
    assert_eq!(
        decoded,
        json!({"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"j","creationTimestamp":null},
               "spec":{"parallelism":0,"backoffLimit":0,"manualSelector":false,
                       "template":{"spec":{"containers":[{"name":"c","image":"i"}]}},
                       "ttlSecondsAfterFinished":0,"completionMode":"","suspend":false,
                       "podReplacementPolicy":"Failed","managedBy":""},
               "status":{"ready":0}})
    );
}

#[test]
fn stateful_set_required_fields_print_and_omitempty_ones_do_not() {
    let spec = Pb::new()
        .msg(3, template())
        .str(5, "")
        .msg(7, Pb::new().str(1, ""))
        .int(9, 0)
        .msg(10, Pb::new().str(1, "").str(2, "Delete"));
    let status = Pb::new()
        .int(1, 0)
        .int(2, 0)
        .int(3, 0)
        .int(4, 0)
        .int(5, 0)
        .str(6, "")
        .str(7, "")
        .int(11, 0);
    let set = Pb::new()
        .msg(1, object_meta("s"))
        .msg(2, spec)
        .msg(3, status);

    let decoded = decode_object(&envelope("apps/v1", "StatefulSet", set), &STATEFUL_SETS).unwrap();

    assert_eq!(
        decoded,
        json!({"kind":"StatefulSet","apiVersion":"apps/v1","metadata":{"name":"s","creationTimestamp":null},
               "spec":{"template":{"spec":{"containers":[{"name":"c","image":"i"}]}},"serviceName":"",
                       "updateStrategy":{},"persistentVolumeClaimRetentionPolicy":{"whenScaled":"Delete"}},
               "status":{"replicas":0,"availableReplicas":0}})
    );
}

#[test]
fn networking_references_keep_pointer_strings_and_json_names() {
    let parameters = Pb::new()
        .str(1, "")
        .str(2, "Params")
        .str(3, "p")
        .str(4, "Cluster");
    let class = Pb::new()
        .msg(1, object_meta("nginx"))
        .msg(2, Pb::new().str(1, "").msg(2, parameters));

    let decoded = decode_object(
        &envelope("networking.k8s.io/v1", "IngressClass", class),
        &INGRESS_CLASSES,
    )
    .unwrap();

    // `aPIGroup` is go-to-protobuf's name for Go's `apiGroup`, a `*string`; `controller`
    // is an `omitempty` value upstream marks required.
    assert_eq!(
        decoded["spec"],
        json!({"parameters":{"apiGroup":"","kind":"Params","name":"p","scope":"Cluster"}})
    );

    let address = Pb::new().msg(1, object_meta("10.0.0.1")).msg(
        2,
        Pb::new().msg(
            1,
            Pb::new()
                .str(1, "")
                .str(2, "services")
                .str(3, "")
                .str(4, ""),
        ),
    );
    let decoded = decode_object(
        &envelope("networking.k8s.io/v1", "IPAddress", address),
        &IP_ADDRESSES,
    )
    .unwrap();
    assert_eq!(
        decoded["spec"],
        json!({"parentRef":{"resource":"services"}})
    );
}

#[test]
fn horizontal_pod_autoscaler_keeps_required_numbers_and_pointer_strings() {
    let target = Pb::new().str(1, "Utilization").int(4, 50);
    let metric = Pb::new()
        .str(1, "Resource")
        .msg(4, Pb::new().str(1, "cpu").msg(2, target));
    let scale_down = Pb::new()
        .int(3, 0)
        .str(1, "")
        .msg(2, Pb::new().str(1, "Pods").int(2, 1).int(3, 60));
    let spec = Pb::new()
        .msg(
            1,
            Pb::new()
                .str(1, "Deployment")
                .str(2, "web")
                .str(3, "apps/v1"),
        )
        .int(2, 1)
        .int(3, 3)
        .msg(4, metric)
        .msg(5, Pb::new().msg(2, scale_down));
    let status = Pb::new().int(3, 0).int(4, 0);
    let hpa = Pb::new()
        .msg(1, object_meta("web"))
        .msg(2, spec)
        .msg(3, status);

    let decoded = decode_object(
        &envelope("autoscaling/v2", "HorizontalPodAutoscaler", hpa),
        &HORIZONTAL_POD_AUTOSCALERS,
    )
    .unwrap();

    // Go: selectPolicy and stabilizationWindowSeconds are pointers; currentReplicas is an
    // `omitempty` int32, desiredReplicas is not.
    assert_eq!(
        decoded["spec"],
        json!({"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},
               "minReplicas":1,"maxReplicas":3,
               "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}],
               "behavior":{"scaleDown":{"stabilizationWindowSeconds":0,"selectPolicy":"",
                                        "policies":[{"type":"Pods","value":1,"periodSeconds":60}]}}})
    );
    assert_eq!(decoded["status"], json!({"desiredReplicas":0}));
}
