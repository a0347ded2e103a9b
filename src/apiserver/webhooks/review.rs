//! The AdmissionReview a webhook is sent, in the first version it accepts, and the checks
//! of its answer (`CreateAdmissionObjects` and `VerifyAdmissionResponse` of
//! `k8s.io/apiserver/pkg/admission/plugin/webhook/request/admissionreview.go`).

use base64::Engine;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

use super::matching::Invocation;
use crate::apiserver::admission::{AdmissionOperation, Attributes};
use crate::apiserver::kinds::ResourceInfo;

/// The AdmissionReview versions the server can send, in its order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewVersion {
    /// `admission.k8s.io/v1`
    V1,
    /// `admission.k8s.io/v1beta1`
    V1beta1,
}

impl ReviewVersion {
    /// The first version in the webhook's `admissionReviewVersions` that the server knows.
    ///
    /// # Errors
    ///
    /// Upstream's text when there is none.
    pub fn choose(accepted: &[String]) -> Result<Self, String> {
        accepted
            .iter()
            .find_map(|v| match v.as_str() {
                "v1" => Some(Self::V1),
                "v1beta1" => Some(Self::V1beta1),
                _ => None,
            })
            .ok_or_else(|| {
                "webhook does not accept known AdmissionReview versions (v1, v1beta1)".to_string()
            })
    }

    /// `admission.k8s.io/v1` or `admission.k8s.io/v1beta1`.
    pub fn api_version(self) -> &'static str {
        match self {
            Self::V1 => "admission.k8s.io/v1",
            Self::V1beta1 => "admission.k8s.io/v1beta1",
        }
    }
}

/// Upstream's `Operation` strings.
pub fn operation_name(operation: AdmissionOperation) -> &'static str {
    match operation {
        AdmissionOperation::Create => "CREATE",
        AdmissionOperation::Update => "UPDATE",
        AdmissionOperation::Delete => "DELETE",
    }
}

#[derive(Serialize)]
struct GroupVersionKind<'a> {
    group: &'a str,
    version: &'a str,
    kind: &'a str,
}

#[derive(Serialize)]
struct GroupVersionResource<'a> {
    group: &'a str,
    version: &'a str,
    resource: &'a str,
}

#[derive(Serialize)]
struct UserInfo<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    username: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    uid: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    groups: &'a [String],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extra: &'a BTreeMap<String, Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    uid: &'a str,
    kind: GroupVersionKind<'a>,
    resource: GroupVersionResource<'a>,
    #[serde(skip_serializing_if = "str::is_empty")]
    sub_resource: &'a str,
    request_kind: GroupVersionKind<'a>,
    request_resource: GroupVersionResource<'a>,
    #[serde(skip_serializing_if = "str::is_empty")]
    request_sub_resource: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    namespace: &'a str,
    operation: &'a str,
    user_info: UserInfo<'a>,
    object: Option<&'a Value>,
    old_object: Option<&'a Value>,
    dry_run: bool,
    options: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Review<'a> {
    api_version: &'a str,
    kind: &'a str,
    request: Request<'a>,
}

/// What the review is about, besides the attributes.
pub struct ReviewSubject<'a> {
    /// The resource the webhook is sent (perhaps an equivalent of the requested one).
    pub invocation: &'a Invocation,
    /// The request's namespace as upstream sets it (a namespace object's own name).
    pub namespace: &'a str,
    /// The new object, in the invocation's version (none on delete).
    pub object: Option<&'a Value>,
    /// The stored object, in the invocation's version.
    pub old_object: Option<&'a Value>,
}

