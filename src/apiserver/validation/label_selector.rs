//! A `metav1.LabelSelector` (`matchLabels`, `matchExpressions`) in an object
//! (`k8s.io/apimachinery/pkg/apis/meta/v1/validation`: `ValidateLabelSelector`).

use serde_json::Value;

use super::json::{index, items, str_of};
use super::meta::validate_labels;
use super::names::{is_qualified_name, is_valid_label_value};
use super::Issues;

/// ValidateLabelSelector of the selector at `path`; `allow_invalid_values` skips the
/// label-value format of `matchExpressions` values (kept for objects stored before the
/// check existed).
pub(crate) fn validate_label_selector(
    selector: Option<&Value>,
    path: &str,
    allow_invalid_values: bool,
    issues: &mut Issues,
) {
    let Some(selector) = selector.filter(|s| !s.is_null()) else {
        return;
    };
    validate_labels(
        selector.get("matchLabels"),
        &format!("{path}.matchLabels"),
        issues,
    );
    for (i, requirement) in items(selector.get("matchExpressions")).iter().enumerate() {
        let at = index(&format!("{path}.matchExpressions"), i);
        let values = items(requirement.get("values"));
        let operator = str_of(requirement, "operator");
        match operator {
            "In" | "NotIn" if values.is_empty() => issues.required_because(
                format!("{at}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            ),
            "Exists" | "DoesNotExist" if !values.is_empty() => issues.forbidden(
                format!("{at}.values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            _ => issues.invalid(
                format!("{at}.operator"),
                operator,
                "not a valid selector operator",
            ),
        }
        let key = str_of(requirement, "key");
        issues.invalid_each(&format!("{at}.key"), key, is_qualified_name(key));
        if !allow_invalid_values {
            for (j, value) in values.iter().enumerate() {
                let value = value.as_str().unwrap_or_default();
                issues.invalid_each(
                    &index(&format!("{at}.values"), j),
                    value,
                    is_valid_label_value(value),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(selector: Value) -> Vec<String> {
        let mut issues = Issues::default();
        validate_label_selector(Some(&selector), "s", false, &mut issues);
        match issues.into_result(
            &crate::apiserver::kinds::CONFIG_MAPS,
            &json!({"metadata": {"name": "x"}}),
        ) {
            Ok(()) => Vec::new(),
            Err(e) => e
                .causes
                .iter()
                .map(|c| format!("{}: {}", c.field, c.message))
                .collect(),
        }
    }

    #[test]
    fn selector_requirements_follow_the_operator_rules() {
        let cases = [
            (json!({}), vec![]),
            (
                json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
                vec!["s.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"],
            ),
            (
                json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
                vec!["s.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"],
            ),
            (
                json!({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}),
                vec!["s.matchExpressions[0].operator: Invalid value: \"Gt\": not a valid selector operator"],
            ),
            (
                json!({"matchExpressions": [{"key": "a", "operator": "In", "values": ["a b"]}]}),
                vec!["s.matchExpressions[0].values[0]: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
            ),
        ];
        for (selector, expected) in cases {
            assert_eq!(errors(selector.clone()), expected, "{selector}");
        }
    }
}
