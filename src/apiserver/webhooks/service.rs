//! Where a `clientConfig.service` webhook is reached: the Service, its port, and a ready
//! endpoint from its EndpointSlices (or, without those, its Endpoints), as upstream's
//! endpoint service resolver does (`ResolveEndpoint` in `k8s.io/apiserver/pkg/util/proxy`);
//! an `ExternalName` service resolves to its external name, as the cluster-IP resolver does.
//!
//! The objects come from the store through [`ServiceDirectory`], which finds the kinds in
//! the registry by group, version and resource; a server that does not serve services
//! finds none, and every service reference then fails with upstream's not-found text.

use rand::Rng;
use serde_json::Value;
use std::sync::Arc;

use crate::apiserver::kinds::ResourceInfo;
use crate::apiserver::store::Store;
use crate::apiserver::validation::go_quote;

/// Reads Services, Endpoints and EndpointSlices.
pub trait ServiceDirectory: Send + Sync {
    /// The Service `namespace/name`.
    fn service(&self, namespace: &str, name: &str) -> Option<Value>;
    /// The Endpoints `namespace/name`; `None` also when the server has no such kind.
    fn endpoints(&self, namespace: &str, name: &str) -> Option<Value>;
    /// The EndpointSlices of the service (label `kubernetes.io/service-name`), `None` when
    /// the server has no such kind.
    fn endpoint_slices(&self, namespace: &str, service: &str) -> Option<Vec<Value>>;
}

/// [`ServiceDirectory`] over the API server's store.
pub struct StoreServiceDirectory {
    store: Arc<Store>,
}

impl StoreServiceDirectory {
    /// Reads from `store`.
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }
}

/// The label that ties an EndpointSlice to its Service.
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

impl ServiceDirectory for StoreServiceDirectory {
    fn service(&self, namespace: &str, name: &str) -> Option<Value> {
        let services = ResourceInfo::find("", "v1", "services")?;
        self.store.get(services, namespace, name).map(|o| o.value())
    }

    fn endpoints(&self, namespace: &str, name: &str) -> Option<Value> {
        let endpoints = ResourceInfo::find("", "v1", "endpoints")?;
        self.store
            .get(endpoints, namespace, name)
            .map(|o| o.value())
    }

    fn endpoint_slices(&self, namespace: &str, service: &str) -> Option<Vec<Value>> {
        let slices = ResourceInfo::find("discovery.k8s.io", "v1", "endpointslices")?;
        let (items, _) = self.store.list(slices, Some(namespace));
        Some(
            items
                .iter()
                .filter(|slice| slice.label(SERVICE_NAME_LABEL) == Some(service))
                .map(|slice| slice.value())
                .collect(),
        )
    }
}

/// Why a service reference does not lead anywhere; the texts are upstream's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No such Service (the lister's NotFound).
    #[error("service {} not found", go_quote(.0))]
    ServiceNotFound(String),
    /// The Service has no port with that number.
    #[error("no service port {port} found for service {}", go_quote(.service))]
    NoPort {
        /// The port the webhook names.
        port: i64,
        /// The Service.
        service: String,
    },
    /// The Service's type cannot be routed to.
    #[error("unsupported service type {}", go_quote(.0))]
    UnsupportedType(String),
    /// Neither EndpointSlices nor Endpoints exist for the Service.
    #[error("endpoints {} not found", go_quote(.0))]
    EndpointsNotFound(String),
    /// No ready address serves the port.
    #[error("no endpoints available for service {}", go_quote(.0))]
    NoEndpoints(String),
}

/// `host:port` of one ready endpoint of service `namespace/name` serving `port` (picked at
/// random, as upstream does), or the external name of an `ExternalName` service.
pub fn resolve_endpoint(
    directory: &dyn ServiceDirectory,
    namespace: &str,
    name: &str,
    port: i64,
) -> Result<String, ResolveError> {
    let candidates = resolve_endpoints(directory, namespace, name, port)?;
    let pick = rand::rng().random_range(0..candidates.len());
    Ok(candidates[pick].clone())
}

