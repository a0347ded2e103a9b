//! Bound-mode admission, mirroring upstream's
//! `plugin/pkg/admission/serviceaccount/admission_test.go` (1.33): each case names the Go
//! test it follows.

use super::*;
use crate::admission::serviceaccount::{
    admit_with_pause, LookupError, MIRROR_POD_ANNOTATION, TOKEN_MOUNT_PATH,
};
use crate::apiserver::kinds::PODS;
use crate::names::FixedSuffix;
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Secret;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const NS: &str = "myns";
/// Upstream's tests generate names with `n + "abc123"`.
const VOLUME: &str = "kube-api-access-abc123";

fn names() -> FixedSuffix {
    FixedSuffix("abc123".into())
}

fn bound() -> Config {
    Config {
        mode: crate::Mode::Bound,
        ..Config::default()
    }
}

fn enforcing() -> Config {
    Config {
        limit_secret_references: true,
        ..bound()
    }
}

fn pod(spec: Value) -> Pod {
    serde_json::from_value(json!({"metadata": {"name": "mypod"}, "spec": spec})).expect("pod")
}

fn mirror_pod(spec: Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "mypod", "annotations": {MIRROR_POD_ANNOTATION: "mirror"}},
        "spec": spec,
    }))
    .expect("mirror pod")
}

fn account(value: Value) -> ServiceAccount {
    let mut value = value;
    value["metadata"] = json!({"name": "default", "namespace": NS, "uid": "12345"});
    serde_json::from_value(value).expect("service account")
}

fn spec_json(pod: &Pod) -> Value {
    serde_json::to_value(pod.spec.as_ref().expect("spec")).expect("serializable")
}

fn mount() -> Value {
    json!({"name": VOLUME, "readOnly": true, "mountPath": TOKEN_MOUNT_PATH})
}

fn projected_volume() -> Value {
    json!({"name": VOLUME, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}},
    ]}})
}

fn admit_with(pod: &mut Pod, sa: Option<&ServiceAccount>, config: &Config) -> Result<(), Denial> {
    super::super::serviceaccount::admit_pod(pod, NS, sa, &[], &names(), config)
}

fn forbidden(text: &str) -> Result<(), Denial> {
    Err(Denial::Forbidden(text.to_owned()))
}

/// A lookup whose cache and live GETs answer from fixed values, counting calls; it
/// fails the test if anything lists secrets (bound mode never reads them).
#[derive(Default)]
struct FakeLookup {
    cached: Option<ServiceAccount>,
    live: Mutex<VecDeque<Result<ServiceAccount, LookupError>>>,
    cache_calls: AtomicUsize,
    live_calls: AtomicUsize,
    list_calls: AtomicUsize,
}

impl AccountLookup for FakeLookup {
    fn cached_service_account<'a>(
        &'a self,
        _namespace: &'a str,
        _name: &'a str,
    ) -> BoxFuture<'a, Result<Option<ServiceAccount>, LookupError>> {
        self.cache_calls.fetch_add(1, Ordering::SeqCst);
        let answer = Ok(self.cached.clone());
        Box::pin(async move { answer })
    }

    fn get_service_account<'a>(
        &'a self,
        _namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ServiceAccount, LookupError>> {
        self.live_calls.fetch_add(1, Ordering::SeqCst);
        let answer = self
            .live
            .lock()
            .expect("lock")
            .pop_front()
            .unwrap_or_else(|| Err(LookupError::NotFound(name.to_owned())));
        Box::pin(async move { answer })
    }

    fn list_secrets<'a>(
        &'a self,
        _namespace: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Secret>, LookupError>> {
        self.list_calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(Vec::new()) })
    }
}

impl FakeLookup {
    fn calls(&self) -> (usize, usize, usize) {
        (
            self.cache_calls.load(Ordering::SeqCst),
            self.live_calls.load(Ordering::SeqCst),
            self.list_calls.load(Ordering::SeqCst),
        )
    }
}

async fn run(
    pod: &mut Pod,
    operation: Operation,
    lookup: &FakeLookup,
    config: &Config,
) -> Result<(), Denial> {
    let pause = |_: Duration| -> BoxFuture<'static, ()> { Box::pin(async {}) };
    admit_with_pause(pod, operation, NS, lookup, &names(), config, &pause).await
}

