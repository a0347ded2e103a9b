//! kubectl 1.27 and 1.33 against namespace deletion with finalizers, as the namespace
//! controller of a real cluster handles it: content with finalizers is marked and stays,
//! the namespace stays `Terminating` with upstream's conditions until the content is gone,
//! and a foreign `spec.finalizers` entry holds it until it is removed through `finalize`.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::support::{kubectl, kubectl_binaries, poll_until, ServeProcess};

const DEADLINE: Duration = Duration::from_secs(20);

fn ok(bin: &Path, kc: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = kubectl(bin, kc, args, stdin);
    assert!(
        out.success,
        "{} {args:?}: {}{}",
        bin.display(),
        out.stdout,
        out.stderr
    );
    out.stdout
}

/// The object as JSON, or None when kubectl cannot get it.
fn get_json(bin: &Path, kc: &Path, args: &[&str]) -> Option<Value> {
    let mut full = vec!["get"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["-o", "json"]);
    let out = kubectl(bin, kc, &full, None);
    out.success
        .then(|| serde_json::from_str(&out.stdout).expect("json"))
}

/// (status, reason, message) of one of the namespace's conditions.
fn condition(ns: &Value, condition_type: &str) -> Option<(String, String, String)> {
    let found = ns["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == condition_type)?;
    let text = |key: &str| found[key].as_str().unwrap_or_default().to_string();
    Some((text("status"), text("reason"), text("message")))
}

fn expect_gone(bin: &Path, kc: &Path, namespace: &str) {
    poll_until(&format!("namespace {namespace} removed"), DEADLINE, || {
        let out = kubectl(bin, kc, &["get", "namespace", namespace], None);
        (!out.success && out.stderr.contains("NotFound")).then_some(())
    });
}

#[test]
fn content_with_a_finalizer_holds_its_namespace_until_released() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&["--mode", "bound"]);
        let kc = server.kubeconfig.as_path();
        let which = bin.display();
        ok(&bin, kc, &["create", "ns", "term"], None);
        ok(&bin, kc, &["create", "cm", "f", "-n", "term"], None);
        ok(
            &bin,
            kc,
            &[
                "patch",
                "cm",
                "f",
                "-n",
                "term",
                "-p",
                r#"{"metadata":{"finalizers":["example.com/x"]}}"#,
            ],
            None,
        );
        // Without --wait=false kubectl would wait for the namespace to go.
        let out = ok(&bin, kc, &["delete", "ns", "term", "--wait=false"], None);
        assert!(out.contains("namespace \"term\" deleted"), "{which}: {out}");

        let ns = poll_until("the deleter's conditions", DEADLINE, || {
            get_json(&bin, kc, &["ns", "term"]).filter(|ns| {
                condition(ns, "NamespaceFinalizersRemaining").is_some_and(|c| c.0 == "True")
            })
        });
        assert_eq!(ns["status"]["phase"], "Terminating", "{which}");
        assert_eq!(ns["spec"]["finalizers"], serde_json::json!(["kubernetes"]));
        let expected = [
            (
                "NamespaceDeletionDiscoveryFailure",
                ("False", "ResourcesDiscovered", "All resources successfully discovered"),
            ),
            (
                "NamespaceDeletionGroupVersionParsingFailure",
                ("False", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
            ),
            (
                "NamespaceDeletionContentFailure",
                (
                    "False",
                    "ContentDeleted",
                    "All content successfully deleted, may be waiting on finalization",
                ),
            ),
            (
                "NamespaceContentRemaining",
                (
                    "True",
                    "SomeResourcesRemain",
                    "Some resources are remaining: configmaps. has 1 resource instances",
                ),
            ),
            (
                "NamespaceFinalizersRemaining",
                (
                    "True",
                    "SomeFinalizersRemain",
                    "Some content in the namespace has finalizers remaining: example.com/x in 1 resource instances",
                ),
            ),
        ];
        for (condition_type, (status, reason, message)) in expected {
            assert_eq!(
                condition(&ns, condition_type),
                Some((status.into(), reason.into(), message.into())),
                "{which}: {condition_type}"
            );
        }
        let out = ok(&bin, kc, &["get", "ns", "term"], None);
        assert!(
            out.lines()
                .nth(1)
                .is_some_and(|l| l.contains("Terminating")),
            "{which}: {out}"
        );

        // Only the object with a finalizer is left, marked for deletion.
        let cm = get_json(&bin, kc, &["cm", "f", "-n", "term"]).expect("held configmap");
        assert!(
            cm["metadata"]["deletionTimestamp"].is_string(),
            "{which}: {cm}"
        );
        let out = ok(
            &bin,
            kc,
            &["get", "all,cm,sa,secrets", "-n", "term", "-o", "name"],
            None,
        );
        assert_eq!(out.trim(), "configmap/f", "{which}");
        let refused = kubectl(&bin, kc, &["create", "cm", "late", "-n", "term"], None);
        assert!(
            refused.stderr.contains("because it is being terminated"),
            "{which}: {}",
            refused.stderr
        );

        // The finalizer's owner lets go: the object goes, then the namespace.
        ok(
            &bin,
            kc,
            &[
                "patch",
                "cm",
                "f",
                "-n",
                "term",
                "--type=merge",
                "-p",
                r#"{"metadata":{"finalizers":null}}"#,
            ],
            None,
        );
        expect_gone(&bin, kc, "term");
    }
}

