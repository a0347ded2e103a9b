//! What CertificateSigningRequests (`certificates.k8s.io/v1`, served generically) have of
//! upstream's strategies besides storage (`pkg/registry/certificates/certificates/
//! strategy.go`): a create records the requesting user in `spec` and starts with an empty
//! status, an update keeps `spec` and `status` as stored, a write to `approval` changes only `status.conditions` (how `kubectl
//! certificate approve|deny` records its decision), a write to `status` keeps the
//! Approved and Denied conditions it found, and both fill in the conditions' timestamps.

use serde_json::{json, Map, Value};

use crate::apiserver::field_rules::{ApplyShape, FieldRule, SmpList, DEFAULT_RULE};
use crate::authn::UserInfo;

/// `k8s.io/api/certificates/v1` markers: `status.conditions` is `+listType=map` with
/// `+listMapKey=type` (server-side apply merges and owns each condition by its type, as
/// `kubectl certificate approve` is recorded upstream) and has no `patchStrategy` tag (a
/// strategic merge patch replaces the list).
pub fn field_rule(path: &[&str]) -> FieldRule {
    match path {
        ["status", "conditions"] => FieldRule {
            retain_keys: false,
            smp: SmpList::Replace,
            apply: ApplyShape::Keyed(&["type"]),
        },
        _ => DEFAULT_RULE,
    }
}

/// `csrStrategy.PrepareForCreate`: the requesting user's name, uid, groups and extra
/// replace whatever the client wrote in `spec.username`, `uid`, `groups` and `extra`
/// (empty ones are left out, as Go's `omitempty` leaves them), and the status starts
/// empty: nobody creates a request already approved.
pub fn prepare_for_create(user: &UserInfo, object: &mut Value) {
    if !object["spec"].is_object() {
        object["spec"] = json!({});
    }
    if let Some(spec) = object["spec"].as_object_mut() {
        for field in ["username", "uid", "groups", "extra"] {
            spec.remove(field);
        }
        if !user.username.is_empty() {
            spec.insert("username".into(), json!(user.username));
        }
        if !user.uid.is_empty() {
            spec.insert("uid".into(), json!(user.uid));
        }
        if !user.groups.is_empty() {
            spec.insert("groups".into(), json!(user.groups));
        }
        if !user.extra.is_empty() {
            spec.insert("extra".into(), json!(user.extra));
        }
    }
    object["status"] = Value::Object(Map::new());
}

/// `csrStrategy.PrepareForUpdate`: an update changes metadata only; `spec` and `status`
/// stay as stored (`status` through its subresource, the conditions through `approval`).
pub fn prepare_for_update(old: &Value, new: &mut Value) {
    for field in ["spec", "status"] {
        match old.get(field) {
            Some(value) => new[field] = value.clone(),
            None => {
                if let Some(object) = new.as_object_mut() {
                    object.remove(field);
                }
            }
        }
    }
}

/// The object a write to `subresource` produces, or `None` for the default rules.
/// `now` is the server's time (RFC 3339) for condition timestamps.
pub fn subresource_write(
    subresource: &str,
    existing: &Value,
    request: &Value,
    now: &str,
) -> Option<Value> {
    let mut written = existing.clone();
    let requested = request["status"]["conditions"].clone();
    match subresource {
        // `csrApprovalStrategy.PrepareForUpdate`: the old object with the new conditions.
        "approval" => set_conditions(&mut written, requested),
        // `csrStatusStrategy.PrepareForUpdate`: the new status, but the Approved and
        // Denied instances stay as they were where their count is unchanged.
        "status" => {
            written = super::status_write(existing, request);
            for kind in ["Approved", "Denied"] {
                preserve_instances(&mut written, existing, kind);
            }
        }
        _ => return None,
    }
    populate_timestamps(&mut written, existing, now);
    Some(written)
}

fn set_conditions(object: &mut Value, conditions: Value) {
    if conditions.is_null() {
        if let Some(status) = object.get_mut("status").and_then(Value::as_object_mut) {
            status.remove("conditions");
        }
        return;
    }
    if !object["status"].is_object() {
        object["status"] = json!({});
    }
    object["status"]["conditions"] = conditions;
}

fn conditions(object: &Value) -> &[Value] {
    object["status"]["conditions"]
        .as_array()
        .map_or(&[], Vec::as_slice)
}

/// `preserveConditionInstances`: the new conditions of type `kind` are replaced one for
/// one by the old ones when there are as many; otherwise left for validation.
fn preserve_instances(new: &mut Value, old: &Value, kind: &str) {
    let old_instances: Vec<Value> = conditions(old)
        .iter()
        .filter(|c| c["type"] == kind)
        .cloned()
        .collect();
    let Some(list) = new["status"]["conditions"].as_array_mut() else {
        return;
    };
    let positions: Vec<usize> = (0..list.len())
        .filter(|&i| list[i]["type"] == kind)
        .collect();
    if positions.len() != old_instances.len() {
        return;
    }
    for (position, old) in positions.into_iter().zip(old_instances) {
        list[position] = old;
    }
}

