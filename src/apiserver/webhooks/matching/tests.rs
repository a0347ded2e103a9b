//! Table tests of rule matching, the selectors and `matchPolicy`, after upstream's
//! `rules_test.go`, `namespace/matcher_test.go`, `object/matcher_test.go` and the
//! equivalent-resource cases of `generic/webhook_test.go`.

use serde_json::{json, Map, Value};

use super::*;
use crate::apiserver::kinds::{
    CONFIG_MAPS, PODS, SELF_SUBJECT_REVIEWS, SELF_SUBJECT_REVIEWS_V1BETA1,
};
use crate::apiserver::webhooks::hook::{Hook, HookType};

fn rule(
    operations: &[&str],
    groups: &[&str],
    versions: &[&str],
    resources: &[&str],
    scope: &str,
) -> Rule {
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
    Rule {
        operations: strings(operations),
        api_groups: strings(groups),
        api_versions: strings(versions),
        resources: strings(resources),
        scope: scope.to_string(),
    }
}

fn request<'a>(
    resource: &'static ResourceInfo,
    subresource: &'a str,
    namespace: &'a str,
    operation: &'a str,
) -> MatchRequest<'a> {
    MatchRequest {
        resource,
        subresource,
        namespace,
        operation,
        object: None,
        old_object: None,
    }
}

#[test]
fn rules_match_operations_groups_versions_resources_and_scope() {
    let pods_create = request(&PODS, "", "ns", "CREATE");
    let pod_status_update = request(&PODS, "status", "ns", "UPDATE");
    let namespace_create = request(&NAMESPACES, "", "team", "CREATE");
    let cases: Vec<(&str, Rule, MatchRequest<'_>, bool)> = vec![
        (
            "exact",
            rule(&["CREATE"], &[""], &["v1"], &["pods"], "*"),
            pods_create,
            true,
        ),
        (
            "other operation",
            rule(&["UPDATE"], &[""], &["v1"], &["pods"], "*"),
            pods_create,
            false,
        ),
        (
            "any operation",
            rule(&["*"], &[""], &["v1"], &["pods"], "*"),
            pods_create,
            true,
        ),
        (
            "other group",
            rule(&["*"], &["apps"], &["v1"], &["pods"], "*"),
            pods_create,
            false,
        ),
        (
            "any group",
            rule(&["*"], &["*"], &["v1"], &["pods"], "*"),
            pods_create,
            true,
        ),
        (
            "other version",
            rule(&["*"], &[""], &["v2"], &["pods"], "*"),
            pods_create,
            false,
        ),
        (
            "any version",
            rule(&["*"], &[""], &["*"], &["pods"], "*"),
            pods_create,
            true,
        ),
        (
            "other resource",
            rule(&["*"], &[""], &["v1"], &["secrets", "configmaps"], "*"),
            pods_create,
            false,
        ),
        (
            "one of several resources",
            rule(&["*"], &[""], &["v1"], &["secrets", "pods"], "*"),
            pods_create,
            true,
        ),
        (
            "resource does not match a subresource",
            rule(&["*"], &[""], &["v1"], &["pods"], "*"),
            pod_status_update,
            false,
        ),
        (
            "resource and subresource",
            rule(&["*"], &[""], &["v1"], &["pods/status"], "*"),
            pod_status_update,
            true,
        ),
        (
            "resource with any subresource",
            rule(&["*"], &[""], &["v1"], &["pods/*"], "*"),
            pod_status_update,
            true,
        ),
        (
            "any resource with the subresource",
            rule(&["*"], &[""], &["v1"], &["*/status"], "*"),
            pod_status_update,
            true,
        ),
        (
            "star is resources without subresources",
            rule(&["*"], &[""], &["v1"], &["*"], "*"),
            pod_status_update,
            false,
        ),
        (
            "star/star is everything",
            rule(&["*"], &[""], &["v1"], &["*/*"], "*"),
            pod_status_update,
            true,
        ),
        (
            "pods/* also matches the pod itself",
            rule(&["*"], &[""], &["v1"], &["pods/*"], "*"),
            pods_create,
            true,
        ),
        (
            "namespaced scope",
            rule(&["*"], &[""], &["v1"], &["pods"], "Namespaced"),
            pods_create,
            true,
        ),
        (
            "cluster scope refuses namespaced",
            rule(&["*"], &[""], &["v1"], &["pods"], "Cluster"),
            pods_create,
            false,
        ),
        (
            "a namespace is cluster scoped",
            rule(&["*"], &[""], &["v1"], &["namespaces"], "Cluster"),
            namespace_create,
            true,
        ),
        (
            "a namespace is not namespaced",
            rule(&["*"], &[""], &["v1"], &["namespaces"], "Namespaced"),
            namespace_create,
            false,
        ),
        (
            "unknown scope",
            rule(&["*"], &[""], &["v1"], &["pods"], "Global"),
            pods_create,
            false,
        ),
    ];
    for (case, rule, request, expected) in cases {
        assert_eq!(
            rule_matches(&rule, &request, request.resource),
            expected,
            "{case}"
        );
    }
}