/// Every `host:port` [`resolve_endpoint`] may pick from (never empty on success).
pub fn resolve_endpoints(
    directory: &dyn ServiceDirectory,
    namespace: &str,
    name: &str,
    port: i64,
) -> Result<Vec<String>, ResolveError> {
    let service = directory
        .service(namespace, name)
        .ok_or_else(|| ResolveError::ServiceNotFound(name.to_string()))?;
    let service_type = service["spec"]["type"].as_str().unwrap_or("ClusterIP");
    if service_type == "ExternalName" {
        let external = service["spec"]["externalName"].as_str().unwrap_or_default();
        return Ok(vec![join_host_port(external, port)]);
    }
    let service_port = service["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["port"].as_i64() == Some(port))
        .ok_or_else(|| ResolveError::NoPort {
            port,
            service: name.to_string(),
        })?;
    if !matches!(service_type, "ClusterIP" | "NodePort" | "LoadBalancer") {
        return Err(ResolveError::UnsupportedType(service_type.to_string()));
    }
    let port_name = service_port["name"].as_str().unwrap_or_default();
    let mut addresses = Vec::new();
    let slices = directory.endpoint_slices(namespace, name);
    for slice in slices.iter().flatten() {
        collect_from_slice(slice, port_name, &mut addresses);
    }
    if addresses.is_empty() {
        match directory.endpoints(namespace, name) {
            Some(endpoints) => collect_from_endpoints(&endpoints, port_name, &mut addresses),
            None if slices.as_ref().is_none_or(Vec::is_empty) => {
                return Err(ResolveError::EndpointsNotFound(name.to_string()))
            }
            None => {}
        }
    }
    if addresses.is_empty() {
        return Err(ResolveError::NoEndpoints(name.to_string()));
    }
    Ok(addresses)
}

/// The ready endpoints of an EndpointSlice on the port named `port_name`.
fn collect_from_slice(slice: &Value, port_name: &str, out: &mut Vec<String>) {
    let Some(port) = slice["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"].as_str().unwrap_or_default() == port_name)
        .and_then(|p| p["port"].as_i64())
    else {
        return;
    };
    for endpoint in slice["endpoints"].as_array().into_iter().flatten() {
        // A missing `ready` condition means ready.
        if endpoint["conditions"]["ready"].as_bool() == Some(false) {
            continue;
        }
        if let Some(address) = endpoint["addresses"].as_array().and_then(|a| a.first()) {
            out.push(join_host_port(address.as_str().unwrap_or_default(), port));
        }
    }
}

/// The addresses of an Endpoints object's subsets on the port named `port_name`.
fn collect_from_endpoints(endpoints: &Value, port_name: &str, out: &mut Vec<String>) {
    for subset in endpoints["subsets"].as_array().into_iter().flatten() {
        let ports = subset["ports"].as_array().into_iter().flatten();
        for port in ports.filter(|p| p["name"].as_str().unwrap_or_default() == port_name) {
            let number = port["port"].as_i64().unwrap_or_default();
            for address in subset["addresses"].as_array().into_iter().flatten() {
                out.push(join_host_port(
                    address["ip"].as_str().unwrap_or_default(),
                    number,
                ));
            }
        }
    }
}

