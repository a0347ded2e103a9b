//! Cluster IPs and node ports of Services (`pkg/registry/core/service/ipallocator` and
//! `portallocator`, as `storage/alloc.go` uses them): cluster IPs from the service CIDR
//! [`SERVICE_CIDR`], node ports from [`NODE_PORT_RANGE`].
//!
//! What is taken is read from the stored Services (their `spec.clusterIP` is an indexed
//! field), plus the reservations of creates still in flight, kept per store; so a deleted
//! Service frees its addresses however it went. Dynamic cluster IPs are picked at random
//! from the upper part of the range, as upstream does, leaving the lower part
//! (`min(max(16, size/16), 256)` addresses) to Services that ask for an address.

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use rand::Rng;
use serde_json::{json, Value};

use super::SERVICES;
use crate::apiserver::errors::ApiError;
use crate::apiserver::kinds::Allocation;
use crate::apiserver::store::Store;
use crate::apiserver::validation::{index, items, Issues};

/// The service CIDR (kube-apiserver's `--service-cluster-ip-range` default in kubeadm
/// clusters).
pub const SERVICE_CIDR: (Ipv4Addr, u8) = (Ipv4Addr::new(10, 96, 0, 0), 12);
/// Node ports (`--service-node-port-range`'s default), inclusive.
pub const NODE_PORT_RANGE: (u16, u16) = (30000, 32767);

/// Cluster IPs and node ports reserved by creates not stored yet.
#[derive(Default)]
pub struct Reservations {
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    ips: HashSet<u32>,
    node_ports: HashSet<u16>,
}

/// Drops a create's reservations when the create is over.
struct Held {
    reservations: Arc<Reservations>,
    ips: Vec<u32>,
    node_ports: Vec<u16>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut pending = self
            .reservations
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for ip in &self.ips {
            pending.ips.remove(ip);
        }
        for port in &self.node_ports {
            pending.node_ports.remove(port);
        }
    }
}

/// The first and last usable address of the CIDR (network and broadcast excluded).
fn usable_range() -> (u32, u32) {
    let (base, bits) = SERVICE_CIDR;
    let size = 1u32 << (32 - bits);
    let first = u32::from(base) + 1;
    (first, first + size - 3)
}

/// The first usable address: the `kubernetes` Service's.
pub fn first_ip() -> Ipv4Addr {
    Ipv4Addr::from(usable_range().0)
}

/// Picks a free address: at random from the dynamic part, else the first free one.
fn pick_ip(taken: &HashSet<u32>) -> Option<u32> {
    let (first, last) = usable_range();
    let size = last - first + 1;
    let static_band = (size / 16).clamp(16, 256);
    let mut rng = rand::rng();
    for _ in 0..64 {
        let candidate = rng.random_range(first + static_band..=last);
        if !taken.contains(&candidate) {
            return Some(candidate);
        }
    }
    (first..=last).find(|ip| !taken.contains(ip))
}

fn pick_node_port(taken: &HashSet<u16>) -> Option<u16> {
    let (low, high) = NODE_PORT_RANGE;
    let mut rng = rand::rng();
    for _ in 0..64 {
        let candidate = rng.random_range(low..=high);
        if !taken.contains(&candidate) {
            return Some(candidate);
        }
    }
    (low..=high).find(|port| !taken.contains(port))
}

/// Cluster IPs of the stored Services.
fn stored_ips(store: &Store) -> HashSet<u32> {
    store
        .list(&SERVICES, None)
        .0
        .iter()
        .filter_map(|s| s.indexed_field("spec.clusterIP"))
        .filter_map(|ip| ip.parse::<Ipv4Addr>().ok())
        .map(u32::from)
        .collect()
}

