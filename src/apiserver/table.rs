//! Server-side printing: the `Table` (meta.k8s.io/v1) that `kubectl get` asks for, with the
//! columns and cell values of upstream's printers (`pkg/printers/internalversion/printers.go`).
//! The server always prints wide; kubectl hides priority-1 columns unless `-o wide`.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::discovery::accepts_json_as;
use super::kinds::ResourceInfo;

/// `Content-Type` of a Table response.
pub const TABLE_CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// What each row carries besides its cells (`includeObject` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// No object: `rows[].object` is `null`.
    None,
    /// A `PartialObjectMetadata` with the object's metadata (upstream's default).
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

/// Reads the `includeObject` query parameter; absent or unknown values mean `Metadata`.
pub fn parse_include_object(param: Option<&str>) -> IncludeObject {
    match param {
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        _ => IncludeObject::Metadata,
    }
}

/// True when the `Accept` header asks for a meta.k8s.io/v1 Table in JSON.
pub fn wants_table(accept: &str) -> bool {
    accepts_json_as(accept, "Table")
}

const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const CREATION_TIMESTAMP_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// One column of a Table, as upstream's `TableColumnDefinition`.
pub struct Column {
    /// Header, e.g. `Name`.
    pub name: &'static str,
    /// OpenAPI type of the cells (`string`, `integer`, `date`).
    pub kind: &'static str,
    /// OpenAPI format (`name` for the name column), or empty.
    pub format: &'static str,
    /// Upstream's description of the field the column shows.
    pub description: &'static str,
    /// 0: always printed; 1: printed with `-o wide`.
    pub priority: u32,
}

/// A priority-0 column without a format.
pub(crate) const fn column(
    name: &'static str,
    kind: &'static str,
    description: &'static str,
) -> Column {
    Column {
        name,
        kind,
        format: "",
        description,
        priority: 0,
    }
}

/// The name column every printer starts with.
pub(crate) const NAME_COLUMN: Column = Column {
    name: "Name",
    kind: "string",
    format: "name",
    description: NAME_DESCRIPTION,
    priority: 0,
};
/// The age column (`translateTimestampSince` of the creation timestamp).
pub(crate) const AGE_COLUMN: Column = column("Age", "string", CREATION_TIMESTAMP_DESCRIPTION);

/// Upstream's default convertor, for kinds without a dedicated printer.
pub const DEFAULT_COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column("Created At", "date", CREATION_TIMESTAMP_DESCRIPTION),
];

/// The row of a kind without printer columns of its own: name and creation time
/// (upstream's default table convertor).
pub fn default_row(object: &Value, _now: Timestamp) -> (Vec<Value>, Option<Value>) {
    let created = timestamp_at(object, &["metadata", "creationTimestamp"])
        .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    (
        vec![json!(str_at(object, &["metadata", "name"])), json!(created)],
        None,
    )
}

/// Renders `objects` as a `Table`. `list_metadata` becomes the Table's `metadata`
/// (`resourceVersion`, `continue`, ...).
pub fn table(
    resource: &ResourceInfo,
    objects: &[&Value],
    list_metadata: Value,
    include: IncludeObject,
    now: Timestamp,
) -> Value {
    let strategy = resource.strategy;
    let columns: Vec<Value> = strategy
        .table_columns()
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": c.kind,
                "format": c.format,
                "description": c.description,
                "priority": c.priority,
            })
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let (cells, conditions) = strategy.table_row(object, now);
            let mut row = json!({"cells": cells});
            if let Some(conditions) = conditions {
                row["conditions"] = conditions;
            }
            row["object"] = match include {
                IncludeObject::None => Value::Null,
                IncludeObject::Metadata => json!({
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
                }),
                IncludeObject::Object => (*object).clone(),
            };
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

/// A duration the way kubectl prints ages (apimachinery `duration.HumanDuration`): about two
/// significant figures, `<invalid>` for clearly negative values, with one second of clock skew
/// tolerated.
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".to_string();
    }
    if secs < 0 {
        return "0s".to_string();
    }
    if secs < 60 * 2 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// The value at `path` (object keys), if every step exists.
pub(crate) fn value_at<'a>(object: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(object, |value, key| value.get(key))
}

/// The string at `path`; "" when absent or not a string.
pub(crate) fn str_at<'a>(object: &'a Value, path: &[&str]) -> &'a str {
    value_at(object, path).and_then(Value::as_str).unwrap_or("")
}

/// The RFC 3339 timestamp at `path`, if there is a valid one.
pub(crate) fn timestamp_at(object: &Value, path: &[&str]) -> Option<Timestamp> {
    value_at(object, path)?.as_str()?.parse().ok()
}

/// Number of entries of a top-level list or map field.
pub(crate) fn len_at(object: &Value, field: &str) -> usize {
    match object.get(field) {
        Some(Value::Array(items)) => items.len(),
        Some(Value::Object(entries)) => entries.len(),
        _ => 0,
    }
}

/// `translateTimestampSince`: the age of a timestamp, `<unknown>` when there is none.
pub(crate) fn since(timestamp: Option<Timestamp>, now: Timestamp) -> String {
    match timestamp {
        Some(ts) => human_duration(now.duration_since(ts).as_secs()),
        None => "<unknown>".to_string(),
    }
}

