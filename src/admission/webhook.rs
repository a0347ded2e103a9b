//! The MutatingAdmissionWebhook request handler, transport-agnostic: an AdmissionReview v1 body
//! in, an AdmissionReview v1 body out. The caller serves it over HTTPS.

use base64::Engine;
use k8s_openapi::api::core::v1::Pod;
use kube::core::admission::{
    AdmissionRequest, AdmissionResponse, AdmissionReview, Operation as ReviewOperation,
};
use kube::core::{DynamicObject, Status};
use serde_json::Value;

use super::serviceaccount::{admit, AccountLookup, Config, Operation};
use crate::names::NameGenerator;

/// Why a review could not be answered normally.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("malformed AdmissionReview: {0}")]
    Malformed(#[source] serde_json::Error),
    #[error("AdmissionReview has no request")]
    MissingRequest,
    #[error("object is not a valid Pod: {0}")]
    InvalidPod(#[source] serde_json::Error),
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
    let operation = match request.operation {
        ReviewOperation::Create => Operation::Create,
        ReviewOperation::Update => Operation::Update,
        ReviewOperation::Delete | ReviewOperation::Connect => return allow,
    };
    let Some(object) = &request.object else {
        return allow;
    };
    if object.types.as_ref().is_some_and(|types| types.kind != "Pod") {
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
