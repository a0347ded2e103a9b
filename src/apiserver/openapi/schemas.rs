//! The component schemas of a group-version's OpenAPI v3 document.
//!
//! The definitions come from k8s-openapi's `schemars` implementations, which carry upstream's
//! v1.33 definitions with their field descriptions (what `kubectl explain` prints). On top
//! comes what a real server's document has and those definitions leave out:
//! - `x-kubernetes-group-version-kind` on the served kinds, their lists and the meta types;
//! - the strategic-merge and server-side-apply markers (`x-kubernetes-patch-strategy`,
//!   `x-kubernetes-patch-merge-key`, `x-kubernetes-list-type`, `x-kubernetes-list-map-keys`,
//!   `x-kubernetes-map-type`, the `default` of a list-map key), read from the field rules the
//!   patch code applies, so each fact is written once;
//! - upstream's v3 form of `IntOrString` and `Quantity` (`oneOf` of the accepted types).
//!
//! Upstream builds the same from its Go types in `k8s.io/kube-openapi/pkg/builder3`.

use std::collections::btree_map::{BTreeMap, Entry};

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use k8s_openapi::schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

use super::super::field_rules::{field_rule, key_default, ApplyShape, FieldRule, SmpList};
use super::super::kinds::ResourceInfo;
use super::{gvk, schema_ref, SCHEMA_REF_PREFIX};

const LIST_META_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
const STATUS_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
const DELETE_OPTIONS_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
const WATCH_EVENT_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
const INT_OR_STRING_SCHEMA: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY_SCHEMA: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// Why a group-version's schemas could not be built (a programming error, caught by tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// Two paths into the same definition ask for different markers on one property.
    #[error("field rules disagree on {schema}.{property} (reached as {path})")]
    ConflictingRules {
        /// Full schema name (`io.k8s.api.core.v1.Container`).
        schema: String,
        /// Property of that schema.
        property: String,
        /// The field path (from the kind's root) whose rule disagrees with an earlier one.
        path: String,
    },
}

/// The schema names of a served kind and of its list (`io.k8s.api.core.v1.Pod`, `...PodList`).
pub(super) fn kind_schema_names(resource: &ResourceInfo) -> Result<(String, String), SchemaError> {
    let name = (resource.schema.name)().into_owned();
    let package = name.strip_suffix(resource.kind).unwrap_or_default();
    let list = format!("{package}{}", resource.list_kind);
    Ok((name, list))
}

/// The component schemas for `resources` (the served kinds of one group-version, all with the
/// same group and version), with the meta types every group-version publishes.
pub(super) fn component_schemas(
    group: &str,
    version: &str,
    resources: &[&ResourceInfo],
) -> Result<Map<String, Value>, SchemaError> {
    let mut generator = SchemaSettings::openapi3()
        .with(|settings| settings.meta_schema = None)
        .into_generator();
    for resource in resources {
        (resource.schema.subschema)(&mut generator);
    }
    generator.subschema_for::<meta::ListMeta>();
    generator.subschema_for::<meta::Status>();
    generator.subschema_for::<meta::DeleteOptions>();
    generator.subschema_for::<meta::Patch>();
    generator.subschema_for::<meta::WatchEvent<RawExtension>>();
    // Transforms to OpenAPI 3.0: a `$ref` with a description becomes `allOf: [{$ref}]`.
    let mut schemas = generator.take_definitions(true);

    let mut markers = Markers::new();
    for resource in resources {
        let (kind_schema, list_schema) = kind_schema_names(resource)?;
        collect_markers(
            &schemas,
            resource.kind,
            &kind_schema,
            &mut Vec::new(),
            &mut Vec::new(),
            &mut markers,
        )?;
        if let Some(Value::Object(schema)) = schemas.get_mut(&kind_schema) {
            schema.insert(
                "x-kubernetes-group-version-kind".into(),
                json!([gvk(resource.group, resource.version, resource.kind)]),
            );
            drop_required_metadata(schema);
        }
        if !resource.create_only {
            schemas.insert(list_schema, list_schema_for(resource, &kind_schema));
        }
    }
    apply_markers(&mut schemas, markers);

    // Request and response types every group-version publishes, tagged with this group.
    let meta_gvks = [
        (STATUS_SCHEMA, gvk("", "v1", "Status")),
        (DELETE_OPTIONS_SCHEMA, gvk(group, version, "DeleteOptions")),
        (WATCH_EVENT_SCHEMA, gvk(group, version, "WatchEvent")),
    ];
    for (name, kind) in meta_gvks {
        if let Some(Value::Object(schema)) = schemas.get_mut(name) {
            schema.insert("x-kubernetes-group-version-kind".into(), json!([kind]));
        }
    }
    upstream_v3_forms(&mut schemas);
    Ok(schemas)
}

/// k8s-openapi requires `metadata` of a kind (its Rust field is not optional); upstream's
/// definitions leave it optional, and `kubectl explain` would otherwise print it as required.
fn drop_required_metadata(schema: &mut Map<String, Value>) {
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.retain(|field| field != "metadata");
        if required.is_empty() {
            schema.remove("required");
        }
    }
}

