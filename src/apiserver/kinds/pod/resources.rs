//! A container's `resources` (`ValidateResourceRequirements` in `pkg/apis/core/validation`):
//! resource names, quantities not below zero, requests within limits, resources that cannot
//! be overcommitted (extended resources, huge pages) requested at exactly their limit, and
//! huge pages in whole pages and only beside cpu or memory.
//!
//! Upstream walks the two maps in Go's random order; here they are walked by name, limits
//! first, so several problems are reported in one stable order.

use serde_json::{Map, Value};

use crate::apiserver::quantity::Quantity;
use crate::apiserver::validation::{is_qualified_name, Issues, IS_NEGATIVE_ERR};

/// `standardContainerResources` (`pkg/apis/core/helper`), besides the `hugepages-` ones.
const STANDARD_CONTAINER_RESOURCES: [&str; 3] = ["cpu", "memory", "ephemeral-storage"];

/// `standardResources`: the names without a domain that the system knows (quota's too).
const STANDARD_RESOURCES: [&str; 19] = [
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "persistentvolumeclaims",
    "configmaps",
    "services.nodeports",
    "services.loadbalancers",
    "requests.storage",
];

const HUGE_PAGES_PREFIX: &str = "hugepages-";
const NATIVE_RESOURCE_PREFIX: &str = "kubernetes.io/";
const REQUESTS_PREFIX: &str = "requests.";

fn is_huge_pages(name: &str) -> bool {
    name.starts_with(HUGE_PAGES_PREFIX)
}

/// `IsNativeResource`: no domain, or the `kubernetes.io/` one.
fn is_native(name: &str) -> bool {
    !name.contains('/') || name.starts_with(NATIVE_RESOURCE_PREFIX)
}

/// `IsExtendedResourceName`: a domain-qualified name outside `kubernetes.io/` whose quota
/// name (`requests.<name>`) is a qualified name.
fn is_extended(name: &str) -> bool {
    !is_native(name)
        && !name.starts_with(REQUESTS_PREFIX)
        && is_qualified_name(&format!("{REQUESTS_PREFIX}{name}")).is_empty()
}

/// `IsOvercommitAllowed`: native resources other than huge pages.
fn overcommit_allowed(name: &str) -> bool {
    is_native(name) && !is_huge_pages(name)
}

/// `validateResourceName`: a qualified name and, without a domain, one the system knows.
fn validate_resource_name(name: &str, path: &str, issues: &mut Issues) {
    let problems = is_qualified_name(name);
    if !problems.is_empty() {
        issues.invalid_each(path, name, problems);
        return;
    }
    let standard = STANDARD_RESOURCES.contains(&name)
        || is_huge_pages(name)
        || name
            .strip_prefix(REQUESTS_PREFIX)
            .is_some_and(is_huge_pages);
    if !name.contains('/') && !standard {
        issues.invalid(
            path,
            name,
            "must be a standard resource type or fully qualified",
        );
    }
}

/// `validateContainerResourceName`: `validateResourceName`'s problems, then (whatever they
/// were) a name without a domain must be a container's, one with a domain native or extended.
fn validate_name(name: &str, path: &str, issues: &mut Issues) {
    validate_resource_name(name, path, issues);
    if !name.contains('/') {
        if !STANDARD_CONTAINER_RESOURCES.contains(&name) && !is_huge_pages(name) {
            issues.invalid(path, name, "must be a standard resource for containers");
        }
    } else if !is_native(name) && !is_extended(name) {
        issues.invalid(path, name, "doesn't follow extended resource name standard");
    }
}

/// `ValidateNonnegativeQuantity`.
fn validate_not_negative(quantity: &Quantity, path: &str, issues: &mut Issues) {
    if quantity.is_negative() {
        issues.invalid(path, &quantity.to_string(), IS_NEGATIVE_ERR);
    }
}

/// `validateResourceQuantityHugePageValue`: a whole number of pages (a pod's create does
/// not allow indivisible values).
fn validate_huge_page_multiple(name: &str, quantity: &Quantity, path: &str, issues: &mut Issues) {
    let Some(page) = name.strip_prefix(HUGE_PAGES_PREFIX) else {
        return;
    };
    let page_bytes = Quantity::parse(page).ok().and_then(|q| q.whole_units());
    let divisible = match (page_bytes, quantity.whole_units()) {
        (Some(page), Some(value)) if page > 0 => value % page == 0,
        _ => false,
    };
    if !divisible {
        issues.invalid(
            path,
            &quantity.to_string(),
            format!("{quantity} is not positive integer multiple of {name}"),
        );
    }
}

