//! Checks of the harness's own pure parts, run at the start of every conformance run (a
//! `harness = false` target has no `#[test]`s): pattern matching, step-text parsing, and
//! the kind backend's generated configuration, which cannot run on our machines.

use std::path::Path;

use serde_json::{json, Value};

use crate::backends::kind;
use crate::matching::{compare, pattern_matches, MatchOptions};
use crate::objects::{field, parse_documents, Kind, ObjectRef, TokenRef};
use crate::snapshots::redact_suffixes;
use crate::timing::Timing;

type Check = (&'static str, fn() -> Result<(), String>);

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}

fn patterns() -> Result<(), String> {
    let cases = [
        ("default-token-{{suffix}}", "default-token-p7w9c", true),
        ("default-token-{{suffix}}", "default-token-abcde", false), // vowels are never generated
        ("default-token-{{suffix}}", "default-token-p7w9", false),
        ("{{any}}", "", true),
        ("a{{any}}z", "abcz", true),
        ("a{{any}}z", "abc", false),
        ("plain", "plain", true),
    ];
    for (pattern, text, expected) in cases {
        ensure(pattern_matches(pattern, text) == expected, || {
            format!("pattern {pattern:?} on {text:?} should be {expected}")
        })?;
    }
    Ok(())
}

fn partial_matching() -> Result<(), String> {
    let actual = json!({"spec": {"volumes": [{"name": "b", "secret": {"secretName": "b"}}, {"name": "a"}], "containers": [{"name": "c", "image": "x"}]}, "extra": 1});
    let cases: Vec<(Value, MatchOptions, usize)> = vec![
        (
            json!({"spec": {"volumes": [{"name": "a"}, {"name": "b"}]}}),
            MatchOptions::PARTIAL,
            0,
        ),
        (
            json!({"spec": {"volumes": [{"name": "a"}, {"name": "b"}]}}),
            MatchOptions::IN_ORDER,
            2,
        ),
        (
            json!({"spec": {"volumes": [{"name": "a"}]}}),
            MatchOptions::PARTIAL,
            1,
        ),
        (
            json!({"spec": {"volumes": [{"name": "b", "secret": {"secretName": "z"}}, {"name": "a"}]}}),
            MatchOptions::PARTIAL,
            1,
        ),
        (
            json!({"spec": {"initContainers": null, "containers": [{"name": "c", "volumeMounts": []}]}}),
            MatchOptions::PARTIAL,
            0,
        ),
        (json!({"extra": 1}), MatchOptions::EXACT_KEYS, 1),
        (json!({"missing": "x"}), MatchOptions::PARTIAL, 1),
        // `{{any}}` alone stands for any present value, not only text.
        (
            json!({"extra": "{{any}}", "spec": "{{any}}"}),
            MatchOptions::PARTIAL,
            0,
        ),
        (json!({"missing": "{{any}}"}), MatchOptions::PARTIAL, 1),
        (json!({"extra": "x{{any}}"}), MatchOptions::PARTIAL, 1),
    ];
    for (expected, options, mismatches) in cases {
        let found = compare(&expected, &actual, options);
        ensure(found.len() == mismatches, || {
            format!(
                "{expected} with {options:?}: expected {mismatches} mismatch(es), got {found:?}"
            )
        })?;
    }
    // Unordered items are paired so that every expected one finds a match when one
    // pairing exists, whichever order they are written in (not the first fit).
    let ports = json!({"ports": [{"containerPort": 53, "protocol": "UDP"}, {"containerPort": 53, "protocol": "TCP"}],
        "volumeMounts": [{"name": "data", "mountPath": "/b"}, {"name": "data", "mountPath": "/a"}]});
    let cases = [
        (
            json!({"ports": [{"containerPort": 53}, {"containerPort": 53, "protocol": "UDP"}]}),
            0,
        ),
        (
            json!({"volumeMounts": [{"name": "data"}, {"name": "data", "mountPath": "/a"}]}),
            0,
        ),
        // The unmatched expected item, and the actual one left over.
        (
            json!({"ports": [{"containerPort": 53, "protocol": "SCTP"}, {"containerPort": 53}]}),
            2,
        ),
        // Paired by name: the closest same-named item shows the difference.
        (
            json!({"volumeMounts": [{"name": "data", "mountPath": "/a"}, {"name": "data", "mountPath": "/c"}]}),
            1,
        ),
    ];
    for (expected, mismatches) in cases {
        let found = compare(&expected, &ports, MatchOptions::PARTIAL);
        ensure(found.len() == mismatches, || {
            format!("{expected}: expected {mismatches} mismatch(es), got {found:?}")
        })?;
    }
    Ok(())
}

