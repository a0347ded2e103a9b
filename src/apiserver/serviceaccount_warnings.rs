//! Bound mode's ServiceAccount registry warning (Kubernetes 1.32+
//! `pkg/registry/core/serviceaccount/strategy.go`, `WarningsOnCreate`/`WarningsOnUpdate`,
//! spec §4.5): a create or update that newly sets `kubernetes.io/enforce-mountable-secrets`
//! is told the annotation is deprecated. Upstream's strategy runs it, so it is part of the
//! server, not a plugin `--disable-admission-plugins` can switch off; here it sits at the
//! registry's point in the chain (validating phase, after validation).

use futures::future::BoxFuture;
use serde_json::Value;

use super::admission::{AdmissionOperation, AdmissionPlugin, Attributes};
use super::errors::ApiError;
use super::kinds::SERVICE_ACCOUNTS;
use crate::serviceaccount::ENFORCE_MOUNTABLE_SECRETS_ANNOTATION;

/// The warning text, upstream's exactly.
pub const ENFORCE_MOUNTABLE_SECRETS_WARNING: &str = "metadata.annotations[kubernetes.io/enforce-mountable-secrets]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets";

/// Adds [`ENFORCE_MOUNTABLE_SECRETS_WARNING`] to ServiceAccount writes that newly carry the
/// annotation (any value); never denies.
pub struct ServiceAccountWarnings;

/// The warnings for a ServiceAccount going from `old` (`None` on create) to `new`.
pub fn warnings_for_service_account(old: Option<&Value>, new: &Value) -> Vec<&'static str> {
    let annotated = |object: &Value| {
        object
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
            .is_some_and(|annotations| {
                annotations.contains_key(ENFORCE_MOUNTABLE_SECRETS_ANNOTATION)
            })
    };
    if annotated(new) && !old.is_some_and(annotated) {
        vec![ENFORCE_MOUNTABLE_SECRETS_WARNING]
    } else {
        Vec::new()
    }
}

impl AdmissionPlugin for ServiceAccountWarnings {
    fn name(&self) -> &'static str {
        "ServiceAccountRegistryWarnings"
    }

    fn validate<'a>(
        &'a self,
        attrs: &'a Attributes,
        object: &'a Value,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let writes_account = attrs.resource.plural == SERVICE_ACCOUNTS.plural
                && attrs.resource.group == SERVICE_ACCOUNTS.group
                && attrs.subresource.is_none();
            let old = match attrs.operation {
                AdmissionOperation::Create => None,
                AdmissionOperation::Update => attrs.old_object.as_deref(),
                AdmissionOperation::Delete => return Ok(()),
            };
            if writes_account {
                for warning in warnings_for_service_account(old, object) {
                    attrs.context.add_warning(warning);
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // strategy_test.go TestWarningsOnCreate / TestWarningsOnUpdate.
    #[test]
    fn warns_only_when_the_annotation_is_new() {
        let plain = json!({"metadata": {"name": "sa"}});
        let annotated = |value: &str| json!({"metadata": {"name": "sa", "annotations": {ENFORCE_MOUNTABLE_SECRETS_ANNOTATION: value}}});
        let warned = vec![ENFORCE_MOUNTABLE_SECRETS_WARNING];
        let (was_false, was_true) = (annotated("false"), annotated("true"));
        let cases: [(&str, Option<&Value>, Value, Vec<&str>); 6] = [
            ("create without", None, plain.clone(), vec![]),
            ("create with true", None, annotated("true"), warned.clone()),
            (
                "create with false",
                None,
                annotated("false"),
                warned.clone(),
            ),
            (
                "update adding it",
                Some(&plain),
                annotated("true"),
                warned.clone(),
            ),
            (
                "update keeping it",
                Some(&was_false),
                annotated("true"),
                vec![],
            ),
            ("update removing it", Some(&was_true), plain.clone(), vec![]),
        ];
        for (case, old, new, expected) in cases {
            assert_eq!(warnings_for_service_account(old, &new), expected, "{case}");
        }
    }
}
