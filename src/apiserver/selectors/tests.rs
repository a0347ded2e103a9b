use super::*;
use crate::apiserver::kinds::{CONFIG_MAPS, NAMESPACES, PODS, SECRETS, SERVICE_ACCOUNTS};
use serde_json::json;

fn labels(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

#[test]
fn label_selectors_match() {
    let web = labels(json!({"app": "web", "tier": "front", "replicas": "3"}));
    let cases = [
        ("", true),
        ("app=web", true),
        ("app==web", true),
        ("app=db", false),
        ("app!=db", true),
        ("app!=web", false),
        ("missing!=x", true),
        ("app in (web,db)", true),
        ("app in (db)", false),
        ("app notin (db)", true),
        ("missing notin (db)", true),
        ("app notin (web)", false),
        ("app", true),
        ("missing", false),
        ("!missing", true),
        ("!app", false),
        ("app=web,tier=front", true),
        ("app=web,tier=back", false),
        ("  app = web , tier in ( front , back ) ", true),
        ("replicas>2", true),
        ("replicas<3", false),
        ("app>1", false),
        ("x in (in,notin)", false),
        ("missing=", false),
    ];
    for (selector, expected) in cases {
        let parsed =
            LabelSelector::parse(selector).unwrap_or_else(|e| panic!("{selector}: {}", e.message));
        assert_eq!(parsed.matches(Some(&web)), expected, "{selector}");
    }
    let empty = labels(json!({"blank": ""}));
    assert!(LabelSelector::parse("blank=")
        .expect("valid")
        .matches(Some(&empty)));
    assert!(LabelSelector::parse("blank in ()")
        .expect("valid")
        .matches(Some(&empty)));
    assert!(LabelSelector::parse("!app").expect("valid").matches(None));
    assert!(!LabelSelector::parse("app").expect("valid").matches(None));
}

#[test]
fn an_equality_term_names_the_one_object_a_field_selector_requires() {
    let cases = [
        ("metadata.name=a", Some("a")),
        ("metadata.name==a,metadata.namespace=ns", Some("a")),
        ("metadata.namespace=ns,metadata.name=a", Some("a")),
        ("metadata.name=a,metadata.name=b", Some("a")),
        // A field the resource does not support still leaves the name.
        ("metadata.name=a,bogus=x", Some("a")),
        ("metadata.name=a\\,b", Some("a,b")),
        ("metadata.name!=a", None),
        ("metadata.name =a", None),
        ("metadata.namespace=ns", None),
        ("metadata.name=a,nonsense", None),
        ("", None),
    ];
    for (selector, expected) in cases {
        assert_eq!(
            required_value(selector, "metadata.name").as_deref(),
            expected,
            "{selector}"
        );
    }
}

#[test]
fn empty_label_selector() {
    assert!(LabelSelector::parse("").expect("valid").is_empty());
    assert!(!LabelSelector::parse("a").expect("valid").is_empty());
}

#[test]
fn label_selector_errors() {
    let name_part = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    let value_part = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    let cases = [
        ("a in", "unable to parse requirement: found '' expected: '('".to_string()),
        ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'".to_string()),
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt".to_string()),
        ("a=b c", "found 'c', expected: ',' or 'end of string'".to_string()),
        ("a,", "found '', expected: identifier after ','".to_string()),
        ("=a", "found '=', expected: !, identifier, or 'end of string'".to_string()),
        ("a x b", "unable to parse requirement: found 'x', expected: in, notin, =, ==, !=, gt, lt".to_string()),
        ("!=a", "found '!=', expected: !, identifier, or 'end of string'".to_string()),
        ("-a=b", format!("unable to parse requirement: <nil>: Invalid value: \"-a\": {name_part}")),
        ("a=-b", format!("unable to parse requirement: values[0][a]: Invalid value: \"-b\": {value_part}")),
        ("a>b", "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer".to_string()),
        ("a=(", "unable to parse requirement: found '(', expected: identifier".to_string()),
    ];
    for (selector, expected) in cases {
        let err = LabelSelector::parse(selector).expect_err(selector);
        assert_eq!(err.code, 400, "{selector}");
        assert_eq!(err.reason, "BadRequest");
        assert_eq!(err.message, expected, "{selector}");
    }
}

#[test]
fn field_selectors_match() {
    let pod = json!({"metadata": {"name": "web-1", "namespace": "prod"},
        "spec": {"nodeName": "node-a", "serviceAccountName": "builder", "restartPolicy": "Always",
                 "schedulerName": "default-scheduler"},
        "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.5"}], "podIP": "10.0.0.5"}});
    let cases = [
        ("", true),
        ("metadata.name=web-1", true),
        ("metadata.name==web-1", true),
        ("metadata.name!=web-1", false),
        ("metadata.namespace=prod,status.phase=Running", true),
        ("spec.nodeName=node-b", false),
        ("spec.host=node-a", true),
        ("spec.serviceAccountName=builder", true),
        (
            "spec.restartPolicy=Always,spec.schedulerName=default-scheduler",
            true,
        ),
        ("status.podIP=10.0.0.5", true),
        ("spec.hostNetwork=false", true),
        ("status.nominatedNodeName=", true),
        ("status.podIPs=", true),
    ];
    for (selector, expected) in cases {
        let parsed = FieldSelector::parse(&PODS, selector)
            .unwrap_or_else(|e| panic!("{selector}: {}", e.message));
        assert_eq!(parsed.matches(&pod), expected, "{selector}");
    }
    let secret = json!({"metadata": {"name": "s", "namespace": "ns"}, "type": "kubernetes.io/service-account-token"});
    assert!(
        FieldSelector::parse(&SECRETS, "type=kubernetes.io/service-account-token")
            .expect("valid")
            .matches(&secret)
    );
    assert!(
        !FieldSelector::parse(&SECRETS, "type!=kubernetes.io/service-account-token")
            .expect("valid")
            .matches(&secret)
    );
    let ns = json!({"metadata": {"name": "team"}, "status": {"phase": "Terminating"}});
    assert!(
        FieldSelector::parse(&NAMESPACES, "status.phase=Terminating")
            .expect("valid")
            .matches(&ns)
    );
    let cm = json!({"metadata": {"name": "a=b,c"}});
    assert!(FieldSelector::parse(&CONFIG_MAPS, r"metadata.name=a\=b\,c")
        .expect("valid")
        .matches(&cm));
    assert!(FieldSelector::parse(&PODS, "").expect("valid").is_empty());
    assert!(!FieldSelector::parse(&PODS, "metadata.name=x")
        .expect("valid")
        .is_empty());
}

#[test]
fn field_selector_errors() {
    let cases = [
        (&PODS, "spec.foo=bar", "field label not supported: spec.foo"),
        (&SECRETS, "spec.nodeName=x", "field label not supported: spec.nodeName"),
        (&NAMESPACES, "metadata.namespace=x", "field label not supported: metadata.namespace"),
        (
            &SERVICE_ACCOUNTS,
            "secrets=x",
            "\"secrets\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
        ),
        (&PODS, "zzz,metadata.name=a", "invalid selector: 'zzz,metadata.name=a'; can't understand 'zzz'"),
        (&PODS, "metadata.name=a=b", "invalid field selector: unescaped character in value: 61"),
        (&PODS, r"metadata.name=a\x", "invalid field selector: invalid escape sequence: \\x"),
        (&PODS, r"metadata.name=a\", "invalid field selector: invalid escape sequence: \\"),
    ];
    for (resource, selector, expected) in cases {
        let err = FieldSelector::parse(resource, selector).expect_err(selector);
        assert_eq!(err.code, 400, "{selector}");
        assert_eq!(err.message, expected, "{selector}");
    }
}