/// The map's entries by name, with the quantities that parse (the stored form has already
/// refused those that do not).
fn quantities(map: Option<&Value>) -> Vec<(&str, Quantity)> {
    let mut entries: Vec<(&str, Quantity)> = map
        .and_then(Value::as_object)
        .map(Map::iter)
        .into_iter()
        .flatten()
        .filter_map(|(name, text)| Some((name.as_str(), Quantity::parse(text.as_str()?).ok()?)))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Validates `resources` (a container's `ResourceRequirements`) at `path`.
pub(super) fn validate_resources(resources: Option<&Value>, path: &str, issues: &mut Issues) {
    let Some(resources) = resources else {
        return;
    };
    let (limits_path, requests_path) = (format!("{path}.limits"), format!("{path}.requests"));
    let limits = quantities(resources.get("limits"));
    let requests = quantities(resources.get("requests"));
    let mut cpu_or_memory = false;
    let mut huge_pages = false;
    for (name, quantity) in &limits {
        let key_path = format!("{limits_path}[{name}]");
        validate_name(name, &key_path, issues);
        validate_not_negative(quantity, &key_path, issues);
        validate_huge_page_multiple(name, quantity, &key_path, issues);
        huge_pages |= is_huge_pages(name);
        cpu_or_memory |= matches!(*name, "cpu" | "memory");
    }
    for (name, quantity) in &requests {
        let key_path = format!("{requests_path}[{name}]");
        validate_name(name, &key_path, issues);
        validate_not_negative(quantity, &key_path, issues);
        match limits.iter().find(|(limit_name, _)| limit_name == name) {
            Some((_, limit)) => {
                let order = quantity.cmp_amount(limit);
                if order.is_ne() && !overcommit_allowed(name) {
                    issues.invalid(
                        &requests_path,
                        &quantity.to_string(),
                        format!("must be equal to {name} limit of {limit}"),
                    );
                } else if order.is_gt() {
                    issues.invalid(
                        &requests_path,
                        &quantity.to_string(),
                        format!("must be less than or equal to {name} limit of {limit}"),
                    );
                }
            }
            None if !overcommit_allowed(name) => issues.required_because(
                &limits_path,
                "Limit must be set for non overcommitable resources",
            ),
            None => {}
        }
        validate_huge_page_multiple(name, quantity, &key_path, issues);
        huge_pages |= is_huge_pages(name);
        cpu_or_memory |= matches!(*name, "cpu" | "memory");
    }
    if huge_pages && !cpu_or_memory {
        issues.forbidden(path, "HugePages require cpu or memory");
    }
}

#[cfg(test)]
mod tests {
    use crate::apiserver::kinds::PODS;
    use crate::apiserver::validation::testing::{create_errors, pod};
    use serde_json::{json, Value};

    /// The create errors of a pod whose one container has `resources`.
    fn problems(resources: Value) -> Vec<String> {
        let containers = json!([{"name": "a", "image": "i", "resources": resources}]);
        create_errors(&PODS, pod(json!({ "containers": containers })))
    }

    #[test]
    fn valid_requirements_pass() {
        for resources in [
            json!({}),
            json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "1Gi"}}),
            json!({"requests": {"cpu": "2", "ephemeral-storage": "1Gi"}}),
            json!({"limits": {"nvidia.com/gpu": "2"}, "requests": {"nvidia.com/gpu": "2"}}),
            json!({"limits": {"nvidia.com/gpu": "1"}}),
            json!({"limits": {"hugepages-2Mi": "4Mi", "memory": "1Gi"}, "requests": {"hugepages-2Mi": "4Mi"}}),
            json!({"limits": {"kubernetes.io/foo": "1"}}),
        ] {
            assert_eq!(
                problems(resources.clone()),
                Vec::<String>::new(),
                "{resources}"
            );
        }
    }

    #[test]
    fn invalid_requirements_in_upstream_words() {
        let cases = [
            (
                json!({"requests": {"cpu": "-1"}}),
                vec![r#"spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0"#],
            ),
            (
                json!({"limits": {"memory": "-1Gi"}}),
                // Defaulting copies the limit into the requests, so both are reported.
                vec![
                    r#"spec.containers[0].resources.limits[memory]: Invalid value: "-1Gi": must be greater than or equal to 0"#,
                    r#"spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0"#,
                ],
            ),
            (
                json!({"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}),
                vec![r#"spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1"#],
            ),
            (
                json!({"limits": {"memory": "1Gi"}, "requests": {"memory": "1025Mi"}}),
                vec![r#"spec.containers[0].resources.requests: Invalid value: "1025Mi": must be less than or equal to memory limit of 1Gi"#],
            ),
            (
                json!({"limits": {"nvidia.com/gpu": "2"}, "requests": {"nvidia.com/gpu": "1"}}),
                vec![r#"spec.containers[0].resources.requests: Invalid value: "1": must be equal to nvidia.com/gpu limit of 2"#],
            ),
            (
                json!({"requests": {"nvidia.com/gpu": "1"}}),
                vec!["spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources"],
            ),
            (
                json!({"requests": {"pods": "1"}}),
                vec![r#"spec.containers[0].resources.requests[pods]: Invalid value: "pods": must be a standard resource for containers"#],
            ),
            (
                json!({"requests": {"gpu": "1"}}),
                vec![
                    r#"spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified"#,
                    r#"spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers"#,
                ],
            ),
            (
                json!({"limits": {"hugepages-2Mi": "3Mi", "cpu": "1"}}),
                vec![
                    r#"spec.containers[0].resources.limits[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer multiple of hugepages-2Mi"#,
                    r#"spec.containers[0].resources.requests[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer multiple of hugepages-2Mi"#,
                ],
            ),
            (
                json!({"requests": {"example.com/foo/bar": "1"}}),
                vec![
                    r#"spec.containers[0].resources.requests[example.com/foo/bar]: Invalid value: "example.com/foo/bar": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"#,
                    r#"spec.containers[0].resources.requests[example.com/foo/bar]: Invalid value: "example.com/foo/bar": doesn't follow extended resource name standard"#,
                    "spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources",
                ],
            ),
            (
                json!({"limits": {"hugepages-2Mi": "2Mi"}}),
                vec!["spec.containers[0].resources: Forbidden: HugePages require cpu or memory"],
            ),
        ];
        for (resources, expected) in cases {
            assert_eq!(problems(resources.clone()), expected, "{resources}");
        }
    }
}
