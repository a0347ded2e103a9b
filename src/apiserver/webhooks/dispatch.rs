//! Calling the webhooks a request matches: mutating ones one after the other, each seeing
//! the object the previous ones made, with reinvocation; validating ones all at once.
//! Follows `Dispatch` and `callAttrMutatingHook` of
//! `k8s.io/apiserver/pkg/admission/plugin/webhook/mutating/dispatcher.go`, `callHook` of
//! `.../validating/dispatcher.go`, and `ToStatusErr` / `NewDryRunUnsupportedErr` of
//! `.../webhook/errors`, with their error texts and codes.

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use super::hook::Hook;
use super::matching::{should_call, Invocation, MatchRequest, NamespaceLabels};
use super::review::{
    decode_response, encode_request, operation_name, AnswerError, ReviewResponse, ReviewSubject,
    ReviewVersion,
};
use crate::apiserver::admission::{AdmissionOperation, Attributes};
use crate::apiserver::errors::{ApiError, StatusCause};
use crate::apiserver::kinds::NAMESPACES;
use crate::apiserver::validation::go_quote;

/// The timeout of a webhook without `timeoutSeconds` (defaulting always sets one): the
/// API server's own request timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the mutating dispatcher keeps its reinvocation state in the request's context.
const REINVOCATION_KEY: &str = "MutatingAdmissionWebhook";

/// One failed call, sorted as upstream sorts it.
#[derive(Debug)]
enum CallError {
    /// `ErrCallingWebhook`: the webhook could not be asked or answered nonsense;
    /// `failurePolicy` decides what happens.
    Calling(String),
    /// `ErrWebhookRejection`: the webhook said no.
    Rejected(ApiError),
    /// Anything else (a dry-run refusal, a patch that cannot apply): always an error.
    Other(ApiError),
}

/// upstream's `webhookReinvokeContext`.
#[derive(Default)]
struct ReinvokeState {
    /// The object as the last round of webhooks left it.
    last_output: Option<Value>,
    /// `IfNeeded` webhooks called since the last change.
    previously_invoked: BTreeSet<String>,
    /// Webhooks to call again in the second round.
    reinvoke: BTreeSet<String>,
}

impl ReinvokeState {
    fn require_reinvoking_previously_invoked(&mut self) {
        let invoked = std::mem::take(&mut self.previously_invoked);
        self.reinvoke.extend(invoked);
    }
}

/// The request as the matchers see it: no object on delete, and a namespace object's own
/// name as its namespace.
fn match_request<'a>(attrs: &'a Attributes, object: Option<&'a Value>) -> MatchRequest<'a> {
    let namespace = if *attrs.resource == NAMESPACES {
        attrs.name.as_str()
    } else {
        attrs.namespace.as_str()
    };
    MatchRequest {
        resource: attrs.resource,
        subresource: attrs.subresource.as_deref().unwrap_or_default(),
        namespace,
        operation: operation_name(attrs.operation),
        object,
        old_object: attrs.old_object.as_deref(),
    }
}

/// The object as the invocation's version has it (only `apiVersion` differs between the
/// served versions of one resource).
fn in_version<'a>(object: &'a Value, invocation: &Invocation) -> Cow<'a, Value> {
    let api_version = invocation.resource.api_version();
    if object["apiVersion"].as_str() == Some(api_version.as_str()) {
        return Cow::Borrowed(object);
    }
    let mut converted = object.clone();
    if let Some(map) = converted.as_object_mut() {
        map.insert("apiVersion".into(), Value::String(api_version));
        map.insert(
            "kind".into(),
            Value::String(invocation.resource.kind.into()),
        );
    }
    Cow::Owned(converted)
}

/// [`send_review`], timed in `apiserver_admission_webhook_admission_duration_seconds`:
/// rejected when the webhook denied, or failed under `failurePolicy: Fail`, as upstream's
/// dispatchers count it.
async fn call_hook(
    hook: &Hook,
    invocation: &Invocation,
    attrs: &Attributes,
    request: &MatchRequest<'_>,
    mutating: bool,
) -> Result<ReviewResponse, CallError> {
    let started = std::time::Instant::now();
    let result = send_review(hook, invocation, attrs, request, mutating).await;
    let rejected = match &result {
        Ok(_) => false,
        Err(CallError::Calling(_)) => !hook.ignore_failures,
        Err(CallError::Rejected(_) | CallError::Other(_)) => true,
    };
    crate::metrics::observe_admission(
        crate::metrics::AdmissionKind::Webhook,
        &hook.name,
        mutating,
        attrs.operation.as_str(),
        rejected,
        started.elapsed(),
    );
    result
}

