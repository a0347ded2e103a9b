//! Laws of the patch kinds over generated documents (proptest): a JSON merge patch gives
//! `json_patch::merge`'s result, and a strategic merge patch applied twice gives what it
//! gives once.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::{apply_patch, PatchType};

/// Scalars and small nested objects and lists, `null` included (a deletion in a patch).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        "[a-c]{0,2}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            proptest::collection::btree_map("[a-d]", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map("[a-d]", json_value(), 0..5)
        .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>()))
}

/// Containers with distinct names (the list's merge key), each with an image and env
/// variables of distinct names; `null` fields in a patch delete.
fn containers(patch: bool) -> impl Strategy<Value = Value> {
    let image = if patch {
        prop_oneof![Just(Value::Null), "nginx:1\\.2[0-9]".prop_map(Value::from)].boxed()
    } else {
        "nginx:1\\.2[0-9]".prop_map(Value::from).boxed()
    };
    let env = proptest::collection::btree_map("[A-C]", "[x-z]{1,2}", 0..3).prop_map(|vars| {
        Value::from(
            vars.into_iter()
                .map(|(name, value)| json!({"name": name, "value": value}))
                .collect::<Vec<_>>(),
        )
    });
    proptest::collection::btree_map(
        "(app|sidecar|proxy)",
        (image, proptest::option::of(env)),
        0..3,
    )
    .prop_map(|containers| {
        Value::from(
            containers
                .into_iter()
                .map(|(name, (image, env))| {
                    let mut container = json!({"name": name, "image": image});
                    if let Some(env) = env {
                        container["env"] = env;
                    }
                    container
                })
                .collect::<Vec<_>>(),
        )
    })
}

fn labels(patch: bool) -> impl Strategy<Value = Value> {
    let value = if patch {
        prop_oneof![Just(Value::Null), "[a-c]{1,2}".prop_map(Value::from)].boxed()
    } else {
        "[a-c]{1,2}".prop_map(Value::from).boxed()
    };
    proptest::collection::btree_map("(app|tier|team)", value, 0..3)
        .prop_map(|map| Value::Object(map.into_iter().collect()))
}

/// A Pod with labels, finalizers (a list without merge key: replaced) and containers.
fn pod() -> impl Strategy<Value = Value> {
    (
        labels(false),
        containers(false),
        proptest::collection::vec("[a-c]", 0..3),
    )
        .prop_map(|(labels, containers, finalizers)| {
            json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "web", "labels": labels, "finalizers": finalizers},
                "spec": {"containers": containers, "restartPolicy": "Always"},
            })
        })
}

/// A patch of such a Pod: labels set or deleted, containers merged by name, finalizers
/// replaced, the restart policy set or deleted.
fn pod_patch() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(labels(true)),
        proptest::option::of(containers(true)),
        proptest::option::of(proptest::collection::vec("[a-c]", 0..3)),
        proptest::option::of(prop_oneof![Just(Value::Null), Just(Value::from("Never"))]),
    )
        .prop_map(|(labels, containers, finalizers, restart_policy)| {
            let mut metadata = Map::new();
            if let Some(labels) = labels {
                metadata.insert("labels".into(), labels);
            }
            if let Some(finalizers) = finalizers {
                metadata.insert("finalizers".into(), Value::from(finalizers));
            }
            let mut spec = Map::new();
            if let Some(containers) = containers {
                spec.insert("containers".into(), containers);
            }
            if let Some(policy) = restart_policy {
                spec.insert("restartPolicy".into(), policy);
            }
            json!({"metadata": metadata, "spec": spec})
        })
}

proptest! {
    #[test]
    fn merge_patch_is_json_patch_merge(original in json_object(), patch in json_object()) {
        let mut expected = original.clone();
        json_patch::merge(&mut expected, &patch);
        prop_assert_eq!(apply_patch("ConfigMap", &original, &patch, PatchType::Merge), Ok(expected));
    }

    #[test]
    fn strategic_merge_patch_is_idempotent(original in pod(), patch in pod_patch()) {
        let once = apply_patch("Pod", &original, &patch, PatchType::StrategicMerge)
            .unwrap_or_else(|e| panic!("patch {patch} refused: {e:?}"));
        let twice = apply_patch("Pod", &once, &patch, PatchType::StrategicMerge)
            .unwrap_or_else(|e| panic!("patch {patch} refused the second time: {e:?}"));
        prop_assert_eq!(twice, once, "patch {}", patch);
    }
}
