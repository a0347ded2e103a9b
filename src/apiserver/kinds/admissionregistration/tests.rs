//! Defaulting and validation of webhook configurations, with upstream's messages.

use serde_json::{json, Value};

use crate::apiserver::kinds::{MUTATING_WEBHOOK_CONFIGURATIONS, VALIDATING_WEBHOOK_CONFIGURATIONS};
use crate::apiserver::validation::testing::{create_errors, update_errors};

fn valid_hook() -> Value {
    json!({
        "name": "pods.kube-sa.example.com",
        "clientConfig": {"url": "https://127.0.0.1:8443/mutate"},
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
    })
}

fn configuration(hooks: Vec<Value>) -> Value {
    json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "kube-sa"}, "webhooks": hooks})
}

/// A configuration with one webhook changed by `edit`.
fn with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut hook = valid_hook();
    edit(&mut hook);
    configuration(vec![hook])
}

#[test]
fn webhooks_get_upstreams_defaults() {
    let mut object = with(|h| {
        h["clientConfig"] = json!({"service": {"namespace": "ns", "name": "hook"}});
    });
    MUTATING_WEBHOOK_CONFIGURATIONS
        .strategy
        .default(&mut object);
    let hook = &object["webhooks"][0];
    assert_eq!(hook["failurePolicy"], "Fail");
    assert_eq!(hook["matchPolicy"], "Equivalent");
    assert_eq!(hook["namespaceSelector"], json!({}));
    assert_eq!(hook["objectSelector"], json!({}));
    assert_eq!(hook["timeoutSeconds"], 10);
    assert_eq!(hook["reinvocationPolicy"], "Never");
    assert_eq!(hook["rules"][0]["scope"], "*");
    assert_eq!(hook["clientConfig"]["service"]["port"], 443);
    // sideEffects and admissionReviewVersions have no default in v1.
    let mut bare = with(|h| {
        h.as_object_mut().map(|m| {
            m.remove("sideEffects");
            m.remove("admissionReviewVersions")
        });
    });
    VALIDATING_WEBHOOK_CONFIGURATIONS
        .strategy
        .default(&mut bare);
    assert!(bare["webhooks"][0].get("sideEffects").is_none());
    assert!(bare["webhooks"][0].get("reinvocationPolicy").is_none());
}

