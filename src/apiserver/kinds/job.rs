//! What a Job (`batch/v1`, served generically) has of upstream's strategy besides its
//! defaults and columns: the selector a new Job gets unless it asks for a manual one
//! (`generateSelector` in `pkg/registry/batch/job/strategy.go`).

use serde_json::{json, Value};

use crate::apiserver::defaults::{default_value, object_entry};

/// `batch.kubernetes.io/controller-uid`, which the generated selector matches.
const CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";
/// Its legacy twin, also put on the pod template.
const LEGACY_CONTROLLER_UID: &str = "controller-uid";
/// The Job's name on its pods, new and legacy keys.
const JOB_NAME_LABELS: [&str; 2] = ["job-name", "batch.kubernetes.io/job-name"];

/// Unless `spec.manualSelector` is true: the pod template gets the job-name and
/// controller-uid labels (those the user set are kept), and the selector matches the
/// controller uid. A Job without labels of its own then shows its template's, as the
/// API defaults show them when it is read back.
pub fn prepare_for_create(_user: &crate::authn::UserInfo, object: &mut Value) {
    if object["spec"]["manualSelector"] == json!(true) {
        return;
    }
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let uid = object["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let Some(root) = object.as_object_mut() else {
        return;
    };
    let Some(spec) = object_entry(root, "spec") else {
        return;
    };
    let template_labels = object_entry(spec, "template")
        .and_then(|template| object_entry(template, "metadata"))
        .and_then(|metadata| object_entry(metadata, "labels"));
    let Some(labels) = template_labels else {
        return;
    };
    for key in JOB_NAME_LABELS {
        default_value(labels, key, json!(name));
    }
    for key in [LEGACY_CONTROLLER_UID, CONTROLLER_UID] {
        default_value(labels, key, json!(uid));
    }
    let template_labels = labels.clone();
    if let Some(selector) =
        object_entry(spec, "selector").and_then(|selector| object_entry(selector, "matchLabels"))
    {
        default_value(selector, CONTROLLER_UID, json!(uid));
    }
    if let Some(own) = object_entry(root, "metadata").and_then(|m| object_entry(m, "labels")) {
        if own.is_empty() {
            *own = template_labels;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_job_selects_its_pods_by_its_uid() {
        let mut job =
            json!({"metadata": {"name": "pi", "uid": "u-1"}, "spec": {"template": {"spec": {}}}});
        prepare_for_create(&Default::default(), &mut job);
        let labels = json!({
            "batch.kubernetes.io/controller-uid": "u-1",
            "batch.kubernetes.io/job-name": "pi",
            "controller-uid": "u-1",
            "job-name": "pi"
        });
        assert_eq!(job["spec"]["template"]["metadata"]["labels"], labels);
        assert_eq!(
            job["spec"]["selector"],
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}})
        );
        assert_eq!(job["metadata"]["labels"], labels);
    }

    #[test]
    fn own_labels_and_manual_selectors_are_kept() {
        let mut job = json!({"metadata": {"name": "pi", "uid": "u-1", "labels": {"app": "x"}},
            "spec": {"template": {"metadata": {"labels": {"job-name": "mine"}}}}});
        prepare_for_create(&Default::default(), &mut job);
        assert_eq!(job["metadata"]["labels"], json!({"app": "x"}));
        assert_eq!(
            job["spec"]["template"]["metadata"]["labels"]["job-name"],
            "mine"
        );

        let manual = json!({"metadata": {"name": "pi", "uid": "u-1"},
            "spec": {"manualSelector": true, "selector": {"matchLabels": {"a": "b"}}}});
        let mut prepared = manual.clone();
        prepare_for_create(&Default::default(), &mut prepared);
        assert_eq!(prepared, manual);
    }
}
