//! What a Job (`batch/v1`, served generically) has of upstream's strategy besides its
//! defaults and columns: the selector a new Job gets unless it asks for a manual one
//! (`generateSelector` in `pkg/registry/batch/job/strategy.go`).

use serde_json::{json, Map, Value};

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
pub fn prepare_for_create(object: &mut Value) {
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
    let labels = object_at(object, &["spec", "template", "metadata", "labels"]);
    for key in JOB_NAME_LABELS {
        labels.entry(key).or_insert_with(|| json!(name));
    }
    for key in [LEGACY_CONTROLLER_UID, CONTROLLER_UID] {
        labels.entry(key).or_insert_with(|| json!(uid));
    }
    let template_labels = labels.clone();
    object_at(object, &["spec", "selector", "matchLabels"])
        .entry(CONTROLLER_UID)
        .or_insert_with(|| json!(uid));
    let own = object_at(object, &["metadata", "labels"]);
    if own.is_empty() {
        *own = template_labels;
    }
}

/// The object at `path`, made (and non-objects replaced) on the way.
fn object_at<'a>(object: &'a mut Value, path: &[&str]) -> &'a mut Map<String, Value> {
    let mut at = object;
    for key in path {
        if !at[*key].is_object() {
            at[*key] = json!({});
        }
        at = &mut at[*key];
    }
    match at {
        Value::Object(map) => map,
        _ => unreachable!("made an object above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_job_selects_its_pods_by_its_uid() {
        let mut job =
            json!({"metadata": {"name": "pi", "uid": "u-1"}, "spec": {"template": {"spec": {}}}});
        prepare_for_create(&mut job);
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
        prepare_for_create(&mut job);
        assert_eq!(job["metadata"]["labels"], json!({"app": "x"}));
        assert_eq!(
            job["spec"]["template"]["metadata"]["labels"]["job-name"],
            "mine"
        );

        let manual = json!({"metadata": {"name": "pi", "uid": "u-1"},
            "spec": {"manualSelector": true, "selector": {"matchLabels": {"a": "b"}}}});
        let mut prepared = manual.clone();
        prepare_for_create(&mut prepared);
        assert_eq!(prepared, manual);
    }
}