fn step_texts() -> Result<(), String> {
    let object: ObjectRef = "the service account \"robot\" in namespace \"demo\""
        .parse()
        .map_err(|e| format!("{e}"))?;
    ensure(
        object
            == ObjectRef::Named {
                kind: Kind::ServiceAccount,
                name: "robot".into(),
                namespace: Some("demo".into()),
            },
        || format!("{object:?}"),
    )?;
    let object: ObjectRef = "the namespace \"demo\""
        .parse()
        .map_err(|e| format!("{e}"))?;
    ensure(object.kind() == Kind::Namespace, || format!("{object:?}"))?;
    let object: ObjectRef = "the token secret of service account \"default\" in namespace \"demo\""
        .parse()
        .map_err(|e| format!("{e}"))?;
    ensure(matches!(object, ObjectRef::TokenSecretOf { .. }), || {
        format!("{object:?}")
    })?;
    ensure(
        "the gadget \"x\" in namespace \"y\""
            .parse::<ObjectRef>()
            .is_err(),
        || "unknown kinds must not parse".into(),
    )?;
    let token: TokenRef = "the remembered token \"old\""
        .parse()
        .map_err(|e| format!("{e}"))?;
    ensure(token == TokenRef::Remembered("old".into()), || {
        format!("{token:?}")
    })?;
    ensure("".parse::<Timing>() == Ok(Timing::Now), || {
        "empty timing".into()
    })?;
    ensure(
        matches!("within 5 seconds ".parse::<Timing>(), Ok(Timing::Within(_))),
        || "within".into(),
    )?;
    ensure(
        matches!("for 1 second ".parse::<Timing>(), Ok(Timing::For(_))),
        || "for".into(),
    )?;
    ensure("during 5 seconds".parse::<Timing>().is_err(), || {
        "bad timing must not parse".into()
    })?;
    Ok(())
}

fn suffix_redaction() -> Result<(), String> {
    let cases = [
        ("default-token-p7w9c", "default-token-xxxxx"),
        ("default-token-p7w9c-b2c4d", "default-token-xxxxx-xxxxx"),
        (
            "system:serviceaccount:demo:robot",
            "system:serviceaccount:demo:robot",
        ),
        ("my-token-secret", "my-token-secret"),
        ("robot-token-abcde", "robot-token-abcde"),
        ("kube-api-access-p7w9c", "kube-api-access-xxxxx"),
        ("kube-api-access-mine", "kube-api-access-mine"),
    ];
    for (input, expected) in cases {
        let output = redact_suffixes(input);
        ensure(output == expected, || {
            format!("redacting {input:?} gave {output:?}, expected {expected:?}")
        })?;
    }
    Ok(())
}

/// The token checks accept a token of the cluster's key and refuse one of another key or
/// with changed claims, for each signing algorithm.
fn token_verification() -> Result<(), String> {
    use kube_sa::serviceaccount::{EcCurve, SigningKey, TokenGenerator};
    use std::sync::Arc;

    let ecdsa = |curve: EcCurve| -> Result<SigningKey, String> {
        let generated = aws_lc_rs::signature::EcdsaKeyPair::generate(match curve {
            EcCurve::P256 => &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            EcCurve::P384 => &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            EcCurve::P521 => &aws_lc_rs::signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        })
        .and_then(|pair| pair.to_pkcs8v1())
        .map_err(|e| e.to_string())?;
        SigningKey::from_der(generated.as_ref()).map_err(|e| e.to_string())
    };
    let other = ecdsa(EcCurve::P256)?.public_key().clone();
    let keys = [
        SigningKey::generate_rsa(2048).map_err(|e| e.to_string())?,
        ecdsa(EcCurve::P256)?,
        ecdsa(EcCurve::P384)?,
        ecdsa(EcCurve::P521)?,
    ];
    for key in keys {
        let alg = key.algorithm();
        let public = key.public_key().clone();
        let claims = json!({"sub": "system:serviceaccount:demo:robot", "exp": 1});
        let Value::Object(claims) = claims else {
            return Err("claims are a map".to_string());
        };
        let token = TokenGenerator::new("kubernetes/serviceaccount", Arc::new(key))
            .sign_claims(claims)
            .map_err(|e| e.to_string())?;
        crate::tokens::decode(&token, std::slice::from_ref(&public))
            .map_err(|e| format!("{alg}, the signing key: {e}"))?;
        ensure(
            crate::tokens::decode(&token, std::slice::from_ref(&other)).is_err(),
            || format!("{alg}: a token verifies with another key"),
        )?;
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged_claims = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"sub":"system:serviceaccount:demo:admin","exp":1}"#,
        );
        parts[1] = &forged_claims;
        ensure(
            crate::tokens::decode(&parts.join("."), &[public]).is_err(),
            || format!("{alg}: a token with changed claims verifies"),
        )?;
    }
    Ok(())
}