#[test]
fn configurations_are_validated_as_upstream_validates_them() {
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("valid", with(|_| {}), vec![]),
        (
            "two-segment name",
            with(|h| h["name"] = json!("kube-sa.example")),
            vec!["webhooks[0].name: Invalid value: \"kube-sa.example\": should be a domain with at least three segments separated by dots"],
        ),
        ("no name", with(|h| h["name"] = json!("")), vec!["webhooks[0].name: Required value"]),
        (
            "no client config",
            with(|h| h["clientConfig"] = json!({})),
            vec!["webhooks[0].clientConfig: Required value: exactly one of url or service is required"],
        ),
        (
            "both url and service",
            with(|h| h["clientConfig"]["service"] = json!({"namespace": "ns", "name": "hook"})),
            vec!["webhooks[0].clientConfig: Required value: exactly one of url or service is required"],
        ),
        (
            "http url with a query",
            with(|h| h["clientConfig"]["url"] = json!("http://hook.example.com/mutate?x=1#top")),
            vec![
                "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]",
                "webhooks[0].clientConfig.url: Invalid value: \"top\": fragments are not permitted in the URL",
                "webhooks[0].clientConfig.url: Invalid value: \"x=1\": query parameters are not permitted in the URL",
            ],
        ),
        (
            "url without host, with user",
            with(|h| h["clientConfig"]["url"] = json!("https://user:pw@/mutate")),
            vec![
                "webhooks[0].clientConfig.url: Invalid value: \"\": host must be provided; desired format: https://host[/path]",
                "webhooks[0].clientConfig.url: Invalid value: \"user:pw\": user information is not permitted in the URL",
            ],
        ),
        (
            "unparsable url",
            with(|h| h["clientConfig"]["url"] = json!("https://host:port/")),
            vec!["webhooks[0].clientConfig.url: Required value: url must be a valid URL: parse \"https://host:port/\": invalid port \":port\" after host; desired format: https://host[/path]"],
        ),
        (
            "url with a space in its host",
            with(|h| h["clientConfig"]["url"] = json!("https://a b/mutate")),
            vec!["webhooks[0].clientConfig.url: Required value: url must be a valid URL: parse \"https://a b/mutate\": invalid character \" \" in host name; desired format: https://host[/path]"],
        ),
        (
            // Upstream swaps name and namespace when it checks them.
            "service without name, bad port and path",
            with(|h| h["clientConfig"] = json!({"service": {"namespace": "ns", "name": "", "port": 0, "path": "/a//B"}})),
            vec![
                "webhooks[0].clientConfig.service.namespace: Required value: service namespace is required",
                "webhooks[0].clientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive",
                "webhooks[0].clientConfig.service.path: Invalid value: \"/a//B\": segment[1] may not be empty",
                "webhooks[0].clientConfig.service.path: Invalid value: \"/a//B\": segment[2]: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            ],
        ),
        (
            "side effects",
            with(|h| h["sideEffects"] = json!("Some")),
            vec!["webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: \"None\", \"NoneOnDryRun\""],
        ),
        (
            "no side effects",
            with(|h| {
                h.as_object_mut().map(|m| m.remove("sideEffects"));
            }),
            vec!["webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun"],
        ),
        (
            "policies and timeout",
            with(|h| {
                h["failurePolicy"] = json!("Maybe");
                h["matchPolicy"] = json!("Loose");
                h["reinvocationPolicy"] = json!("Always");
                h["timeoutSeconds"] = json!(31);
            }),
            vec![
                "webhooks[0].failurePolicy: Unsupported value: \"Maybe\": supported values: \"Fail\", \"Ignore\"",
                "webhooks[0].matchPolicy: Unsupported value: \"Loose\": supported values: \"Equivalent\", \"Exact\"",
                "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds",
                "webhooks[0].reinvocationPolicy: Unsupported value: \"Always\": supported values: \"IfNeeded\", \"Never\"",
            ],
        ),
        (
            "review versions",
            with(|h| h["admissionReviewVersions"] = json!(["v2", "v2", "V3"])),
            vec![
                "webhooks[0].admissionReviewVersions[1]: Invalid value: \"v2\": duplicate version",
                "webhooks[0].admissionReviewVersions[2]: Invalid value: \"V3\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
                "webhooks[0].admissionReviewVersions: Invalid value: []string{\"v2\", \"v2\", \"V3\"}: must include at least one of v1, v1beta1",
            ],
        ),
        (
            "no review versions",
            with(|h| h["admissionReviewVersions"] = json!([])),
            vec!["webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1"],
        ),
        (
            "rules",
            with(|h| {
                h["rules"] = json!([
                    {"operations": ["*", "CREATE"], "apiGroups": ["*", "apps"], "apiVersions": ["v1", ""], "resources": ["*", "pods", "pods/*", "pods/status"], "scope": "Global"},
                    {"operations": ["PATCH"], "apiGroups": [], "apiVersions": [], "resources": []},
                    {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["*/*", "pods"]},
                ])
            }),
            vec![
                "webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{\"*\", \"CREATE\"}: if '*' is present, must not specify other operations",
                "webhooks[0].rules[0].apiGroups: Invalid value: []string{\"*\", \"apps\"}: if '*' is present, must not specify other API groups",
                "webhooks[0].rules[0].apiVersions[1]: Required value",
                "webhooks[0].rules[0].resources[3]: Invalid value: \"pods/status\": if 'pods/*' is present, must not specify pods/status",
                "webhooks[0].rules[0].resources: Invalid value: []string{\"*\", \"pods\", \"pods/*\", \"pods/status\"}: if '*' is present, must not specify other resources without subresources",
                "webhooks[0].rules[0].scope: Unsupported value: \"Global\": supported values: \"*\", \"Cluster\", \"Namespaced\"",
                "webhooks[0].rules[1].operations[0]: Unsupported value: \"PATCH\": supported values: \"*\", \"CONNECT\", \"CREATE\", \"DELETE\", \"UPDATE\"",
                "webhooks[0].rules[1].apiGroups: Required value",
                "webhooks[0].rules[1].apiVersions: Required value",
                "webhooks[0].rules[1].resources: Required value",
                "webhooks[0].rules[2].resources: Invalid value: []string{\"*/*\", \"pods\"}: if '*/*' is present, must not specify other resources",
            ],
        ),
        (
            "selectors and match conditions",
            with(|h| {
                h["objectSelector"] = json!({"matchExpressions": [{"key": "app", "operator": "In"}]});
                h["matchConditions"] = json!([{"name": "a", "expression": " "}, {"name": "a", "expression": "true"}, {"expression": "true"}]);
            }),
            vec![
                "webhooks[0].objectSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "webhooks[0].matchConditions[0].expression: Required value",
                "webhooks[0].matchConditions[1].name: Duplicate value: \"a\"",
                "webhooks[0].matchConditions[2].name: Required value",
            ],
        ),
        (
            "duplicate webhook names",
            configuration(vec![valid_hook(), valid_hook()]),
            vec!["webhooks[1].name: Duplicate value: \"pods.kube-sa.example.com\""],
        ),
    ];
    for (case, object, expected) in cases {
        assert_eq!(
            create_errors(&MUTATING_WEBHOOK_CONFIGURATIONS, object),
            expected,
            "{case}"
        );
    }
}

#[test]
fn updates_keep_what_the_stored_configuration_already_had() {
    // A stored configuration whose webhooks share a name may keep doing so.
    let stored = configuration(vec![valid_hook(), valid_hook()]);
    let mut edited = stored.clone();
    edited["webhooks"][1]["timeoutSeconds"] = json!(5);
    assert_eq!(
        update_errors(&VALIDATING_WEBHOOK_CONFIGURATIONS, stored, edited),
        Vec::<String>::new()
    );
    // A stored configuration with unique names may not lose them.
    let stored = configuration(vec![valid_hook()]);
    let edited = configuration(vec![valid_hook(), valid_hook()]);
    assert_eq!(
        update_errors(&VALIDATING_WEBHOOK_CONFIGURATIONS, stored, edited),
        vec!["webhooks[1].name: Duplicate value: \"pods.kube-sa.example.com\""]
    );
}

#[test]
fn generation_counts_changes_to_the_webhooks() {
    let strategy = MUTATING_WEBHOOK_CONFIGURATIONS.strategy;
    let mut created = configuration(vec![valid_hook()]);
    strategy.prepare_for_create(&Default::default(), &mut created);
    assert_eq!(created["metadata"]["generation"], 1);
    let mut relabelled = created.clone();
    relabelled["metadata"]["labels"] = json!({"a": "b"});
    strategy.prepare_for_update(&created, &mut relabelled);
    assert_eq!(relabelled["metadata"]["generation"], 1);
    let mut changed = created.clone();
    changed["webhooks"][0]["timeoutSeconds"] = json!(3);
    strategy.prepare_for_update(&created, &mut changed);
    assert_eq!(changed["metadata"]["generation"], 2);
}
