//! API discovery documents: `/version`, `/api`, `/apis`, the per-group and per-version resource
//! lists, and the aggregated (`apidiscovery.k8s.io`) form that kubectl ≥ 1.26 asks for first.
//!
//! Everything is derived from [`kinds::ALL`](super::kinds::ALL), so a resource added to the
//! registry shows up in every discovery document at once.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::kinds::{ResourceInfo, ALL};

/// The Kubernetes release this server presents itself as. `/version` reports 1.33 so that
/// kubectl's version dispatcher picks kubectl 1.33.
pub const KUBERNETES_VERSION: &str = "v1.33.0";

pub(crate) const VERSION_MAJOR: &str = "1";
pub(crate) const VERSION_MINOR: &str = "33";
/// The oldest minor release this one stays compatible with (upstream reports n-1).
const MIN_COMPATIBILITY_MINOR: &str = "32";

const AGGREGATED_GROUP: &str = "apidiscovery.k8s.io";
const AGGREGATED_KIND: &str = "APIGroupDiscoveryList";
const CONTENT_TYPE_V2: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const CONTENT_TYPE_V2BETA1: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

/// The body of `GET /version`.
pub fn version_info() -> Value {
    json!({
        "major": VERSION_MAJOR,
        "minor": VERSION_MINOR,
        "emulationMajor": VERSION_MAJOR,
        "emulationMinor": VERSION_MINOR,
        "minCompatibilityMajor": VERSION_MAJOR,
        "minCompatibilityMinor": MIN_COMPATIBILITY_MINOR,
        "gitVersion": KUBERNETES_VERSION,
        "gitCommit": format!("kube-sa-{}", env!("CARGO_PKG_VERSION")),
        "gitTreeState": "clean",
        "buildDate": "2025-04-23T00:00:00Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": format!("{}/{}", std::env::consts::OS, go_arch()),
    })
}

/// Architecture names as Go spells them, which is what clients expect in `platform`.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The body of `GET /api` (legacy `APIVersions`).
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    })
}

/// kube-apiserver's group priorities, highest first (the `Group` priorities of
/// `apiVersionPriorities` in `cmd/kube-apiserver/app/aggregator.go` and
/// `DefaultGenericAPIServicePriorities`); discovery lists groups in this order, equal
/// priorities by name, so `kubectl api-resources` prints them as on a real cluster.
const GROUP_PRIORITIES: &[(&str, u32)] = &[
    ("apiregistration.k8s.io", 18000),
    ("apps", 17800),
    ("events.k8s.io", 17750),
    ("authentication.k8s.io", 17700),
    ("authorization.k8s.io", 17600),
    ("autoscaling", 17500),
    ("batch", 17400),
    ("certificates.k8s.io", 17300),
    ("networking.k8s.io", 17200),
    ("policy", 17100),
    ("rbac.authorization.k8s.io", 17000),
    ("storage.k8s.io", 16800),
    ("admissionregistration.k8s.io", 16700),
    ("apiextensions.k8s.io", 16700),
    ("scheduling.k8s.io", 16600),
    ("coordination.k8s.io", 16500),
    ("node.k8s.io", 16300),
    ("discovery.k8s.io", 16200),
    ("flowcontrol.apiserver.k8s.io", 16100),
];

/// Named API groups in kube-apiserver's priority order ([`GROUP_PRIORITIES`]; a group
/// not listed comes last), each with its versions in registry order.
fn named_groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for resource in ALL.iter().filter(|r| !r.group.is_empty()) {
        match groups.iter_mut().find(|(name, _)| *name == resource.group) {
            Some((_, versions)) => {
                if !versions.contains(&resource.version) {
                    versions.push(resource.version);
                }
            }
            None => groups.push((resource.group, vec![resource.version])),
        }
    }
    let priority = |group: &str| {
        GROUP_PRIORITIES
            .iter()
            .find(|(name, _)| *name == group)
            .map_or(0, |(_, p)| *p)
    };
    groups.sort_by(|(a, _), (b, _)| priority(b).cmp(&priority(a)).then(a.cmp(b)));
    groups
}

fn group_version_for_discovery(group: &str, version: &str) -> Value {
    json!({"groupVersion": format!("{group}/{version}"), "version": version})
}

