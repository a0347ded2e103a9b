//! Services (`pkg/registry/core/service/strategy.go` and `storage/alloc.go`): defaults,
//! cluster IPs from the service CIDR and node ports from the node-port range (allocated
//! before validation, kept across updates), upstream's main validation, a `status`
//! subresource, the `all` category and `kubectl get svc`'s columns. The `kubernetes`
//! Service of the `default` namespace is made at start ([`bootstrap`]).

use serde_json::{json, Map, Value};

use super::{Allocation, ResourceInfo, Strategy};
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::{keyed, FieldRule, ATOMIC_RULE, DEFAULT_RULE};
use crate::apiserver::store::Store;
use crate::apiserver::table::{self, column, Column, AGE_COLUMN, NAME_COLUMN};
use crate::apiserver::validation::{
    inclusive_range_error, index, is_dns1123_label, is_dns1123_subdomain, is_valid_port_name,
    items, name_is_dns1035_label, str_at, validate_object_meta, validate_object_meta_update,
    Issues,
};
use k8s_openapi::api::core::v1::Service;

pub mod bootstrap;
pub mod cluster_ip;

/// `v1` `services`.
pub const SERVICES: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "services",
    singular: "service",
    kind: "Service",
    list_kind: "ServiceList",
    namespaced: true,
    short_names: &["svc"],
    categories: &["all"],
    // Upstream's service storage has no deletecollection.
    verbs: &[
        "create", "delete", "get", "list", "patch", "update", "watch",
    ],
    subresources: &["status"],
    create_only: false,
    strategy: &ServiceStrategy,
    schema: super::TypedSchema::of::<Service>(),
};

const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

/// Upstream's service printer columns.
const COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column("Type", "string", "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"),
    column("Cluster-IP", "string", "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
    column("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system."),
    column("Port(s)", "string", "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
    AGE_COLUMN,
    table::Column {
        priority: 1,
        ..column("Selector", "string", "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/")
    },
];

/// The service strategy.
pub struct ServiceStrategy;

impl Strategy for ServiceStrategy {
    fn returns_deleted_object(&self) -> bool {
        true
    }

    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<Service>(info, object)
    }

    fn default(&self, object: &mut Value) {
        if let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) {
            default_service_spec(spec);
        } else if let Some(map) = object.as_object_mut() {
            let mut spec = Map::new();
            default_service_spec(&mut spec);
            map.insert("spec".into(), Value::Object(spec));
        }
        // `ServiceStatus.LoadBalancer` is a Go struct value, which JSON always carries.
        if let Some(status) = object.get_mut("status").and_then(Value::as_object_mut) {
            status
                .entry("loadBalancer")
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }

    fn prepare_for_update(&self, old: &Value, new: &mut Value) {
        cluster_ip::keep_allocations(old, new);
    }

    fn allocate(&self, store: &Store, object: &mut Value) -> Result<Allocation, ApiError> {
        cluster_ip::allocate(store, object)
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_service(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validate_object_meta_update(old, new, issues);
        let old_ips = &old["spec"]["clusterIPs"];
        let new_ips = &new["spec"]["clusterIPs"];
        let external_name = str_at(new, &["spec", "type"]) == "ExternalName";
        if !old_ips.is_null() && old_ips != new_ips && !external_name {
            issues.invalid_rendered(
                "spec.clusterIPs[0]",
                go_strings(new_ips),
                "may not change once set",
            );
        }
        validate_service(new, issues);
    }

    /// `spec.ports` merges by port (apply: port and protocol); the IP lists are atomic.
    fn field_rule(&self, path: &[&str]) -> FieldRule {
        match path {
            ["spec", "ports"] => keyed("port", &["port", "protocol"]),
            ["spec", "clusterIPs" | "ipFamilies" | "externalIPs" | "loadBalancerSourceRanges"] => {
                ATOMIC_RULE
            }
            ["spec", "selector"] => ATOMIC_RULE,
            ["status", "conditions"] => keyed("type", &["type"]),
            _ => DEFAULT_RULE,
        }
    }

    fn table_columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        let spec = &object["spec"];
        let cluster_ip = match spec["clusterIP"].as_str().unwrap_or_default() {
            "" => "<none>",
            ip => ip,
        };
        let cells = vec![
            json!(table::str_at(object, &["metadata", "name"])),
            json!(spec["type"].as_str().unwrap_or_default()),
            json!(cluster_ip),
            json!(external_ip(object)),
            json!(port_string(spec)),
            json!(table::age(object, now)),
            json!(selector_string(spec)),
        ];
        (cells, None)
    }

    /// `spec.clusterIP` and `spec.type` besides the metadata (`ServiceSelectableFields`).
    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        match label {
            "metadata.name" | "metadata.namespace" | "spec.clusterIP" | "spec.type" => {
                Ok(label.to_string())
            }
            _ => Err(format!("field label not supported: {label}")),
        }
    }

    fn selectable_fields(&self) -> &'static [&'static str] {
        &["spec.clusterIP", "spec.type"]
    }

    fn field_value(&self, object: &Value, field: &str) -> String {
        match field {
            "metadata.name" => str_at(object, &["metadata", "name"]).to_string(),
            "metadata.namespace" => str_at(object, &["metadata", "namespace"]).to_string(),
            "spec.clusterIP" => str_at(object, &["spec", "clusterIP"]).to_string(),
            "spec.type" => str_at(object, &["spec", "type"]).to_string(),
            _ => String::new(),
        }
    }
}