/// `PodList` and the like, which k8s-openapi has no definition for: upstream's shape.
fn list_schema_for(resource: &ResourceInfo, kind_schema: &str) -> Value {
    json!({
        "description": format!("{} is a list of {} objects.", resource.list_kind, resource.kind),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {
                "description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
                "type": "string",
            },
            "items": {
                "description": format!("List of {} objects.", resource.kind),
                "type": "array",
                "items": schema_ref(kind_schema),
            },
            "kind": {
                "description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                "type": "string",
            },
            "metadata": {
                "allOf": [schema_ref(LIST_META_SCHEMA)],
                "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
            },
        },
        "x-kubernetes-group-version-kind": [gvk(resource.group, resource.version, resource.list_kind)],
    })
}

/// `IntOrString` and `Quantity` as upstream's v3 documents have them: a `oneOf` of the JSON
/// types accepted (k8s-openapi marks them with the CRD-only `x-kubernetes-int-or-string`).
fn upstream_v3_forms(schemas: &mut Map<String, Value>) {
    let forms = [
        (
            INT_OR_STRING_SCHEMA,
            json!({"format": "int-or-string", "oneOf": [{"type": "integer"}, {"type": "string"}]}),
        ),
        (
            QUANTITY_SCHEMA,
            json!({"oneOf": [{"type": "string"}, {"type": "number"}]}),
        ),
    ];
    for (name, form) in forms {
        if let (Some(Value::Object(schema)), Value::Object(form)) = (schemas.get_mut(name), form) {
            schema.remove("x-kubernetes-int-or-string");
            schema.extend(form);
        }
    }
}

/// Markers to add, keyed by (schema name, property name).
type Markers = BTreeMap<(String, String), Map<String, Value>>;

/// Walks the properties of `schema_name` (reached from `kind`'s root by `path`), recording the
/// markers of every field whose rule is not the default. List items are skipped in `path`, as
/// the rules expect; map values are not walked (no rule addresses them).
fn collect_markers<'a>(
    schemas: &'a Map<String, Value>,
    kind: &str,
    schema_name: &'a str,
    path: &mut Vec<&'a str>,
    stack: &mut Vec<&'a str>,
    markers: &mut Markers,
) -> Result<(), SchemaError> {
    let Some(properties) = schemas
        .get(schema_name)
        .and_then(|schema| schema.get("properties"))
        .and_then(Value::as_object)
    else {
        return Ok(());
    };
    if stack.contains(&schema_name) {
        return Ok(());
    }
    stack.push(schema_name);
    for (field, property) in properties {
        path.push(field);
        let rule = field_rule(kind, path);
        let target = referenced_schema(property);
        let mut found = vec![(schema_name, field.as_str(), rule_markers(rule, property))];
        if let (ApplyShape::Keyed(keys), Some(item)) = (rule.apply, target) {
            for key in keys {
                if let Some(default) = key_default(key) {
                    let mut marker = Map::new();
                    marker.insert("default".into(), default);
                    found.push((item, key, marker));
                }
            }
        }
        for (schema, property, marker) in found {
            record(markers, schema, property, marker, path)?;
        }
        if let Some(target) = target {
            collect_markers(schemas, kind, target, path, stack, markers)?;
        }
        path.pop();
    }
    stack.pop();
    Ok(())
}

fn record(
    markers: &mut Markers,
    schema: &str,
    property: &str,
    marker: Map<String, Value>,
    path: &[&str],
) -> Result<(), SchemaError> {
    if marker.is_empty() {
        return Ok(());
    }
    match markers.entry((schema.to_string(), property.to_string())) {
        Entry::Vacant(entry) => {
            entry.insert(marker);
            Ok(())
        }
        Entry::Occupied(entry) if *entry.get() == marker => Ok(()),
        Entry::Occupied(_) => Err(SchemaError::ConflictingRules {
            schema: schema.to_string(),
            property: property.to_string(),
            path: path.join("."),
        }),
    }
}

/// The OpenAPI extensions that say what `rule` says.
fn rule_markers(rule: FieldRule, property: &Value) -> Map<String, Value> {
    let mut markers = Map::new();
    let mut set = |key: &str, value: Value| {
        markers.insert(key.to_string(), value);
    };
    match rule.smp {
        SmpList::Replace => {}
        SmpList::MergeByKey(key) => {
            set("x-kubernetes-patch-merge-key", json!(key));
            let strategy = if rule.retain_keys {
                "merge,retainKeys"
            } else {
                "merge"
            };
            set("x-kubernetes-patch-strategy", json!(strategy));
        }
        SmpList::MergeSet => set("x-kubernetes-patch-strategy", json!("merge")),
    }
    let is_list = property.get("type").and_then(Value::as_str) == Some("array");
    match rule.apply {
        ApplyShape::Default => {}
        ApplyShape::Atomic if is_list => set("x-kubernetes-list-type", json!("atomic")),
        ApplyShape::Atomic => set("x-kubernetes-map-type", json!("atomic")),
        ApplyShape::Set => set("x-kubernetes-list-type", json!("set")),
        ApplyShape::Keyed(keys) => {
            set("x-kubernetes-list-type", json!("map"));
            set("x-kubernetes-list-map-keys", json!(keys));
        }
    }
    markers
}