/// One `APIGroup` without its type meta, as it appears inside `APIGroupList.groups`.
fn group_entry(group: &str, versions: &[&str]) -> Value {
    let listed: Vec<Value> = versions
        .iter()
        .map(|v| group_version_for_discovery(group, v))
        .collect();
    let preferred = versions
        .first()
        .map(|v| group_version_for_discovery(group, v))
        .unwrap_or(Value::Null);
    json!({"name": group, "versions": listed, "preferredVersion": preferred})
}

/// The body of `GET /apis` (legacy `APIGroupList`).
pub fn api_group_list() -> Value {
    let groups: Vec<Value> = named_groups()
        .iter()
        .map(|(name, versions)| group_entry(name, versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// The body of `GET /apis/<group>`, or `None` for a group this server does not serve.
pub fn api_group(group: &str) -> Option<Value> {
    let groups = named_groups();
    let (name, versions) = groups.iter().find(|(name, _)| *name == group)?;
    let mut entry = group_entry(name, versions);
    if let Some(object) = entry.as_object_mut() {
        object.insert("kind".into(), json!("APIGroup"));
        object.insert("apiVersion".into(), json!("v1"));
    }
    Some(entry)
}

/// The hash upstream publishes so clients can notice a storage version change: the first
/// eight bytes of SHA-256 over `group/version/kind`, base64-encoded.
pub fn storage_version_hash(group: &str, version: &str, kind: &str) -> String {
    let input = format!("{group}/{version}/{kind}");
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, input.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(&digest.as_ref()[..8])
}

fn resources_of(group: &str, version: &str) -> Vec<&'static ResourceInfo> {
    ALL.iter()
        .filter(|r| r.group == group && r.version == version)
        .collect()
}

fn legacy_resource_entry(resource: &ResourceInfo) -> Value {
    let mut entry = Map::new();
    entry.insert("name".into(), json!(resource.plural));
    entry.insert("singularName".into(), json!(resource.singular));
    entry.insert("namespaced".into(), json!(resource.namespaced));
    entry.insert("kind".into(), json!(resource.kind));
    entry.insert("verbs".into(), json!(resource.verbs));
    if !resource.short_names.is_empty() {
        entry.insert("shortNames".into(), json!(resource.short_names));
    }
    let categories = resource.categories;
    if !categories.is_empty() {
        entry.insert("categories".into(), json!(categories));
    }
    // Create-only resources (reviews) are never stored, so upstream gives them no hash.
    if !resource.create_only {
        entry.insert(
            "storageVersionHash".into(),
            json!(storage_version_hash(
                resource.group,
                resource.version,
                resource.kind
            )),
        );
    }
    Value::Object(entry)
}

/// The verbs of a subresource served here: reads and writes of the whole object
/// (`status`, `ephemeralcontainers`), or `update` alone (a namespace's `finalize`).
pub(crate) fn subresource_verbs(sub: &str) -> &'static [&'static str] {
    match sub {
        "finalize" => &["update"],
        _ => &["get", "patch", "update"],
    }
}

/// A subresource's own entry in an `APIResourceList` (`pods/status`), as upstream lists it:
/// no singular name, short names or categories.
fn legacy_subresource_entry(resource: &ResourceInfo, sub: &str) -> Value {
    json!({
        "name": format!("{}/{sub}", resource.plural),
        "singularName": "",
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": subresource_verbs(sub),
    })
}

/// The body of `GET /api/v1` (`group` empty) or `GET /apis/<group>/<version>`, or `None` when
/// nothing is served there.
pub fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = resources_of(group, version)
        .into_iter()
        .flat_map(|resource| {
            std::iter::once(legacy_resource_entry(resource)).chain(
                resource
                    .subresources
                    .iter()
                    .map(|sub| legacy_subresource_entry(resource, sub)),
            )
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}

/// Which `apidiscovery.k8s.io` version an aggregated document is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryVersion {
    /// `apidiscovery.k8s.io/v2` (Kubernetes 1.30+).
    V2,
    /// `apidiscovery.k8s.io/v2beta1` (clients from Kubernetes 1.26).
    V2Beta1,
}

impl DiscoveryVersion {
    fn as_str(self) -> &'static str {
        match self {
            DiscoveryVersion::V2 => "v2",
            DiscoveryVersion::V2Beta1 => "v2beta1",
        }
    }
}