const CUSTOM: &str = r#"{"apiVersion": "v1", "kind": "Namespace",
  "metadata": {"name": "custom"},
  "spec": {"finalizers": ["kubernetes", "example.com/custom"]}}"#;

#[test]
fn a_foreign_spec_finalizer_holds_the_namespace_until_finalize_removes_it() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&["--mode", "bound"]);
        let kc = server.kubeconfig.as_path();
        let which = bin.display();
        ok(&bin, kc, &["create", "-f", "-"], Some(CUSTOM));
        ok(&bin, kc, &["create", "cm", "c", "-n", "custom"], None);
        ok(&bin, kc, &["delete", "ns", "custom", "--wait=false"], None);

        // The deleter empties it and removes its own finalizer; the other one holds it.
        let ns = poll_until("the kubernetes finalizer removed", DEADLINE, || {
            get_json(&bin, kc, &["ns", "custom"])
                .filter(|ns| ns["spec"]["finalizers"] == serde_json::json!(["example.com/custom"]))
        });
        assert_eq!(ns["status"]["phase"], "Terminating", "{which}");
        assert_eq!(
            condition(&ns, "NamespaceContentRemaining"),
            Some((
                "False".into(),
                "ContentRemoved".into(),
                "All content successfully removed".into()
            )),
            "{which}"
        );
        assert_eq!(
            condition(&ns, "NamespaceFinalizersRemaining"),
            Some((
                "False".into(),
                "ContentHasNoFinalizers".into(),
                "All content-preserving finalizers finished".into()
            )),
            "{which}"
        );
        assert!(get_json(&bin, kc, &["cm", "c", "-n", "custom"]).is_none());
        // A second delete is refused while its own finalizers hold it, and changes nothing
        // (upstream's namespace storage: 409 Conflict).
        let second = kubectl(&bin, kc, &["delete", "ns", "custom", "--wait=false"], None);
        assert!(!second.success, "{which}");
        assert!(
            second.stderr.contains("Error from server (Conflict): Operation cannot be fulfilled on namespaces \"custom\": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system."),
            "{which}: {}",
            second.stderr
        );
        let again = get_json(&bin, kc, &["ns", "custom"]).expect("still held");
        assert_eq!(
            again["spec"]["finalizers"], ns["spec"]["finalizers"],
            "{which}"
        );

        // `finalize` takes a PUT alone, as upstream's storage for it is an updater only.
        let refused = kubectl(
            &bin,
            kc,
            &["get", "--raw", "/api/v1/namespaces/custom/finalize"],
            None,
        );
        assert!(!refused.success, "{which}");
        assert!(
            refused
                .stderr
                .contains("the server does not allow this method on the requested resource"),
            "{which}: {}",
            refused.stderr
        );

        let mut finalized = again;
        finalized["spec"]["finalizers"] = serde_json::json!([]);
        ok(
            &bin,
            kc,
            &[
                "replace",
                "--raw",
                "/api/v1/namespaces/custom/finalize",
                "-f",
                "-",
            ],
            Some(&finalized.to_string()),
        );
        expect_gone(&bin, kc, "custom");
    }
}

/// A `finalize` PUT is the request with the stored status, as
/// `namespaceFinalizeStrategy.PrepareForUpdate` makes it: its labels are written, a bad one
/// is refused by `ValidateNamespaceFinalizeUpdate`, and its status is ignored.
#[tokio::test]
async fn a_finalize_write_takes_the_requests_metadata_and_keeps_the_status() {
    use k8s_openapi::api::core::v1::Namespace;
    let (server, client) = crate::support::embedded().await;
    let namespaces: kube::Api<Namespace> = kube::Api::all(client.clone());
    let created = namespaces
        .create(
            &Default::default(),
            &serde_json::from_value(serde_json::json!({"metadata": {"name": "fin"}}))
                .expect("namespace"),
        )
        .await
        .expect("create");
    let put = |body: Value| {
        let request = http::Request::put("/api/v1/namespaces/fin/finalize")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).expect("json"))
            .expect("request");
        let client = client.clone();
        async move { client.request::<Value>(request).await }
    };
    let mut body = serde_json::to_value(&created).expect("json");
    body["metadata"]["labels"]["team"] = "a".into();
    body["status"]["phase"] = "Terminating".into();
    let written = put(body.clone()).await.expect("finalize");
    assert_eq!(written["metadata"]["labels"]["team"], "a", "{written}");
    assert_eq!(written["status"]["phase"], "Active", "{written}");

    body["metadata"]["labels"]["team"] = "not a label value".into();
    body["metadata"]["resourceVersion"] = written["metadata"]["resourceVersion"].clone();
    let err = put(body).await.expect_err("a bad label");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, 422, "{status:?}");
    assert!(
        status
            .message
            .contains("metadata.labels: Invalid value: \"not a label value\""),
        "{}",
        status.message
    );
    server.shutdown().await;
}
