//! Strategic merge patch cases, many of them recorded from kubectl against a real API server.

use super::super::fixtures::{live_pod, smp};
use super::super::{PatchError, GENERIC_INVALID_MESSAGE};
use crate::apiserver::kinds::PODS;
use serde_json::{json, Value};

#[test]
fn kubectl_client_side_apply_second_run() {
    // `kubectl apply -f pod.yaml` (1.28–1.33) created the Pod; the second run, after adding a
    // label and bumping the image, sends this three-way patch.
    let live = live_pod();
    let last_applied = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web\",\"tier\":\"frontend\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}],\"image\":\"nginx:1.27\",\"name\":\"nginx\",\"ports\":[{\"containerPort\":80}]}]}}\n";
    let patch = json!({
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied},
            "labels": {"tier": "frontend"}
        },
        "spec": {
            "$setElementOrder/containers": [{"name": "nginx"}],
            "containers": [{"image": "nginx:1.27", "name": "nginx"}]
        }
    });
    let patched = smp("Pod", &live, &patch).expect("patch applies");
    let mut expected = live.clone();
    expected["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        json!(last_applied);
    expected["metadata"]["labels"]["tier"] = json!("frontend");
    expected["spec"]["containers"][0]["image"] = json!("nginx:1.27");
    assert_eq!(patched, expected);

    // A third run with nothing changed computes `{}` (kubectl then skips the request).
    assert_eq!(smp("Pod", &patched, &json!({})).expect("no-op"), patched);
}

#[test]
fn kubectl_client_side_apply_removing_a_label_and_an_env_var() {
    let live = live_pod();
    let patch = json!({
        "metadata": {"labels": {"app": null}},
        "spec": {
            "$setElementOrder/containers": [{"name": "nginx"}],
            "containers": [{
                "$setElementOrder/env": [{"name": "A"}, {"name": "C"}],
                "env": [{"name": "C", "value": "3"}, {"$patch": "delete", "name": "B"}],
                "name": "nginx"
            }]
        }
    });
    let patched = smp("Pod", &live, &patch).expect("patch applies");
    assert_eq!(patched["metadata"]["labels"], json!({}));
    assert_eq!(
        patched["spec"]["containers"][0]["env"],
        json!([{"name": "A", "value": "1"}, {"name": "C", "value": "3"}])
    );
    // Server-added fields are kept.
    assert_eq!(
        patched["spec"]["containers"][0]["volumeMounts"],
        live["spec"]["containers"][0]["volumeMounts"]
    );
    assert_eq!(patched["spec"]["volumes"], live["spec"]["volumes"]);
    assert_eq!(patched["status"], live["status"]);
}