fn aggregated_resource_entry(resource: &ResourceInfo) -> Value {
    let mut entry = Map::new();
    entry.insert("resource".into(), json!(resource.plural));
    entry.insert(
        "responseKind".into(),
        json!({"group": resource.group, "version": resource.version, "kind": resource.kind}),
    );
    entry.insert(
        "scope".into(),
        json!(if resource.namespaced {
            "Namespaced"
        } else {
            "Cluster"
        }),
    );
    entry.insert("singularResource".into(), json!(resource.singular));
    entry.insert("verbs".into(), json!(resource.verbs));
    if !resource.short_names.is_empty() {
        entry.insert("shortNames".into(), json!(resource.short_names));
    }
    let categories = resource.categories;
    if !categories.is_empty() {
        entry.insert("categories".into(), json!(categories));
    }
    if !resource.subresources.is_empty() {
        let subresources: Vec<Value> = resource
            .subresources
            .iter()
            .map(|sub| {
                json!({
                    "subresource": sub,
                    "responseKind": {"group": resource.group, "version": resource.version, "kind": resource.kind},
                    "verbs": subresource_verbs(sub),
                })
            })
            .collect();
        entry.insert("subresources".into(), json!(subresources));
    }
    Value::Object(entry)
}

fn aggregated_group(group: &str, versions: &[&str]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|version| {
            let resources: Vec<Value> = resources_of(group, version)
                .into_iter()
                .map(aggregated_resource_entry)
                .collect();
            json!({"version": version, "resources": resources, "freshness": "Current"})
        })
        .collect();
    // The core group has an empty name, which upstream leaves out of the metadata.
    let metadata = if group.is_empty() {
        json!({})
    } else {
        json!({"name": group})
    };
    json!({"metadata": metadata, "versions": versions})
}

/// The aggregated discovery document (`APIGroupDiscoveryList`) for `/api` (`core`) or `/apis`.
pub fn aggregated_discovery(core: bool, version: DiscoveryVersion) -> Value {
    let items: Vec<Value> = if core {
        vec![aggregated_group("", &["v1"])]
    } else {
        named_groups()
            .iter()
            .map(|(name, versions)| aggregated_group(name, versions))
            .collect()
    };
    json!({
        "kind": AGGREGATED_KIND,
        "apiVersion": format!("{AGGREGATED_GROUP}/{}", version.as_str()),
        "metadata": {},
        "items": items,
    })
}

/// The `Content-Type` of an aggregated discovery response.
pub fn aggregated_content_type(v: DiscoveryVersion) -> &'static str {
    match v {
        DiscoveryVersion::V2 => CONTENT_TYPE_V2,
        DiscoveryVersion::V2Beta1 => CONTENT_TYPE_V2BETA1,
    }
}

/// One media range of an `Accept` header: lower-cased type and parameter names, plus quality.
pub(crate) struct MediaRange {
    pub(crate) mime: String,
    params: Vec<(String, String)>,
    pub(crate) quality: f32,
}

impl MediaRange {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// `q=0` means "not acceptable".
    pub(crate) fn acceptable(&self) -> bool {
        self.quality > 0.0
    }
}

/// Whether the `Accept` header takes JSON converted to the `meta.k8s.io/v1` kind `form`
/// (`application/json;as=<form>;g=meta.k8s.io;v=v1`, or a wildcard type with those
/// parameters): a `Table`, a `PartialObjectMetadata`, ...
pub(crate) fn accepts_json_as(accept: &str, form: &str) -> bool {
    parse_accept(accept).iter().any(|range| {
        range.acceptable()
            && matches!(
                range.mime.as_str(),
                "application/json" | "application/*" | "*/*"
            )
            && range.param("as") == Some(form)
            && range.param("g") == Some("meta.k8s.io")
            && range.param("v") == Some("v1")
    })
}