/// The request body of one call: an AdmissionReview with a fresh `request.uid`.
pub fn encode_request(
    version: ReviewVersion,
    uid: &str,
    attrs: &Attributes,
    subject: &ReviewSubject<'_>,
) -> Result<Vec<u8>, serde_json::Error> {
    let resource = subject.invocation.resource;
    let requested = attrs.resource;
    let kind_of = |info: &'static ResourceInfo| {
        let kind = attrs.object_kind.unwrap_or(info);
        GroupVersionKind {
            group: kind.group,
            version: kind.version,
            kind: kind.kind,
        }
    };
    let operation = operation_name(attrs.operation);
    let options_kind = match attrs.operation {
        AdmissionOperation::Create => "CreateOptions",
        AdmissionOperation::Update => "UpdateOptions",
        AdmissionOperation::Delete => "DeleteOptions",
    };
    let mut options = json!({"kind": options_kind, "apiVersion": "meta.k8s.io/v1"});
    if attrs.dry_run {
        options["dryRun"] = json!(["All"]);
    }
    let review = Review {
        api_version: version.api_version(),
        kind: "AdmissionReview",
        request: Request {
            uid,
            kind: kind_of(resource),
            resource: GroupVersionResource {
                group: resource.group,
                version: resource.version,
                resource: resource.plural,
            },
            sub_resource: &subject.invocation.subresource,
            request_kind: kind_of(requested),
            request_resource: GroupVersionResource {
                group: requested.group,
                version: requested.version,
                resource: requested.plural,
            },
            request_sub_resource: attrs.subresource.as_deref().unwrap_or_default(),
            name: &attrs.name,
            namespace: subject.namespace,
            operation,
            user_info: UserInfo {
                username: &attrs.user.username,
                uid: &attrs.user.uid,
                groups: &attrs.user.groups,
                extra: &attrs.user.extra,
            },
            object: subject.object,
            old_object: subject.old_object,
            dry_run: attrs.dry_run,
            options,
        },
    };
    serde_json::to_vec(&review)
}

/// A webhook's verified answer (upstream's `webhookrequest.AdmissionResponse`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewResponse {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// A JSON patch (decoded from base64), mutating webhooks only.
    pub patch: Option<Vec<u8>>,
    /// `JSONPatch` when a patch is given.
    pub patch_type: Option<String>,
    /// `response.status`: why the request was denied.
    pub result: Option<Map<String, Value>>,
    /// Warnings for the client.
    pub warnings: Vec<String>,
}

