//! OpenAPI v3 documents for the served group-versions (`/openapi/v3` and
//! `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`), and the empty `/openapi/v2`.
//!
//! kubectl reads them on every `create -f` / `apply -f`: a PATCH operation that carries the
//! kind's `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter makes it
//! leave validation to the server (`fieldValidation=Strict`), the component schemas (with
//! `x-kubernetes-patch-merge-key` / `x-kubernetes-patch-strategy` on merge lists) drive the
//! strategic merge patch of client-side apply, and `kubectl explain` prints their descriptions.
//! `paths` builds the operations, `schemas` the component schemas; this module assembles
//! and publishes them. A document is built on first request, not at start, and kept serialized.

mod paths;
mod schemas;

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use super::discovery::KUBERNETES_VERSION;
use super::kinds::{ResourceInfo, ALL};

pub use schemas::SchemaError;

const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("{SCHEMA_REF_PREFIX}{name}")})
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "kind": kind, "version": version})
}

/// Where a group-version's document lives: `api/v1` or `apis/<group>/<version>`.
fn group_version_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// Builds the document of one group-version; `bound` adds bound mode's TokenRequest
/// subresource (and its schema) to `api/v1`.
fn build_document(group: &str, version: &str, bound: bool) -> Result<Value, SchemaError> {
    let mut resources: Vec<&ResourceInfo> = ALL
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    let mut paths = Map::new();
    for resource in &resources {
        let (kind_schema, list_schema) = schemas::kind_schema_names(resource)?;
        paths::add_resource_paths(resource, &kind_schema, &list_schema, &mut paths);
    }
    if bound && (group, version) == ("", "v1") {
        let token = &super::kinds::serviceaccount_token::TOKEN_REQUESTS;
        let (kind_schema, _) = schemas::kind_schema_names(token)?;
        paths::add_service_account_token_path(&kind_schema, &mut paths);
        resources.push(token);
    }
    let schemas = schemas::component_schemas(group, version, &resources)?;
    Ok(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "description": "Bearer Token authentication",
                    "name": "authorization",
                    "in": "header",
                }
            },
        },
        "security": [{"BearerToken": []}],
    }))
}

/// One published document: serialized once, with its content hash.
struct PublishedDocument {
    path: String,
    body: Vec<u8>,
    hash: String,
}

fn sha512_hex_upper(data: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, data);
    digest.as_ref().iter().map(|b| format!("{b:02X}")).collect()
}

/// The served group-versions with a document: the GA ones only (`v1`, `v2`), since the
/// older review versions exist for `kubectl auth whoami` of kubectl 1.27, which reads no
/// OpenAPI.
fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut group_versions: Vec<(&str, &str)> = Vec::new();
    let is_ga = |version: &str| !version.contains("alpha") && !version.contains("beta");
    for resource in ALL.iter().filter(|r| is_ga(r.version)) {
        if !group_versions.contains(&(resource.group, resource.version)) {
            group_versions.push((resource.group, resource.version));
        }
    }
    group_versions
}

fn build_all(bound: bool) -> Result<Vec<PublishedDocument>, SchemaError> {
    group_versions()
        .into_iter()
        .map(|(group, version)| {
            let document = build_document(group, version, bound)?;
            let body = serde_json::to_vec(&document).unwrap_or_default();
            let hash = sha512_hex_upper(&body);
            Ok(PublishedDocument {
                path: group_version_path(group, version),
                body,
                hash,
            })
        })
        .collect()
}

/// Every document, built on first use (the root listing needs all their hashes); one set
/// for legacy mode and one, with the TokenRequest subresource, for bound mode.
fn documents(bound: bool) -> &'static [PublishedDocument] {
    static LEGACY: OnceLock<Vec<PublishedDocument>> = OnceLock::new();
    static BOUND: OnceLock<Vec<PublishedDocument>> = OnceLock::new();
    let cell = if bound { &BOUND } else { &LEGACY };
    cell.get_or_init(|| {
        build_all(bound).unwrap_or_else(|err| {
            tracing::error!(%err, "OpenAPI schemas cannot be built; serving no OpenAPI documents");
            Vec::new()
        })
    })
}

