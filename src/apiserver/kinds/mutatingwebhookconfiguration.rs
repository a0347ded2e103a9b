//! MutatingWebhookConfigurations
//! (`pkg/registry/admissionregistration/mutatingwebhookconfiguration/strategy.go`): cluster
//! scoped, defaulted and validated as upstream does ([`super::admissionregistration`]); the
//! API server calls their webhooks in the mutating phase of admission
//! ([`crate::apiserver::webhooks`]).

use serde_json::Value;

use super::admissionregistration::{self as shared, Options, WebhookType};
use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::FieldRule;
use crate::apiserver::table::Column;
use crate::apiserver::validation::Issues;
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;

/// `admissionregistration.k8s.io/v1` `mutatingwebhookconfigurations`.
pub const MUTATING_WEBHOOK_CONFIGURATIONS: ResourceInfo = ResourceInfo {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "mutatingwebhookconfigurations",
    singular: "mutatingwebhookconfiguration",
    kind: "MutatingWebhookConfiguration",
    list_kind: "MutatingWebhookConfigurationList",
    namespaced: false,
    short_names: &[],
    categories: &["api-extensions"],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &MutatingWebhookConfigurationStrategy,
    schema: super::TypedSchema::of::<MutatingWebhookConfiguration>(),
};

/// The MutatingWebhookConfiguration strategy.
pub struct MutatingWebhookConfigurationStrategy;

impl Strategy for MutatingWebhookConfigurationStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<MutatingWebhookConfiguration>(info, object)
    }

    fn default(&self, object: &mut Value) {
        shared::default_webhooks(object, WebhookType::Mutating);
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
        shared::validate_configuration(object, WebhookType::Mutating, Options::create(), issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        shared::validate_configuration_update(old, new, WebhookType::Mutating, issues);
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