/// Decodes and checks an answer. The texts of the errors are Go's decoder's (for a body
/// that is not an AdmissionReview) or `VerifyAdmissionResponse`'s; the caller tells them
/// apart with [`AnswerError`].
pub fn decode_response(
    version: ReviewVersion,
    uid: &str,
    mutating: bool,
    body: &[u8],
) -> Result<ReviewResponse, AnswerError> {
    let review: Value = serde_json::from_slice(body).map_err(|e| {
        AnswerError::Undecodable(format!("couldn't get version/kind; json parse error: {e}"))
    })?;
    let kind = review["kind"].as_str().unwrap_or_default();
    let api_version = review["apiVersion"].as_str().unwrap_or_default();
    if kind.is_empty() {
        return Err(AnswerError::Undecodable(format!(
            "Object 'Kind' is missing in '{}'",
            String::from_utf8_lossy(body)
        )));
    }
    let Some(response) = review.get("response").filter(|r| r.is_object()) else {
        return Err(AnswerError::Invalid("webhook response was absent".into()));
    };
    let patch = match response.get("patch").and_then(Value::as_str) {
        Some(encoded) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| AnswerError::Undecodable(format!("illegal base64 data: {e}")))?,
        ),
        None => None,
    }
    .filter(|p| !p.is_empty());
    let patch_type = response
        .get("patchType")
        .and_then(Value::as_str)
        .map(str::to_string);
    let result = response.get("status").and_then(Value::as_object).cloned();
    let warnings = response["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let allowed = response["allowed"].as_bool().unwrap_or(false);
    if version == ReviewVersion::V1beta1 {
        // v1beta1 answers were never checked for uid, version or patch type; a patch is
        // taken to be a JSON patch.
        let patch = if mutating { patch } else { None };
        let patch_type = patch.as_ref().map(|_| "JSONPatch".to_string());
        return Ok(ReviewResponse {
            allowed,
            patch,
            patch_type,
            result,
            warnings,
        });
    }
    let got_uid = response["uid"].as_str().unwrap_or_default();
    if got_uid != uid {
        return Err(AnswerError::Invalid(format!(
            "expected response.uid=\"{uid}\", got \"{got_uid}\""
        )));
    }
    if api_version != ReviewVersion::V1.api_version() || kind != "AdmissionReview" {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        return Err(AnswerError::Invalid(format!(
            "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got {}",
            if group.is_empty() {
                format!("/{version}, Kind={kind}")
            } else {
                format!("{group}/{version}, Kind={kind}")
            }
        )));
    }
    if mutating {
        match (&patch, &patch_type) {
            (Some(_), None) => {
                return Err(AnswerError::Invalid(
                    "webhook returned response.patch but not response.patchType".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(AnswerError::Invalid(
                    "webhook returned response.patchType but not response.patch".into(),
                ))
            }
            (_, Some(t)) if t.is_empty() => {
                return Err(AnswerError::Invalid(format!(
                    "webhook returned invalid response.patchType of \"{t}\""
                )))
            }
            _ => {}
        }
    } else {
        if patch.is_some() {
            return Err(AnswerError::Invalid(
                "validating webhook may not return response.patch".into(),
            ));
        }
        if patch_type.is_some() {
            return Err(AnswerError::Invalid(
                "validating webhook may not return response.patchType".into(),
            ));
        }
    }
    Ok(ReviewResponse {
        allowed,
        patch,
        patch_type,
        result,
        warnings,
    })
}

/// Why an answer was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// The body is not an AdmissionReview at all (reported as a failed call).
    Undecodable(String),
    /// An AdmissionReview that breaks the rules (reported as an invalid response).
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Case name, version sent, mutating, the answer's body, the verdict.
    type AnswerCase = (
        &'static str,
        ReviewVersion,
        bool,
        Vec<u8>,
        Result<ReviewResponse, AnswerError>,
    );

    fn answer(value: Value) -> Vec<u8> {
        serde_json::to_vec(&value).expect("json")
    }

    #[test]
    fn the_first_known_review_version_is_chosen() {
        let versions = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ReviewVersion::choose(&versions(&["v2", "v1beta1", "v1"])),
            Ok(ReviewVersion::V1beta1)
        );
        assert_eq!(
            ReviewVersion::choose(&versions(&["v1"])),
            Ok(ReviewVersion::V1)
        );
        assert_eq!(
            ReviewVersion::choose(&versions(&["v2"])),
            Err("webhook does not accept known AdmissionReview versions (v1, v1beta1)".into())
        );
    }

    #[test]
    fn answers_are_checked_as_upstream_checks_them() {
        let v1 = |response: Value| {
            answer(
                json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}),
            )
        };
        let patch = base64::engine::general_purpose::STANDARD
            .encode(br#"[{"op":"add","path":"/x","value":1}]"#);
        let cases: Vec<AnswerCase> = vec![
            ("allowed", ReviewVersion::V1, true, v1(json!({"uid": "u", "allowed": true, "warnings": ["w"]})),
                Ok(ReviewResponse { allowed: true, warnings: vec!["w".into()], ..Default::default() })),
            ("wrong uid", ReviewVersion::V1, true, v1(json!({"uid": "x", "allowed": true})),
                Err(AnswerError::Invalid("expected response.uid=\"u\", got \"x\"".into()))),
            ("no response", ReviewVersion::V1, true, answer(json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"})),
                Err(AnswerError::Invalid("webhook response was absent".into()))),
            ("wrong version", ReviewVersion::V1, true, answer(json!({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "response": {"uid": "u"}})),
                Err(AnswerError::Invalid("expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got admission.k8s.io/v1beta1, Kind=AdmissionReview".into()))),
            ("patch without type", ReviewVersion::V1, true, v1(json!({"uid": "u", "allowed": true, "patch": patch})),
                Err(AnswerError::Invalid("webhook returned response.patch but not response.patchType".into()))),
            ("patch from a validating webhook", ReviewVersion::V1, false, v1(json!({"uid": "u", "allowed": true, "patch": patch, "patchType": "JSONPatch"})),
                Err(AnswerError::Invalid("validating webhook may not return response.patch".into()))),
            ("v1beta1 is not checked and its patch is a JSON patch", ReviewVersion::V1beta1, true,
                answer(json!({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "response": {"uid": "other", "allowed": true, "patch": patch}})),
                Ok(ReviewResponse { allowed: true, patch: Some(br#"[{"op":"add","path":"/x","value":1}]"#.to_vec()), patch_type: Some("JSONPatch".into()), ..Default::default() })),
            ("not JSON", ReviewVersion::V1, true, b"<html>".to_vec(),
                Err(AnswerError::Undecodable("couldn't get version/kind; json parse error: expected value at line 1 column 1".into()))),
            ("no kind", ReviewVersion::V1, true, b"{}".to_vec(),
                Err(AnswerError::Undecodable("Object 'Kind' is missing in '{}'".into()))),
        ];
        for (case, version, mutating, body, expected) in cases {
            assert_eq!(
                decode_response(version, "u", mutating, &body),
                expected,
                "{case}"
            );
        }
    }
}