/// Sends one review and checks the answer; warnings go to the client, a denial is
/// [`CallError::Rejected`].
async fn send_review(
    hook: &Hook,
    invocation: &Invocation,
    attrs: &Attributes,
    request: &MatchRequest<'_>,
    mutating: bool,
) -> Result<ReviewResponse, CallError> {
    if attrs.dry_run {
        match hook.side_effects.as_deref() {
            None => return Err(CallError::Calling("Webhook SideEffects is nil".into())),
            Some("None" | "NoneOnDryRun") => {}
            Some(_) => {
                return Err(CallError::Other(ApiError::bad_request(format!(
                    "admission webhook {} does not support dry run",
                    go_quote(&hook.name)
                ))))
            }
        }
    }
    let version = ReviewVersion::choose(&hook.review_versions)
        .map_err(|e| CallError::Calling(format!("could not create admission objects: {e}")))?;
    let uid = crate::names::new_uid();
    // An object of another kind than the resource's (a TokenRequest) goes as it is.
    let convert = |o| match attrs.object_kind {
        Some(_) => Cow::Borrowed(o),
        None => in_version(o, invocation),
    };
    let object = request.object.map(convert);
    let old_object = request.old_object.map(convert);
    let subject = ReviewSubject {
        invocation,
        namespace: request.namespace,
        object: object.as_deref(),
        old_object: old_object.as_deref(),
    };
    let body = encode_request(version, &uid, attrs, &subject)
        .map_err(|e| CallError::Calling(format!("could not create admission objects: {e}")))?;
    let client = hook
        .client
        .as_ref()
        .map_err(|e| CallError::Calling(format!("could not get REST client: {e}")))?;
    let answer = client
        .post(body.into(), hook.timeout.unwrap_or(DEFAULT_TIMEOUT))
        .await
        .map_err(|e| CallError::Calling(format!("failed to call webhook: {e}")))?;
    let response = decode_response(version, &uid, mutating, &answer).map_err(|e| match e {
        AnswerError::Undecodable(e) => CallError::Calling(format!("failed to call webhook: {e}")),
        AnswerError::Invalid(e) => {
            CallError::Calling(format!("received invalid webhook response: {e}"))
        }
    })?;
    for warning in &response.warnings {
        attrs.context.add_warning(warning);
    }
    if !response.allowed {
        return Err(CallError::Rejected(rejection(
            &hook.name,
            response.result.as_ref(),
        )));
    }
    Ok(response)
}

