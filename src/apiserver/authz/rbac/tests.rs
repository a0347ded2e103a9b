//! Table tests of rule matching, subjects, the index, escalation checks and the bootstrap
//! policy (upstream: rbac_test.go, rule_test.go, policy_comparator_test.go,
//! policy_test.go).

use std::sync::Arc;

use serde_json::{json, Value};

use super::escalation::{compact, compact_string, confirm_no_escalation, uncovered};
use super::rules::Rule;
use super::{aggregation, bootstrap, RbacAuthorizer};
use crate::apiserver::authz::{Attributes, Authorizer, Decision, Reasoned, Request};
use crate::apiserver::kinds::rbac::{CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS};
use crate::apiserver::kinds::NAMESPACES;
use crate::apiserver::store::{Preconditions, Store};
use crate::authn::UserInfo;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> Rule {
    Rule {
        verbs: strings(verbs),
        api_groups: strings(groups),
        resources: strings(resources),
        resource_names: strings(names),
        non_resource_urls: Vec::new(),
    }
}

fn url_rule(verbs: &[&str], urls: &[&str]) -> Rule {
    Rule {
        verbs: strings(verbs),
        non_resource_urls: strings(urls),
        ..Rule::default()
    }
}

fn resource<'a>(
    group: &'a str,
    resource: &'a str,
    subresource: &'a str,
    name: &'a str,
) -> Request<'a> {
    Request::Resource {
        namespace: "ns",
        api_group: group,
        api_version: "v1",
        resource,
        subresource,
        name,
    }
}

#[test]
fn rules_match_verbs_groups_resources_names_and_urls() {
    let cases: Vec<(&str, Rule, &str, Request<'_>, bool)> = vec![
        (
            "exact",
            rule(&["get"], &[""], &["pods"], &[]),
            "get",
            resource("", "pods", "", "web"),
            true,
        ),
        (
            "other verb",
            rule(&["get"], &[""], &["pods"], &[]),
            "list",
            resource("", "pods", "", ""),
            false,
        ),
        (
            "verb *",
            rule(&["*"], &[""], &["pods"], &[]),
            "deletecollection",
            resource("", "pods", "", ""),
            true,
        ),
        (
            "other group",
            rule(&["get"], &["apps"], &["pods"], &[]),
            "get",
            resource("", "pods", "", ""),
            false,
        ),
        (
            "group *",
            rule(&["get"], &["*"], &["deployments"], &[]),
            "get",
            resource("apps", "deployments", "", ""),
            true,
        ),
        (
            "resource * covers subresources",
            rule(&["get"], &[""], &["*"], &[]),
            "get",
            resource("", "pods", "log", "web"),
            true,
        ),
        (
            "no subresource from the resource",
            rule(&["get"], &[""], &["pods"], &[]),
            "get",
            resource("", "pods", "status", "web"),
            false,
        ),
        (
            "pods/status",
            rule(&["update"], &[""], &["pods/status"], &[]),
            "update",
            resource("", "pods", "status", "web"),
            true,
        ),
        (
            "pods/status is not pods",
            rule(&["get"], &[""], &["pods/status"], &[]),
            "get",
            resource("", "pods", "", "web"),
            false,
        ),
        (
            "*/status",
            rule(&["get"], &["*"], &["*/status"], &[]),
            "get",
            resource("apps", "deployments", "status", "d"),
            true,
        ),
        (
            "*/status is not */scale",
            rule(&["get"], &["*"], &["*/status"], &[]),
            "get",
            resource("apps", "deployments", "scale", "d"),
            false,
        ),
        (
            "*/status is not the object",
            rule(&["get"], &["*"], &["*/status"], &[]),
            "get",
            resource("apps", "deployments", "", "d"),
            false,
        ),
        (
            "serviceaccounts/token",
            rule(&["create"], &[""], &["serviceaccounts/token"], &[]),
            "create",
            resource("", "serviceaccounts", "token", "robot"),
            true,
        ),
        (
            "named",
            rule(&["get"], &[""], &["configmaps"], &["a", "b"]),
            "get",
            resource("", "configmaps", "", "b"),
            true,
        ),
        (
            "other name",
            rule(&["get"], &[""], &["configmaps"], &["a"]),
            "get",
            resource("", "configmaps", "", "c"),
            false,
        ),
        (
            "names never match a list",
            rule(&["list"], &[""], &["configmaps"], &["a"]),
            "list",
            resource("", "configmaps", "", ""),
            false,
        ),
        (
            "url exact",
            url_rule(&["get"], &["/healthz"]),
            "get",
            Request::NonResource { path: "/healthz" },
            true,
        ),
        (
            "url prefix",
            url_rule(&["get"], &["/apis/*"]),
            "get",
            Request::NonResource {
                path: "/apis/apps/v1",
            },
            true,
        ),
        (
            "url prefix needs the slash",
            url_rule(&["get"], &["/apis/*"]),
            "get",
            Request::NonResource { path: "/apis" },
            false,
        ),
        (
            "url *",
            url_rule(&["*"], &["*"]),
            "post",
            Request::NonResource { path: "/anything" },
            true,
        ),
        (
            "url verb",
            url_rule(&["get"], &["/healthz"]),
            "post",
            Request::NonResource { path: "/healthz" },
            false,
        ),
        (
            "resource rule on a url",
            rule(&["*"], &["*"], &["*"], &[]),
            "get",
            Request::NonResource { path: "/healthz" },
            false,
        ),
        (
            "url rule on a resource",
            url_rule(&["*"], &["*"]),
            "get",
            resource("", "pods", "", ""),
            false,
        ),
    ];
    for (name, rule, verb, request, expected) in cases {
        assert_eq!(rule.allows(verb, &request), expected, "{name}");
    }
}

