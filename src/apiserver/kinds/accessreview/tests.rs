//! Table tests of the four access reviews against a table-driven authorizer.

use std::collections::HashMap;

use http::{HeaderMap, Method};
use serde_json::{json, Value};

use super::localsubjectaccessreview::LOCAL_SUBJECT_ACCESS_REVIEWS;
use super::selfsubjectaccessreview::SELF_SUBJECT_ACCESS_REVIEWS;
use super::selfsubjectrulesreview::SELF_SUBJECT_RULES_REVIEWS;
use super::subjectaccessreview::SUBJECT_ACCESS_REVIEWS;
use crate::apiserver::authz::{
    Attributes, Authorizer, Decision, NonResourceRule, Request, ResourceRule, RulesReview,
};
use crate::apiserver::errors::ApiError;
use crate::apiserver::http::RequestContext;
use crate::apiserver::kinds::{ResourceInfo, Review};
use crate::authn::{AuthenticationChain, UserInfo};

/// Allows (user, verb, group, resource, namespace) rows; `*` in a row matches anything.
/// User `mallory` is denied outright, with a reason.
struct Table(
    &'static [(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    )],
);

impl Authorizer for Table {
    fn authorize(&self, a: &Attributes<'_>) -> Decision {
        if a.user.username == "mallory" {
            return Decision::Deny("mallory is denied".into());
        }
        let (group, resource, namespace) = match a.request {
            Request::Resource {
                api_group,
                resource,
                namespace,
                ..
            } => (api_group, resource, namespace),
            Request::NonResource { path } => ("", path, ""),
        };
        let matches = |want: &str, got: &str| want == "*" || want == got;
        let allowed = self.0.iter().any(|(user, verb, g, r, ns)| {
            (matches(user, &a.user.username) || a.user.groups.iter().any(|x| x == user))
                && matches(verb, a.verb)
                && matches(g, group)
                && matches(r, resource)
                && matches(ns, namespace)
        });
        if allowed {
            Decision::Allow
        } else {
            Decision::NoOpinion("no rule matched".into())
        }
    }

    fn rules_for(&self, user: &UserInfo, namespace: &str) -> RulesReview {
        RulesReview {
            resource_rules: vec![ResourceRule {
                verbs: vec!["get".into(), "list".into()],
                api_groups: vec![String::new()],
                resources: vec![format!("pods-of-{}-in-{namespace}", user.username)],
                resource_names: Vec::new(),
            }],
            non_resource_rules: vec![NonResourceRule {
                verbs: vec!["get".into()],
                non_resource_urls: vec!["/healthz".into()],
            }],
            incomplete: namespace == "partial",
            evaluation_error: if namespace == "partial" {
                "some rules could not be read".into()
            } else {
                String::new()
            },
        }
    }
}

const RULES: Table = Table(&[
    ("jane", "get", "", "pods", "dev"),
    ("jane", "get", "", "/healthz", ""),
    ("admins", "*", "*", "*", "*"),
]);

fn context(username: &str) -> RequestContext {
    RequestContext {
        method: Method::POST,
        user: UserInfo {
            username: username.into(),
            groups: vec!["system:authenticated".into()],
            ..UserInfo::default()
        },
        query: HashMap::new(),
        headers: HeaderMap::new(),
        warnings: Default::default(),
    }
}

/// Runs a review of `info` as `caller`, the body normalized as the handler does.
fn review(
    info: &'static ResourceInfo,
    caller: &str,
    namespace: &str,
    body: Value,
) -> Result<Value, ApiError> {
    let ctx = context(caller);
    let chain = AuthenticationChain::default();
    let review = Review {
        request: &ctx,
        namespace,
        authorizer: &RULES,
        authenticator: &chain,
        anonymous_auth: true,
        clock: &crate::clock::SystemClock,
    };
    let mut object = info.strategy.normalize(info, &body)?;
    if info.namespaced {
        object["metadata"]["namespace"] = json!(namespace);
    }
    futures::executor::block_on(info.strategy.create_review(info, &review, object))
}

fn sar(spec: Value) -> Value {
    json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec})
}

