//! The MutatingAdmissionWebhook request handler, transport-agnostic: an AdmissionReview v1 body
//! in, an AdmissionReview v1 body out. The caller serves it over HTTPS.

use base64::Engine;
use k8s_openapi::api::core::v1::Pod;
use kube::core::admission::{
    AdmissionRequest, AdmissionResponse, AdmissionReview, Operation as ReviewOperation,
};
use kube::core::{DynamicObject, Status};
use serde_json::Value;

use super::bound::EPHEMERAL_CONTAINERS_SUBRESOURCE;
use super::serviceaccount::{admit, AccountLookup, Config, Operation};
use crate::names::NameGenerator;

/// Why a review could not be answered normally.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The body is not an AdmissionReview v1 (answered 400).
    #[error("malformed AdmissionReview: {0}")]
    Malformed(#[source] serde_json::Error),
    /// The review carries no `request` (answered 400).
    #[error("AdmissionReview has no request")]
    MissingRequest,
    /// The request's `object` does not decode as a Pod (answered 400).
    #[error("object is not a valid Pod: {0}")]
    InvalidPod(#[source] serde_json::Error),
    /// The mutated pod could not be serialized for the patch (answered 500).
    #[error("cannot encode the pod: {0}")]
    Encode(#[source] serde_json::Error),
}

impl ReviewError {
    fn status(&self) -> Status {
        match self {
            ReviewError::Encode(_) => {
                Status::failure(&self.to_string(), "InternalError").with_code(500)
            }
            _ => Status::failure(&self.to_string(), "BadRequest").with_code(400),
        }
    }
}

/// Answers one AdmissionReview: `allowed` with a base64 JSONPatch (`patchType: JSONPatch`) when
/// the pod changes, `allowed: false` with the denial's Status, or 400 for a malformed review.
pub async fn review(
    body: &[u8],
    lookup: &dyn AccountLookup,
    names: &dyn NameGenerator,
    config: &Config,
) -> Vec<u8> {
    let response = match parse_request(body) {
        Ok(request) => respond(&request, lookup, names, config).await,
        Err(err) => refuse(AdmissionResponse::invalid(err.to_string()), &err),
    };
    encode_review(response)
}

fn parse_request(body: &[u8]) -> Result<AdmissionRequest<DynamicObject>, ReviewError> {
    let review: AdmissionReview<DynamicObject> =
        serde_json::from_slice(body).map_err(ReviewError::Malformed)?;
    review.try_into().map_err(|_| ReviewError::MissingRequest)
}

async fn respond(
    request: &AdmissionRequest<DynamicObject>,
    lookup: &dyn AccountLookup,
    names: &dyn NameGenerator,
    config: &Config,
) -> AdmissionResponse {
    let allow = AdmissionResponse::from(request);
    // Like the in-process plugin: anything but a core Pod on CREATE/UPDATE passes untouched.
    if !request.resource.group.is_empty() || request.resource.resource != "pods" {
        return allow;
    }
    // Subresources other than `ephemeralcontainers` (an UPDATE) pass untouched.
    let subresource = request
        .sub_resource
        .as_deref()
        .filter(|sub| !sub.is_empty());
    let operation = match (&request.operation, subresource) {
        (ReviewOperation::Create, None) => Operation::Create,
        (ReviewOperation::Update, None) => Operation::Update,
        (ReviewOperation::Update, Some(EPHEMERAL_CONTAINERS_SUBRESOURCE)) => {
            Operation::EphemeralContainersUpdate
        }
        _ => return allow,
    };
    let Some(object) = &request.object else {
        return allow;
    };
    if object
        .types
        .as_ref()
        .is_some_and(|types| types.kind != "Pod")
    {
        return allow;
    }
    let mut pod: Pod = match serde_json::to_value(object).and_then(serde_json::from_value) {
        Ok(pod) => pod,
        Err(err) => return refuse(allow, &ReviewError::InvalidPod(err)),
    };
    // Diff typed-to-typed so that only the plugin's changes end up in the patch.
    let original = match serde_json::to_value(&pod) {
        Ok(value) => value,
        Err(err) => return refuse(allow, &ReviewError::Encode(err)),
    };
    let namespace = request
        .namespace
        .clone()
        .or_else(|| pod.metadata.namespace.clone())
        .unwrap_or_default();

    if let Err(denial) = admit(&mut pod, operation, &namespace, lookup, names, config).await {
        let mut denied = allow;
        denied.allowed = false;
        denied.result = denial.to_status(&pod);
        return denied;
    }
    let mutated = match serde_json::to_value(&pod) {
        Ok(value) => value,
        Err(err) => return refuse(allow, &ReviewError::Encode(err)),
    };
    let patch = json_patch::diff(&original, &mutated);
    if patch.0.is_empty() {
        return allow;
    }
    match allow.clone().with_patch(patch) {
        Ok(patched) => patched,
        Err(err) => {
            let message = err.to_string();
            let mut failed = allow;
            failed.allowed = false;
            failed.result = Status::failure(&message, "InternalError").with_code(500);
            failed
        }
    }
}

fn refuse(mut response: AdmissionResponse, err: &ReviewError) -> AdmissionResponse {
    response.allowed = false;
    response.result = err.status();
    response
}

/// Serializes the review; the patch goes out as a base64 string, as Go's `[]byte` expects.
fn encode_review(response: AdmissionResponse) -> Vec<u8> {
    let patch = response.patch.clone();
    let mut review = match serde_json::to_value(response.into_review()) {
        Ok(value) => value,
        Err(err) => return fallback_review(&err.to_string()),
    };
    if let (Some(patch), Some(slot)) = (patch, review.pointer_mut("/response/patch")) {
        *slot = Value::String(base64::engine::general_purpose::STANDARD.encode(patch));
    }
    serde_json::to_vec(&review).unwrap_or_else(|err| fallback_review(&err.to_string()))
}

fn fallback_review(message: &str) -> Vec<u8> {
    let review = serde_json::json!({
        "apiVersion": kube::core::admission::META_API_VERSION_V1,
        "kind": kube::core::admission::META_KIND,
        "response": {
            "uid": "",
            "allowed": false,
            "status": {"status": "Failure", "code": 500, "reason": "InternalError", "message": message},
        },
    });
    review.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::serviceaccount::{
        LookupError, SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE,
        SERVICE_ACCOUNT_UID_ANNOTATION,
    };
    use crate::names::FixedSuffix;
    use futures::future::BoxFuture;
    use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
    use serde_json::json;

    const MOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// Knows one cached account; every live GET is a 404.
    struct StaticLookup {
        account: Option<ServiceAccount>,
        secrets: Vec<Secret>,
    }

    impl AccountLookup for StaticLookup {
        fn cached_service_account<'a>(
            &'a self,
            _namespace: &'a str,
            name: &'a str,
        ) -> BoxFuture<'a, Result<Option<ServiceAccount>, LookupError>> {
            let found = self
                .account
                .clone()
                .filter(|sa| sa.metadata.name.as_deref() == Some(name));
            Box::pin(async move { Ok(found) })
        }

        fn get_service_account<'a>(
            &'a self,
            _namespace: &'a str,
            name: &'a str,
        ) -> BoxFuture<'a, Result<ServiceAccount, LookupError>> {
            Box::pin(async move { Err(LookupError::NotFound(name.to_owned())) })
        }

        fn list_secrets<'a>(
            &'a self,
            _namespace: &'a str,
        ) -> BoxFuture<'a, Result<Vec<Secret>, LookupError>> {
            let secrets = self.secrets.clone();
            Box::pin(async move { Ok(secrets) })
        }
    }

    fn lookup_with_token() -> StaticLookup {
        StaticLookup {
            account: Some(
                serde_json::from_value(json!({
                    "metadata": {"name": "default", "namespace": "myns", "uid": "12345"},
                    "secrets": [{"name": "default-token-x"}],
                    "imagePullSecrets": [{"name": "registry"}],
                }))
                .expect("account"),
            ),
            secrets: vec![serde_json::from_value(json!({
                "metadata": {
                    "name": "default-token-x",
                    "namespace": "myns",
                    "annotations": {
                        SERVICE_ACCOUNT_NAME_ANNOTATION: "default",
                        SERVICE_ACCOUNT_UID_ANNOTATION: "12345",
                    },
                },
                "type": SERVICE_ACCOUNT_TOKEN_TYPE,
            }))
            .expect("secret")],
        }
    }

    fn review_body(operation: &str, resource: &str, object: Value) -> Vec<u8> {
        json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "req-1",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "resource": {"group": "", "version": "v1", "resource": resource},
                "name": "web",
                "namespace": "myns",
                "operation": operation,
                "userInfo": {"username": "alice"},
                "object": object,
                "oldObject": null,
                "dryRun": false,
            },
        })
        .to_string()
        .into_bytes()
    }

    fn web_pod() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": "myns", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], "futureField": {"kept": true}},
        })
    }

    async fn answer(body: &[u8], lookup: &StaticLookup) -> Value {
        let names = FixedSuffix("abc123".into());
        let out = review(body, lookup, &names, &Config::default()).await;
        serde_json::from_slice(&out).expect("response is JSON")
    }

    fn decoded_patch(response: &Value) -> json_patch::Patch {
        let encoded = response["response"]["patch"]
            .as_str()
            .expect("base64 patch string");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("valid base64");
        serde_json::from_slice(&bytes).expect("JSONPatch")
    }

    #[tokio::test]
    async fn create_is_answered_with_a_json_patch_that_applies_to_the_original() {
        let lookup = lookup_with_token();
        let response = answer(&review_body("CREATE", "pods", web_pod()), &lookup).await;
        assert_eq!(response["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(response["kind"], "AdmissionReview");
        assert_eq!(response["response"]["uid"], "req-1");
        assert_eq!(response["response"]["allowed"], true);
        assert_eq!(response["response"]["patchType"], "JSONPatch");

        let mut patched = web_pod();
        json_patch::patch(&mut patched, &decoded_patch(&response)).expect("patch applies");
        let mut expected = web_pod();
        expected["spec"] = json!({
            "serviceAccountName": "default",
            "containers": [{
                "name": "c",
                "image": "nginx",
                "volumeMounts": [{"name": "default-token-x", "readOnly": true, "mountPath": MOUNT}],
            }],
            "volumes": [{"name": "default-token-x", "secret": {"secretName": "default-token-x"}}],
            "imagePullSecrets": [{"name": "registry"}],
            "futureField": {"kept": true},
        });
        assert_eq!(patched, expected);

        // Admitting the admitted pod again changes nothing, so no patch is sent.
        let again = answer(&review_body("CREATE", "pods", patched), &lookup).await;
        assert_eq!(again["response"]["allowed"], true);
        assert!(again["response"].get("patch").is_none(), "{again}");
        assert!(again["response"].get("patchType").is_none(), "{again}");
    }

    #[tokio::test]
    async fn denials_carry_the_api_server_status() {
        let mut named = web_pod();
        named["spec"]["serviceAccountName"] = json!("builder");
        let mut no_token_lookup = lookup_with_token();
        no_token_lookup.secrets.clear();
        let mut generated = web_pod();
        generated["metadata"] =
            json!({"generateName": "web-", "annotations": {"kubernetes.io/config.mirror": "x"}});
        generated["spec"]["serviceAccountName"] = json!("default");
        let cases = [
            (
                named,
                lookup_with_token(),
                json!({
                    "status": "Failure",
                    "code": 403,
                    "reason": "Forbidden",
                    "message": "pods \"web\" is forbidden: service account myns/builder was not found, retry after the service account is created",
                    "details": {"name": "web", "kind": "pods"},
                }),
            ),
            (
                web_pod(),
                no_token_lookup,
                json!({
                    "status": "Failure",
                    "code": 500,
                    "reason": "ServerTimeout",
                    "message": "No API token found for service account \"default\", retry after the token is automatically created and added to the service account",
                    "details": {"name": "create pod", "kind": "serviceaccounts", "retryAfterSeconds": 1},
                }),
            ),
            (
                generated,
                lookup_with_token(),
                json!({
                    "status": "Failure",
                    "code": 403,
                    "reason": "Forbidden",
                    "message": "pods \"web-\" is forbidden: a mirror pod may not reference service accounts",
                    "details": {"name": "web-", "kind": "pods"},
                }),
            ),
        ];
        for (object, lookup, status) in cases {
            let response = answer(&review_body("CREATE", "pods", object), &lookup).await;
            assert_eq!(response["response"]["uid"], "req-1");
            assert_eq!(response["response"]["allowed"], false);
            assert_eq!(response["response"]["status"], status);
            assert!(response["response"].get("patch").is_none());
        }
    }

    #[tokio::test]
    async fn requests_the_plugin_ignores_are_allowed_unchanged() {
        let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web"}, "target": {"name": "node-1"}});
        let cases = [
            ("update", review_body("UPDATE", "pods", web_pod())),
            ("delete", review_body("DELETE", "pods", web_pod())),
            (
                "other resource",
                review_body(
                    "CREATE",
                    "configmaps",
                    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
                ),
            ),
            ("not a pod object", review_body("CREATE", "pods", binding)),
            ("no object", review_body("CREATE", "pods", Value::Null)),
        ];
        for (case, body) in cases {
            let response = answer(&body, &lookup_with_token()).await;
            assert_eq!(response["response"]["allowed"], true, "{case}: {response}");
            assert!(response["response"].get("patch").is_none(), "{case}");
        }
    }

    async fn answer_bound(body: &[u8], lookup: &StaticLookup, config: Config) -> Value {
        let names = FixedSuffix("abc123".into());
        let config = Config {
            mode: crate::Mode::Bound,
            ..config
        };
        let out = review(body, lookup, &names, &config).await;
        serde_json::from_slice(&out).expect("response is JSON")
    }

    fn with_subresource(body: Vec<u8>, subresource: &str) -> Vec<u8> {
        let mut review: Value = serde_json::from_slice(&body).expect("review");
        review["request"]["subResource"] = json!(subresource);
        review.to_string().into_bytes()
    }

    #[tokio::test]
    async fn bound_mode_answers_like_the_bound_plugin() {
        let lookup = lookup_with_token();
        let response = answer_bound(
            &review_body("CREATE", "pods", web_pod()),
            &lookup,
            Config::default(),
        )
        .await;
        assert_eq!(response["response"]["allowed"], true, "{response}");
        let mut patched = web_pod();
        json_patch::patch(&mut patched, &decoded_patch(&response)).expect("patch applies");
        assert_eq!(
            patched["spec"]["volumes"],
            json!([{"name": "kube-api-access-abc123", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}]}}])
        );
        assert_eq!(
            patched["spec"]["containers"][0]["volumeMounts"],
            json!([{"name": "kube-api-access-abc123", "readOnly": true, "mountPath": MOUNT}])
        );

        // A missing account, in the 1.33 words.
        let mut named = web_pod();
        named["spec"]["serviceAccountName"] = json!("builder");
        let denied = answer_bound(
            &review_body("CREATE", "pods", named),
            &lookup,
            Config::default(),
        )
        .await;
        assert_eq!(denied["response"]["allowed"], false);
        assert_eq!(
            denied["response"]["status"]["message"],
            "pods \"web\" is forbidden: error looking up service account myns/builder: serviceaccount \"builder\" not found"
        );

        // The ephemeralcontainers UPDATE is checked; other subresources pass.
        let mut debugged = web_pod();
        debugged["spec"]["serviceAccountName"] = json!("default");
        debugged["spec"]["ephemeralContainers"] =
            json!([{"name": "debug", "envFrom": [{"secretRef": {"name": "creds"}}]}]);
        let enforcing = Config {
            limit_secret_references: true,
            ..Config::default()
        };
        let update = review_body("UPDATE", "pods", debugged);
        let refused = answer_bound(
            &with_subresource(update.clone(), "ephemeralcontainers"),
            &lookup,
            enforcing,
        )
        .await;
        assert_eq!(refused["response"]["allowed"], false, "{refused}");
        // A plain error upstream: the text alone, code 500, no reason.
        assert_eq!(
            refused["response"]["status"]["message"],
            "ephemeral container debug with envFrom referencing secret.secretName=\"creds\" is not allowed because service account default does not reference that secret"
        );
        assert_eq!(refused["response"]["status"]["code"], 500);
        for body in [update.clone(), with_subresource(update, "status")] {
            let passed = answer_bound(&body, &lookup, enforcing).await;
            assert_eq!(passed["response"]["allowed"], true, "{passed}");
        }
    }

    #[tokio::test]
    async fn malformed_reviews_are_bad_requests() {
        let mut broken_pod = web_pod();
        broken_pod["spec"]["containers"] = json!("not a list");
        let no_request = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"})
            .to_string()
            .into_bytes();
        let cases = [
            ("not JSON", b"not json".to_vec(), ""),
            ("no request", no_request, ""),
            (
                "pod that does not decode",
                review_body("CREATE", "pods", broken_pod),
                "req-1",
            ),
        ];
        for (case, body, uid) in cases {
            let response = answer(&body, &lookup_with_token()).await;
            assert_eq!(response["response"]["allowed"], false, "{case}");
            assert_eq!(response["response"]["uid"], uid, "{case}");
            assert_eq!(response["response"]["status"]["code"], 400, "{case}");
            assert_eq!(
                response["response"]["status"]["reason"], "BadRequest",
                "{case}"
            );
        }
    }
}