/// Case name, selector, request, whether it matches (or the error message).
type NamespaceCase<'a> = (
    &'a str,
    &'a Result<LabelSelector, String>,
    MatchRequest<'a>,
    Result<bool, &'a str>,
);

/// Case name, webhook, request, the resource it is called with (or the error code).
type ShouldCallCase<'a> = (
    &'a str,
    Hook,
    MatchRequest<'a>,
    Result<Option<&'static ResourceInfo>, u16>,
);

fn labels(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

fn selector(value: Value) -> Result<LabelSelector, String> {
    LabelSelector::from_label_selector(&value)
}

#[test]
fn namespace_selectors_read_the_namespace_or_the_namespace_being_written() {
    let lookup = |name: &str| match name {
        "prod" => Some(labels(&[("env", "prod")])),
        "dev" => Some(labels(&[("env", "dev")])),
        _ => None,
    };
    let prod_only = selector(json!({"matchLabels": {"env": "prod"}}));
    let not_dev = selector(
        json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]}),
    );
    let new_namespace = json!({"metadata": {"name": "staging", "labels": {"env": "prod"}}});
    let mut create_namespace = request(&NAMESPACES, "", "staging", "CREATE");
    create_namespace.object = Some(&new_namespace);
    let cases: Vec<NamespaceCase<'_>> = vec![
        (
            "selected namespace",
            &prod_only,
            request(&PODS, "", "prod", "CREATE"),
            Ok(true),
        ),
        (
            "other namespace",
            &prod_only,
            request(&PODS, "", "dev", "CREATE"),
            Ok(false),
        ),
        (
            "NotIn",
            &not_dev,
            request(&PODS, "", "prod", "CREATE"),
            Ok(true),
        ),
        (
            "cluster-scoped requests are never exempt",
            &prod_only,
            request(
                &crate::apiserver::kinds::MUTATING_WEBHOOK_CONFIGURATIONS,
                "",
                "",
                "CREATE",
            ),
            Ok(true),
        ),
        (
            "a namespace's own create uses its new labels",
            &prod_only,
            create_namespace,
            Ok(true),
        ),
        (
            "a namespace's delete uses the stored labels",
            &prod_only,
            request(&NAMESPACES, "", "dev", "DELETE"),
            Ok(false),
        ),
        (
            "missing namespace",
            &prod_only,
            request(&PODS, "", "gone", "CREATE"),
            Err("namespaces \"gone\" not found"),
        ),
    ];
    for (case, selector, request, expected) in cases {
        let got =
            namespace_selector_matches(selector, &request, &lookup).map_err(|e| e.message.clone());
        assert_eq!(got, expected.map_err(str::to_string), "{case}");
    }
    let missing =
        namespace_selector_matches(&prod_only, &request(&PODS, "", "gone", "CREATE"), &lookup)
            .expect_err("missing");
    assert_eq!((missing.code, missing.reason.as_str()), (404, "NotFound"));
}