/// Accepts `api/v1`, `/api/v1` or `/openapi/v3/api/v1`.
fn find(path: &str) -> Option<&'static PublishedDocument> {
    find_for(path, false)
}

fn find_for(path: &str, bound: bool) -> Option<&'static PublishedDocument> {
    let path = path.trim_start_matches('/');
    let path = path.strip_prefix("openapi/v3/").unwrap_or(path);
    documents(bound).iter().find(|d| d.path == path)
}

/// The body of `GET /openapi/v3`: where each group-version's document lives.
pub fn openapi_v3_root() -> Value {
    openapi_v3_root_for(false)
}

/// [`openapi_v3_root`] of a legacy-mode (`bound` false) or bound-mode server.
pub fn openapi_v3_root_for(bound: bool) -> Value {
    let paths: Map<String, Value> = documents(bound)
        .iter()
        .map(|d| {
            (
                d.path.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{}?hash={}", d.path, d.hash)}),
            )
        })
        .collect();
    json!({"paths": paths})
}

/// The document for `api/v1` or `apis/<group>/<version>`, or `None` if that is not served.
/// Parsed from [`openapi_v3_document_bytes`]; a server answers with those bytes.
pub fn openapi_v3_document(path: &str) -> Option<Value> {
    find(path).and_then(|d| serde_json::from_slice(&d.body).ok())
}

/// The same document already serialized (JSON), to answer without re-encoding it on every
/// request.
pub fn openapi_v3_document_bytes(path: &str) -> Option<&'static [u8]> {
    openapi_v3_document_bytes_for(path, false)
}

/// [`openapi_v3_document_bytes`] of a legacy-mode (`bound` false) or bound-mode server;
/// bound mode's `api/v1` has the `serviceaccounts/{name}/token` operation.
pub fn openapi_v3_document_bytes_for(path: &str, bound: bool) -> Option<&'static [u8]> {
    find_for(path, bound).map(|d| d.body.as_slice())
}

/// The content hash in the document's `serverRelativeURL` (usable as an ETag; a request whose
/// `hash` query matches may be cached as immutable).
pub fn openapi_v3_hash(path: &str) -> Option<&'static str> {
    find(path).map(|d| d.hash.as_str())
}

/// `Content-Type` for [`openapi_v2_protobuf`]. (The `@` of the media type kubectl asks for is
/// not valid in a response header: client-go fails to parse it.)
pub const OPENAPI_V2_CONTENT_TYPE: &str = "application/octet-stream";