/// `SetDefaults_Service`: session affinity, type, port protocols and target ports, and the
/// traffic policies.
fn default_service_spec(spec: &mut Map<String, Value>) {
    let affinity = spec
        .entry("sessionAffinity")
        .or_insert_with(|| json!("None"))
        .clone();
    if affinity == "None" {
        spec.remove("sessionAffinityConfig");
    } else if affinity == "ClientIP" {
        let config = spec
            .entry("sessionAffinityConfig")
            .or_insert_with(|| json!({}));
        if config["clientIP"]["timeoutSeconds"].is_null() {
            config["clientIP"]["timeoutSeconds"] = json!(10800);
        }
    }
    let kind = spec
        .entry("type")
        .or_insert_with(|| json!("ClusterIP"))
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            port.entry("protocol").or_insert_with(|| json!("TCP"));
            let unset = match port.get("targetPort") {
                None | Some(Value::Null) => true,
                Some(Value::Number(n)) => n.as_i64() == Some(0),
                Some(Value::String(s)) => s.is_empty(),
                Some(_) => false,
            };
            if unset {
                let number = port.get("port").cloned().unwrap_or(json!(0));
                port.insert("targetPort".into(), number);
            }
        }
    }
    let externally_accessible = matches!(kind.as_str(), "LoadBalancer" | "NodePort")
        || (kind == "ClusterIP"
            && spec
                .get("externalIPs")
                .and_then(Value::as_array)
                .is_some_and(|ips| !ips.is_empty()));
    if externally_accessible {
        spec.entry("externalTrafficPolicy")
            .or_insert_with(|| json!("Cluster"));
    }
    if matches!(kind.as_str(), "ClusterIP" | "NodePort" | "LoadBalancer") {
        spec.entry("internalTrafficPolicy")
            .or_insert_with(|| json!("Cluster"));
    }
    if kind == "LoadBalancer" {
        spec.entry("allocateLoadBalancerNodePorts")
            .or_insert_with(|| json!(true));
    }
}

