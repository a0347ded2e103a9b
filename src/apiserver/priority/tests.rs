//! The Priority plugin against upstream's cases (plugin/pkg/admission/priority/admission_test.go
//! `TestPodAdmission`): classes resolved, defaults, refusals, updates.

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::apiserver::kinds::{CONFIG_MAPS, PODS};

fn store() -> Arc<Store> {
    let store = Arc::new(Store::new(100));
    create_system_priority_classes(&store, "2024-01-01T00:00:00Z").expect("system classes");
    store
}

fn add_class(store: &Store, name: &str, value: i64, global_default: bool, policy: &str) {
    store
        .create(
            &PRIORITY_CLASSES,
            json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                "metadata": {"name": name}, "value": value, "globalDefault": global_default,
                "preemptionPolicy": policy}),
        )
        .expect("class");
}

fn attributes(operation: AdmissionOperation, old: Option<Value>) -> Attributes {
    Attributes::for_test(&PODS, None, operation, old)
}

fn pod(spec: Value) -> Value {
    let mut spec = spec;
    spec["containers"] = json!([{"name": "c", "image": "nginx"}]);
    json!({"metadata": {"name": "web", "namespace": "ns"}, "spec": spec})
}

fn admit(store: &Arc<Store>, attrs: &Attributes, object: &mut Value) -> Result<bool, ApiError> {
    futures::executor::block_on(PriorityAdmission::new(store.clone()).admit(attrs, object))
}

fn create(store: &Arc<Store>, spec: Value) -> Result<Value, ApiError> {
    let mut object = pod(spec);
    admit(
        store,
        &attributes(AdmissionOperation::Create, None),
        &mut object,
    )?;
    Ok(object["spec"].clone())
}

#[test]
fn a_pod_without_a_class_gets_priority_zero_unless_a_class_is_the_global_default() {
    let store = store();
    let spec = create(&store, json!({})).expect("admitted");
    assert_eq!(spec["priority"], 0);
    assert_eq!(spec["preemptionPolicy"], "PreemptLowerPriority");
    assert!(spec.get("priorityClassName").is_none());

    // Two global defaults (a race upstream allows): the lower value wins.
    add_class(&store, "high-default", 500, true, "Never");
    add_class(&store, "low-default", 100, true, "Never");
    let spec = create(&store, json!({})).expect("admitted");
    assert_eq!(
        (
            &spec["priorityClassName"],
            &spec["priority"],
            &spec["preemptionPolicy"]
        ),
        (&json!("low-default"), &json!(100), &json!("Never"))
    );
}

#[test]
fn a_named_class_gives_its_value_and_policy() {
    let store = store();
    let spec = create(&store, json!({"priorityClassName": "system-node-critical"})).expect("ok");
    assert_eq!(spec["priority"], 2_000_001_000);
    assert_eq!(spec["preemptionPolicy"], "PreemptLowerPriority");
    let spec = create(
        &store,
        json!({"priorityClassName": "system-cluster-critical"}),
    )
    .expect("ok");
    assert_eq!(spec["priority"], 2_000_000_000);

    // The values the class gives may also be written in the pod.
    add_class(&store, "batch", 10, false, "Never");
    let spec = create(
        &store,
        json!({"priorityClassName": "batch", "priority": 10, "preemptionPolicy": "Never"}),
    )
    .expect("ok");
    assert_eq!(
        (&spec["priority"], &spec["preemptionPolicy"]),
        (&json!(10), &json!("Never"))
    );
}

#[test]
fn refusals_name_what_was_wrong() {
    let store = store();
    add_class(&store, "batch", 10, false, "Never");
    for (spec, message) in [
        (
            json!({"priorityClassName": "nosuch"}),
            "pods \"web\" is forbidden: no PriorityClass with name nosuch was found",
        ),
        (
            json!({"priority": 5}),
            "pods \"web\" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name",
        ),
        (
            json!({"priorityClassName": "batch", "preemptionPolicy": "PreemptLowerPriority"}),
            "pods \"web\" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name",
        ),
    ] {
        let err = create(&store, spec.clone()).expect_err("refused");
        assert_eq!((err.code, err.message.as_str()), (403, message), "{spec}");
    }

    // A pod named by generateName is quoted by its prefix, as `extractResourceName` does.
    let mut generated = pod(json!({"priorityClassName": "nosuch"}));
    generated["metadata"] = json!({"generateName": "web-", "namespace": "ns"});
    let mut attrs = attributes(AdmissionOperation::Create, None);
    attrs.name = String::new();
    let err = admit(&store, &attrs, &mut generated).expect_err("refused");
    assert_eq!(
        err.message,
        "pods \"web-\" is forbidden: no PriorityClass with name nosuch was found"
    );
}