#[test]
fn subject_access_reviews_answer_for_the_spec_user() {
    let cases = [
        (
            "allowed",
            json!({"user": "jane", "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "dev"}}),
            json!({"allowed": true}),
        ),
        (
            "no opinion keeps the reason",
            json!({"user": "jane", "resourceAttributes": {"verb": "delete", "resource": "pods", "namespace": "dev"}}),
            json!({"allowed": false, "reason": "no rule matched"}),
        ),
        (
            "a group is enough",
            json!({"user": "bob", "groups": ["admins"], "resourceAttributes": {"verb": "delete", "group": "apps", "resource": "deployments"}}),
            json!({"allowed": true}),
        ),
        (
            "a deny is reported as denied",
            json!({"user": "mallory", "resourceAttributes": {"verb": "get", "resource": "pods"}}),
            json!({"allowed": false, "denied": true, "reason": "mallory is denied"}),
        ),
        (
            "non-resource paths",
            json!({"user": "jane", "nonResourceAttributes": {"verb": "get", "path": "/healthz"}}),
            json!({"allowed": true}),
        ),
        (
            "a label selector that does not parse is ignored",
            json!({"user": "jane", "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "dev",
                "labelSelector": {"rawSelector": "a in (b"}}}),
            json!({"allowed": true, "evaluationError": "spec.resourceAttributes.labelSelector ignored due to parse error"}),
        ),
        (
            "requirements with an unknown operator are partly ignored",
            json!({"user": "jane", "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "dev",
                "fieldSelector": {"requirements": [
                    {"key": "spec.nodeName", "operator": "In", "values": ["n1"]},
                    {"key": "metadata.name", "operator": "Matches", "values": ["x"]}]}}}),
            json!({"allowed": true, "evaluationError": "spec.resourceAttributes.fieldSelector partially ignored due to parse error"}),
        ),
    ];
    for (name, spec, status) in cases {
        let answer = review(&SUBJECT_ACCESS_REVIEWS, "admin", "", sar(spec.clone()))
            .unwrap_or_else(|e| panic!("{name}: {}", e.message));
        assert_eq!(answer["status"], status, "{name}");
        assert_eq!(answer["spec"], spec, "{name}: the spec comes back");
    }
}

