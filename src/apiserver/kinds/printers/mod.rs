//! Server-side printers of the generically served kinds ([`super::generic::Printer`]):
//! the column definitions of upstream's `AddHandlers` and the cells its print functions
//! write (`pkg/printers/internalversion/printers.go`), one module per API group family.
//! Descriptions are the v1 types' field documentation where upstream cites a field.

use serde_json::{Map, Value};

use crate::apiserver::selectors::LabelSelector;
use crate::apiserver::table::{column, value_at, Column};

pub mod apps;
pub mod batch;
pub mod certificates;
pub mod networking;
pub mod policy;
pub mod storage;

/// The wide CONTAINERS column of the workload printers.
pub(crate) const CONTAINERS_COLUMN: Column = Column {
    priority: 1,
    ..column(
        "Containers",
        "string",
        "Names of each container in the template.",
    )
};

/// The wide IMAGES column of the workload printers.
pub(crate) const IMAGES_COLUMN: Column = Column {
    priority: 1,
    ..column(
        "Images",
        "string",
        "Images referenced by each container in the template.",
    )
};

/// A wide column (priority 1).
pub(crate) const fn wide(column: Column) -> Column {
    Column {
        priority: 1,
        ..column
    }
}

/// The integer at `path`, 0 when absent (Go's zero value).
pub(crate) fn int_at(object: &Value, path: &[&str]) -> i64 {
    value_at(object, path).and_then(Value::as_i64).unwrap_or(0)
}

/// `layoutContainerCells`: the containers' names and images, each joined by commas.
pub(crate) fn container_cells(containers: Option<&Value>) -> (String, String) {
    let containers = containers.and_then(Value::as_array);
    let field = |key: &str| {
        containers
            .into_iter()
            .flatten()
            .map(|c| c.get(key).and_then(Value::as_str).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(",")
    };
    (field("name"), field("image"))
}

/// `labels.FormatLabels`: `k=v` pairs sorted by key and joined by commas, `<none>` when
/// there are none.
pub(crate) fn format_labels(labels: Option<&Value>) -> String {
    let pairs: Vec<String> = labels
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(Map::iter)
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    if pairs.is_empty() {
        "<none>".to_string()
    } else {
        pairs.join(",")
    }
}

/// `LabelSelectorAsSelector(selector).String()`: a missing selector selects nothing and
/// prints as "", an empty one selects everything and prints as "" too.
pub(crate) fn selector_string(selector: Option<&Value>) -> Result<String, String> {
    match selector.filter(|s| !s.is_null()) {
        None => Ok(String::new()),
        Some(selector) => LabelSelector::from_label_selector(selector).map(|s| s.to_string()),
    }
}

/// `metav1.FormatLabelSelector`: the selector's text, `<none>` when empty, `<error>` when it
/// does not parse.
pub(crate) fn format_label_selector(selector: Option<&Value>) -> String {
    match selector_string(selector) {
        Ok(text) if text.is_empty() => "<none>".to_string(),
        Ok(text) => text,
        Err(_) => "<error>".to_string(),
    }
}

/// `printBoolPtr`: `True`, `False`, or `<unset>` when absent.
pub(crate) fn bool_ptr(value: Option<&Value>) -> &'static str {
    match value.and_then(Value::as_bool) {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! The row helper of the printers' table tests.

    use serde_json::Value;

    use crate::apiserver::kinds::generic::Printer;
    use crate::apiserver::table::testing::now;

    /// The printer's row for `object` at the tests' fixed now, checked to have one cell per
    /// column.
    pub(crate) fn cells(printer: &Printer, object: Value) -> Value {
        let row = (printer.row)(&object, now());
        assert_eq!(row.len(), printer.columns.len(), "one cell per column");
        Value::Array(row)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn selectors_and_labels_print_as_upstream() {
        let cases: &[(Option<Value>, &str)] = &[
            (None, "<none>"),
            (Some(json!({})), "<none>"),
            (
                Some(json!({"matchLabels": {"b": "2", "a": "1"}})),
                "a=1,b=2",
            ),
            (
                Some(json!({"matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["web", "api"]},
                    {"key": "gone", "operator": "DoesNotExist"}]})),
                "!gone,tier in (api,web)",
            ),
            (
                Some(json!({"matchExpressions": [{"key": "a", "operator": "Near"}]})),
                "<error>",
            ),
        ];
        for (selector, expected) in cases {
            assert_eq!(format_label_selector(selector.as_ref()), *expected);
        }
        assert_eq!(format_labels(Some(&json!({"z": "1", "a": "2"}))), "a=2,z=1");
        assert_eq!(format_labels(Some(&json!({}))), "<none>");
        assert_eq!(format_labels(None), "<none>");
    }

    #[test]
    fn container_cells_join_names_and_images() {
        let containers = json!([{"name": "a", "image": "x:1"}, {"name": "b", "image": "y"}]);
        assert_eq!(
            container_cells(Some(&containers)),
            ("a,b".to_string(), "x:1,y".to_string())
        );
        assert_eq!(container_cells(None), (String::new(), String::new()));
    }

    #[test]
    fn bool_pointers() {
        assert_eq!(bool_ptr(Some(&json!(true))), "True");
        assert_eq!(bool_ptr(Some(&json!(false))), "False");
        assert_eq!(bool_ptr(None), "<unset>");
    }
}