#[test]
fn kubectl_patch_strategic_adds_an_env_var() {
    // kubectl patch pod web --type strategic -p '{"spec":{"containers":[{"name":"nginx","env":[{"name":"NEW","value":"x"}]}]}}'
    let live = live_pod();
    let patch = json!({"spec": {"containers": [{"name": "nginx", "env": [{"name": "NEW", "value": "x"}]}]}});
    let patched = smp("Pod", &live, &patch).expect("patch applies");
    // Without $setElementOrder, apimachinery puts patch items before server-only ones.
    assert_eq!(
        patched["spec"]["containers"][0]["env"],
        json!([{"name": "NEW", "value": "x"}, {"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
    );
    let mut expected = live.clone();
    expected["spec"]["containers"][0]["env"] = patched["spec"]["containers"][0]["env"].clone();
    assert_eq!(patched, expected);

    // Changing an existing variable keeps its place.
    let patch =
        json!({"spec": {"containers": [{"name": "nginx", "env": [{"name": "B", "value": "20"}]}]}});
    let patched = smp("Pod", &live, &patch).expect("patch applies");
    assert_eq!(
        patched["spec"]["containers"][0]["env"],
        json!([{"name": "A", "value": "1"}, {"name": "B", "value": "20"}])
    );
}

#[test]
fn strategic_merge_cases() {
    let cases: Vec<(&str, &str, Value, Value, Value)> = vec![
        (
            "maps merge, null deletes",
            "ConfigMap",
            json!({"metadata": {"labels": {"x": "1"}}, "data": {"a": "1", "b": "2"}}),
            json!({"metadata": {"labels": {"y": "2"}}, "data": {"b": null, "c": "3"}}),
            json!({"metadata": {"labels": {"x": "1", "y": "2"}}, "data": {"a": "1", "c": "3"}}),
        ),
        (
            "a null for a missing key changes nothing",
            "ConfigMap",
            json!({"data": {"a": "1"}}),
            json!({"data": {"zzz": null}}),
            json!({"data": {"a": "1"}}),
        ),
        (
            "lists without a patch strategy are replaced",
            "Pod",
            json!({"spec": {"tolerations": [{"key": "a", "operator": "Exists"}], "containers": [{"name": "c", "args": ["x", "y"]}]}}),
            json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}], "containers": [{"name": "c", "args": ["z"]}]}}),
            json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}], "containers": [{"name": "c", "args": ["z"]}]}}),
        ),
        (
            "new keyed items go before server-only ones",
            "Pod",
            json!({"spec": {"containers": [{"name": "a", "image": "a"}]}}),
            json!({"spec": {"containers": [{"name": "b", "image": "b"}]}}),
            json!({"spec": {"containers": [{"name": "b", "image": "b"}, {"name": "a", "image": "a"}]}}),
        ),
        (
            "$setElementOrder decides the order",
            "Pod",
            json!({"spec": {"containers": [{"name": "a", "image": "a"}, {"name": "b", "image": "b"}]}}),
            json!({"spec": {
                "$setElementOrder/containers": [{"name": "b"}, {"name": "c"}, {"name": "a"}],
                "containers": [{"name": "c", "image": "c"}]
            }}),
            json!({"spec": {"containers": [{"name": "b", "image": "b"}, {"name": "c", "image": "c"}, {"name": "a", "image": "a"}]}}),
        ),
        (
            "volumeMounts merge by mountPath, ports by containerPort",
            "Pod",
            json!({"spec": {"containers": [{"name": "a",
                "volumeMounts": [{"name": "v", "mountPath": "/v"}],
                "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}}),
            json!({"spec": {"containers": [{"name": "a",
                "volumeMounts": [{"mountPath": "/v", "readOnly": true}],
                "ports": [{"containerPort": 80, "name": "http"}]}]}}),
            json!({"spec": {"containers": [{"name": "a",
                "volumeMounts": [{"name": "v", "mountPath": "/v", "readOnly": true}],
                "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}]}]}}),
        ),
        (
            "$patch: delete removes list items by key",
            "Pod",
            json!({"spec": {"volumes": [{"name": "a", "emptyDir": {}}, {"name": "b", "emptyDir": {}}]}}),
            json!({"spec": {"volumes": [{"$patch": "delete", "name": "a"}]}}),
            json!({"spec": {"volumes": [{"name": "b", "emptyDir": {}}]}}),
        ),
        (
            "$patch: replace in a list replaces the list",
            "Pod",
            json!({"spec": {"containers": [{"name": "a", "image": "a"}, {"name": "b", "image": "b"}]}}),
            json!({"spec": {"containers": [{"name": "c", "image": "c"}, {"$patch": "replace"}]}}),
            json!({"spec": {"containers": [{"name": "c", "image": "c"}]}}),
        ),
        (
            "$patch: replace in a map replaces the map",
            "Pod",
            json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
            json!({"metadata": {"labels": {"$patch": "replace", "c": "3"}}}),
            json!({"metadata": {"labels": {"c": "3"}}}),
        ),
        (
            "$patch: delete in a map empties it",
            "Pod",
            json!({"spec": {"securityContext": {"runAsUser": 1000}, "dnsPolicy": "ClusterFirst"}}),
            json!({"spec": {"securityContext": {"$patch": "delete"}}}),
            json!({"spec": {"securityContext": {}, "dnsPolicy": "ClusterFirst"}}),
        ),
        (
            "$retainKeys drops the fields it does not list (volume source switch)",
            "Pod",
            json!({"spec": {"volumes": [{"name": "data", "emptyDir": {}}]}}),
            json!({"spec": {
                "$setElementOrder/volumes": [{"name": "data"}],
                "volumes": [{"$retainKeys": ["configMap", "name"], "configMap": {"name": "cm"}, "name": "data"}]
            }}),
            json!({"spec": {"volumes": [{"name": "data", "configMap": {"name": "cm"}}]}}),
        ),
        (
            "finalizers merge as a set",
            "ConfigMap",
            json!({"metadata": {"finalizers": ["a", "b"]}}),
            json!({"metadata": {"finalizers": ["b", "c"]}}),
            // `a` stays first: the live list has it before `b`.
            json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
        ),
        (
            "$deleteFromPrimitiveList with $setElementOrder (kubectl apply)",
            "ConfigMap",
            json!({"metadata": {"finalizers": ["a", "b"]}}),
            json!({"metadata": {
                "$deleteFromPrimitiveList/finalizers": ["a"],
                "$setElementOrder/finalizers": ["b", "c"],
                "finalizers": ["c"]
            }}),
            json!({"metadata": {"finalizers": ["b", "c"]}}),
        ),
        (
            "$deleteFromPrimitiveList alone",
            "Pod",
            json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "zzz"]}}),
            json!({"metadata": {"finalizers": ["a", "c"]}}),
        ),
        (
            "ownerReferences merge by uid",
            "Secret",
            json!({"metadata": {"ownerReferences": [{"uid": "1", "kind": "ServiceAccount", "name": "a"}]}}),
            json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "b"}, {"uid": "2", "kind": "Pod", "name": "p"}]}}),
            json!({"metadata": {"ownerReferences": [{"uid": "1", "kind": "ServiceAccount", "name": "b"}, {"uid": "2", "kind": "Pod", "name": "p"}]}}),
        ),
        (
            "ServiceAccount secrets merge by name, imagePullSecrets are replaced",
            "ServiceAccount",
            json!({"secrets": [{"name": "default-token-1"}], "imagePullSecrets": [{"name": "reg-a"}]}),
            json!({"secrets": [{"name": "default-token-2"}], "imagePullSecrets": [{"name": "reg-b"}]}),
            json!({"secrets": [{"name": "default-token-2"}, {"name": "default-token-1"}], "imagePullSecrets": [{"name": "reg-b"}]}),
        ),
        (
            "Namespace spec.finalizers are replaced",
            "Namespace",
            json!({"spec": {"finalizers": ["kubernetes"]}}),
            json!({"spec": {"finalizers": ["other"]}}),
            json!({"spec": {"finalizers": ["other"]}}),
        ),
        (
            "an unknown kind replaces lists",
            "Widget",
            json!({"spec": {"containers": [{"name": "a"}]}}),
            json!({"spec": {"containers": [{"name": "b"}]}}),
            json!({"spec": {"containers": [{"name": "b"}]}}),
        ),
        (
            "a new list field takes the patch, directives resolved",
            "Pod",
            json!({"spec": {}}),
            json!({"spec": {"initContainers": [{"name": "init", "image": "busybox", "env": [{"name": "X", "value": "1"}]}]}}),
            json!({"spec": {"initContainers": [{"name": "init", "image": "busybox", "env": [{"name": "X", "value": "1"}]}]}}),
        ),
        (
            "a value of another type is replaced",
            "ConfigMap",
            json!({"data": "oops"}),
            json!({"data": {"a": "1"}}),
            json!({"data": {"a": "1"}}),
        ),
        (
            "null changes nothing",
            "ConfigMap",
            json!({"data": {"a": "1"}}),
            Value::Null,
            json!({"data": {"a": "1"}}),
        ),
    ];
    for (name, kind, original, patch, expected) in cases {
        assert_eq!(smp(kind, &original, &patch), Ok(expected), "{name}");
    }
}