fn yaml_documents(text: &str) -> Result<Vec<Value>, String> {
    parse_documents(text).map_err(|e| e.to_string())
}

fn kind_cluster_config() -> Result<(), String> {
    let config = kind::cluster_config("kindest/node:v1.32.0");
    let documents = yaml_documents(&config)?;
    let cluster = documents.first().ok_or("no document")?;
    ensure(
        cluster["kind"] == "Cluster" && cluster["apiVersion"] == "kind.x-k8s.io/v1alpha4",
        || format!("not a kind Cluster: {cluster}"),
    )?;
    let node = &cluster["nodes"][0];
    ensure(node["image"] == "kindest/node:v1.32.0", || {
        format!("image not substituted: {}", node["image"])
    })?;
    let patch = node["kubeadmConfigPatches"][0]
        .as_str()
        .ok_or("no kubeadm patch")?;
    let patch = yaml_documents(patch)?.remove(0);
    check_switches(&patch)
}

/// The built-in ServiceAccount admission plugin and both controllers are off.
fn check_switches(cluster_configuration: &Value) -> Result<(), String> {
    let arg = |component: &str, name: &str| -> Option<String> {
        cluster_configuration[component]["extraArgs"]
            .as_array()?
            .iter()
            .find(|a| a["name"] == name)?["value"]
            .as_str()
            .map(str::to_string)
    };
    ensure(
        arg("apiServer", "disable-admission-plugins").as_deref() == Some("ServiceAccount"),
        || {
            format!(
                "kube-apiserver must run with --disable-admission-plugins=ServiceAccount: {}",
                cluster_configuration["apiServer"]
            )
        },
    )?;
    ensure(
        arg("controllerManager", "controllers").as_deref()
            == Some("*,-serviceaccount-token,-serviceaccount"),
        || {
            format!("kube-controller-manager must run with --controllers=*,-serviceaccount-token,-serviceaccount: {}", cluster_configuration["controllerManager"])
        },
    )
}

fn kind_kubeadm_config() -> Result<(), String> {
    let config = kind::kubeadm_config("kindest/node:v1.33.1").map_err(|e| e.to_string())?;
    let documents = yaml_documents(&config)?;
    let kinds: Vec<&str> = documents
        .iter()
        .filter_map(|d| d["kind"].as_str())
        .collect();
    ensure(
        kinds
            == [
                "InitConfiguration",
                "ClusterConfiguration",
                "KubeletConfiguration",
                "KubeProxyConfiguration",
            ],
        || format!("documents: {kinds:?}"),
    )?;
    let cluster = &documents[1];
    ensure(cluster["kubernetesVersion"] == "v1.33.1", || {
        format!("kubernetesVersion {}", cluster["kubernetesVersion"])
    })?;
    ensure(
        cluster["apiServer"]["certSANs"]
            .as_array()
            .is_some_and(|s| s.iter().any(|n| n == "127.0.0.1")),
        || "the API server certificate must cover 127.0.0.1 (the mapped port)".into(),
    )?;
    check_switches(cluster)?;
    ensure(kind::kubernetes_version("kindest/node").is_err(), || {
        "an untagged image must be refused".into()
    })
}

