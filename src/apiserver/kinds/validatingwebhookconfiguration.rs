//! ValidatingWebhookConfigurations
//! (`pkg/registry/admissionregistration/validatingwebhookconfiguration/strategy.go`): cluster
//! scoped, defaulted and validated as upstream does ([`super::admissionregistration`]); the
//! API server calls their webhooks in the validating phase of admission
//! ([`crate::apiserver::webhooks`]).

use serde_json::Value;

use super::admissionregistration::{self as shared, Options, WebhookType};
use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::FieldRule;
use crate::apiserver::table::Column;
use crate::apiserver::validation::Issues;
use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;

/// `admissionregistration.k8s.io/v1` `validatingwebhookconfigurations`.
pub const VALIDATING_WEBHOOK_CONFIGURATIONS: ResourceInfo = ResourceInfo {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "validatingwebhookconfigurations",
    singular: "validatingwebhookconfiguration",
    kind: "ValidatingWebhookConfiguration",
    list_kind: "ValidatingWebhookConfigurationList",
    namespaced: false,
    short_names: &[],
    categories: &["api-extensions"],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &ValidatingWebhookConfigurationStrategy,
    schema: super::TypedSchema::of::<ValidatingWebhookConfiguration>(),
};

/// The ValidatingWebhookConfiguration strategy.
pub struct ValidatingWebhookConfigurationStrategy;

impl Strategy for ValidatingWebhookConfigurationStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<ValidatingWebhookConfiguration>(info, object)
    }

    fn default(&self, object: &mut Value) {
        shared::default_webhooks(object, WebhookType::Validating);
    }

    fn prepare_for_create(&self, _user: &crate::authn::UserInfo, object: &mut Value) {
        shared::prepare_for_create(object);
    }

    fn prepare_for_update(&self, old: &Value, new: &mut Value) {
        shared::prepare_for_update(old, new);
    }

    fn exempt_from_admission_webhooks(&self) -> bool {
        true
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        shared::validate_configuration(object, WebhookType::Validating, Options::create(), issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        shared::validate_configuration_update(old, new, WebhookType::Validating, issues);
    }

    fn field_rule(&self, path: &[&str]) -> FieldRule {
        shared::field_rule(path)
    }

    fn table_columns(&self) -> &'static [Column] {
        shared::COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        (shared::table_row(object, now), None)
    }
}
