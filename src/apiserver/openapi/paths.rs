//! The path operations of a group-version's OpenAPI v3 document: GET/LIST, POST, PUT, PATCH,
//! DELETE and DELETECOLLECTION for each served resource, with the query parameters a real
//! server lists (`dryRun`, `fieldManager`, `fieldValidation`, ...).
//!
//! kubectl's `queryParamVerifierV3` looks for the PATCH operation carrying the kind's
//! `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter; finding it, it
//! leaves field validation to the server. Operation ids and parameters follow upstream's
//! `k8s.io/apiserver/pkg/endpoints/installer.go`.

use serde_json::{json, Map, Value};

use super::super::kinds::ResourceInfo;
use super::{group_version_path, gvk, schema_ref};

const STATUS_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
const DELETE_OPTIONS_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
const PATCH_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";

/// The Go package of a group's types: `core` for the legacy group, else the group's first label.
fn api_package(group: &str) -> &str {
    if group.is_empty() {
        "core"
    } else {
        group.split('.').next().unwrap_or(group)
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `CoreV1`, `AuthenticationV1`: the group-version part of operation ids.
/// `CoreV1`, `AuthenticationV1`: the group-version part of operation ids.
fn operation_group_version(resource: &ResourceInfo) -> String {
    format!(
        "{}{}",
        capitalize(api_package(resource.group)),
        capitalize(resource.version)
    )
}

fn query_param(name: &str, description: &str, kind: &str) -> Value {
    json!({
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": kind, "uniqueItems": true},
    })
}

fn path_param(name: &str, description: String) -> Value {
    json!({
        "name": name,
        "in": "path",
        "description": description,
        "required": true,
        "schema": {"type": "string", "uniqueItems": true},
    })
}

fn pretty_param() -> Value {
    query_param(
        "pretty",
        "If 'true', then the output is pretty printed.",
        "string",
    )
}

fn dry_run_param() -> Value {
    query_param(
        "dryRun",
        "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed",
        "string",
    )
}

fn field_manager_param() -> Value {
    query_param(
        "fieldManager",
        "fieldManager is a name associated with the actor or entity that is making these changes.",
        "string",
    )
}

/// The parameter whose presence tells kubectl the server validates fields itself.
fn field_validation_param() -> Value {
    query_param(
        "fieldValidation",
        "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: unknown fields are silently dropped and all but the last duplicate field are ignored. - Warn: a warning is sent for each unknown field that is dropped and each duplicate field encountered. - Strict: the request fails with a BadRequest error if any unknown or duplicate fields are present.",
        "string",
    )
}

fn list_params() -> Vec<Value> {
    vec![
        query_param("allowWatchBookmarks", "allowWatchBookmarks requests watch events with type \"BOOKMARK\".", "boolean"),
        query_param("continue", "The continue option should be set when retrieving more results from the server.", "string"),
        query_param("fieldSelector", "A selector to restrict the list of returned objects by their fields. Defaults to everything.", "string"),
        query_param("labelSelector", "A selector to restrict the list of returned objects by their labels. Defaults to everything.", "string"),
        query_param("limit", "limit is a maximum number of responses to return for a list call.", "integer"),
        query_param("resourceVersion", "resourceVersion sets a constraint on what resource versions a request may be served from.", "string"),
        query_param("resourceVersionMatch", "resourceVersionMatch determines how resourceVersion is applied to list calls.", "string"),
        query_param("sendInitialEvents", "`sendInitialEvents=true` may be set together with `watch=true`.", "boolean"),
        query_param("timeoutSeconds", "Timeout for the list/watch call.", "integer"),
        query_param("watch", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.", "boolean"),
    ]
}

fn delete_params() -> Vec<Value> {
    vec![
        dry_run_param(),
        query_param("gracePeriodSeconds", "The duration in seconds before the object should be deleted.", "integer"),
        query_param(
            "ignoreStoreReadErrorWithClusterBreakingPotential",
            "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error.",
            "boolean",
        ),
        query_param("orphanDependents", "Deprecated: please use the PropagationPolicy.", "boolean"),
        query_param(
            "propagationPolicy",
            "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
            "string",
        ),
    ]
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn responses(codes: &[&str], schema: &str) -> Value {
    let mut map = Map::new();
    for code in codes {
        let description = match *code {
            "201" => "Created",
            "202" => "Accepted",
            _ => "OK",
        };
        map.insert(
            (*code).to_string(),
            json!({"description": description, "content": json_content(schema_ref(schema))}),
        );
    }
    map.insert("401".into(), json!({"description": "Unauthorized"}));
    Value::Object(map)
}

struct Operation {
    action: &'static str,
    id: String,
    description: String,
    parameters: Vec<Value>,
    request_body: Option<Value>,
    responses: Value,
}

impl Operation {
    fn render(self, resource: &ResourceInfo) -> Value {
        let mut op = json!({
            "tags": [format!("{}_{}", api_package(resource.group), resource.version)],
            "description": self.description,
            "operationId": self.id,
            "parameters": self.parameters,
            "responses": self.responses,
            "x-kubernetes-action": self.action,
            "x-kubernetes-group-version-kind": gvk(resource.group, resource.version, resource.kind),
        });
        if let Some(body) = self.request_body {
            op["requestBody"] = body;
        }
        op
    }
}

/// Adds the operations of one resource to `paths`, for the verbs it supports; bodies and
/// responses refer to the component schemas named `kind_schema` and `list_schema`.
pub(super) fn add_resource_paths(
    resource: &ResourceInfo,
    kind_schema: &str,
    list_schema: &str,
    paths: &mut Map<String, Value>,
) {
    let prefix = format!("/{}", group_version_path(resource.group, resource.version));
    let gv = operation_group_version(resource);
    let scope = if resource.namespaced {
        "Namespaced"
    } else {
        ""
    };
    let kind = resource.kind;
    let supports = |verb: &str| resource.verbs.contains(&verb);

    let collection = if resource.namespaced {
        format!("{prefix}/namespaces/{{namespace}}/{}", resource.plural)
    } else {
        format!("{prefix}/{}", resource.plural)
    };
    let item = format!("{collection}/{{name}}");
    let mut scope_params = Vec::new();
    if resource.namespaced {
        scope_params.push(path_param(
            "namespace",
            "object name and auth scope, such as for teams and projects".into(),
        ));
    }
    let with_scope = |mut extra: Vec<Value>| {
        let mut params = scope_params.clone();
        params.append(&mut extra);
        params
    };
    let name_param = || path_param("name", format!("name of the {kind}"));
    let body =
        |schema: &str| json!({"required": true, "content": json_content(schema_ref(schema))});

    let mut collection_ops = Map::new();
    if supports("list") {
        let mut params = vec![pretty_param()];
        params.extend(list_params());
        collection_ops.insert(
            "get".into(),
            Operation {
                action: "list",
                id: format!("list{gv}{scope}{kind}"),
                description: format!("list or watch objects of kind {kind}"),
                parameters: with_scope(params),
                request_body: None,
                responses: responses(&["200"], list_schema),
            }
            .render(resource),
        );
    }
    if supports("create") {
        collection_ops.insert(
            "post".into(),
            Operation {
                action: "post",
                id: format!("create{gv}{scope}{kind}"),
                description: format!("create a {kind}"),
                parameters: with_scope(vec![
                    pretty_param(),
                    dry_run_param(),
                    field_manager_param(),
                    field_validation_param(),
                ]),
                request_body: Some(body(kind_schema)),
                responses: responses(&["200", "201", "202"], kind_schema),
            }
            .render(resource),
        );
    }
    if supports("deletecollection") {
        let mut params = vec![pretty_param()];
        params.extend(delete_params());
        params.extend(list_params());
        collection_ops.insert(
            "delete".into(),
            Operation {
                action: "deletecollection",
                id: format!("delete{gv}Collection{scope}{kind}"),
                description: format!("delete collection of {kind}"),
                parameters: with_scope(params),
                request_body: Some(
                    json!({"content": json_content(schema_ref(DELETE_OPTIONS_SCHEMA))}),
                ),
                responses: responses(&["200"], STATUS_SCHEMA),
            }
            .render(resource),
        );
    }
    if !collection_ops.is_empty() {
        paths.insert(collection, Value::Object(collection_ops));
    }

    let mut item_ops = Map::new();
    if supports("get") {
        item_ops.insert(
            "get".into(),
            Operation {
                action: "get",
                id: format!("read{gv}{scope}{kind}"),
                description: format!("read the specified {kind}"),
                parameters: with_scope(vec![name_param(), pretty_param()]),
                request_body: None,
                responses: responses(&["200"], kind_schema),
            }
            .render(resource),
        );
    }
    if supports("update") {
        item_ops.insert(
            "put".into(),
            Operation {
                action: "put",
                id: format!("replace{gv}{scope}{kind}"),
                description: format!("replace the specified {kind}"),
                parameters: with_scope(vec![
                    name_param(),
                    pretty_param(),
                    dry_run_param(),
                    field_manager_param(),
                    field_validation_param(),
                ]),
                request_body: Some(body(kind_schema)),
                responses: responses(&["200", "201"], kind_schema),
            }
            .render(resource),
        );
    }
    if supports("patch") {
        let patch_content: Map<String, Value> = [
            "application/apply-patch+yaml",
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
        ]
        .iter()
        .map(|media| {
            (
                (*media).to_string(),
                json!({"schema": schema_ref(PATCH_SCHEMA)}),
            )
        })
        .collect();
        item_ops.insert(
            "patch".into(),
            Operation {
                action: "patch",
                id: format!("patch{gv}{scope}{kind}"),
                description: format!("partially update the specified {kind}"),
                parameters: with_scope(vec![
                    name_param(),
                    pretty_param(),
                    dry_run_param(),
                    field_manager_param(),
                    field_validation_param(),
                    query_param(
                        "force",
                        "Force is going to \"force\" Apply requests. It must be unset for non-apply patch requests.",
                        "boolean",
                    ),
                ]),
                request_body: Some(json!({"required": true, "content": patch_content})),
                responses: responses(&["200", "201"], kind_schema),
            }
            .render(resource),
        );
    }
    if supports("delete") {
        let mut params = vec![name_param(), pretty_param()];
        params.extend(delete_params());
        item_ops.insert(
            "delete".into(),
            Operation {
                action: "delete",
                id: format!("delete{gv}{scope}{kind}"),
                description: format!("delete a {kind}"),
                parameters: with_scope(params),
                request_body: Some(
                    json!({"content": json_content(schema_ref(DELETE_OPTIONS_SCHEMA))}),
                ),
                responses: responses(&["200", "202"], kind_schema),
            }
            .render(resource),
        );
    }
    if !item_ops.is_empty() {
        paths.insert(item, Value::Object(item_ops));
    }

    if resource.namespaced && supports("list") {
        let mut params = vec![pretty_param()];
        params.extend(list_params());
        let op = Operation {
            action: "list",
            id: format!("list{gv}{kind}ForAllNamespaces"),
            description: format!("list or watch objects of kind {kind}"),
            parameters: params,
            request_body: None,
            responses: responses(&["200"], list_schema),
        };
        paths.insert(
            format!("{prefix}/{}", resource.plural),
            json!({"get": op.render(resource)}),
        );
    }
}

/// Bound mode: `POST /api/v1/namespaces/{namespace}/serviceaccounts/{name}/token`
/// (`createCoreV1NamespacedServiceAccountToken`), the TokenRequest subresource, as
/// upstream's api/v1 document lists it.
pub(super) fn add_service_account_token_path(kind_schema: &str, paths: &mut Map<String, Value>) {
    let token = &super::super::kinds::serviceaccount_token::TOKEN_REQUESTS;
    let op = json!({
        "tags": ["core_v1"],
        "description": "create token of a ServiceAccount",
        "operationId": "createCoreV1NamespacedServiceAccountToken",
        "parameters": [
            path_param("name", "name of the TokenRequest".into()),
            path_param(
                "namespace",
                "object name and auth scope, such as for teams and projects".into(),
            ),
            pretty_param(),
            dry_run_param(),
            field_manager_param(),
            field_validation_param(),
        ],
        "requestBody": {"required": true, "content": json_content(schema_ref(kind_schema))},
        "responses": responses(&["200", "201", "202"], kind_schema),
        "x-kubernetes-action": "post",
        "x-kubernetes-group-version-kind": gvk(token.group, token.version, token.kind),
    });
    paths.insert(
        "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token".into(),
        json!({"post": op}),
    );
}