/// Node ports of the stored Services (only those of NodePort and LoadBalancer type).
fn stored_node_ports(store: &Store) -> HashSet<u16> {
    let (services, _) = store.list(&SERVICES, None);
    services
        .iter()
        .filter(|s| {
            matches!(
                s.indexed_field("spec.type"),
                Some("NodePort" | "LoadBalancer")
            )
        })
        .flat_map(|s| {
            items(s.value()["spec"].get("ports"))
                .iter()
                .filter_map(|p| p["nodePort"].as_u64())
                .filter_map(|p| u16::try_from(p).ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Allocates a new Service's cluster IP (`spec.clusterIP`, `clusterIPs`, `ipFamilies`,
/// `ipFamilyPolicy`) and node ports: the ones it asks for when free and in range (else 422
/// with upstream's text), or free ones.
pub(super) fn allocate(store: &Store, service: &mut Value) -> Result<Allocation, ApiError> {
    let reservations = store.extension::<Reservations>();
    let mut held = Held {
        reservations: reservations.clone(),
        ips: Vec::new(),
        node_ports: Vec::new(),
    };
    let kind = service["spec"]["type"]
        .as_str()
        .unwrap_or("ClusterIP")
        .to_string();
    if kind == "ExternalName" {
        return Ok(Allocation::none());
    }
    normalize_cluster_ips(service);
    let requested = service["spec"]["clusterIP"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut pending = reservations
        .pending
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if requested != "None" {
        let mut taken = stored_ips(store);
        taken.extend(pending.ips.iter().copied());
        let ip = if requested.is_empty() {
            pick_ip(&taken).ok_or_else(|| {
                ApiError::internal("failed to allocate a serviceIP: range is full")
            })?
        } else {
            check_requested_ip(service, &requested, &taken)?
        };
        pending.ips.insert(ip);
        held.ips.push(ip);
        let ip = Ipv4Addr::from(ip).to_string();
        service["spec"]["clusterIP"] = json!(ip);
        service["spec"]["clusterIPs"] = json!([ip]);
    }
    service["spec"]["ipFamilies"] = json!(["IPv4"]);
    service["spec"]["ipFamilyPolicy"] = json!("SingleStack");
    if matches!(kind.as_str(), "NodePort" | "LoadBalancer") {
        let mut taken = stored_node_ports(store);
        taken.extend(pending.node_ports.iter().copied());
        allocate_node_ports(service, &mut taken, &mut held.node_ports)?;
        pending.node_ports.extend(held.node_ports.iter().copied());
    }
    Ok(Allocation::held(held))
}

/// `clusterIP` and `clusterIPs` agree: either fills the other (upstream's
/// `normalizeClusterIPs`).
fn normalize_cluster_ips(service: &mut Value) {
    let spec = &mut service["spec"];
    let ip = spec["clusterIP"].as_str().unwrap_or_default().to_string();
    let first = spec["clusterIPs"]
        .get(0)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if ip.is_empty() && !first.is_empty() {
        spec["clusterIP"] = json!(first);
    } else if !ip.is_empty() && first.is_empty() {
        spec["clusterIPs"] = json!([ip]);
    }
}

fn check_requested_ip(
    service: &Value,
    requested: &str,
    taken: &HashSet<u32>,
) -> Result<u32, ApiError> {
    let (base, bits) = SERVICE_CIDR;
    let (first, last) = usable_range();
    let failure = |reason: String| {
        let mut issues = Issues::default();
        issues.invalid_rendered(
            "spec.clusterIPs",
            super::go_strings(&service["spec"]["clusterIPs"]),
            format!("failed to allocate IP {requested}: {reason}"),
        );
        match issues.into_result(&SERVICES, service) {
            Err(e) => e,
            Ok(()) => ApiError::internal(reason),
        }
    };
    let ip = requested
        .parse::<Ipv4Addr>()
        .map(u32::from)
        .map_err(|_| failure("not a valid IPv4 address".to_string()))?;
    if !(first..=last).contains(&ip) {
        return Err(failure(format!(
            "the provided IP ({requested}) is not in the valid range. The range of valid IPs is {base}/{bits}"
        )));
    }
    if taken.contains(&ip) {
        return Err(failure("provided IP is already allocated".to_string()));
    }
    Ok(ip)
}

fn allocate_node_ports(
    service: &mut Value,
    taken: &mut HashSet<u16>,
    held: &mut Vec<u16>,
) -> Result<(), ApiError> {
    let snapshot = service.clone();
    let Some(ports) = service["spec"]["ports"].as_array_mut() else {
        return Ok(());
    };
    let (low, high) = NODE_PORT_RANGE;
    let mut issues = Issues::default();
    for (i, port) in ports.iter_mut().enumerate() {
        let asked = port["nodePort"].as_i64().unwrap_or(0);
        let chosen = if asked == 0 {
            pick_node_port(taken)
        } else {
            let field = format!("{}.nodePort", index("spec.ports", i));
            match u16::try_from(asked) {
                Ok(p) if (low..=high).contains(&p) && !taken.contains(&p) => Some(p),
                Ok(p) if (low..=high).contains(&p) => {
                    issues.invalid_rendered(
                        field,
                        asked.to_string(),
                        "provided port is already allocated",
                    );
                    None
                }
                _ => {
                    issues.invalid_rendered(
                        field,
                        asked.to_string(),
                        format!("provided port is not in the valid range. The range of valid ports is {low}-{high}"),
                    );
                    None
                }
            }
        };
        if let Some(p) = chosen {
            taken.insert(p);
            held.push(p);
            port["nodePort"] = json!(p);
        } else if asked == 0 {
            return Err(ApiError::internal(
                "failed to allocate a nodePort: range is full",
            ));
        }
    }
    issues.into_result(&SERVICES, &snapshot)
}

/// An update keeps what the stored Service was given when the request leaves it out
/// (upstream's `patchAllocatedValues`): cluster IPs, IP families and node ports.
pub(super) fn keep_allocations(old: &Value, new: &mut Value) {
    let (old_spec, Some(new_spec)) = (&old["spec"], new.get_mut("spec")) else {
        return;
    };
    if new_spec["type"] == "ExternalName" {
        return;
    }
    for field in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
        let unset = match new_spec.get(field) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(_) => false,
        };
        if unset && !old_spec[field].is_null() {
            new_spec[field] = old_spec[field].clone();
        }
    }
    let old_ports = items(old_spec.get("ports"));
    if let Some(ports) = new_spec.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports.iter_mut() {
            if port["nodePort"].as_i64().unwrap_or(0) != 0 {
                continue;
            }
            let same = old_ports
                .iter()
                .find(|p| p["port"] == port["port"] && p["protocol"] == port["protocol"]);
            if let Some(node_port) = same.map(|p| &p["nodePort"]).filter(|n| !n.is_null()) {
                port["nodePort"] = node_port.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::NAMESPACES;

    fn store() -> Store {
        let store = Store::default();
        store
            .create(&NAMESPACES, json!({"metadata": {"name": "ns"}}))
            .expect("namespace");
        store
    }

    fn service(name: &str, spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": "ns"}, "spec": spec})
    }

    fn store_service(store: &Store, mut svc: Value) -> Value {
        let held = allocate(store, &mut svc).expect("allocated");
        store.create(&SERVICES, svc.clone()).expect("stored");
        drop(held);
        svc
    }

    #[test]
    fn dynamic_ips_come_from_the_upper_part_of_the_cidr() {
        let store = store();
        let mut seen = HashSet::new();
        for i in 0..20 {
            let svc = store_service(
                &store,
                service(&format!("s{i}"), json!({"ports": [{"port": 80}]})),
            );
            let ip: Ipv4Addr = svc["spec"]["clusterIP"]
                .as_str()
                .expect("ip")
                .parse()
                .expect("ipv4");
            let offset = u32::from(ip) - u32::from(SERVICE_CIDR.0);
            assert!((257..(1 << 20) - 1).contains(&offset), "{ip}");
            assert_eq!(svc["spec"]["clusterIPs"], json!([ip.to_string()]));
            assert_eq!(svc["spec"]["ipFamilies"], json!(["IPv4"]));
            assert_eq!(svc["spec"]["ipFamilyPolicy"], "SingleStack");
            assert!(seen.insert(ip), "{ip} given twice");
        }
        assert_eq!(first_ip(), Ipv4Addr::new(10, 96, 0, 1));
    }

    #[test]
    fn a_requested_ip_is_given_once_and_only_inside_the_cidr() {
        let store = store();
        let svc = store_service(&store, service("dns", json!({"clusterIP": "10.96.0.10"})));
        assert_eq!(svc["spec"]["clusterIPs"], json!(["10.96.0.10"]));
        let mut again = service("dns2", json!({"clusterIP": "10.96.0.10"}));
        let err = allocate(&store, &mut again).err().expect("taken");
        assert_eq!(err.code, 422);
        assert_eq!(
            err.message,
            "Service \"dns2\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.10\"}: failed to allocate IP 10.96.0.10: provided IP is already allocated"
        );
        let mut outside = service("far", json!({"clusterIPs": ["192.168.0.1"]}));
        let err = allocate(&store, &mut outside).err().expect("outside");
        assert!(err.message.ends_with(
            "failed to allocate IP 192.168.0.1: the provided IP (192.168.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12"
        ), "{}", err.message);
    }

    #[test]
    fn in_flight_reservations_are_not_given_twice_and_end_with_the_create() {
        let store = store();
        let mut first = service("a", json!({"clusterIP": "10.96.0.20"}));
        let held = allocate(&store, &mut first).expect("first");
        let mut second = service("b", json!({"clusterIP": "10.96.0.20"}));
        assert!(
            allocate(&store, &mut second).is_err(),
            "reserved while in flight"
        );
        drop(held);
        let mut third = service("c", json!({"clusterIP": "10.96.0.20"}));
        assert!(
            allocate(&store, &mut third).is_ok(),
            "free again: never stored"
        );
    }

    #[test]
    fn headless_and_external_name_services_get_no_ip() {
        let store = store();
        let mut headless = service("h", json!({"clusterIP": "None"}));
        allocate(&store, &mut headless).expect("headless");
        assert_eq!(headless["spec"]["clusterIPs"], json!(["None"]));
        let mut external = service(
            "e",
            json!({"type": "ExternalName", "externalName": "x.example"}),
        );
        allocate(&store, &mut external).expect("external");
        assert!(external["spec"].get("clusterIP").is_none());
    }

    #[test]
    fn node_ports_are_allocated_and_kept_across_updates() {
        let store = store();
        let svc = store_service(
            &store,
            service(
                "np",
                json!({"type": "NodePort", "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP", "nodePort": 30443}]}),
            ),
        );
        let dynamic = svc["spec"]["ports"][0]["nodePort"]
            .as_u64()
            .expect("node port");
        assert!((30000..=32767).contains(&dynamic));
        assert_eq!(svc["spec"]["ports"][1]["nodePort"], 30443);
        let mut clash = service(
            "np2",
            json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30443}]}),
        );
        let err = allocate(&store, &mut clash).err().expect("taken");
        assert!(
            err.message.ends_with(
                "spec.ports[0].nodePort: Invalid value: 30443: provided port is already allocated"
            ),
            "{}",
            err.message
        );

        let mut update = service(
            "np",
            json!({"type": "NodePort", "ports": [{"port": 80, "protocol": "TCP"}]}),
        );
        keep_allocations(&svc, &mut update);
        assert_eq!(update["spec"]["clusterIP"], svc["spec"]["clusterIP"]);
        assert_eq!(update["spec"]["ports"][0]["nodePort"], dynamic);
    }
}
