//! A pod's quality of service class (`pkg/apis/core/helper/qos`) and the resource
//! quantities it is computed from.

use serde_json::{json, Map, Value};

/// The pod's QoS class from the cpu and memory requests and limits of its containers and
/// init containers (`pkg/apis/core/helper/qos`).
pub(super) fn qos_class(spec: &Value) -> &'static str {
    let containers = ["containers", "initContainers"].iter().flat_map(|key| {
        spec.get(*key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    });
    let mut requests: Map<String, Value> = Map::new();
    let mut limits: Map<String, Value> = Map::new();
    let mut guaranteed = true;
    for container in containers {
        let resources = container.get("resources");
        add_positive(&mut requests, resources.and_then(|r| r.get("requests")));
        let limits_found = add_positive(&mut limits, resources.and_then(|r| r.get("limits")));
        if !(limits_found.contains(&"cpu") && limits_found.contains(&"memory")) {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    let same = |a: &Value, b: &Value| match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() <= f64::EPSILON * a.abs().max(b.abs()).max(1.0),
        _ => false,
    };
    let requests_match_limits = requests
        .iter()
        .all(|(name, request)| limits.get(name).is_some_and(|limit| same(limit, request)));
    if guaranteed && requests_match_limits && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// Sums the positive cpu and memory quantities of `list` into `totals`; returns the names found.
fn add_positive(totals: &mut Map<String, Value>, list: Option<&Value>) -> Vec<&'static str> {
    let mut found = Vec::new();
    for name in ["cpu", "memory"] {
        let quantity = list
            .and_then(|l| l.get(name))
            .and_then(quantity_of)
            .unwrap_or(0.0);
        if quantity > 0.0 {
            found.push(name);
            let sum = totals.get(name).and_then(Value::as_f64).unwrap_or(0.0) + quantity;
            totals.insert(name.to_string(), json!(sum));
        }
    }
    found
}

fn quantity_of(value: &Value) -> Option<f64> {
    match value {
        Value::String(s) => parse_quantity(s),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// The numeric value of a resource quantity (`100m`, `1Gi`, `1.5`, `2e3`); `None` when malformed.
pub(super) fn parse_quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    let number_end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || ((c == '+' || c == '-') && i == 0)))
        .map_or(text.len(), |(i, _)| i);
    let (number, suffix) = text.split_at(number_end);
    let value: f64 = number.parse().ok()?;
    const KI: f64 = 1024.0;
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => KI,
        "Mi" => KI.powi(2),
        "Gi" => KI.powi(3),
        "Ti" => KI.powi(4),
        "Pi" => KI.powi(5),
        "Ei" => KI.powi(6),
        exponent if exponent.starts_with(['e', 'E']) => {
            10f64.powi(exponent[1..].parse::<i32>().ok()?)
        }
        _ => return None,
    };
    Some(value * multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::PODS;

    fn defaulted(mut obj: Value) -> Value {
        PODS.strategy.default(&mut obj);
        obj
    }

    #[test]
    fn qos_classes() {
        let cases = [
            (json!({"containers": [{"name": "a"}]}), "BestEffort"),
            (
                json!({"containers": [{"resources": {"requests": {"cpu": "100m"}}}]}),
                "Burstable",
            ),
            (
                json!({"containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"},
                    "requests": {"cpu": "1000m", "memory": "1024Mi"}}}]}),
                "Guaranteed",
            ),
            (
                json!({"containers": [{"resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}}]}),
                "Burstable",
            ),
            (
                json!({"containers": [{"resources": {"requests": {"cpu": "0"}}}]}),
                "BestEffort",
            ),
        ];
        for (spec, expected) in cases {
            assert_eq!(qos_class(&spec), expected, "{spec}");
        }
        // Requests defaulted from limits make a pod with only limits Guaranteed.
        let pod = defaulted(json!({"spec": {"containers": [{"name": "c", "image": "i:1",
                "resources": {"limits": {"cpu": "500m", "memory": "64Mi"}}}]}}));
        assert_eq!(
            pod["spec"]["containers"][0]["resources"]["requests"],
            json!({"cpu": "500m", "memory": "64Mi"})
        );
        assert_eq!(pod["status"]["qosClass"], "Guaranteed");
    }

    #[test]
    fn quantities() {
        let cases = [
            ("100m", 0.1),
            ("1Gi", 1073741824.0),
            ("1.5", 1.5),
            ("2e3", 2000.0),
            ("1k", 1000.0),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_quantity(text), Some(expected), "{text}");
        }
        assert_eq!(parse_quantity("lots"), None);
    }
}