/// `populateConditionTimestamps`: `lastUpdateTime` defaults to now; `lastTransitionTime`
/// to that of an old condition of the same type and status, else now.
fn populate_timestamps(new: &mut Value, old: &Value, now: &str) {
    let old_conditions = conditions(old).to_vec();
    let Some(list) = new["status"]["conditions"].as_array_mut() else {
        return;
    };
    for condition in list.iter_mut().filter(|c| c.is_object()) {
        if condition["lastUpdateTime"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
        {
            condition["lastUpdateTime"] = json!(now);
        }
        if condition["lastTransitionTime"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
        {
            let kept = old_conditions
                .iter()
                .find(|o| {
                    o["type"] == condition["type"]
                        && o["status"] == condition["status"]
                        && o["lastTransitionTime"]
                            .as_str()
                            .is_some_and(|t| !t.is_empty())
                })
                .map(|o| o["lastTransitionTime"].clone());
            condition["lastTransitionTime"] = kept.unwrap_or_else(|| json!(now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2024-05-01T12:00:00Z";

    #[test]
    fn a_create_records_the_requesting_user_and_no_status() {
        let user = UserInfo {
            username: "jane".into(),
            uid: "u-1".into(),
            groups: vec!["dev".into(), "system:authenticated".into()],
            extra: [("scopes".to_string(), vec!["a".to_string()])].into(),
        };
        let mut created = json!({"metadata": {"name": "c"},
            "spec": {"signerName": "x", "username": "mallory", "groups": ["system:masters"],
                     "uid": "forged", "extra": {"k": ["v"]}},
            "status": {"conditions": [{"type": "Approved", "status": "True"}]}});
        prepare_for_create(&user, &mut created);
        assert_eq!(
            created,
            json!({"metadata": {"name": "c"},
                "spec": {"signerName": "x", "username": "jane", "uid": "u-1",
                         "groups": ["dev", "system:authenticated"], "extra": {"scopes": ["a"]}},
                "status": {}})
        );

        let mut anonymous =
            json!({"metadata": {"name": "c"}, "spec": {"signerName": "x", "uid": "forged"}});
        prepare_for_create(&UserInfo::default(), &mut anonymous);
        assert_eq!(anonymous["spec"], json!({"signerName": "x"}));
    }

    #[test]
    fn an_update_keeps_spec_and_status() {
        let old = csr(json!([{"type": "Approved", "status": "True"}]));
        let mut new = json!({"metadata": {"name": "c", "labels": {"a": "c"}},
            "spec": {"signerName": "y", "username": "mallory"}});
        prepare_for_update(&old, &mut new);
        assert_eq!(new["spec"], old["spec"]);
        assert_eq!(new["status"], old["status"]);
        assert_eq!(new["metadata"]["labels"], json!({"a": "c"}));
    }

    fn csr(conditions: Value) -> Value {
        json!({"metadata": {"name": "c", "labels": {"a": "b"}}, "spec": {"signerName": "x"}, "status": {"conditions": conditions}})
    }

    #[test]
    fn an_approval_records_only_the_conditions_with_their_times() {
        let existing = json!({"metadata": {"name": "c"}, "spec": {"signerName": "x"}});
        let mut request =
            csr(json!([{"type": "Approved", "status": "True", "reason": "KubectlApprove"}]));
        request["spec"]["signerName"] = json!("changed");
        let written = subresource_write("approval", &existing, &request, NOW).expect("approval");
        assert_eq!(written["spec"]["signerName"], "x");
        assert_eq!(written["metadata"], json!({"name": "c"}));
        assert_eq!(
            written["status"]["conditions"],
            json!([{"type": "Approved", "status": "True", "reason": "KubectlApprove", "lastUpdateTime": NOW, "lastTransitionTime": NOW}])
        );
    }

    #[test]
    fn a_status_write_keeps_the_decision_and_transition_times() {
        let approved = json!({"type": "Approved", "status": "True", "reason": "R", "lastUpdateTime": "2024-01-01T00:00:00Z", "lastTransitionTime": "2024-01-01T00:00:00Z"});
        let existing = csr(json!([approved]));
        let request = csr(json!([
            {"type": "Approved", "status": "True", "reason": "Changed"},
            {"type": "Failed", "status": "True"}
        ]));
        let written = subresource_write("status", &existing, &request, NOW).expect("status");
        let list = written["status"]["conditions"]
            .as_array()
            .expect("conditions");
        assert_eq!(list[0], approved);
        assert_eq!(list[1]["lastUpdateTime"], NOW);
        assert_eq!(list[1]["lastTransitionTime"], NOW);
        assert!(subresource_write("scale", &existing, &request, NOW).is_none());
    }
}