/// The object's age cell: time since its creation, `<unknown>` without one.
pub(crate) fn age(object: &Value, now: Timestamp) -> String {
    since(
        timestamp_at(object, &["metadata", "creationTimestamp"]),
        now,
    )
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the table tests of every kind.

    use super::*;

    /// The fixed "now" of the table tests.
    pub(crate) fn now() -> Timestamp {
        "2024-05-01T12:00:00Z".parse().expect("timestamp")
    }

    /// Name and priority of each column of a rendered Table.
    pub(crate) fn column_names(table: &Value) -> Vec<(String, u64)> {
        table["columnDefinitions"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or("").to_string(),
                    c["priority"].as_u64().unwrap_or(9),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::kinds::{CONFIG_MAPS, NAMESPACES, PODS, SELF_SUBJECT_REVIEWS};
    use super::testing::{column_names, now};
    use super::*;

    #[test]
    fn human_durations() {
        let cases: &[(i64, &str)] = &[
            (-5, "<invalid>"),
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (5, "5s"),
            (119, "119s"),
            (120, "2m"),
            (182, "3m2s"),
            (599, "9m59s"),
            (600, "10m"),
            (3 * 3600 - 1, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 25 * 60, "3h25m"),
            (8 * 3600 - 1, "7h59m"),
            (8 * 3600, "8h"),
            (47 * 3600 + 59 * 60, "47h"),
            (48 * 3600, "2d"),
            (2 * 86400 + 3 * 3600, "2d3h"),
            (7 * 86400 + 23 * 3600, "7d23h"),
            (8 * 86400, "8d"),
            (729 * 86400, "729d"),
            (730 * 86400, "2y"),
            (731 * 86400, "2y1d"),
            (8 * 365 * 86400 - 1, "7y364d"),
            (8 * 365 * 86400, "8y"),
            (20 * 365 * 86400, "20y"),
        ];
        for (secs, expected) in cases {
            assert_eq!(human_duration(*secs), *expected, "{secs}s");
        }
    }

    #[test]
    fn include_object_param() {
        assert_eq!(parse_include_object(None), IncludeObject::Metadata);
        assert_eq!(parse_include_object(Some("None")), IncludeObject::None);
        assert_eq!(parse_include_object(Some("Object")), IncludeObject::Object);
        assert_eq!(
            parse_include_object(Some("Metadata")),
            IncludeObject::Metadata
        );
        assert_eq!(parse_include_object(Some("bogus")), IncludeObject::Metadata);
    }

    #[test]
    fn table_negotiation() {
        let cases: &[(&str, bool)] = &[
            (
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
                true,
            ),
            ("application/json;as=Table;g=meta.k8s.io;v=v1", true),
            ("application/json, application/json;as=Table;v=v1;g=meta.k8s.io", true),
            ("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", false),
            ("application/json", false),
            ("", false),
            ("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io", false),
            ("application/json;as=Table;v=v1;g=meta.k8s.io;q=0", false),
            ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", false),
        ];
        for (accept, expected) in cases {
            assert_eq!(wants_table(accept), *expected, "{accept}");
        }
    }

    #[test]
    fn namespace_table() {
        let ns = json!({
            "kind": "Namespace", "apiVersion": "v1",
            "metadata": {"name": "default", "creationTimestamp": "2024-05-01T11:50:00Z", "resourceVersion": "7"},
            "status": {"phase": "Active"}
        });
        let table = table(
            &NAMESPACES,
            &[&ns],
            json!({"resourceVersion": "9"}),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(table["kind"], "Table");
        assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(table["metadata"], json!({"resourceVersion": "9"}));
        assert_eq!(
            column_names(&table),
            [("Name".into(), 0), ("Status".into(), 0), ("Age".into(), 0)]
        );
        assert_eq!(table["columnDefinitions"][0]["format"], "name");
        assert_eq!(table["columnDefinitions"][1]["format"], "");
        assert_eq!(
            table["rows"][0]["cells"],
            json!(["default", "Active", "10m"])
        );
        assert_eq!(
            table["rows"][0]["object"],
            json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": {"name": "default", "creationTimestamp": "2024-05-01T11:50:00Z", "resourceVersion": "7"}
            })
        );
    }

    #[test]
    fn include_object_variants() {
        let cm = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"}, "data": {"a": "1"}});
        let full = table(
            &CONFIG_MAPS,
            &[&cm],
            json!({}),
            IncludeObject::Object,
            now(),
        );
        assert_eq!(full["rows"][0]["object"], cm);
        let none = table(&CONFIG_MAPS, &[&cm], json!({}), IncludeObject::None, now());
        assert_eq!(none["rows"][0]["object"], Value::Null);
    }

    #[test]
    fn default_table_for_other_kinds() {
        let review = json!({"metadata": {"name": "", "creationTimestamp": "2024-05-01T11:00:00Z"}});
        let t = table(
            &SELF_SUBJECT_REVIEWS,
            &[&review],
            json!({}),
            IncludeObject::None,
            now(),
        );
        assert_eq!(
            column_names(&t),
            [("Name".into(), 0), ("Created At".into(), 0)]
        );
        assert_eq!(t["columnDefinitions"][1]["type"], "date");
        assert_eq!(t["rows"][0]["cells"], json!(["", "2024-05-01T11:00:00Z"]));
    }

    #[test]
    fn empty_table_keeps_columns() {
        let t = table(
            &PODS,
            &[],
            json!({"resourceVersion": "1"}),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(t["rows"], json!([]));
        assert_eq!(t["columnDefinitions"].as_array().map(Vec::len), Some(9));
    }
}