/// Splits an `Accept` header into media ranges ordered by preference (quality, then position).
pub(crate) fn parse_accept(accept: &str) -> Vec<MediaRange> {
    let mut ranges: Vec<MediaRange> = accept
        .split(',')
        .filter_map(|clause| {
            let mut parts = clause.split(';');
            let mime = parts.next()?.trim().to_ascii_lowercase();
            if mime.is_empty() {
                return None;
            }
            let mut quality = 1.0_f32;
            let mut params = Vec::new();
            for part in parts {
                let Some((key, value)) = part.split_once('=') else {
                    continue;
                };
                let key = key.trim().to_ascii_lowercase();
                let value = value.trim().trim_matches('"').to_string();
                if key == "q" {
                    quality = value.parse().unwrap_or(1.0);
                } else {
                    params.push((key, value));
                }
            }
            Some(MediaRange {
                mime,
                params,
                quality,
            })
        })
        .collect();
    // A stable sort keeps the client's order among equally preferred ranges.
    ranges.sort_by(|a, b| b.quality.total_cmp(&a.quality));
    ranges
}

fn is_json_like(mime: &str) -> bool {
    matches!(mime, "application/json" | "application/*" | "*/*")
}

/// Picks the aggregated discovery format from an `Accept` header; `None` means the legacy
/// JSON documents. Protobuf alternatives are skipped since only JSON is served.
pub fn negotiate_aggregated(accept: &str) -> Option<DiscoveryVersion> {
    for range in parse_accept(accept).iter().filter(|r| r.acceptable()) {
        if !is_json_like(&range.mime) {
            continue;
        }
        let group = range.param("g");
        let kind = range.param("as");
        if group.is_none() && kind.is_none() {
            // Plain JSON is preferred over any aggregated range that follows it.
            return None;
        }
        if group != Some(AGGREGATED_GROUP) || kind != Some(AGGREGATED_KIND) {
            continue;
        }
        match range.param("v") {
            Some("v2") => return Some(DiscoveryVersion::V2),
            Some("v2beta1") => return Some(DiscoveryVersion::V2Beta1),
            _ => continue,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_reports_1_33() {
        let info = version_info();
        assert_eq!(info["major"], "1");
        assert_eq!(info["minor"], "33");
        assert_eq!(info["gitVersion"], KUBERNETES_VERSION);
        for field in [
            "gitCommit",
            "gitTreeState",
            "buildDate",
            "goVersion",
            "compiler",
            "platform",
        ] {
            assert!(
                info[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field}"
            );
        }
        // kube-rs decodes /version into k8s-openapi's Info.
        let decoded: k8s_openapi::apimachinery::pkg::version::Info =
            serde_json::from_value(info).expect("decodes as version.Info");
        assert_eq!(decoded.minor, "33");
    }

    #[test]
    fn api_versions_shape() {
        let doc = api_versions("127.0.0.1:6443");
        assert_eq!(
            doc,
            json!({
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]
            })
        );
    }

    #[test]
    fn groups_come_in_kube_apiservers_priority_order() {
        let names: Vec<&str> = named_groups().iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            [
                "apiregistration.k8s.io",
                "apps",
                "events.k8s.io",
                "authentication.k8s.io",
                "authorization.k8s.io",
                "autoscaling",
                "batch",
                "certificates.k8s.io",
                "networking.k8s.io",
                "policy",
                "rbac.authorization.k8s.io",
                "storage.k8s.io",
                "admissionregistration.k8s.io",
                "apiextensions.k8s.io",
                "scheduling.k8s.io",
                "coordination.k8s.io",
                "node.k8s.io",
                "discovery.k8s.io",
                "flowcontrol.apiserver.k8s.io",
            ]
        );
    }

    #[test]
    fn group_list_and_group() {
        let list = api_group_list();
        assert_eq!(list["kind"], "APIGroupList");
        let groups = list["groups"].as_array().expect("groups");
        assert_eq!(groups[0]["name"], "apiregistration.k8s.io");
        for group in [
            "admissionregistration.k8s.io",
            "authorization.k8s.io",
            "rbac.authorization.k8s.io",
        ] {
            assert!(groups.iter().any(|g| g["name"] == group), "{group}");
        }
        let autoscaling = groups
            .iter()
            .find(|g| g["name"] == "autoscaling")
            .expect("autoscaling");
        assert_eq!(
            autoscaling["preferredVersion"]["groupVersion"],
            "autoscaling/v2"
        );
        assert_eq!(
            groups[0]["preferredVersion"],
            json!({"groupVersion": "apiregistration.k8s.io/v1", "version": "v1"})
        );
        let group = api_group("authentication.k8s.io").expect("served group");
        assert_eq!(group["kind"], "APIGroup");
        assert_eq!(
            group["versions"][0]["groupVersion"],
            "authentication.k8s.io/v1"
        );
        assert!(api_group("apps").is_some());
        assert!(api_group("example.com").is_none());
        assert!(api_group("").is_none());
    }

    #[test]
    fn core_resource_list() {
        let list = api_resource_list("", "v1").expect("core list");
        assert_eq!(list["kind"], "APIResourceList");
        assert_eq!(list["groupVersion"], "v1");
        let resources = list["resources"].as_array().expect("resources");
        let names: Vec<&str> = resources
            .iter()
            .filter_map(|r| r["name"].as_str())
            .filter(|name| !name.contains('/'))
            .collect();
        assert_eq!(
            names[..5],
            [
                "namespaces",
                "serviceaccounts",
                "secrets",
                "pods",
                "configmaps"
            ]
        );
        for name in [
            "nodes",
            "services",
            "endpoints",
            "events",
            "persistentvolumeclaims",
        ] {
            assert!(names.contains(&name), "{name}");
        }
        let pods = resources
            .iter()
            .find(|r| r["name"] == "pods")
            .expect("pods");
        assert_eq!(pods["singularName"], "pod");
        assert_eq!(pods["namespaced"], true);
        assert_eq!(pods["kind"], "Pod");
        assert_eq!(pods["shortNames"], json!(["po"]));
        assert_eq!(pods["categories"], json!(["all"]));
        assert!(pods["verbs"]
            .as_array()
            .is_some_and(|v| v.contains(&json!("watch"))));
        // Each subresource is an entry of its own, after its resource, as upstream lists them.
        let at = |name: &str| resources.iter().position(|r| r["name"] == name);
        assert!(at("pods") < at("pods/status"));
        assert_eq!(
            resources[at("pods/ephemeralcontainers").expect("listed")],
            json!({"name": "pods/ephemeralcontainers", "singularName": "", "namespaced": true,
                   "kind": "Pod", "verbs": ["get", "patch", "update"]})
        );
        assert_eq!(
            resources[at("namespaces/finalize").expect("listed")]["verbs"],
            json!(["update"])
        );
        assert_eq!(resources[0]["namespaced"], false);
        // Secrets have no short names: the field is left out, as upstream does.
        let secrets = &resources[at("secrets").expect("listed")];
        assert!(secrets.get("shortNames").is_none());
        // The list decodes as the type kube-rs uses.
        let _: k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList =
            serde_json::from_value(list).expect("decodes as APIResourceList");
    }

    #[test]
    fn group_resource_list() {
        let list = api_resource_list("authentication.k8s.io", "v1").expect("authn list");
        assert_eq!(list["groupVersion"], "authentication.k8s.io/v1");
        let review = &list["resources"][0];
        assert_eq!(review["name"], "selfsubjectreviews");
        assert_eq!(review["verbs"], json!(["create"]));
        assert!(review.get("storageVersionHash").is_none());
        assert!(
            api_resource_list("authentication.k8s.io", "v1beta1").is_some(),
            "kubectl 1.27's whoami"
        );
        assert!(api_resource_list("authentication.k8s.io", "v2").is_none());
        assert!(api_resource_list("", "v2").is_none());
    }

    #[test]
    fn storage_version_hash_matches_upstream_algorithm() {
        // Values a real 1.33 cluster publishes.
        assert_eq!(storage_version_hash("", "v1", "Pod"), "xPOwRZ+Yhw8=");
        assert_eq!(storage_version_hash("", "v1", "Namespace"), "Q3oi5N2YM8M=");
        let hash = storage_version_hash("", "v1", "Secret");
        assert_eq!(hash.len(), 12);
        assert_eq!(hash, storage_version_hash("", "v1", "Secret"));
    }

    #[test]
    fn aggregated_core_document() {
        let doc = aggregated_discovery(true, DiscoveryVersion::V2);
        assert_eq!(doc["kind"], "APIGroupDiscoveryList");
        assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2");
        let items = doc["items"].as_array().expect("items");
        assert_eq!(items.len(), 1);
        let version = &items[0]["versions"][0];
        assert_eq!(version["version"], "v1");
        assert_eq!(version["freshness"], "Current");
        let pods = version["resources"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["resource"] == "pods"))
            .expect("pods");
        assert_eq!(
            pods,
            &json!({
                "resource": "pods",
                "responseKind": {"group": "", "version": "v1", "kind": "Pod"},
                "scope": "Namespaced",
                "singularResource": "pod",
                "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
                "shortNames": ["po"],
                "categories": ["all"],
                "subresources": [
                    {"subresource": "status", "responseKind": {"group": "", "version": "v1", "kind": "Pod"},
                     "verbs": ["get", "patch", "update"]},
                    {"subresource": "ephemeralcontainers", "responseKind": {"group": "", "version": "v1", "kind": "Pod"},
                     "verbs": ["get", "patch", "update"]},
                ],
            })
        );
        let namespaces = &version["resources"][0];
        assert_eq!(namespaces["scope"], "Cluster");
    }

    #[test]
    fn aggregated_groups_document() {
        let doc = aggregated_discovery(false, DiscoveryVersion::V2Beta1);
        assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2beta1");
        let items = doc["items"].as_array().expect("items");
        assert!(items.iter().any(|i| i["metadata"]["name"] == "apps"));
        assert_eq!(items[0]["metadata"]["name"], "apiregistration.k8s.io");
        for group in ["authorization.k8s.io", "rbac.authorization.k8s.io"] {
            assert!(
                items.iter().any(|i| i["metadata"]["name"] == group),
                "{group}"
            );
        }
        let webhooks = items
            .iter()
            .find(|i| i["metadata"]["name"] == "admissionregistration.k8s.io")
            .expect("admissionregistration.k8s.io");
        let webhooks = &webhooks["versions"][0]["resources"];
        assert_eq!(webhooks[0]["resource"], "mutatingwebhookconfigurations");
        assert_eq!(webhooks[0]["categories"], json!(["api-extensions"]));
        assert_eq!(webhooks[1]["resource"], "validatingwebhookconfigurations");
        let authentication = items
            .iter()
            .find(|i| i["metadata"]["name"] == "authentication.k8s.io")
            .expect("authentication.k8s.io");
        let resource = &authentication["versions"][0]["resources"][0];
        assert_eq!(resource["resource"], "selfsubjectreviews");
        assert_eq!(resource["scope"], "Cluster");
        assert_eq!(
            resource["responseKind"],
            json!({"group": "authentication.k8s.io", "version": "v1", "kind": "SelfSubjectReview"})
        );
    }

    #[test]
    fn negotiation_table() {
        use DiscoveryVersion::*;
        let cases: &[(&str, Option<DiscoveryVersion>)] = &[
            // kubectl 1.30+.
            (
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
                Some(V2),
            ),
            // kubectl 1.33 puts protobuf first; JSON v2 is the first one we can serve.
            (
                "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
                Some(V2),
            ),
            // kubectl ≤ 1.29.
            (
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
                Some(V2Beta1),
            ),
            ("application/json", None),
            ("", None),
            ("*/*", None),
            ("application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", None),
            // Quality values outrank order.
            (
                "application/json;q=0.5, application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io",
                Some(V2),
            ),
            ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0", None),
            ("application/json;g=apidiscovery.k8s.io;v=v1;as=APIGroupDiscoveryList", None),
            ("application/json;as=Table;v=v1;g=meta.k8s.io", None),
        ];
        for (accept, expected) in cases {
            assert_eq!(negotiate_aggregated(accept), *expected, "{accept}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(
            aggregated_content_type(DiscoveryVersion::V2),
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        );
        assert_eq!(
            aggregated_content_type(DiscoveryVersion::V2Beta1),
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
        );
    }
}