fn store() -> Arc<Store> {
    let store = Arc::new(Store::default());
    for ns in ["ns", "other", "kube-system"] {
        store
            .create(&NAMESPACES, json!({"metadata": {"name": ns}}))
            .expect("namespace");
    }
    store
}

fn sa_user(namespace: &str, name: &str) -> UserInfo {
    UserInfo {
        username: format!("system:serviceaccount:{namespace}:{name}"),
        groups: strings(&[
            "system:serviceaccounts",
            &format!("system:serviceaccounts:{namespace}"),
            "system:authenticated",
        ]),
        ..UserInfo::default()
    }
}

fn user(name: &str, groups: &[&str]) -> UserInfo {
    UserInfo {
        username: name.into(),
        groups: strings(groups),
        ..UserInfo::default()
    }
}

fn role(namespace: &str, name: &str, rules: Value) -> Value {
    json!({"metadata": {"name": name, "namespace": namespace}, "rules": rules})
}

fn role_binding(namespace: &str, name: &str, kind: &str, role: &str, subjects: Value) -> Value {
    json!({"metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role}, "subjects": subjects})
}

fn ask(
    authorizer: &RbacAuthorizer,
    user: &UserInfo,
    verb: &str,
    namespace: &str,
    resource: &str,
) -> Decision {
    authorizer.authorize(&Attributes {
        user,
        verb,
        request: Request::Resource {
            namespace,
            api_group: "",
            api_version: "v1",
            resource,
            subresource: "",
            name: "",
        },
    })
}

#[test]
fn subjects_match_users_groups_and_service_accounts() {
    let store = store();
    let rbac = RbacAuthorizer::new(&store);
    store
        .create(
            &ROLES,
            role(
                "ns",
                "reader",
                json!([{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}]),
            ),
        )
        .expect("role");
    let subjects = [
        (
            "sa with namespace",
            json!([{"kind": "ServiceAccount", "name": "robot", "namespace": "ns"}]),
            sa_user("ns", "robot"),
            true,
        ),
        (
            "sa defaults to the binding's namespace",
            json!([{"kind": "ServiceAccount", "name": "robot"}]),
            sa_user("ns", "robot"),
            true,
        ),
        (
            "sa of another namespace",
            json!([{"kind": "ServiceAccount", "name": "robot", "namespace": "other"}]),
            sa_user("ns", "robot"),
            false,
        ),
        (
            "sa named as a user",
            json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccount:ns:robot"}]),
            sa_user("ns", "robot"),
            true,
        ),
        (
            "all accounts of the namespace",
            json!([{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts:ns"}]),
            sa_user("ns", "robot"),
            true,
        ),
        (
            "all accounts",
            json!([{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts"}]),
            sa_user("ns", "other"),
            true,
        ),
        (
            "accounts of another namespace",
            json!([{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts:other"}]),
            sa_user("ns", "robot"),
            false,
        ),
        (
            "user",
            json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"}]),
            user("jane", &[]),
            true,
        ),
        (
            "other user",
            json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"}]),
            user("joe", &[]),
            false,
        ),
        (
            "a user is not a group",
            json!([{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"}]),
            user("jane", &[]),
            false,
        ),
    ];
    for (name, subjects, who, allowed) in subjects {
        store
            .create(
                &ROLE_BINDINGS,
                role_binding("ns", "b", "Role", "reader", subjects),
            )
            .expect("binding");
        let decision = ask(&rbac, &who, "list", "ns", "pods");
        assert_eq!(decision == Decision::Allow, allowed, "{name}: {decision:?}");
        // Only in the binding's namespace, and only what the role names.
        assert_ne!(
            ask(&rbac, &who, "list", "other", "pods"),
            Decision::Allow,
            "{name}"
        );
        assert_ne!(
            ask(&rbac, &who, "delete", "ns", "pods"),
            Decision::Allow,
            "{name}"
        );
        store
            .delete(&ROLE_BINDINGS, "ns", "b", &Preconditions::default())
            .expect("delete");
        assert_ne!(
            ask(&rbac, &who, "list", "ns", "pods"),
            Decision::Allow,
            "{name}, after deletion"
        );
    }
}

#[test]
fn cluster_roles_bind_per_namespace_or_everywhere_and_missing_roles_are_reported() {
    let store = store();
    let rbac = RbacAuthorizer::new(&store);
    let robot = sa_user("ns", "robot");
    let subjects = json!([{"kind": "ServiceAccount", "name": "robot", "namespace": "ns"}]);
    store
        .create(
            &ROLE_BINDINGS,
            role_binding("ns", "b", "ClusterRole", "pod-reader", subjects.clone()),
        )
        .expect("binding");
    assert_eq!(
        ask(&rbac, &robot, "get", "ns", "pods"),
        Decision::NoOpinion(
            "RBAC: clusterrole.rbac.authorization.k8s.io \"pod-reader\" not found".into()
        )
    );
    store.create(&CLUSTER_ROLES, json!({"metadata": {"name": "pod-reader"}, "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]})).expect("role");
    assert_eq!(ask(&rbac, &robot, "get", "ns", "pods"), Decision::Allow);
    assert_eq!(
        ask(&rbac, &robot, "get", "other", "pods"),
        Decision::NoOpinion(String::new())
    );
    assert_eq!(
        ask(&rbac, &robot, "get", "", "pods"),
        Decision::NoOpinion(String::new())
    );
    store.create(&CLUSTER_ROLE_BINDINGS, json!({"metadata": {"name": "c"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pod-reader"}, "subjects": subjects})).expect("binding");
    assert_eq!(ask(&rbac, &robot, "get", "other", "pods"), Decision::Allow);
    assert_eq!(ask(&rbac, &robot, "get", "", "pods"), Decision::Allow);
    store
        .create(
            &ROLE_BINDINGS,
            role_binding(
                "ns",
                "two",
                "Role",
                "gone",
                json!([{"kind": "ServiceAccount", "name": "robot"}]),
            ),
        )
        .expect("binding");
    store
        .create(
            &ROLE_BINDINGS,
            role_binding(
                "ns",
                "three",
                "Role",
                "also-gone",
                json!([{"kind": "ServiceAccount", "name": "robot"}]),
            ),
        )
        .expect("binding");
    let Decision::NoOpinion(reason) = ask(&rbac, &robot, "delete", "ns", "pods") else {
        panic!("allowed")
    };
    assert!(
        reason.starts_with("RBAC: [role.rbac.authorization.k8s.io \""),
        "{reason}"
    );
    let review = rbac.rules_for(&robot, "ns");
    assert!(review.incomplete);
    assert_eq!(
        review.resource_rules.len(),
        2,
        "the cluster role, once per binding: {review:?}"
    );
}

/// The reason an access review shows, for the pod list of namespace `namespace`.
fn reason_for(rbac: &RbacAuthorizer, user: &UserInfo, verb: &str, namespace: &str) -> Reasoned {
    rbac.authorize_reasoned(&Attributes {
        user,
        verb,
        request: Request::Resource {
            namespace,
            api_group: "",
            api_version: "v1",
            resource: "pods",
            subresource: "",
            name: "",
        },
    })
}

#[test]
fn reviews_name_the_binding_and_subject_that_allow() {
    let store = store();
    let rbac = RbacAuthorizer::new(&store);
    let rules = json!([{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]);
    store
        .create(&ROLES, role("ns", "pod-reader", rules.clone()))
        .expect("role");
    store
        .create(
            &CLUSTER_ROLES,
            json!({"metadata": {"name": "lister"}, "rules": rules}),
        )
        .expect("cluster role");
    // The first subject that applies is named: the group before the account by name.
    store
        .create(
            &ROLE_BINDINGS,
            role_binding(
                "ns",
                "rb1",
                "Role",
                "pod-reader",
                json!([{"kind": "User", "name": "someone-else"},
                       {"kind": "Group", "name": "system:serviceaccounts:ns"},
                       {"kind": "ServiceAccount", "name": "robot"}]),
            ),
        )
        .expect("binding");
    store.create(&CLUSTER_ROLE_BINDINGS, json!({"metadata": {"name": "crb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "lister"},
        "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": "other"},
                     {"kind": "User", "name": "jane"}]})).expect("cluster binding");
    let robot = sa_user("ns", "robot");
    let cases = [
        (
            &robot,
            "list",
            "ns",
            Decision::Allow,
            r#"RBAC: allowed by RoleBinding "rb1/ns" of Role "pod-reader" to Group "system:serviceaccounts:ns""#,
        ),
        (
            &sa_user("other", "robot"),
            "list",
            "ns",
            Decision::Allow,
            r#"RBAC: allowed by ClusterRoleBinding "crb" of ClusterRole "lister" to ServiceAccount "robot/other""#,
        ),
        (
            &user("jane", &[]),
            "list",
            "",
            Decision::Allow,
            r#"RBAC: allowed by ClusterRoleBinding "crb" of ClusterRole "lister" to User "jane""#,
        ),
        (
            &user("admin", &["system:masters"]),
            "delete",
            "ns",
            Decision::Allow,
            "",
        ),
        (
            &robot,
            "delete",
            "ns",
            Decision::NoOpinion(String::new()),
            "",
        ),
    ];
    for (who, verb, namespace, decision, reason) in cases {
        let reasoned = reason_for(&rbac, who, verb, namespace);
        assert_eq!(reasoned.decision, decision, "{} {verb}", who.username);
        assert_eq!(reasoned.allowed_reason, reason, "{} {verb}", who.username);
        assert_eq!(
            ask(&rbac, who, verb, namespace, "pods"),
            decision,
            "the plain decision agrees"
        );
    }
    // A ServiceAccount subject without a namespace is described with the binding's.
    store
        .create(
            &ROLE_BINDINGS,
            role_binding(
                "other",
                "local",
                "Role",
                "missing",
                json!([{"kind": "ServiceAccount", "name": "robot"}]),
            ),
        )
        .expect("binding");
    store
        .create(
            &ROLES,
            role(
                "other",
                "missing",
                json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]),
            ),
        )
        .expect("role");
    assert_eq!(
        reason_for(&rbac, &sa_user("other", "robot"), "get", "other").allowed_reason,
        r#"RBAC: allowed by RoleBinding "local/other" of Role "missing" to ServiceAccount "robot/other""#
    );
}

#[test]
fn masters_bypass_and_rules_for_lists_what_bindings_grant() {
    let store = store();
    let rbac = RbacAuthorizer::new(&store);
    let admin = user("admin", &["system:masters"]);
    assert_eq!(
        ask(&rbac, &admin, "delete", "ns", "secrets"),
        Decision::Allow
    );
    bootstrap::ensure_policy(&store).expect("policy");
    let jane = user("jane", &["system:authenticated"]);
    let review = rbac.rules_for(&jane, "ns");
    assert!(!review.incomplete);
    let resources: Vec<&str> = review
        .resource_rules
        .iter()
        .flat_map(|r| r.resources.iter().map(String::as_str))
        .collect();
    assert_eq!(
        resources,
        [
            "selfsubjectaccessreviews",
            "selfsubjectrulesreviews",
            "selfsubjectreviews"
        ]
    );
    assert!(review
        .non_resource_rules
        .iter()
        .any(|r| r.non_resource_urls.contains(&"/apis/*".to_string())));
    let discovery = |path| {
        rbac.authorize(&Attributes {
            user: &jane,
            verb: "get",
            request: Request::NonResource { path },
        })
    };
    assert_eq!(discovery("/apis/apps/v1"), Decision::Allow);
    assert_eq!(discovery("/version"), Decision::Allow);
    assert_ne!(discovery("/metrics"), Decision::Allow);
    let admin_rules = rbac.rules_for(&admin, "");
    assert!(admin_rules
        .resource_rules
        .iter()
        .any(|r| r.verbs == ["*"] && r.resources == ["*"]));
}

#[test]
fn uncovered_rules_are_found_and_described_as_upstream() {
    type Case<'a> = (&'a str, Vec<Rule>, Vec<Rule>, Vec<&'a str>);
    let cases: Vec<Case<'_>> = vec![
        ("exact", vec![rule(&["get"], &[""], &["pods"], &[])], vec![rule(&["get"], &[""], &["pods"], &[])], vec![]),
        ("stars", vec![rule(&["*"], &["*"], &["*"], &[])], vec![rule(&["get", "list"], &["", "apps"], &["pods", "deployments/scale"], &["x"])], vec![]),
        ("missing verb", vec![rule(&["get"], &[""], &["pods"], &[])], vec![rule(&["get", "list", "watch"], &[""], &["pods"], &[])], vec!["{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"list\" \"watch\"]}"]),
        ("nothing held", vec![], vec![rule(&["get"], &[""], &["pods"], &[])], vec!["{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\"]}"]),
        ("*/status covers pods/status", vec![rule(&["get"], &[""], &["*/status"], &[])], vec![rule(&["get"], &[""], &["pods/status"], &[])], vec![]),
        ("pods does not cover pods/status", vec![rule(&["get"], &[""], &["pods"], &[])], vec![rule(&["get"], &[""], &["pods/status"], &[])], vec!["{APIGroups:[\"\"], Resources:[\"pods/status\"], Verbs:[\"get\"]}"]),
        ("names within all names", vec![rule(&["get"], &[""], &["configmaps"], &[])], vec![rule(&["get"], &[""], &["configmaps"], &["a"])], vec![]),
        ("all names not within some", vec![rule(&["get"], &[""], &["configmaps"], &["a"])], vec![rule(&["get"], &[""], &["configmaps"], &[])], vec!["{APIGroups:[\"\"], Resources:[\"configmaps\"], Verbs:[\"get\"]}"]),
        ("other name", vec![rule(&["get"], &[""], &["configmaps"], &["a"])], vec![rule(&["get"], &[""], &["configmaps"], &["a", "b"])], vec!["{APIGroups:[\"\"], Resources:[\"configmaps\"], ResourceNames:[\"b\"], Verbs:[\"get\"]}"]),
        ("urls by prefix", vec![url_rule(&["get"], &["/apis/*"])], vec![url_rule(&["get"], &["/apis/apps", "/healthz"])], vec!["{NonResourceURLs:[\"/healthz\"], Verbs:[\"get\"]}"]),
        ("two resources", vec![], vec![rule(&["get"], &[""], &["pods", "secrets"], &[])], vec!["{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\"]}", "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}"]),
    ];
    for (name, owner, requested, expected) in cases {
        let mut described: Vec<String> = compact(uncovered(&owner, &requested))
            .iter()
            .map(compact_string)
            .collect();
        described.sort();
        assert_eq!(described, expected, "{name}");
    }
}

#[test]
fn the_escalation_message_is_upstreams() {
    let jane = user("jane", &["devs", "system:authenticated"]);
    let requested = [rule(&["get"], &[""], &["pods"], &[])];
    assert_eq!(
        confirm_no_escalation(&jane, &[], "", &requested),
        Err("user \"jane\" (groups=[\"devs\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\"]}".to_string())
    );
    assert_eq!(
        confirm_no_escalation(&jane, &requested, "", &requested),
        Ok(())
    );
}

/// The bootstrap policy is upstream's testdata, object for object.
#[test]
fn bootstrap_policy_matches_upstreams_testdata() {
    let expected = |yaml: &str| -> Vec<Value> {
        let list: Value = serde_yaml::from_str(yaml).expect("testdata");
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| {
                let mut item = item.clone();
                item["metadata"]
                    .as_object_mut()
                    .expect("metadata")
                    .remove("creationTimestamp");
                if item["rules"].is_null() {
                    item.as_object_mut().expect("object").remove("rules");
                }
                item
            })
            .collect()
    };
    let by_name = |mut items: Vec<Value>| {
        items.sort_by_key(|i| {
            i["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        });
        items
    };
    assert_eq!(
        by_name(bootstrap::cluster_roles()),
        by_name(expected(include_str!("testdata/cluster-roles.yaml")))
    );
    assert_eq!(
        by_name(bootstrap::cluster_role_bindings()),
        by_name(expected(include_str!(
            "testdata/cluster-role-bindings.yaml"
        )))
    );
    let namespaced: Vec<Value> = bootstrap::namespace_roles()
        .into_iter()
        .chain(bootstrap::namespace_role_bindings())
        .collect();
    assert_eq!(
        namespaced,
        expected(include_str!("testdata/namespace-roles.yaml"))
    );
}

#[test]
fn aggregation_gathers_labelled_roles_transitively() {
    let store = store();
    bootstrap::ensure_policy(&store).expect("policy");
    aggregation::aggregate_until_stable(&store);
    let rules_of =
        |name: &str| store.get(&CLUSTER_ROLES, "", name).expect("role").value()["rules"].clone();
    let view = rules_of("view");
    assert_eq!(view, rules_of("system:aggregate-to-view"));
    let edit = rules_of("edit");
    let edit_items = edit.as_array().expect("rules");
    assert!(
        view.as_array()
            .expect("rules")
            .iter()
            .all(|r| edit_items.contains(r)),
        "edit holds view"
    );
    let admin = rules_of("admin");
    assert!(admin
        .as_array()
        .expect("rules")
        .iter()
        .any(|r| r["resources"] == json!(["rolebindings", "roles"])));
    // A user's role labelled aggregate-to-view joins view, edit and admin.
    store.create(&CLUSTER_ROLES, json!({"metadata": {"name": "widgets", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
        "rules": [{"verbs": ["get"], "apiGroups": ["example.com"], "resources": ["widgets"]}]})).expect("role");
    aggregation::aggregate_until_stable(&store);
    for name in ["view", "edit", "admin"] {
        assert!(
            rules_of(name)
                .as_array()
                .expect("rules")
                .iter()
                .any(|r| r["resources"] == json!(["widgets"])),
            "{name}"
        );
    }
    // Nothing to change: no write.
    let revision = store.revision();
    assert!(!aggregation::aggregate_once(&store));
    assert_eq!(store.revision(), revision);
}