/// Go's `net.JoinHostPort`: IPv6 addresses in brackets.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    /// A directory of fixed objects; `None` fields stand for kinds the server lacks.
    #[derive(Default)]
    struct Fixed {
        services: BTreeMap<String, Value>,
        endpoints: Option<BTreeMap<String, Value>>,
        slices: Option<Vec<Value>>,
    }

    impl ServiceDirectory for Fixed {
        fn service(&self, namespace: &str, name: &str) -> Option<Value> {
            self.services.get(&format!("{namespace}/{name}")).cloned()
        }
        fn endpoints(&self, namespace: &str, name: &str) -> Option<Value> {
            self.endpoints
                .as_ref()?
                .get(&format!("{namespace}/{name}"))
                .cloned()
        }
        fn endpoint_slices(&self, _namespace: &str, service: &str) -> Option<Vec<Value>> {
            let slices = self.slices.as_ref()?;
            Some(
                slices
                    .iter()
                    .filter(|s| s["metadata"]["labels"][SERVICE_NAME_LABEL] == service)
                    .cloned()
                    .collect(),
            )
        }
    }

    /// Case name, directory, port, the endpoints (or the error).
    type ResolveCase = (
        &'static str,
        Fixed,
        i64,
        Result<Vec<&'static str>, &'static str>,
    );

    fn service(spec: Value) -> BTreeMap<String, Value> {
        BTreeMap::from([(
            "hooks/webhook".to_string(),
            json!({"metadata": {"name": "webhook", "namespace": "hooks"}, "spec": spec}),
        )])
    }

    fn https_service() -> BTreeMap<String, Value> {
        service(json!({"ports": [{"name": "https", "port": 443, "targetPort": 8443}]}))
    }

    fn slice(name: &str, port: i64, endpoints: Value) -> Value {
        json!({"metadata": {"name": name, "labels": {SERVICE_NAME_LABEL: "webhook"}},
            "ports": [{"name": "https", "port": port}], "endpoints": endpoints})
    }

    #[test]
    fn service_references_resolve_as_upstream() {
        let cases: Vec<ResolveCase> = vec![
            (
                "no services kind or no such service",
                Fixed::default(),
                443,
                Err("service \"webhook\" not found"),
            ),
            (
                "port not on the service",
                Fixed {
                    services: https_service(),
                    ..Default::default()
                },
                8443,
                Err("no service port 8443 found for service \"webhook\""),
            ),
            (
                "headless of an unsupported type",
                Fixed {
                    services: service(json!({"type": "Other", "ports": [{"port": 443}]})),
                    ..Default::default()
                },
                443,
                Err("unsupported service type \"Other\""),
            ),
            (
                "neither slices nor endpoints",
                Fixed {
                    services: https_service(),
                    ..Default::default()
                },
                443,
                Err("endpoints \"webhook\" not found"),
            ),
            (
                "ready slice endpoints on the target port, not-ready ones skipped",
                Fixed {
                    services: https_service(),
                    slices: Some(vec![slice(
                        "a",
                        8443,
                        json!([
                            {"addresses": ["10.0.0.1"]},
                            {"addresses": ["10.0.0.2"], "conditions": {"ready": false}},
                            {"addresses": ["fd00::3"], "conditions": {"ready": true}},
                        ]),
                    )]),
                    ..Default::default()
                },
                443,
                Ok(vec!["10.0.0.1:8443", "[fd00::3]:8443"]),
            ),
            (
                "endpoints when there are no slices",
                Fixed {
                    services: https_service(),
                    slices: Some(Vec::new()),
                    endpoints: Some(BTreeMap::from([(
                        "hooks/webhook".to_string(),
                        json!({"subsets": [
                            {"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "https", "port": 9443}]},
                            {"addresses": [{"ip": "127.0.0.2"}], "ports": [{"name": "metrics", "port": 9090}]},
                        ]}),
                    )])),
                },
                443,
                Ok(vec!["127.0.0.1:9443"]),
            ),
            (
                "endpoints without a ready address",
                Fixed {
                    services: https_service(),
                    endpoints: Some(BTreeMap::from([(
                        "hooks/webhook".to_string(),
                        json!({"subsets": [{"notReadyAddresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "https", "port": 9443}]}]}),
                    )])),
                    ..Default::default()
                },
                443,
                Err("no endpoints available for service \"webhook\""),
            ),
            (
                "external name",
                Fixed {
                    services: service(
                        json!({"type": "ExternalName", "externalName": "hooks.example.com"}),
                    ),
                    ..Default::default()
                },
                8443,
                Ok(vec!["hooks.example.com:8443"]),
            ),
        ];
        for (case, directory, port, expected) in cases {
            let got =
                resolve_endpoints(&directory, "hooks", "webhook", port).map_err(|e| e.to_string());
            let expected = expected
                .map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .map_err(str::to_string);
            assert_eq!(got, expected, "{case}");
        }
    }

    #[test]
    fn one_endpoint_is_picked_among_the_ready_ones() {
        let directory = Fixed {
            services: https_service(),
            slices: Some(vec![slice(
                "a",
                8443,
                json!([{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}]),
            )]),
            ..Default::default()
        };
        for _ in 0..20 {
            let picked = resolve_endpoint(&directory, "hooks", "webhook", 443).expect("resolves");
            assert!(
                ["10.0.0.1:8443", "10.0.0.2:8443"].contains(&picked.as_str()),
                "{picked}"
            );
        }
    }
}