#[test]
fn strategic_merge_errors() {
    let pod = json!({"metadata": {"finalizers": ["x"]}, "spec": {"containers": [{"name": "a", "image": "a"}]}});
    let cases: Vec<(&str, Value, PatchError, u16)> = vec![
        (
            "not an object",
            json!([1]),
            PatchError::StrategicPatchNotAnObject("array"),
            400,
        ),
        (
            "$patch: merge in a list",
            json!({"spec": {"containers": [{"name": "a", "$patch": "merge"}]}}),
            PatchError::MergeDirectiveInList,
            500,
        ),
        (
            "unknown $patch in a map",
            json!({"metadata": {"labels": {"$patch": "frobnicate", "a": "1"}}}),
            PatchError::UnknownPatchDirective {
                directive: "frobnicate".to_string(),
                map: "map[$patch:frobnicate a:1]".to_string(),
            },
            500,
        ),
        (
            "container without its merge key",
            json!({"spec": {"containers": [{"image": "busybox"}]}}),
            PatchError::MissingMergeKey {
                map: "map[image:busybox]".to_string(),
                key: "name".to_string(),
            },
            500,
        ),
        (
            "$retainKeys that is not a list",
            json!({"spec": {"$retainKeys": "x"}}),
            PatchError::BadRetainKeys,
            400,
        ),
        (
            "$retainKeys that leaves out a patched field",
            json!({"spec": {"$retainKeys": ["containers"], "dnsPolicy": "None"}}),
            PatchError::BadRetainKeys,
            400,
        ),
        (
            "$setElementOrder without a field",
            json!({"spec": {"$setElementOrder": []}}),
            PatchError::BadSetElementOrder,
            400,
        ),
        (
            "$deleteFromPrimitiveList without a field",
            json!({"metadata": {"$deleteFromPrimitiveList": ["x"]}}),
            PatchError::BadDeleteFromPrimitiveList,
            400,
        ),
        (
            "a list of lists",
            json!({"metadata": {"finalizers": [["y"]]}}),
            PatchError::ListOfLists,
            422,
        ),
        (
            "mixed element types",
            json!({"metadata": {"finalizers": [1]}}),
            PatchError::MixedListElements("[[x] [1]]".to_string()),
            500,
        ),
        (
            "patch list out of $setElementOrder",
            json!({"spec": {"$setElementOrder/containers": [{"name": "a"}], "containers": [{"name": "b", "image": "b"}]}}),
            PatchError::SetElementOrderMismatch {
                patch: "[map[image:b name:b]]".to_string(),
                order: "[map[name:a]]".to_string(),
            },
            500,
        ),
    ];
    for (name, patch, expected, code) in cases {
        let err = smp("Pod", &pod, &patch).expect_err(name);
        assert_eq!(err, expected, "{name}");
        let api = err.into_api_error(&PODS, "web");
        assert_eq!(api.code, code, "{name}");
        if code == 500 {
            assert_eq!(api.reason, "", "{name}: a plain Go error has no reason");
            assert_eq!(api.message, expected.to_string(), "{name}");
        }
    }
    let api = PatchError::ListOfLists.into_api_error(&PODS, "web");
    assert_eq!(
        (api.reason.as_str(), api.message.as_str()),
        ("Invalid", GENERIC_INVALID_MESSAGE)
    );
    // NewGenericServerResponse sets empty details.
    assert_eq!(api.to_status()["details"], serde_json::json!({}));
}