/// The definition a property (or its list items) refers to: `$ref`, or `allOf: [{$ref}]` when
/// the reference carries a description.
fn referenced_schema(property: &Value) -> Option<&str> {
    let target = property.get("items").unwrap_or(property);
    let reference = match target.get("$ref") {
        Some(reference) => reference,
        None => target.get("allOf")?.get(0)?.get("$ref")?,
    };
    reference.as_str()?.strip_prefix(SCHEMA_REF_PREFIX)
}

fn apply_markers(schemas: &mut Map<String, Value>, markers: Markers) {
    for ((schema, property), marker) in markers {
        if let Some(Value::Object(target)) = schemas
            .get_mut(&schema)
            .and_then(|s| s.get_mut("properties"))
            .and_then(|p| p.get_mut(&property))
        {
            target.extend(marker);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::ALL;

    #[test]
    fn every_served_kind_has_a_type() {
        for resource in ALL {
            let (kind, list) = kind_schema_names(resource).expect("typed");
            assert!(kind.ends_with(resource.kind), "{kind}");
            assert!(list.ends_with(resource.list_kind), "{list}");
        }
    }

    #[test]
    fn rule_markers_follow_the_rule() {
        let list = json!({"type": "array"});
        let map = json!({"type": "object"});
        let keyed = rule_markers(field_rule("Pod", &["spec", "containers", "ports"]), &list);
        assert_eq!(
            Value::Object(keyed),
            json!({
                "x-kubernetes-patch-merge-key": "containerPort",
                "x-kubernetes-patch-strategy": "merge",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
            })
        );
        let set = rule_markers(field_rule("Pod", &["metadata", "finalizers"]), &list);
        assert_eq!(
            Value::Object(set),
            json!({"x-kubernetes-patch-strategy": "merge", "x-kubernetes-list-type": "set"})
        );
        let atomic_map = rule_markers(field_rule("Pod", &["spec", "nodeSelector"]), &map);
        assert_eq!(
            Value::Object(atomic_map),
            json!({"x-kubernetes-map-type": "atomic"})
        );
        assert!(rule_markers(field_rule("Pod", &["spec", "hostname"]), &map).is_empty());
    }

    #[test]
    fn conflicting_markers_are_refused() {
        let mut markers = Markers::new();
        let marker = |v: &str| {
            let mut m = Map::new();
            m.insert("x-kubernetes-list-type".into(), json!(v));
            m
        };
        record(&mut markers, "S", "p", marker("map"), &["a"]).expect("first");
        record(&mut markers, "S", "p", marker("map"), &["b"]).expect("same");
        assert_eq!(
            record(&mut markers, "S", "p", marker("set"), &["c", "p"]),
            Err(SchemaError::ConflictingRules {
                schema: "S".into(),
                property: "p".into(),
                path: "c.p".into(),
            })
        );
    }

    #[test]
    fn references_are_found_through_all_of_and_items() {
        let r = |name: &str| json!({"$ref": format!("{SCHEMA_REF_PREFIX}{name}")});
        assert_eq!(referenced_schema(&r("A")), Some("A"));
        assert_eq!(
            referenced_schema(&json!({"allOf": [r("B")], "description": "d"})),
            Some("B")
        );
        assert_eq!(
            referenced_schema(&json!({"type": "array", "items": r("C")})),
            Some("C")
        );
        assert_eq!(referenced_schema(&json!({"type": "string"})), None);
    }

    #[test]
    fn core_schemas_are_upstreams_with_markers() {
        let resources: Vec<&ResourceInfo> =
            ALL.iter().filter(|r| r.api_version() == "v1").collect();
        let schemas = component_schemas("", "v1", &resources).expect("schemas");
        let pod = &schemas["io.k8s.api.core.v1.Pod"];
        assert!(pod.get("required").is_none());
        assert!(pod["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Pod is a collection of containers")));
        let port = &schemas["io.k8s.api.core.v1.ContainerPort"]["properties"]["protocol"];
        assert_eq!(port["default"], "TCP");
        let int_or_string = &schemas[INT_OR_STRING_SCHEMA];
        assert_eq!(int_or_string["format"], "int-or-string");
        assert!(int_or_string.get("x-kubernetes-int-or-string").is_none());
        assert_eq!(schemas[QUANTITY_SCHEMA]["oneOf"][1]["type"], "number");
        let spec = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"];
        assert_eq!(spec["nodeSelector"]["x-kubernetes-map-type"], "atomic");
        assert_eq!(spec["tolerations"]["x-kubernetes-list-type"], "atomic");
        assert_eq!(
            spec["topologySpreadConstraints"]["x-kubernetes-list-map-keys"],
            json!(["topologyKey", "whenUnsatisfiable"])
        );
        let resources = &schemas["io.k8s.api.core.v1.ResourceRequirements"]["properties"];
        assert_eq!(resources["claims"]["x-kubernetes-list-type"], "map");
        assert!(resources["claims"]
            .get("x-kubernetes-patch-strategy")
            .is_none());
    }
}
