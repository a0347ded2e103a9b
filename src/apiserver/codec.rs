//! Decoding into the typed API objects: what a real server stores is what its Go types
//! can hold, so unknown fields are dropped and values take their canonical form.

use k8s_openapi::api::{authentication::v1::SelfSubjectReview, core::v1 as core};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use super::errors::ApiError;
use super::resources::ResourceInfo;

/// The object as its typed form serializes it.
pub fn normalize(resource: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
    match resource.kind {
        "Namespace" => round_trip::<core::Namespace>(resource, object),
        "ServiceAccount" => round_trip::<core::ServiceAccount>(resource, object),
        "Secret" => round_trip::<core::Secret>(resource, object),
        "Pod" => round_trip::<core::Pod>(resource, object),
        "ConfigMap" => round_trip::<core::ConfigMap>(resource, object),
        "SelfSubjectReview" => round_trip::<SelfSubjectReview>(resource, object),
        other => Err(ApiError::internal(format!("no codec for kind {other}"))),
    }
}

fn round_trip<T: DeserializeOwned + Serialize>(
    resource: &ResourceInfo,
    object: &Value,
) -> Result<Value, ApiError> {
    let typed: T = T::deserialize(object).map_err(|e| {
        ApiError::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: {e}",
            kind = resource.kind,
            version = resource.version
        ))
    })?;
    serde_json::to_value(&typed).map_err(|e| ApiError::internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::resources::{PODS, SECRETS};
    use serde_json::json;

    #[test]
    fn unknown_fields_are_dropped_and_known_ones_kept() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", "bogus": 1}], "nope": true}});
        let normalized = normalize(&PODS, &pod).expect("valid");
        assert_eq!(
            normalized["spec"]["containers"][0],
            json!({"name": "c", "image": "i"})
        );
        assert!(normalized["spec"].get("nope").is_none());
    }

    #[test]
    fn wrong_types_are_bad_requests() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": 5}});
        let err = normalize(&SECRETS, &secret).expect_err("invalid");
        assert_eq!(err.code, 400);
        assert!(
            err.message
                .starts_with("Secret in version \"v1\" cannot be handled as a Secret: "),
            "{}",
            err.message
        );
    }
}
