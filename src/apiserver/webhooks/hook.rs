//! One webhook of a stored configuration, parsed once for every request that follows
//! (upstream's `WebhookAccessor` in `k8s.io/apiserver/pkg/admission/plugin/webhook/accessors.go`).

use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

use super::client::HookClient;
use crate::apiserver::selectors::LabelSelector;

/// Whether a webhook may change objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookType {
    /// From a MutatingWebhookConfiguration.
    Mutating,
    /// From a ValidatingWebhookConfiguration.
    Validating,
}

/// One `rules[]` entry (`RuleWithOperations`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT` or `*`.
    pub operations: Vec<String>,
    /// API groups (`""` is the core group) or `*`.
    pub api_groups: Vec<String>,
    /// API versions or `*`.
    pub api_versions: Vec<String>,
    /// `pods`, `pods/status`, `*/status`, `pods/*`, `*` or `*/*`.
    pub resources: Vec<String>,
    /// `Namespaced`, `Cluster` or `*`.
    pub scope: String,
}

/// A parsed webhook.
pub struct Hook {
    /// `<configuration>/<webhook>/<index>`: identifies the webhook for reinvocation.
    pub uid: String,
    /// The configuration's name.
    pub configuration: String,
    /// The webhook's name, as error messages quote it.
    pub name: String,
    /// Mutating or validating.
    pub hook_type: HookType,
    /// What requests it wants.
    pub rules: Vec<Rule>,
    /// `failurePolicy: Ignore`: calling errors admit the request.
    pub ignore_failures: bool,
    /// `matchPolicy: Equivalent`: a rule naming another version of the resource matches.
    pub match_equivalent: bool,
    /// `namespaceSelector`, or the error its conversion gave.
    pub namespace_selector: Result<LabelSelector, String>,
    /// `objectSelector`, or the error its conversion gave.
    pub object_selector: Result<LabelSelector, String>,
    /// `sideEffects`, when set.
    pub side_effects: Option<String>,
    /// `timeoutSeconds`.
    pub timeout: Option<Duration>,
    /// `admissionReviewVersions`, in the webhook's order of preference.
    pub review_versions: Vec<String>,
    /// `reinvocationPolicy: IfNeeded`.
    pub reinvoke_if_needed: bool,
    /// The connection pool of the webhook's `clientConfig`, or why there is none.
    pub client: Result<Arc<HookClient>, String>,
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn selector(value: &Value) -> Result<LabelSelector, String> {
    if value.is_null() {
        // Defaulting always sets the selectors; a missing one selects everything.
        return Ok(LabelSelector::default());
    }
    LabelSelector::from_label_selector(value)
}

impl Hook {
    /// The webhook at `index` of `configuration` (a stored, defaulted configuration), with
    /// `client` from the client cache.
    pub fn parse(
        configuration: &str,
        index: usize,
        hook: &Value,
        hook_type: HookType,
        client: Result<Arc<HookClient>, String>,
    ) -> Self {
        let name = hook["name"].as_str().unwrap_or_default().to_string();
        let rules = hook["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|rule| Rule {
                operations: strings(&rule["operations"]),
                api_groups: strings(&rule["apiGroups"]),
                api_versions: strings(&rule["apiVersions"]),
                resources: strings(&rule["resources"]),
                scope: rule["scope"].as_str().unwrap_or("*").to_string(),
            })
            .collect();
        Self {
            uid: format!("{configuration}/{name}/{index}"),
            configuration: configuration.to_string(),
            name,
            hook_type,
            rules,
            ignore_failures: hook["failurePolicy"].as_str() == Some("Ignore"),
            match_equivalent: hook["matchPolicy"].as_str() != Some("Exact"),
            namespace_selector: selector(&hook["namespaceSelector"]),
            object_selector: selector(&hook["objectSelector"]),
            side_effects: hook["sideEffects"].as_str().map(str::to_string),
            timeout: hook["timeoutSeconds"].as_u64().map(Duration::from_secs),
            review_versions: strings(&hook["admissionReviewVersions"]),
            reinvoke_if_needed: hook["reinvocationPolicy"].as_str() == Some("IfNeeded"),
            client,
        }
    }
}
