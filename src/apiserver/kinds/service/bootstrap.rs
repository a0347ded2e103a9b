//! The objects kube-apiserver keeps for itself in the `default` namespace
//! (`pkg/controlplane/controller/kubernetesservice` and the endpoint reconciler): the
//! `kubernetes` Service with the first cluster IP, and its Endpoints and EndpointSlice
//! pointing at the server's address, so that in-cluster clients and `kubectl cluster-info`
//! find the control plane.

use std::net::IpAddr;

use serde_json::{json, Value};

use super::{cluster_ip, SERVICES};
use crate::apiserver::kinds::{ENDPOINTS, ENDPOINT_SLICES};
use crate::apiserver::store::{Store, StoreError};

/// The Service's name and the name of its port.
const NAME: &str = "kubernetes";
const PORT_NAME: &str = "https";

/// Creates the `kubernetes` Service, Endpoints and EndpointSlice for a server reachable at
/// `ip:port`, stamped `created`; when they are kept from an earlier start (a data
/// directory), brings their address and port up to date, keeping their metadata, as
/// upstream's endpoint reconciler does.
pub fn create_kubernetes_service(
    store: &Store,
    ip: IpAddr,
    port: u16,
    created: &str,
) -> Result<(), StoreError> {
    for (resource, mut object) in [
        (&SERVICES, service(port, created)),
        (&ENDPOINTS, endpoints(ip, port, created)),
        (&ENDPOINT_SLICES, endpoint_slice(ip, port, created)),
    ] {
        let Some(kept) = store.get(resource, "default", NAME) else {
            store.create(resource, object)?;
            continue;
        };
        let kept = kept.value();
        let mut unchanged = kept.clone();
        unchanged["metadata"] = object["metadata"].clone();
        if unchanged != object {
            object["metadata"] = kept["metadata"].clone();
            store.update(resource, object, None)?;
        }
    }
    Ok(())
}

fn metadata(name: &str, created: &str, labels: Value) -> Value {
    json!({
        "name": name,
        "namespace": "default",
        "uid": crate::names::new_uid(),
        "creationTimestamp": created,
        "labels": labels,
    })
}

fn service(port: u16, created: &str) -> Value {
    let ip = cluster_ip::first_ip().to_string();
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(NAME, created, json!({"component": "apiserver", "provider": "kubernetes"})),
        "spec": {
            "clusterIP": ip,
            "clusterIPs": [ip],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"name": PORT_NAME, "port": 443, "protocol": "TCP", "targetPort": port}],
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
        "status": {"loadBalancer": {}},
    })
}

fn endpoints(ip: IpAddr, port: u16, created: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": metadata(NAME, created, json!({"endpointslice.kubernetes.io/skip-mirror": "true"})),
        "subsets": [{
            "addresses": [{"ip": ip.to_string()}],
            "ports": [{"name": PORT_NAME, "port": port, "protocol": "TCP"}],
        }],
    })
}

fn endpoint_slice(ip: IpAddr, port: u16, created: &str) -> Value {
    let address_type = if ip.is_ipv4() { "IPv4" } else { "IPv6" };
    json!({
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": metadata(NAME, created, json!({"kubernetes.io/service-name": NAME})),
        "addressType": address_type,
        "endpoints": [{"addresses": [ip.to_string()], "conditions": {"ready": true}}],
        "ports": [{"name": PORT_NAME, "port": port, "protocol": "TCP"}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::NAMESPACES;

    #[test]
    fn the_kubernetes_service_points_at_the_server() {
        let store = Store::default();
        store
            .create(&NAMESPACES, json!({"metadata": {"name": "default"}}))
            .expect("namespace");
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        create_kubernetes_service(&store, ip, 6443, "2024-05-01T12:00:00Z").expect("created");
        let svc = store
            .get(&SERVICES, "default", NAME)
            .expect("service")
            .value();
        assert_eq!(svc["spec"]["clusterIP"], "10.96.0.1");
        assert_eq!(svc["spec"]["ports"][0]["targetPort"], 6443);
        let ep = store
            .get(&ENDPOINTS, "default", NAME)
            .expect("endpoints")
            .value();
        assert_eq!(ep["subsets"][0]["addresses"][0]["ip"], "127.0.0.1");
        assert_eq!(ep["subsets"][0]["ports"][0]["port"], 6443);
        let slice = store
            .get(&ENDPOINT_SLICES, "default", NAME)
            .expect("slice")
            .value();
        assert_eq!(slice["endpoints"][0]["addresses"], json!(["127.0.0.1"]));
        // Every object is what its kind's decoder would store.
        for (resource, object) in [
            (&SERVICES, svc),
            (&ENDPOINTS, ep),
            (&ENDPOINT_SLICES, slice),
        ] {
            assert_eq!(
                resource
                    .strategy
                    .normalize(resource, &object)
                    .expect("typed"),
                object
            );
        }
    }
}