#[test]
fn a_class_without_a_preemption_policy_preempts_lower_priorities() {
    let store = store();
    store
        .create(
            &PRIORITY_CLASSES,
            json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                "metadata": {"name": "nopolicy"}, "value": 100}),
        )
        .expect("class");
    let spec = create(&store, json!({"priorityClassName": "nopolicy"})).expect("admitted");
    assert_eq!(spec["preemptionPolicy"], "PreemptLowerPriority");
    let err = create(
        &store,
        json!({"priorityClassName": "nopolicy", "preemptionPolicy": "Never"}),
    )
    .expect_err("refused");
    assert_eq!(err.code, 403);
}

#[test]
fn an_update_keeps_the_stored_priority() {
    let store = store();
    let old = pod(
        json!({"priorityClassName": "system-node-critical", "priority": 2_000_001_000,
        "preemptionPolicy": "PreemptLowerPriority"}),
    );
    let mut updated = pod(json!({"priorityClassName": "system-node-critical"}));
    let attrs = attributes(AdmissionOperation::Update, Some(old.clone()));
    assert!(admit(&store, &attrs, &mut updated).expect("admitted"));
    assert_eq!(updated["spec"]["priority"], 2_000_001_000);
    assert_eq!(updated["spec"]["preemptionPolicy"], "PreemptLowerPriority");

    // Values the update gives are left for validation to refuse if they changed.
    let mut changed = pod(json!({"priority": 5, "preemptionPolicy": "Never"}));
    let attrs = attributes(AdmissionOperation::Update, Some(old));
    assert!(!admit(&store, &attrs, &mut changed).expect("admitted"));
    assert_eq!(changed["spec"]["priority"], 5);
    assert_eq!(changed["spec"]["preemptionPolicy"], "Never");

    // A stored pod without a priority (the plugin was off) leaves the update alone.
    let old = pod(json!({}));
    let mut updated = pod(json!({"priority": 7}));
    let attrs = attributes(AdmissionOperation::Update, Some(old));
    assert!(!admit(&store, &attrs, &mut updated).expect("admitted"));
    assert_eq!(updated["spec"]["priority"], 7);
}

#[test]
fn other_kinds_subresources_and_deletes_are_left_alone() {
    let store = store();
    let mut attrs = attributes(AdmissionOperation::Create, None);
    attrs.resource = &CONFIG_MAPS;
    let mut object = json!({"metadata": {"name": "x"}, "spec": {"priority": 5}});
    assert!(!admit(&store, &attrs, &mut object).expect("ignored"));

    let mut attrs = attributes(
        AdmissionOperation::Update,
        Some(pod(json!({"priority": 1}))),
    );
    attrs.subresource = Some("status".into());
    let mut object = pod(json!({"priority": 5}));
    assert!(!admit(&store, &attrs, &mut object).expect("ignored"));
    assert_eq!(object["spec"]["priority"], 5);
}

#[test]
fn system_classes_are_created_once() {
    let store = store();
    let revision = store.revision();
    create_system_priority_classes(&store, "2024-01-02T00:00:00Z").expect("kept");
    assert_eq!(store.revision(), revision);
    let class = store
        .get(&PRIORITY_CLASSES, "", "system-node-critical")
        .expect("class")
        .value();
    assert_eq!(class["value"], 2_000_001_000);
    assert_eq!(
        class["description"],
        "Used for system critical pods that must not be moved from their current node."
    );
}

#[test]
fn a_stored_class_gets_the_default_preemption_policy() {
    for given in [
        json!({"value": 1}),
        json!({"value": 1, "preemptionPolicy": null}),
    ] {
        let mut class = given.clone();
        default_priority_class(&mut class);
        assert_eq!(class["preemptionPolicy"], "PreemptLowerPriority", "{given}");
    }
    let mut never = json!({"value": 1, "preemptionPolicy": "Never"});
    default_priority_class(&mut never);
    assert_eq!(never["preemptionPolicy"], "Never");
}