/// ToStatusErr: the webhook's Status with `admission webhook "NAME" denied the request`
/// in front of its message, and never a code below 400.
pub fn rejection(name: &str, result: Option<&Map<String, Value>>) -> ApiError {
    let empty = Map::new();
    let result = result.unwrap_or(&empty);
    let text = |key: &str| result.get(key).and_then(Value::as_str).unwrap_or_default();
    let denied_by = format!("admission webhook {} denied the request", go_quote(name));
    let message = match (text("message"), text("reason")) {
        ("", "") => format!("{denied_by} without explanation"),
        ("", reason) => format!("{denied_by}: {reason}"),
        (message, _) => format!("{denied_by}: {message}"),
    };
    let code = result
        .get("code")
        .and_then(Value::as_u64)
        .filter(|c| (400..=599).contains(c))
        .unwrap_or(400) as u16;
    let mut error = ApiError::new(code, text("reason"), message);
    let details = result.get("details").unwrap_or(&Value::Null);
    let detail = |key: &str| details[key].as_str().map(str::to_string);
    error.name = detail("name");
    // A webhook's `details`, even `{}`, are passed on (upstream returns its Status as is).
    error.group = detail("group").or_else(|| details.is_object().then(String::new));
    error.kind = detail("kind");
    error.retry_after_seconds = details["retryAfterSeconds"].as_u64().map(|s| s as u32);
    error.causes = details["causes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|cause| StatusCause {
            reason: cause["reason"].as_str().unwrap_or_default().to_string(),
            message: cause["message"].as_str().unwrap_or_default().to_string(),
            field: cause["field"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    error
}

/// The error a failed call becomes under `failurePolicy: Fail`: 500, upstream's text.
fn calling_error(hook: &Hook, reason: &str) -> ApiError {
    ApiError::internal(format!(
        "failed calling webhook {}: {reason}",
        go_quote(&hook.name)
    ))
}

/// The outcome of a call under the webhook's failure policy: `Ok` to go on.
fn apply_failure_policy(hook: &Hook, outcome: Result<(), CallError>) -> Result<(), ApiError> {
    match outcome {
        Ok(()) => Ok(()),
        Err(CallError::Calling(reason)) if hook.ignore_failures => {
            tracing::warn!(webhook = %hook.name, %reason, "failed calling webhook, failing open");
            Ok(())
        }
        Err(CallError::Calling(reason)) => {
            tracing::warn!(webhook = %hook.name, %reason, "failed calling webhook, failing closed");
            Err(calling_error(hook, &reason))
        }
        Err(CallError::Rejected(e) | CallError::Other(e)) => Err(e),
    }
}

/// The mutating phase: every matching webhook in order; true when the object changed.
pub async fn admit(
    hooks: &[Arc<Hook>],
    attrs: &Attributes,
    object: &mut Value,
    namespace_labels: NamespaceLabels<'_>,
) -> Result<bool, ApiError> {
    if hooks.is_empty() || attrs.resource.strategy.exempt_from_admission_webhooks() {
        return Ok(false);
    }
    // Reinvocation bookkeeping only matters when some webhook asks for it.
    let tracks = hooks.iter().any(|h| h.reinvoke_if_needed);
    let context = &attrs.context;
    let is_reinvoke = context.is_reinvoke();
    if is_reinvoke && tracks {
        context.with_value(REINVOCATION_KEY, |state: &mut ReinvokeState| {
            if state.last_output.as_ref() != Some(object) {
                // Built-in plugins changed the object in the second round.
                state.require_reinvoking_previously_invoked();
            }
        });
    }
    let result = admit_in_order(hooks, attrs, object, namespace_labels, is_reinvoke, tracks).await;
    if tracks {
        let output = object.clone();
        context.with_value(REINVOCATION_KEY, |state: &mut ReinvokeState| {
            state.last_output = Some(output);
        });
    }
    result
}

async fn admit_in_order(
    hooks: &[Arc<Hook>],
    attrs: &Attributes,
    object: &mut Value,
    namespace_labels: NamespaceLabels<'_>,
    is_reinvoke: bool,
    tracks: bool,
) -> Result<bool, ApiError> {
    let context = &attrs.context;
    let deleting = attrs.operation == AdmissionOperation::Delete;
    let mut changed_any = false;
    for hook in hooks {
        let invocation = {
            let request = match_request(attrs, (!deleting).then_some(&*object));
            should_call(hook, &request, namespace_labels)?
        };
        let Some(invocation) = invocation else {
            continue;
        };
        // A webhook is never called for the first time in the second round.
        if is_reinvoke
            && !(tracks
                && context.with_value(REINVOCATION_KEY, |state: &mut ReinvokeState| {
                    state.reinvoke.contains(&hook.uid)
                }))
        {
            continue;
        }
        let outcome = call_mutating(hook, &invocation, attrs, object, deleting).await;
        if matches!(outcome, Ok(true)) {
            changed_any = true;
            context.set_should_reinvoke();
            if tracks {
                context.with_value(REINVOCATION_KEY, |state: &mut ReinvokeState| {
                    state.require_reinvoking_previously_invoked();
                });
            }
        }
        if hook.reinvoke_if_needed {
            context.with_value(REINVOCATION_KEY, |state: &mut ReinvokeState| {
                state.previously_invoked.insert(hook.uid.clone());
            });
        }
        apply_failure_policy(hook, outcome.map(|_| ()))?;
    }
    Ok(changed_any)
}

/// One mutating call: the patch applied, the result decoded as the kind and defaulted.
async fn call_mutating(
    hook: &Hook,
    invocation: &Invocation,
    attrs: &Attributes,
    object: &mut Value,
    deleting: bool,
) -> Result<bool, CallError> {
    let response = {
        let request = match_request(attrs, (!deleting).then_some(&*object));
        call_hook(hook, invocation, attrs, &request, true).await?
    };
    let Some(patch) = response.patch else {
        return Ok(false);
    };
    let patch: json_patch::Patch = serde_json::from_slice(&patch).map_err(|e| {
        CallError::Calling(format!(
            "received undecodable patch in webhook response: {e}"
        ))
    })?;
    if patch.0.is_empty() {
        return Ok(false);
    }
    if deleting {
        return Err(CallError::Other(ApiError::internal(format!(
            "admission webhook {} attempted to modify the object, which is not supported for this operation",
            go_quote(&hook.name)
        ))));
    }
    match response.patch_type.as_deref() {
        Some("JSONPatch") => {}
        other => {
            return Err(CallError::Calling(format!(
                "unsupported patch type {}",
                go_quote(other.unwrap_or_default())
            )))
        }
    }
    // An object of another kind than the resource's (a TokenRequest) is patched and decoded
    // as that kind.
    let mut patched = match attrs.object_kind {
        Some(_) => object.clone(),
        None => in_version(object, invocation).into_owned(),
    };
    json_patch::patch(&mut patched, &patch)
        .map_err(|e| CallError::Other(ApiError::internal(e.to_string())))?;
    let resource = attrs.object_kind.unwrap_or(attrs.resource);
    if let Some(map) = patched.as_object_mut() {
        map.insert("apiVersion".into(), Value::String(resource.api_version()));
        map.insert("kind".into(), Value::String(resource.kind.into()));
    }
    let mut decoded = crate::apiserver::codec::normalize(resource, &patched)
        .map_err(|e| CallError::Other(ApiError::internal(e.message.clone())))?;
    resource.strategy.default(&mut decoded);
    let changed = decoded != *object;
    *object = decoded;
    Ok(changed)
}

/// The validating phase: every matching webhook at once; the first failure (in webhook
/// order) is the answer.
pub async fn validate(
    hooks: &[Arc<Hook>],
    attrs: &Attributes,
    object: &Value,
    namespace_labels: NamespaceLabels<'_>,
) -> Result<(), ApiError> {
    if hooks.is_empty() || attrs.resource.strategy.exempt_from_admission_webhooks() {
        return Ok(());
    }
    let deleting = attrs.operation == AdmissionOperation::Delete;
    let request = match_request(attrs, (!deleting).then_some(object));
    let mut calls = Vec::new();
    for hook in hooks {
        if let Some(invocation) = should_call(hook, &request, namespace_labels)? {
            calls.push((hook, invocation));
        }
    }
    let outcomes = futures::future::join_all(
        calls
            .iter()
            .map(|(hook, invocation)| call_hook(hook, invocation, attrs, &request, false)),
    )
    .await;
    for ((hook, _), outcome) in calls.iter().zip(outcomes) {
        apply_failure_policy(hook, outcome.map(|_| ()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::AdmissionContext;
    use crate::apiserver::kinds::PODS;
    use crate::apiserver::webhooks::hook::HookType;
    use serde_json::json;

    /// A webhook on pod creation whose client could not be built, so no call leaves the
    /// process.
    fn unreachable_hook(name: &str, extra: Value) -> Arc<Hook> {
        let mut hook = json!({"name": name, "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]});
        for (key, value) in extra.as_object().into_iter().flatten() {
            hook[key] = value.clone();
        }
        Arc::new(Hook::parse(
            "config",
            0,
            &hook,
            HookType::Validating,
            Err("no route".into()),
        ))
    }

    fn pod_create(dry_run: bool) -> Attributes {
        Attributes {
            resource: &PODS,
            subresource: None,
            object_kind: None,
            namespace: "ns".into(),
            name: "p".into(),
            operation: AdmissionOperation::Create,
            user: Default::default(),
            dry_run,
            old_object: None,
            context: AdmissionContext::default(),
        }
    }

    async fn run(hooks: &[Arc<Hook>], attrs: &Attributes) -> Result<(), ApiError> {
        let labels = |_: &str| Some(Map::new());
        validate(hooks, attrs, &json!({"metadata": {"name": "p"}}), &labels).await
    }

    #[tokio::test]
    async fn failure_policies_decide_what_a_failed_call_means() {
        let failing = unreachable_hook("fail.example.com", json!({"failurePolicy": "Fail"}));
        let error = run(&[failing], &pod_create(false))
            .await
            .expect_err("fails closed");
        assert_eq!(
            (error.code, error.reason.as_str(), error.message.as_str()),
            (500, "InternalError", "Internal error occurred: failed calling webhook \"fail.example.com\": could not get REST client: no route")
        );
        let ignoring = unreachable_hook("ignore.example.com", json!({"failurePolicy": "Ignore"}));
        assert!(
            run(&[ignoring], &pod_create(false)).await.is_ok(),
            "fails open"
        );
    }

    #[tokio::test]
    async fn each_call_is_timed_and_a_failure_under_fail_counts_as_rejected() {
        use crate::metrics::{gather_text, sample_value};
        let count = |name: &str, rejected: &str| {
            let labels = [
                ("name", name),
                ("operation", "CREATE"),
                ("rejected", rejected),
                ("type", "validate"),
            ];
            sample_value(
                &gather_text(),
                "apiserver_admission_webhook_admission_duration_seconds_count",
                &labels,
            )
        };
        let failing =
            unreachable_hook("metrics-fail.example.com", json!({"failurePolicy": "Fail"}));
        let ignoring = unreachable_hook(
            "metrics-ignore.example.com",
            json!({"failurePolicy": "Ignore"}),
        );
        let _ = run(&[failing], &pod_create(false)).await;
        for _ in 0..2 {
            let _ = run(std::slice::from_ref(&ignoring), &pod_create(false)).await;
        }
        assert_eq!(count("metrics-fail.example.com", "true"), Some(1.0));
        assert_eq!(count("metrics-ignore.example.com", "false"), Some(2.0));
        assert_eq!(count("metrics-ignore.example.com", "true"), None);
    }

    #[tokio::test]
    async fn dry_runs_are_refused_to_webhooks_with_side_effects() {
        let cases = [
            (
                json!({"sideEffects": "Some", "failurePolicy": "Ignore"}),
                Some((
                    400,
                    "admission webhook \"side.example.com\" does not support dry run",
                )),
            ),
            (
                json!({"sideEffects": "Unknown"}),
                Some((
                    400,
                    "admission webhook \"side.example.com\" does not support dry run",
                )),
            ),
            // Without side effects the webhook is called; here that fails (no client).
            (
                json!({"sideEffects": "NoneOnDryRun", "failurePolicy": "Ignore"}),
                None,
            ),
        ];
        for (fields, expected) in cases {
            let hook = unreachable_hook("side.example.com", fields.clone());
            let outcome = run(&[hook], &pod_create(true))
                .await
                .err()
                .map(|e| (e.code, e.message.clone()));
            assert_eq!(
                outcome,
                expected.map(|(c, m)| (c, m.to_string())),
                "{fields}"
            );
        }
    }

    #[tokio::test]
    async fn webhook_configurations_themselves_are_exempt() {
        let hook = unreachable_hook(
            "all.example.com",
            json!({"rules": [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]}]}),
        );
        let mut attrs = pod_create(false);
        attrs.resource = &crate::apiserver::kinds::MUTATING_WEBHOOK_CONFIGURATIONS;
        attrs.namespace = String::new();
        assert!(run(std::slice::from_ref(&hook), &attrs).await.is_ok());
        assert!(
            run(&[hook], &pod_create(false)).await.is_err(),
            "pods are not exempt"
        );
    }

    #[test]
    fn denials_carry_the_webhook_name_and_keep_their_status() {
        let status = |v: Value| v.as_object().cloned();
        let cases = [
            (
                None,
                400,
                "",
                "admission webhook \"deny.example.com\" denied the request without explanation",
            ),
            (
                status(json!({"code": 403, "reason": "Forbidden", "message": "no pods today"})),
                403,
                "Forbidden",
                "admission webhook \"deny.example.com\" denied the request: no pods today",
            ),
            (
                status(json!({"code": 200, "reason": "NotAllowed"})),
                400,
                "NotAllowed",
                "admission webhook \"deny.example.com\" denied the request: NotAllowed",
            ),
        ];
        for (result, code, reason, message) in cases {
            let error = rejection("deny.example.com", result.as_ref());
            assert_eq!(
                (error.code, error.reason.as_str(), error.message.as_str()),
                (code, reason, message)
            );
        }
        let detailed = rejection(
            "deny.example.com",
            status(json!({"code": 422, "message": "bad", "details": {"name": "p", "kind": "pods", "causes": [{"field": "spec", "message": "no"}]}})).as_ref(),
        );
        assert_eq!(detailed.name.as_deref(), Some("p"));
        assert_eq!(detailed.kind.as_deref(), Some("pods"));
        assert_eq!(detailed.causes.len(), 1);
    }
}