#[test]
fn invalid_reviews_have_upstreams_texts() {
    let meta = "&ObjectMeta{Name:x,GenerateName:,Namespace:,SelfLink:,UID:,ResourceVersion:,Generation:0,\
        CreationTimestamp:0001-01-01 00:00:00 +0000 UTC,DeletionTimestamp:<nil>,\
        DeletionGracePeriodSeconds:nil,Labels:map[string]string{a: b,},Annotations:map[string]string{},\
        OwnerReferences:[]OwnerReference{},Finalizers:[],ManagedFields:[]ManagedFieldsEntry{},}";
    let cases: Vec<(&str, &'static ResourceInfo, Value, String)> = vec![
        (
            "nothing asked",
            &SUBJECT_ACCESS_REVIEWS,
            sar(json!({})),
            ".authorization.k8s.io \"\" is invalid: [spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified, spec.user: Invalid value: \"\": at least one of user or group must be specified]".into(),
        ),
        (
            "no subject",
            &SUBJECT_ACCESS_REVIEWS,
            sar(json!({"resourceAttributes": {"verb": "get"}})),
            ".authorization.k8s.io \"\" is invalid: spec.user: Invalid value: \"\": at least one of user or group must be specified".into(),
        ),
        (
            "both kinds of attributes",
            &SUBJECT_ACCESS_REVIEWS,
            sar(json!({"user": "jane", "resourceAttributes": {"verb": "get"}, "nonResourceAttributes": {"path": "/api", "verb": "get"}})),
            ".authorization.k8s.io \"\" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:\"/api\", Verb:\"get\"}: cannot be specified in combination with resourceAttributes".into(),
        ),
        (
            "metadata",
            &SUBJECT_ACCESS_REVIEWS,
            json!({"metadata": {"name": "x", "labels": {"a": "b"}}, "spec": {"user": "jane", "resourceAttributes": {"verb": "get"}}}),
            format!(".authorization.k8s.io \"\" is invalid: metadata: Invalid value: {meta}: must be empty"),
        ),
        (
            "selector with both forms",
            &SELF_SUBJECT_ACCESS_REVIEWS,
            json!({"spec": {"resourceAttributes": {"verb": "list", "resource": "pods",
                "labelSelector": {"rawSelector": "a=b", "requirements": [{"key": "a", "operator": "In", "values": ["b"]}]}}}}),
            ".authorization.k8s.io \"\" is invalid: spec.resourceAttributes.labelSelector.rawSelector: Invalid value: \"a=b\": may not specified at the same time as requirements".into(),
        ),
        (
            "selector requirements",
            &SELF_SUBJECT_ACCESS_REVIEWS,
            json!({"spec": {"resourceAttributes": {"verb": "list", "resource": "pods",
                "fieldSelector": {},
                "labelSelector": {"requirements": [{"key": "a", "operator": "Exists", "values": ["b"]}, {"key": "b", "operator": "In"}]}}}}),
            ".authorization.k8s.io \"\" is invalid: [spec.resourceAttributes.fieldSelector.requirements: Required value: when spec.resourceAttributes.fieldSelector is specified, requirements or rawSelector is required, spec.resourceAttributes.labelSelector.requirements[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist', spec.resourceAttributes.labelSelector.requirements[1].values: Required value: must be specified when `operator` is 'In' or 'NotIn']".into(),
        ),
        (
            "local review in another namespace",
            &LOCAL_SUBJECT_ACCESS_REVIEWS,
            json!({"spec": {"user": "jane", "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "prod"}}}),
            ".authorization.k8s.io \"\" is invalid: spec.resourceAttributes.namespace: Invalid value: \"prod\": must match metadata.namespace".into(),
        ),
        (
            "local review of a path",
            &LOCAL_SUBJECT_ACCESS_REVIEWS,
            json!({"spec": {"user": "jane", "nonResourceAttributes": {"verb": "get", "path": "/healthz"}}}),
            ".authorization.k8s.io \"\" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:\"/healthz\", Verb:\"get\"}: disallowed on this kind of request".into(),
        ),
    ];
    for (name, info, body, message) in cases {
        let err = review(info, "jane", "dev", body).expect_err(name);
        assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"), "{name}");
        assert_eq!(err.message, message, "{name}");
        let status = err.to_status();
        assert_eq!(status["details"]["group"], "authorization.k8s.io", "{name}");
        assert!(status["details"].get("kind").is_none(), "{name}");
    }
}

#[test]
fn local_and_self_reviews() {
    let local = review(
        &LOCAL_SUBJECT_ACCESS_REVIEWS,
        "admin",
        "dev",
        json!({"spec": {"user": "jane", "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "dev"}}}),
    )
    .expect("local review");
    assert_eq!(local["status"], json!({"allowed": true}));
    assert_eq!(local["metadata"]["namespace"], "dev");

    let ask = |caller: &str, verb: &str| {
        review(
            &SELF_SUBJECT_ACCESS_REVIEWS,
            caller,
            "",
            json!({"spec": {"resourceAttributes": {"verb": verb, "resource": "pods", "namespace": "dev"}}}),
        )
        .expect("self review")["status"]["allowed"]
            .clone()
    };
    assert_eq!(ask("jane", "get"), json!(true));
    assert_eq!(ask("jane", "delete"), json!(false));
    assert_eq!(ask("bob", "get"), json!(false));
}

#[test]
fn rules_reviews_list_the_callers_rules_in_a_namespace() {
    let answer = review(
        &SELF_SUBJECT_RULES_REVIEWS,
        "jane",
        "",
        json!({"spec": {"namespace": "dev"}}),
    )
    .expect("rules review");
    assert_eq!(
        answer,
        json!({
            "kind": "SelfSubjectRulesReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {},
            "spec": {},
            "status": {
                "resourceRules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods-of-jane-in-dev"]}],
                "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
                "incomplete": false,
            },
        })
    );
    let partial = review(
        &SELF_SUBJECT_RULES_REVIEWS,
        "jane",
        "",
        json!({"spec": {"namespace": "partial"}}),
    )
    .expect("rules review");
    assert_eq!(partial["status"]["incomplete"], true);
    assert_eq!(
        partial["status"]["evaluationError"],
        "some rules could not be read"
    );
    let err = review(&SELF_SUBJECT_RULES_REVIEWS, "jane", "", json!({"spec": {}}))
        .expect_err("no namespace");
    assert_eq!(
        (err.code, err.message.as_str()),
        (400, "no namespace on request")
    );
}