// TestIgnoresNonCreate: UPDATE (of the pod itself) changes and checks nothing, even for a
// pod whose account is missing.
#[tokio::test]
async fn ignores_non_create() {
    let lookup = FakeLookup::default();
    let mut pod = pod(json!({"containers": [{"name": "c"}]}));
    let before = pod.clone();
    assert_eq!(
        run(&mut pod, Operation::Update, &lookup, &bound()).await,
        Ok(())
    );
    assert_eq!(pod, before);
    assert_eq!(lookup.calls(), (0, 0, 0));
}

#[test]
fn mirror_pod_rules() {
    let cases = [
        // TestIgnoresMirrorPod: an empty volume source is allowed, and nothing changes.
        (
            "TestIgnoresMirrorPod",
            json!({"volumes": [{"name": "v"}], "containers": [{"name": "c"}]}),
            Ok(()),
        ),
        (
            "TestRejectsMirrorPodWithServiceAccount",
            json!({"serviceAccountName": "default", "containers": [{"name": "c"}]}),
            forbidden("a mirror pod may not reference service accounts"),
        ),
        (
            "TestRejectsMirrorPodWithSecretVolumes",
            json!({"volumes": [{"name": "v", "secret": {"secretName": "mysecret"}}], "containers": [{"name": "c"}]}),
            forbidden("a mirror pod may not reference secrets"),
        ),
        (
            "TestRejectsMirrorPodWithSecretVolumes (envFrom)",
            json!({"containers": [{"name": "c", "envFrom": [{"secretRef": {"name": "s"}}]}]}),
            forbidden("a mirror pod may not reference secrets"),
        ),
        (
            "TestRejectsMirrorPodWithSecretVolumes (ephemeral container env)",
            json!({"containers": [{"name": "c"}], "ephemeralContainers": [{"name": "e", "env": [
                {"name": "x", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]}),
            forbidden("a mirror pod may not reference secrets"),
        ),
        (
            "TestRejectsMirrorPodWithServiceAccountTokenVolumeProjections",
            json!({"volumes": [{"name": "v", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}],
                   "containers": [{"name": "c"}]}),
            forbidden("a mirror pod may not use ServiceAccountToken volume projections"),
        ),
    ];
    for (case, spec, expected) in cases {
        let mut pod = mirror_pod(spec);
        let before = pod.clone();
        let sa = account(json!({}));
        assert_eq!(
            admit_with(&mut pod, Some(&sa), &bound()),
            expected,
            "{case}"
        );
        assert_eq!(pod, before, "{case}: a mirror pod is never mutated");
    }
}

// TestRejectsMirrorPod*: through the lookups too, without looking the account up.
#[tokio::test]
async fn mirror_pods_need_no_lookup() {
    let lookup = FakeLookup::default();
    let mut pod = mirror_pod(json!({"serviceAccountName": "x", "containers": [{"name": "c"}]}));
    assert_eq!(
        run(&mut pod, Operation::Create, &lookup, &bound()).await,
        forbidden("a mirror pod may not reference service accounts")
    );
    assert_eq!(lookup.calls(), (0, 0, 0));
}

// TestAssignsDefaultServiceAccountAndBoundTokenWithNoSecretTokens: the exact volume and
// mount, and v1 defaulting changes nothing in the admitted pod.
#[test]
fn assigns_default_service_account_and_bound_token_with_no_secret_tokens() {
    let mut pod = pod(json!({"containers": [{"name": "c"}]}));
    let sa = account(json!({}));
    assert_eq!(admit_with(&mut pod, Some(&sa), &bound()), Ok(()));
    let spec = spec_json(&pod);
    assert_eq!(spec["serviceAccountName"], "default");
    assert_eq!(spec["volumes"], json!([projected_volume()]));
    assert_eq!(spec["containers"][0]["volumeMounts"], json!([mount()]));

    let admitted = serde_json::to_value(&pod).expect("json");
    let mut defaulted = admitted.clone();
    PODS.strategy.default(&mut defaulted);
    assert_eq!(
        defaulted["spec"]["volumes"], admitted["spec"]["volumes"],
        "the volume is already in v1-defaulted form"
    );
}

// TestFetchesUncachedServiceAccount / TestDeniesInvalidServiceAccount.
#[tokio::test]
async fn fetches_uncached_or_denies_missing_service_account() {
    // TestFetchesUncachedServiceAccount: a cache miss, then a live GET finds it.
    let lookup = FakeLookup {
        live: Mutex::new(VecDeque::from([Ok(account(json!({})))])),
        ..FakeLookup::default()
    };
    let mut found = pod(json!({"containers": [{"name": "c"}]}));
    assert_eq!(
        run(&mut found, Operation::Create, &lookup, &bound()).await,
        Ok(())
    );
    assert_eq!(spec_json(&found)["volumes"], json!([projected_volume()]));
    assert_eq!(lookup.calls(), (1, 1, 0), "no secrets are ever listed");

    // TestDeniesInvalidServiceAccount: `default` gets 10 live attempts, others one.
    for (sa_name, attempts) in [("default", 10), ("builder", 1)] {
        let lookup = FakeLookup::default();
        let mut missing =
            pod(json!({"serviceAccountName": sa_name, "containers": [{"name": "c"}]}));
        assert_eq!(
            run(&mut missing, Operation::Create, &lookup, &bound()).await,
            forbidden(&format!(
                "error looking up service account myns/{sa_name}: serviceaccount \"{sa_name}\" not found"
            ))
        );
        assert_eq!(lookup.calls(), (1, attempts, 0), "{sa_name}");
    }

    // Any other lookup error stops at once and is quoted.
    let lookup = FakeLookup {
        live: Mutex::new(VecDeque::from([Err(LookupError::Other(
            "etcd down".into(),
        ))])),
        ..FakeLookup::default()
    };
    let mut failing = pod(json!({"containers": [{"name": "c"}]}));
    assert_eq!(
        run(&mut failing, Operation::Create, &lookup, &bound()).await,
        forbidden("error looking up service account myns/default: etcd down")
    );
    assert_eq!(lookup.calls(), (1, 1, 0));
}

// TestAutomountsAPIToken / TestRespectsExistingMount, and the automount switches.
#[test]
fn mounts_and_existing_volumes() {
    let existing = json!({"name": "x", "readOnly": false, "mountPath": TOKEN_MOUNT_PATH});
    let user_volume = json!({"name": "kube-api-access-mine", "emptyDir": {}});
    let cases = [
        (
            "TestAutomountsAPIToken: init containers and containers, not ephemeral ones",
            json!({"initContainers": [{"name": "i"}], "containers": [{"name": "c"}],
                   "ephemeralContainers": [{"name": "e"}]}),
            json!({"initContainers": [{"name": "i", "volumeMounts": [mount()]}],
                   "containers": [{"name": "c", "volumeMounts": [mount()]}],
                   "ephemeralContainers": [{"name": "e"}],
                   "volumes": [projected_volume()]}),
        ),
        (
            "TestRespectsExistingMount: no unused volume",
            json!({"containers": [{"name": "c", "volumeMounts": [existing.clone()]}]}),
            json!({"containers": [{"name": "c", "volumeMounts": [existing.clone()]}]}),
        ),
        (
            "only containers without a mount at the path get it",
            json!({"containers": [{"name": "a", "volumeMounts": [existing.clone()]}, {"name": "b"}]}),
            json!({"containers": [{"name": "a", "volumeMounts": [existing.clone()]},
                                  {"name": "b", "volumeMounts": [mount()]}],
                   "volumes": [projected_volume()]}),
        ),
        (
            "a volume named kube-api-access-* is reused whatever its source",
            json!({"containers": [{"name": "c"}], "volumes": [user_volume.clone()]}),
            json!({"containers": [{"name": "c", "volumeMounts": [
                       {"name": "kube-api-access-mine", "readOnly": true, "mountPath": TOKEN_MOUNT_PATH}]}],
                   "volumes": [user_volume.clone()]}),
        ),
        (
            "the volume goes after the pod's own volumes",
            json!({"containers": [{"name": "c"}], "volumes": [{"name": "cache", "emptyDir": {}}]}),
            json!({"containers": [{"name": "c", "volumeMounts": [mount()]}],
                   "volumes": [{"name": "cache", "emptyDir": {}}, projected_volume()]}),
        ),
    ];
    for (case, spec, expected) in cases {
        let mut pod = pod(spec);
        let sa = account(json!({}));
        assert_eq!(admit_with(&mut pod, Some(&sa), &bound()), Ok(()), "{case}");
        let mut expected = expected;
        expected["serviceAccountName"] = json!("default");
        assert_eq!(spec_json(&pod), expected, "{case}");
        // WithReinvocationTesting: a second run changes nothing.
        let once = pod.clone();
        assert_eq!(admit_with(&mut pod, Some(&sa), &bound()), Ok(()), "{case}");
        assert_eq!(pod, once, "{case}: admitting twice");
    }
}

// "should allow opting out of API token automount": the pod's setting wins, then the
// account's, else true; and the plugin's MountServiceAccountToken switch.
#[test]
fn automount_combinations() {
    for pod_setting in [None, Some(true), Some(false)] {
        for sa_setting in [None, Some(true), Some(false)] {
            let mut pod = pod(json!({"automountServiceAccountToken": pod_setting,
                                     "containers": [{"name": "c"}]}));
            let sa = account(json!({"automountServiceAccountToken": sa_setting}));
            assert_eq!(admit_with(&mut pod, Some(&sa), &bound()), Ok(()));
            let wanted = pod_setting.or(sa_setting).unwrap_or(true);
            let volumes = spec_json(&pod)["volumes"].clone();
            assert_eq!(
                volumes != Value::Null,
                wanted,
                "pod {pod_setting:?}, account {sa_setting:?}: {volumes}"
            );
        }
    }
    let mut pod = pod(json!({"containers": [{"name": "c"}]}));
    let off = Config {
        mount_service_account_token: false,
        ..bound()
    };
    assert_eq!(
        admit_with(&mut pod, Some(&account(json!({}))), &off),
        Ok(())
    );
    assert_eq!(spec_json(&pod)["volumes"], Value::Null);
}

/// A pod referencing `s` in every place enforcement looks at, except pull secrets.
fn secret_references() -> Vec<(&'static str, Value, &'static str)> {
    let env =
        |s: &str| json!([{"name": "x", "valueFrom": {"secretKeyRef": {"name": s, "key": "k"}}}]);
    let env_from = |s: &str| json!([{"secretRef": {"name": s}}]);
    vec![
        (
            "volume",
            json!({"containers": [{"name": "c"}], "volumes": [{"name": "v", "secret": {"secretName": "foo"}}]}),
            "volume with secret.secretName=\"foo\" is not allowed because service account default does not reference that secret",
        ),
        (
            "container env",
            json!({"containers": [{"name": "c", "env": env("foo")}]}),
            "container c with envVar x referencing secret.secretName=\"foo\" is not allowed because service account default does not reference that secret",
        ),
        (
            "container envFrom",
            json!({"containers": [{"name": "c", "envFrom": env_from("foo")}]}),
            "container c with envFrom referencing secret.secretName=\"foo\" is not allowed because service account default does not reference that secret",
        ),
        (
            "init container env",
            json!({"initContainers": [{"name": "i", "env": env("foo")}], "containers": [{"name": "c"}]}),
            "init container i with envVar x referencing secret.secretName=\"foo\" is not allowed because service account default does not reference that secret",
        ),
        (
            "init container envFrom",
            json!({"initContainers": [{"name": "i", "envFrom": env_from("foo")}], "containers": [{"name": "c"}]}),
            "init container i with envFrom referencing secret.secretName=\"foo\" is not allowed because service account default does not reference that secret",
        ),
    ]
}

// TestAllowsReferencedSecret / TestRejectsUnreferencedSecretVolumes /
// TestAllowUnreferencedSecretVolumesForPermissiveSAs.
#[test]
fn mountable_secrets_enforcement() {
    let referencing = account(json!({"secrets": [{"name": "foo"}]}));
    let not_referencing = account(json!({}));
    let annotated = account(json!({}));
    let mut annotated = annotated;
    annotated.metadata.annotations = Some(
        [(
            crate::serviceaccount::ENFORCE_MOUNTABLE_SECRETS_ANNOTATION.to_owned(),
            "true".to_owned(),
        )]
        .into(),
    );
    for (case, spec, message) in secret_references() {
        // TestAllowsReferencedSecret
        let mut allowed = pod(spec.clone());
        assert_eq!(
            admit_with(&mut allowed, Some(&referencing), &enforcing()),
            Ok(()),
            "{case}"
        );
        // TestRejectsUnreferencedSecretVolumes
        let mut refused = pod(spec.clone());
        assert_eq!(
            admit_with(&mut refused, Some(&not_referencing), &enforcing()),
            forbidden(message),
            "{case}"
        );
        // TestAllowUnreferencedSecretVolumesForPermissiveSAs: off by default ...
        let mut permissive = pod(spec.clone());
        assert_eq!(
            admit_with(&mut permissive, Some(&not_referencing), &bound()),
            Ok(()),
            "{case}"
        );
        // ... and on with the account's annotation.
        let mut by_annotation = pod(spec);
        assert_eq!(
            admit_with(&mut by_annotation, Some(&annotated), &bound()),
            forbidden(message),
            "{case}: annotation"
        );
    }
    // Projected secret sources are never checked, so the token volume is never refused.
    let mut projected = pod(json!({"containers": [{"name": "c"}], "volumes": [
        {"name": "p", "projected": {"sources": [{"secret": {"name": "other"}}]}}]}));
    assert_eq!(
        admit_with(&mut projected, Some(&not_referencing), &enforcing()),
        Ok(())
    );
    // Ephemeral containers are not checked on CREATE.
    let mut ephemeral = pod(
        json!({"containers": [{"name": "c"}], "ephemeralContainers": [
        {"name": "e", "envFrom": [{"secretRef": {"name": "foo"}}]}]}),
    );
    assert_eq!(
        admit_with(&mut ephemeral, Some(&not_referencing), &enforcing()),
        Ok(())
    );
}

// TestRejectsUnreferencedSecretVolumes / TestAllowsReferencedSecret, the ephemeral
// containers UPDATE path (CVE-2023-2728).
#[tokio::test]
async fn ephemeral_containers_update() {
    let env = json!([{"name": "x", "valueFrom": {"secretKeyRef": {"name": "foo", "key": "k"}}}]);
    let cases = [
        (
            "envVar",
            json!({"serviceAccountName": "default", "containers": [{"name": "c"}],
                   "ephemeralContainers": [{"name": "e", "env": env}]}),
            "ephemeral container e with envVar x referencing secret.secretName=\"foo\" is not allowed because service account default does not reference that secret",
        ),
        (
            "envFrom",
            json!({"serviceAccountName": "default", "containers": [{"name": "c"}],
                   "ephemeralContainers": [{"name": "e", "envFrom": [{"secretRef": {"name": "foo"}}]}]}),
            "ephemeral container e with envFrom referencing secret.secretName=\"foo\" is not allowed because service account default does not reference that secret",
        ),
    ];
    for (case, spec, message) in cases {
        let refusing = FakeLookup {
            cached: Some(account(json!({}))),
            ..FakeLookup::default()
        };
        let mut refused = pod(spec.clone());
        let before = refused.clone();
        assert_eq!(
            run(
                &mut refused,
                Operation::EphemeralContainersUpdate,
                &refusing,
                &enforcing()
            )
            .await,
            Err(Denial::Plain(message.to_owned())),
            "{case}"
        );
        assert_eq!(refused, before, "{case}: nothing is mutated");
        // Not enforcing: allowed.
        assert_eq!(
            run(
                &mut refused,
                Operation::EphemeralContainersUpdate,
                &refusing,
                &bound()
            )
            .await,
            Ok(()),
            "{case}"
        );
        let allowing = FakeLookup {
            cached: Some(account(json!({"secrets": [{"name": "foo"}]}))),
            ..FakeLookup::default()
        };
        let mut allowed = pod(spec);
        assert_eq!(
            run(
                &mut allowed,
                Operation::EphemeralContainersUpdate,
                &allowing,
                &enforcing()
            )
            .await,
            Ok(()),
            "{case}"
        );
    }
    // No account named, or a missing one.
    let lookup = FakeLookup::default();
    let mut unnamed = pod(json!({"containers": [{"name": "c"}]}));
    assert_eq!(
        run(
            &mut unnamed,
            Operation::EphemeralContainersUpdate,
            &lookup,
            &enforcing()
        )
        .await,
        forbidden("no service account specified for pod myns/mypod")
    );
    let mut missing = pod(json!({"serviceAccountName": "gone", "containers": [{"name": "c"}]}));
    assert_eq!(
        run(
            &mut missing,
            Operation::EphemeralContainersUpdate,
            &lookup,
            &enforcing()
        )
        .await,
        forbidden("error looking up service account myns/gone: serviceaccount \"gone\" not found")
    );
    // Legacy mode (v1.8) has no such path.
    let legacy = Config {
        limit_secret_references: true,
        ..Config::default()
    };
    assert_eq!(
        run(
            &mut unnamed,
            Operation::EphemeralContainersUpdate,
            &lookup,
            &legacy
        )
        .await,
        Ok(())
    );
}

// TestAllowsReferencedImagePullSecrets / TestRejectsUnreferencedImagePullSecrets /
// TestDoNotAddImagePullSecrets / TestAddImagePullSecrets.
#[test]
fn image_pull_secrets() {
    let sa = account(json!({"imagePullSecrets": [{"name": "foo"}, {"name": "bar"}]}));
    // TestAllowsReferencedImagePullSecrets
    let mut allowed =
        pod(json!({"containers": [{"name": "c"}], "imagePullSecrets": [{"name": "foo"}]}));
    assert_eq!(admit_with(&mut allowed, Some(&sa), &enforcing()), Ok(()));
    // TestRejectsUnreferencedImagePullSecrets
    let mut refused = pod(json!({"containers": [{"name": "c"}],
                                 "imagePullSecrets": [{"name": "foo"}, {"name": "baz"}]}));
    assert_eq!(
        admit_with(&mut refused, Some(&sa), &enforcing()),
        forbidden("imagePullSecrets[1].name=\"baz\" is not allowed because service account default does not reference that imagePullSecret")
    );
    // TestDoNotAddImagePullSecrets: the pod's own list is kept, never merged.
    let mut own =
        pod(json!({"containers": [{"name": "c"}], "imagePullSecrets": [{"name": "foo"}]}));
    assert_eq!(admit_with(&mut own, Some(&sa), &bound()), Ok(()));
    assert_eq!(
        spec_json(&own)["imagePullSecrets"],
        json!([{"name": "foo"}])
    );
    // TestAddImagePullSecrets: copied in order, and the account is not aliased.
    let mut copied = pod(json!({"containers": [{"name": "c"}]}));
    assert_eq!(admit_with(&mut copied, Some(&sa), &bound()), Ok(()));
    assert_eq!(
        spec_json(&copied)["imagePullSecrets"],
        json!([{"name": "foo"}, {"name": "bar"}])
    );
    if let Some(refs) = copied
        .spec
        .as_mut()
        .and_then(|s| s.image_pull_secrets.as_mut())
    {
        refs[0].name = "changed".into();
    }
    assert_eq!(
        sa.image_pull_secrets.as_ref().map(|r| r[0].name.as_str()),
        Some("foo")
    );
}

// Bound admission never waits for a token: an account without secrets is admitted even
// with `require_api_token` on (the legacy ServerTimeout is gone).
#[test]
fn never_waits_for_a_token_secret() {
    let mut pod = pod(json!({"containers": [{"name": "c"}]}));
    let sa = account(json!({"secrets": [{"name": "missing-token"}]}));
    let config = Config {
        require_api_token: true,
        ..bound()
    };
    assert_eq!(admit_with(&mut pod, Some(&sa), &config), Ok(()));
    assert_eq!(spec_json(&pod)["volumes"], json!([projected_volume()]));
}