/// A body for `GET /openapi/v2`: an empty OpenAPI v2 protobuf document. kubectl 1.27 and 1.28
/// abort `create -f` / `apply -f` when `/openapi/v2` answers 404, whereas an empty document
/// parses, and they then use the v3 documents (field validation) and their built-in types
/// (strategic merge) instead. Newer kubectl only consults it after v3 and accepts it too.
pub fn openapi_v2_protobuf() -> &'static [u8] {
    // Every field of the protobuf `openapi.v2.Document` is optional, so zero bytes decode.
    &[]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn collect_refs(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(name) = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix(SCHEMA_REF_PREFIX))
                {
                    out.insert(name.to_string());
                }
                map.values().for_each(|v| collect_refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }

    /// The definition a property refers to, directly or (with a description) through `allOf`.
    fn target_ref(property: &Value) -> &Value {
        property
            .get("allOf")
            .and_then(|all| all.get(0))
            .unwrap_or(property)
            .get("$ref")
            .unwrap_or(&Value::Null)
    }

    fn doc(path: &str) -> Value {
        openapi_v3_document(path).expect("document")
    }

    #[test]
    fn root_lists_each_group_version_with_a_stable_hash() {
        let root = openapi_v3_root();
        let paths = root["paths"].as_object().expect("paths");
        for path in [
            "api/v1",
            "apis/authentication.k8s.io/v1",
            "apis/apps/v1",
            "apis/autoscaling/v2",
            "apis/events.k8s.io/v1",
            "apis/authorization.k8s.io/v1",
            "apis/rbac.authorization.k8s.io/v1",
            "apis/admissionregistration.k8s.io/v1",
        ] {
            assert!(paths.contains_key(path), "{path}");
        }
        assert!(!paths.contains_key("apis/authentication.k8s.io/v1beta1"));
        // Every group-version's document was built: no field rules disagree.
        assert_eq!(paths.len(), group_versions().len());
        let url = paths["api/v1"]["serverRelativeURL"].as_str().expect("url");
        let hash = openapi_v3_hash("api/v1").expect("hash");
        assert_eq!(url, format!("/openapi/v3/api/v1?hash={hash}"));
        assert_eq!(hash.len(), 128);
        assert!(hash
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
        assert_eq!(openapi_v3_root(), root);
        let bytes = openapi_v3_document_bytes("/openapi/v3/api/v1").expect("bytes");
        assert_eq!(sha512_hex_upper(bytes), hash);
        assert_ne!(openapi_v3_hash("apis/authentication.k8s.io/v1"), Some(hash));
    }

    #[test]
    fn every_group_version_document_builds() {
        for bound in [false, true] {
            if let Err(err) = build_all(bound) {
                panic!("{err}");
            }
        }
    }

    #[test]
    fn openapi_v2_placeholder_is_an_empty_protobuf_document() {
        assert!(openapi_v2_protobuf().is_empty());
        assert!(!OPENAPI_V2_CONTENT_TYPE.contains('@'));
    }

    #[test]
    fn unknown_paths_are_absent() {
        for path in [
            "api/v2",
            "apis/apps/v2",
            "apis/authentication.k8s.io",
            "",
            "api",
        ] {
            assert!(openapi_v3_document(path).is_none(), "{path}");
        }
    }

    /// What kubectl's `queryParamVerifierV3` does: find the PATCH operation for the GVK and
    /// look for `fieldValidation` among its query parameters.
    fn supports_field_validation(document: &Value, group: &str, version: &str, kind: &str) -> bool {
        let wanted = gvk(group, version, kind);
        let Some(paths) = document["paths"].as_object() else {
            return false;
        };
        paths.values().any(|path| {
            path.get("patch").is_some_and(|op| {
                op["x-kubernetes-group-version-kind"] == wanted
                    && op["parameters"].as_array().is_some_and(|params| {
                        params
                            .iter()
                            .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
                    })
                    && op["requestBody"]["content"]
                        .get("application/strategic-merge-patch+json")
                        .is_some()
            })
        })
    }

    #[test]
    fn every_core_kind_supports_field_validation_and_strategic_merge() {
        let core = doc("api/v1");
        for kind in ["Pod", "Secret", "ServiceAccount", "Namespace", "ConfigMap"] {
            assert!(supports_field_validation(&core, "", "v1", kind), "{kind}");
        }
        assert!(!supports_field_validation(
            &core,
            "apps",
            "v1",
            "Deployment"
        ));
    }

    #[test]
    fn core_paths_and_actions() {
        let core = doc("/api/v1");
        assert_eq!(core["openapi"], "3.0.0");
        let paths = core["paths"].as_object().expect("paths");
        let pods = &paths["/api/v1/namespaces/{namespace}/pods/{name}"];
        for (method, action) in [
            ("get", "get"),
            ("put", "put"),
            ("patch", "patch"),
            ("delete", "delete"),
        ] {
            assert_eq!(pods[method]["x-kubernetes-action"], action, "{method}");
            assert_eq!(
                pods[method]["x-kubernetes-group-version-kind"],
                gvk("", "v1", "Pod")
            );
        }
        assert_eq!(pods["patch"]["operationId"], "patchCoreV1NamespacedPod");
        let collection = &paths["/api/v1/namespaces/{namespace}/pods"];
        assert_eq!(collection["get"]["x-kubernetes-action"], "list");
        assert_eq!(collection["post"]["x-kubernetes-action"], "post");
        assert_eq!(
            collection["delete"]["x-kubernetes-action"],
            "deletecollection"
        );
        assert_eq!(
            collection["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/io.k8s.api.core.v1.PodList"
        );
        assert!(collection["post"]["parameters"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["name"] == "fieldValidation")));
        assert_eq!(
            paths["/api/v1/pods"]["get"]["operationId"],
            "listCoreV1PodForAllNamespaces"
        );
        // Namespaces are cluster-scoped and have no deletecollection verb.
        let namespaces = &paths["/api/v1/namespaces"];
        assert!(namespaces.get("delete").is_none());
        assert_eq!(namespaces["post"]["operationId"], "createCoreV1Namespace");
        assert!(paths["/api/v1/namespaces/{name}"].get("patch").is_some());
    }

    #[test]
    fn core_schemas_carry_kinds_and_merge_keys() {
        let core = doc("api/v1");
        let schemas = &core["components"]["schemas"];
        let pod = &schemas["io.k8s.api.core.v1.Pod"];
        assert_eq!(
            pod["x-kubernetes-group-version-kind"],
            json!([gvk("", "v1", "Pod")])
        );
        assert_eq!(
            *target_ref(&pod["properties"]["spec"]),
            "#/components/schemas/io.k8s.api.core.v1.PodSpec"
        );
        let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        let volumes = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["volumes"];
        assert_eq!(volumes["x-kubernetes-patch-strategy"], "merge,retainKeys");
        let env = &schemas["io.k8s.api.core.v1.Container"]["properties"]["env"];
        assert_eq!(env["x-kubernetes-patch-merge-key"], "name");
        let ports = &schemas["io.k8s.api.core.v1.Container"]["properties"]["ports"];
        assert_eq!(ports["x-kubernetes-patch-merge-key"], "containerPort");
        let secrets = &schemas["io.k8s.api.core.v1.ServiceAccount"]["properties"]["secrets"];
        assert_eq!(secrets["x-kubernetes-patch-merge-key"], "name");
        let owners = &schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]
            ["ownerReferences"];
        assert_eq!(owners["x-kubernetes-patch-merge-key"], "uid");
        assert_eq!(
            schemas["io.k8s.api.core.v1.Secret"]["properties"]["data"]["additionalProperties"],
            json!({"type": "string", "format": "byte"})
        );
        assert_eq!(
            schemas["io.k8s.api.core.v1.PodList"]["x-kubernetes-group-version-kind"],
            json!([gvk("", "v1", "PodList")])
        );
        for kind in ["Namespace", "ServiceAccount", "Secret", "ConfigMap"] {
            let schema = &schemas[format!("io.k8s.api.core.v1.{kind}").as_str()];
            assert_eq!(
                schema["x-kubernetes-group-version-kind"],
                json!([gvk("", "v1", kind)]),
                "{kind}"
            );
        }
        // Every reference in the document resolves inside it.
        let mut refs = BTreeSet::new();
        collect_refs(&core, &mut refs);
        for name in refs {
            assert!(schemas.get(&name).is_some(), "dangling {name}");
        }
        // Types of other groups stay out of the core document.
        assert!(schemas
            .get("io.k8s.api.authentication.v1.SelfSubjectReview")
            .is_none());
    }

    #[test]
    fn authentication_document() {
        let authn = doc("apis/authentication.k8s.io/v1");
        let paths = authn["paths"].as_object().expect("paths");
        let keys: Vec<&String> = paths.keys().collect();
        assert_eq!(
            keys,
            [
                "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                "/apis/authentication.k8s.io/v1/tokenreviews"
            ]
        );
        let post = &paths["/apis/authentication.k8s.io/v1/selfsubjectreviews"]["post"];
        assert_eq!(
            post["operationId"],
            "createAuthenticationV1SelfSubjectReview"
        );
        assert_eq!(
            post["x-kubernetes-group-version-kind"],
            gvk("authentication.k8s.io", "v1", "SelfSubjectReview")
        );
        let schemas = &authn["components"]["schemas"];
        assert_eq!(
            schemas["io.k8s.api.authentication.v1.SelfSubjectReview"]
                ["x-kubernetes-group-version-kind"],
            json!([gvk("authentication.k8s.io", "v1", "SelfSubjectReview")])
        );
        assert!(schemas
            .get("io.k8s.api.authentication.v1.UserInfo")
            .is_some());
        assert!(schemas.get("io.k8s.api.core.v1.PodSpec").is_none());
        // Create-only kinds have no list type.
        assert!(schemas
            .get("io.k8s.api.authentication.v1.SelfSubjectReviewList")
            .is_none());
    }

    /// A miniature of strategic-merge `PatchMetaFromOpenAPIV3`: walk properties by name,
    /// resolving `$ref` (also inside `allOf`), as kubectl does when it computes an apply patch.
    fn lookup<'a>(schemas: &'a Value, kind_schema: &str, path: &[&str]) -> Option<&'a Value> {
        let mut schema = &schemas[kind_schema];
        let mut property = None;
        for key in path {
            let field = schema["properties"].get(*key)?;
            property = Some(field);
            let target = field.get("items").unwrap_or(field);
            if let Some(name) = target_ref(target)
                .as_str()
                .and_then(|r| r.strip_prefix(SCHEMA_REF_PREFIX))
            {
                schema = schemas.get(name)?;
            } else {
                schema = target;
            }
        }
        property
    }

    #[test]
    fn apply_patch_lookups_resolve() {
        let core = doc("api/v1");
        let schemas = &core["components"]["schemas"];
        let pod = "io.k8s.api.core.v1.Pod";
        let cases: &[(&[&str], Option<&str>)] = &[
            (&["spec", "containers"], Some("name")),
            (&["spec", "containers", "env"], Some("name")),
            (&["spec", "containers", "volumeMounts"], Some("mountPath")),
            (&["spec", "containers", "resources", "limits"], None),
            (&["spec", "volumes"], Some("name")),
            (&["spec", "volumes", "secret", "items"], None),
            (&["spec", "imagePullSecrets"], Some("name")),
            (&["spec", "tolerations"], None),
            (&["metadata", "labels"], None),
            (&["metadata", "ownerReferences"], Some("uid")),
            (&["status", "conditions"], Some("type")),
        ];
        for (path, merge_key) in cases {
            let property =
                lookup(schemas, pod, path).unwrap_or_else(|| panic!("{path:?} resolves"));
            assert_eq!(
                property["x-kubernetes-patch-merge-key"].as_str(),
                *merge_key,
                "{path:?}"
            );
        }
    }

    #[test]
    fn bound_mode_lists_the_token_subresource_in_api_v1_only() {
        let token_path = "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token";
        let legacy: Value =
            serde_json::from_slice(openapi_v3_document_bytes_for("api/v1", false).expect("legacy"))
                .expect("json");
        assert!(legacy["paths"].get(token_path).is_none());
        let bound: Value =
            serde_json::from_slice(openapi_v3_document_bytes_for("api/v1", true).expect("bound"))
                .expect("json");
        let post = &bound["paths"][token_path]["post"];
        assert_eq!(
            post["operationId"],
            "createCoreV1NamespacedServiceAccountToken"
        );
        assert_eq!(
            post["x-kubernetes-group-version-kind"],
            json!({"group": "authentication.k8s.io", "kind": "TokenRequest", "version": "v1"})
        );
        let schema = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .expect("ref")
            .strip_prefix(SCHEMA_REF_PREFIX)
            .expect("component");
        assert_eq!(schema, "io.k8s.api.authentication.v1.TokenRequest");
        assert!(bound["components"]["schemas"].get(schema).is_some());
        let mut refs = BTreeSet::new();
        collect_refs(&bound, &mut refs);
        for name in refs {
            assert!(
                bound["components"]["schemas"].get(&name).is_some(),
                "{name}"
            );
        }
        assert_ne!(
            openapi_v3_root_for(true)["paths"]["api/v1"],
            openapi_v3_root_for(false)["paths"]["api/v1"]
        );
        assert_eq!(
            openapi_v3_root_for(true)["paths"]["apis/authentication.k8s.io/v1"],
            openapi_v3_root_for(false)["paths"]["apis/authentication.k8s.io/v1"]
        );
    }
}