fn kind_webhook_config() -> Result<(), String> {
    let ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let config = kind::webhook_configuration("https://host.docker.internal:8443/mutate", ca)
        .map_err(|e| e.to_string())?;
    let document = yaml_documents(&config)?.remove(0);
    ensure(document["kind"] == "MutatingWebhookConfiguration", || {
        format!("kind {}", document["kind"])
    })?;
    let webhook = &document["webhooks"][0];
    use base64::Engine as _;
    let bundle = base64::engine::general_purpose::STANDARD
        .decode(webhook["clientConfig"]["caBundle"].as_str().unwrap_or(""))
        .map_err(|e| e.to_string())?;
    ensure(bundle == ca.as_bytes(), || {
        "caBundle must be the base64 of the serving CA".into()
    })?;
    ensure(
        webhook["clientConfig"]["url"] == "https://host.docker.internal:8443/mutate",
        || format!("url {}", webhook["clientConfig"]["url"]),
    )?;
    let rule = &webhook["rules"][0];
    ensure(
        rule["resources"] == json!(["pods"]) && rule["operations"] == json!(["CREATE", "UPDATE"]),
        || format!("rules {rule}"),
    )?;
    ensure(
        webhook["failurePolicy"] == "Fail" && webhook["sideEffects"] == "None",
        || "the webhook must fail closed and have no side effects".into(),
    )?;
    ensure(kind::render("{{nope}}", &[]).is_err(), || {
        "unfilled placeholders must be refused".into()
    })
}

fn kind_invocations() -> Result<(), String> {
    let args = kind::controller_manager_args(
        Path::new("/k/admin.conf"),
        Path::new("/k/sa.key"),
        Path::new("/k/ca.crt"),
    );
    ensure(
        args == [
            "controller-manager",
            "--kubeconfig",
            "/k/admin.conf",
            "--service-account-private-key-file",
            "/k/sa.key",
            "--root-ca-file",
            "/k/ca.crt",
        ],
        || format!("controller-manager args {args:?}"),
    )?;
    let args = kind::webhook_args(
        Path::new("/k/admin.conf"),
        Path::new("/k/w.crt"),
        Path::new("/k/w.key"),
        8443,
    );
    ensure(
        args == [
            "webhook",
            "--kubeconfig",
            "/k/admin.conf",
            "--tls-cert-file",
            "/k/w.crt",
            "--tls-private-key-file",
            "/k/w.key",
            "--listen",
            "0.0.0.0:8443",
        ],
        || format!("webhook args {args:?}"),
    )?;
    let message = kind::missing_image_message("kindest/node:v1.33.1", "not found");
    ensure(
        message.contains("kindest/node:v1.33.1") && message.contains("docker load"),
        || message.clone(),
    )
}

fn field_paths() -> Result<(), String> {
    let secret = json!({
        "metadata": {"annotations": {"kubernetes.io/service-account.name": "default"}},
        "data": {"ca.crt": "Y2E=", "token": "dA=="},
        "secrets": [{"name": "a"}, {"name": "b"}],
    });
    let cases = [
        (
            r"metadata.annotations.kubernetes\.io/service-account\.name",
            Some(json!("default")),
        ),
        (r"data.ca\.crt", Some(json!("Y2E="))),
        ("data.token", Some(json!("dA=="))),
        ("secrets.1.name", Some(json!("b"))),
        // Unescaped, the dots split the key.
        (
            "metadata.annotations.kubernetes.io/service-account.name",
            None,
        ),
        ("data.ca.crt", None),
        // A backslash before anything but a dot is part of the key.
        (r"data.ca\crt", None),
    ];
    for (path, expected) in cases {
        let found = field(&secret, path).cloned();
        ensure(found == expected, || {
            format!("field {path:?}: {found:?}, expected {expected:?}")
        })?;
    }
    Ok(())
}

const CHECKS: &[Check] = &[
    ("expected-value patterns", patterns),
    ("partial matching", partial_matching),
    ("step texts", step_texts),
    ("generated-suffix redaction", suffix_redaction),
    ("field paths", field_paths),
    ("kind cluster config", kind_cluster_config),
    ("kind kubeadm config", kind_kubeadm_config),
    ("kind webhook registration", kind_webhook_config),
    ("kind command lines", kind_invocations),
    ("token verification", token_verification),
    ("scenario modes", crate::modes::self_check),
    ("hostile-token recipes", crate::forge::self_check),
];

/// Runs every check; the failures, each with its name.
pub fn run() -> (usize, Vec<String>) {
    let failures = CHECKS
        .iter()
        .filter_map(|(name, check)| check().err().map(|e| format!("{name}: {e}")))
        .collect();
    (CHECKS.len(), failures)
}