/// The main rules of `ValidateService`: the name, the type, the ports, an ExternalName's
/// name.
fn validate_service(service: &Value, issues: &mut Issues) {
    validate_object_meta(service, true, name_is_dns1035_label, issues);
    let spec = &service["spec"];
    let kind = spec["type"].as_str().unwrap_or_default();
    if !SERVICE_TYPES.contains(&kind) {
        issues.not_supported("spec.type", kind, SERVICE_TYPES);
    }
    let ports = items(spec.get("ports"));
    if kind == "ExternalName" {
        let external = spec["externalName"].as_str().unwrap_or_default();
        if external.is_empty() {
            issues.required("spec.externalName");
        } else {
            issues.invalid_each(
                "spec.externalName",
                external,
                is_dns1123_subdomain(external),
            );
        }
    } else if ports.is_empty() && str_at(service, &["spec", "clusterIP"]) != "None" {
        issues.required("spec.ports");
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let path = index("spec.ports", i);
        let name = port["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            if ports.len() > 1 {
                issues.required(format!("{path}.name"));
            }
        } else {
            issues.invalid_each(&format!("{path}.name"), name, is_dns1123_label(name));
            if names.contains(&name) {
                issues.duplicate(format!("{path}.name"), name);
            }
            names.push(name);
        }
        let number = port["port"].as_i64().unwrap_or(0);
        if !(1..=65535).contains(&number) {
            issues.invalid_rendered(
                format!("{path}.port"),
                number.to_string(),
                inclusive_range_error(1, 65535),
            );
        }
        let protocol = port["protocol"].as_str().unwrap_or_default();
        if !PROTOCOLS.contains(&protocol) {
            issues.not_supported(format!("{path}.protocol"), protocol, PROTOCOLS);
        }
        match &port["targetPort"] {
            Value::Number(n) => {
                let target = n.as_i64().unwrap_or(0);
                if !(1..=65535).contains(&target) {
                    issues.invalid_rendered(
                        format!("{path}.targetPort"),
                        target.to_string(),
                        inclusive_range_error(1, 65535),
                    );
                }
            }
            Value::String(target) => {
                issues.invalid_each(
                    &format!("{path}.targetPort"),
                    target,
                    is_valid_port_name(target),
                );
            }
            _ => {}
        }
        if port["nodePort"].as_i64().is_some_and(|n| n != 0)
            && !matches!(kind, "NodePort" | "LoadBalancer")
        {
            issues.forbidden(
                format!("{path}.nodePort"),
                "may not be used when `type` is 'ClusterIP'",
            );
        }
    }
}