#[test]
fn object_selectors_match_the_new_or_the_old_object() {
    let web = json!({"metadata": {"labels": {"app": "web"}}});
    let db = json!({"metadata": {"labels": {"app": "db"}}});
    let unlabelled = json!({"metadata": {}});
    let web_only = selector(json!({"matchLabels": {"app": "web"}}));
    let everything = selector(json!({}));
    let with = |object: Option<&'static Value>, old: Option<&'static Value>| {
        let mut r = request(&PODS, "", "ns", "UPDATE");
        r.object = object;
        r.old_object = old;
        r
    };
    let web: &'static Value = Box::leak(Box::new(web));
    let db: &'static Value = Box::leak(Box::new(db));
    let unlabelled: &'static Value = Box::leak(Box::new(unlabelled));
    let cases = [
        (
            "new object selected",
            &web_only,
            with(Some(web), None),
            true,
        ),
        (
            "old object selected",
            &web_only,
            with(Some(db), Some(web)),
            true,
        ),
        (
            "neither",
            &web_only,
            with(Some(db), Some(unlabelled)),
            false,
        ),
        (
            "delete: only the old object",
            &web_only,
            with(None, Some(db)),
            false,
        ),
        ("empty selector", &everything, with(None, None), true),
    ];
    for (case, selector, request, expected) in cases {
        assert_eq!(
            object_selector_matches(selector, &request).expect("evaluates"),
            expected,
            "{case}"
        );
    }
}

fn hook(rules: Value, match_policy: &str, namespace_selector: Value) -> Hook {
    Hook::parse(
        "config",
        0,
        &json!({"name": "hook.example.com", "rules": rules, "matchPolicy": match_policy,
            "namespaceSelector": namespace_selector, "objectSelector": {}}),
        HookType::Validating,
        Err("no client in this test".into()),
    )
}

#[test]
fn should_call_combines_rules_selectors_and_match_policy() {
    let lookup = |name: &str| (name == "ns").then(Map::new);
    let v1beta1_reviews = json!([{"operations": ["CREATE"], "apiGroups": ["authentication.k8s.io"], "apiVersions": ["v1beta1"], "resources": ["selfsubjectreviews"]}]);
    let pods = json!([{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]);
    let review_request = request(&SELF_SUBJECT_REVIEWS, "", "", "CREATE");
    let pod_request = request(&PODS, "", "ns", "CREATE");
    let cases: Vec<ShouldCallCase<'_>> = vec![
        (
            "rule matches",
            hook(pods.clone(), "Equivalent", json!({})),
            pod_request,
            Ok(Some(&PODS)),
        ),
        (
            "rule does not match",
            hook(pods.clone(), "Equivalent", json!({})),
            request(&CONFIG_MAPS, "", "ns", "CREATE"),
            Ok(None),
        ),
        (
            "Equivalent: another version of the resource",
            hook(v1beta1_reviews.clone(), "Equivalent", json!({})),
            review_request,
            Ok(Some(&SELF_SUBJECT_REVIEWS_V1BETA1)),
        ),
        (
            "Exact: only the version named",
            hook(v1beta1_reviews, "Exact", json!({})),
            review_request,
            Ok(None),
        ),
        (
            "namespace not selected",
            hook(
                pods.clone(),
                "Equivalent",
                json!({"matchLabels": {"team": "a"}}),
            ),
            pod_request,
            Ok(None),
        ),
        (
            "missing namespace only matters when a rule matches",
            hook(
                json!([{"operations": ["DELETE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]),
                "Equivalent",
                json!({"matchLabels": {"team": "a"}}),
            ),
            request(&PODS, "", "gone", "CREATE"),
            Ok(None),
        ),
        (
            "missing namespace is a 404 when a rule matches",
            hook(pods, "Equivalent", json!({"matchLabels": {"team": "a"}})),
            request(&PODS, "", "gone", "CREATE"),
            Err(404),
        ),
    ];
    for (case, hook, request, expected) in cases {
        let got = should_call(&hook, &request, &lookup)
            .map(|invocation| invocation.map(|i| i.resource))
            .map_err(|e| e.code);
        assert_eq!(got, expected, "{case}");
    }
}