/// A JSON list of strings as Go prints a `[]string`.
fn go_strings(list: &Value) -> String {
    let quoted: Vec<String> = items(Some(list))
        .iter()
        .map(|v| format!("{:?}", v.as_str().unwrap_or_default()))
        .collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

/// The EXTERNAL-IP cell (`getServiceExternalIP`).
fn external_ip(service: &Value) -> String {
    let spec = &service["spec"];
    let external_ips: Vec<&str> = items(spec.get("externalIPs"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match spec["type"].as_str().unwrap_or_default() {
        "ClusterIP" | "NodePort" if external_ips.is_empty() => "<none>".to_string(),
        "ClusterIP" | "NodePort" => external_ips.join(","),
        "LoadBalancer" => {
            let mut ips: Vec<String> = items(service["status"]["loadBalancer"].get("ingress"))
                .iter()
                .filter_map(|i| {
                    i["ip"]
                        .as_str()
                        .filter(|s| !s.is_empty())
                        .or_else(|| i["hostname"].as_str().filter(|s| !s.is_empty()))
                })
                .map(str::to_string)
                .collect();
            ips.extend(external_ips.iter().map(|s| s.to_string()));
            if ips.is_empty() {
                "<pending>".to_string()
            } else {
                ips.join(",")
            }
        }
        "ExternalName" => spec["externalName"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        _ => "<unknown>".to_string(),
    }
}

/// The PORT(S) cell (`makePortString`): `443/TCP`, `80:30080/TCP`.
fn port_string(spec: &Value) -> String {
    let ports: Vec<String> = items(spec.get("ports"))
        .iter()
        .map(|p| {
            let port = p["port"].as_i64().unwrap_or(0);
            let protocol = p["protocol"].as_str().unwrap_or_default();
            match p["nodePort"].as_i64().filter(|n| *n > 0) {
                Some(node_port) => format!("{port}:{node_port}/{protocol}"),
                None => format!("{port}/{protocol}"),
            }
        })
        .collect();
    if ports.is_empty() {
        "<none>".to_string()
    } else {
        ports.join(",")
    }
}

/// The SELECTOR cell: `k=v,...` sorted by key, or `<none>`.
fn selector_string(spec: &Value) -> String {
    match spec["selector"].as_object() {
        Some(selector) if !selector.is_empty() => {
            let mut pairs: Vec<String> = selector
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            pairs.sort();
            pairs.join(",")
        }
        _ => "<none>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::table::testing::{column_names, now};
    use crate::apiserver::table::{table, IncludeObject};
    use crate::apiserver::validation::testing::create_errors;

    fn defaulted(mut service: Value) -> Value {
        SERVICES.strategy.default(&mut service);
        service
    }

    #[test]
    fn defaults_fill_type_protocol_target_port_and_policies() {
        let svc = defaulted(json!({"metadata": {"name": "web", "namespace": "ns"},
            "spec": {"ports": [{"port": 80}, {"port": 53, "protocol": "UDP", "targetPort": "dns"}]}}));
        assert_eq!(svc["spec"]["type"], "ClusterIP");
        assert_eq!(svc["spec"]["sessionAffinity"], "None");
        assert_eq!(svc["spec"]["internalTrafficPolicy"], "Cluster");
        assert!(svc["spec"].get("externalTrafficPolicy").is_none());
        assert_eq!(
            svc["spec"]["ports"],
            json!([{"port": 80, "protocol": "TCP", "targetPort": 80},
                   {"port": 53, "protocol": "UDP", "targetPort": "dns"}])
        );
        let node_port = defaulted(json!({"spec": {"type": "NodePort"}}));
        assert_eq!(node_port["spec"]["externalTrafficPolicy"], "Cluster");
    }

    #[test]
    fn validation_names_the_fields_as_upstream() {
        let errors = create_errors(
            &SERVICES,
            defaulted(json!({"metadata": {"name": "1web", "namespace": "ns"},
                "spec": {"type": "Weird", "ports": [{"port": 0}, {"port": 81, "protocol": "ICMP"}]}})),
        );
        assert_eq!(
            errors,
            vec![
                "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
                "spec.type: Unsupported value: \"Weird\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
                "spec.ports[0].name: Required value",
                "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[1].name: Required value",
                "spec.ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ]
        );
    }

    #[test]
    fn kubectl_get_svc_cells() {
        let svc = json!({"metadata": {"name": "kubernetes", "creationTimestamp": "2024-05-01T11:59:55Z"},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "ports": [{"port": 443, "protocol": "TCP"}]}});
        let node_port = json!({"metadata": {"name": "np"}, "spec": {"type": "NodePort", "clusterIP": "10.96.4.4",
            "selector": {"b": "2", "a": "1"}, "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}});
        let lb = json!({"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "clusterIP": "10.96.4.5"}});
        let t = table(
            &SERVICES,
            &[&svc, &node_port, &lb],
            json!({}),
            IncludeObject::None,
            now(),
        );
        assert_eq!(
            column_names(&t),
            [
                ("Name".into(), 0),
                ("Type".into(), 0),
                ("Cluster-IP".into(), 0),
                ("External-IP".into(), 0),
                ("Port(s)".into(), 0),
                ("Age".into(), 0),
                ("Selector".into(), 1)
            ]
        );
        assert_eq!(
            t["rows"][0]["cells"],
            json!([
                "kubernetes",
                "ClusterIP",
                "10.96.0.1",
                "<none>",
                "443/TCP",
                "5s",
                "<none>"
            ])
        );
        assert_eq!(t["rows"][1]["cells"][4], "80:30080/TCP");
        assert_eq!(t["rows"][1]["cells"][6], "a=1,b=2");
        assert_eq!(t["rows"][2]["cells"][3], "<pending>");
        assert_eq!(t["rows"][2]["cells"][4], "<none>");
    }
}
