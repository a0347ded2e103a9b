//! The verbs on served resources, with Kubernetes semantics: get, list, watch, create,
//! update, patch, delete and deletecollection.

use bytes::Bytes;
use http::{header, Method, Response, StatusCode};
use serde_json::{json, Map, Value};
use std::sync::Arc;

use super::admission::{AdmissionOperation, Attributes};
use super::errors::ApiError;
use super::http::{bytes_response, json_response, read_body, Body, RequestBody, RequestContext};
use super::kinds::{ResourceInfo, NAMESPACES};
use super::namespaces::namespace_terminating;
use super::patch::{self, PatchType};
use super::routes::ResourcePath;
use super::selectors::{FieldSelector, LabelSelector};
use super::store::{check_preconditions, name_of, resource_version_of, Preconditions, StoreError};
use super::{codec, now_rfc3339, protobuf, table, validation, watch, ServerState};

/// How many times a patch is retried when the object changes underneath it.
const PATCH_CONFLICT_RETRIES: usize = 5;

pub async fn dispatch(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    let verb = verb_of(&ctx.method, path, ctx)?;
    authorize(ctx, verb, resource, path)?;
    if resource.create_only {
        return match (verb, path.name.as_deref()) {
            ("create", None) => create_review(ctx, resource, body).await,
            _ => Err(ApiError::method_not_allowed()),
        };
    }
    if let Some(sub) = path.subresource.as_deref() {
        if !resource.subresources.contains(&sub) {
            return Err(ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ));
        }
    }
    match verb {
        "get" => get(state, ctx, path),
        "list" => list(state, ctx, path),
        "watch" => watch::watch(state, ctx, path),
        "create" => create(state, ctx, path, body).await,
        "update" => update(state, ctx, path, body).await,
        "patch" => patch(state, ctx, path, body).await,
        "delete" => delete(state, ctx, path, body).await,
        "deletecollection" => delete_collection(state, ctx, path).await,
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn verb_of(
    method: &Method,
    path: &ResourcePath,
    ctx: &RequestContext,
) -> Result<&'static str, ApiError> {
    let item = path.name.is_some();
    let verb = match (method.as_str(), item) {
        ("GET", false) if ctx.flag("watch") => "watch",
        ("GET", true) if ctx.flag("watch") => "watch",
        ("GET", false) => "list",
        ("GET", true) => "get",
        ("POST", false) => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => return Err(ApiError::method_not_allowed()),
    };
    if !path.resource.verbs.contains(&verb) {
        return Err(ApiError::method_not_allowed());
    }
    Ok(verb)
}

/// Administrators may do anything; other users get what kube-apiserver's default RBAC
/// roles give every authenticated user: discovery and self-subject reviews.
fn authorize(
    ctx: &RequestContext,
    verb: &str,
    resource: &ResourceInfo,
    path: &ResourcePath,
) -> Result<(), ApiError> {
    if ctx.user.is_admin() || resource.create_only {
        return Ok(());
    }
    Err(ApiError::forbidden_for_user(
        &ctx.user.username,
        verb,
        resource,
        path.name.as_deref(),
        path.namespace.as_deref(),
    ))
}

/// The namespace an object lives in (empty for cluster-scoped resources).
fn namespace_for(path: &ResourcePath) -> &str {
    if path.resource.namespaced {
        path.namespace.as_deref().unwrap_or_default()
    } else {
        ""
    }
}

fn store_error(err: StoreError, resource: &ResourceInfo, name: &str) -> ApiError {
    match err {
        StoreError::NotFound => ApiError::not_found(resource, name),
        StoreError::AlreadyExists => ApiError::already_exists(resource, name),
        StoreError::Conflict => ApiError::conflict(resource, name),
        e @ (StoreError::UidPrecondition { .. }
        | StoreError::ResourceVersionPrecondition { .. }) => {
            ApiError::conflict_because(resource, name, &capitalize(&e.to_string()))
        }
        StoreError::TooOld { .. } => ApiError::expired(err.to_string()),
        StoreError::NamespaceNotFound(ns) => ApiError::not_found(&NAMESPACES, &ns),
        StoreError::NamespaceTerminating(ns) => namespace_terminating(resource, name, &ns),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

fn get(
    state: &ServerState,
    ctx: &RequestContext,
    path: &ResourcePath,
) -> Result<Response<Body>, ApiError> {
    let name = path.name.as_deref().unwrap_or_default();
    let object = state
        .store
        .get(path.resource, namespace_for(path), name)
        .ok_or_else(|| ApiError::not_found(path.resource, name))?;
    if table::wants_table(ctx.header(header::ACCEPT)) {
        let list_meta = json!({"resourceVersion": resource_version_of(&object)});
        let doc = table::table(
            path.resource,
            &[&*object],
            list_meta,
            table::parse_include_object(ctx.param("includeObject")),
            jiff::Timestamp::now(),
        );
        return Ok(bytes_response(
            StatusCode::OK,
            serde_json::to_vec(&doc).unwrap_or_default(),
            table::TABLE_CONTENT_TYPE,
        ));
    }
    Ok(bytes_response(
        StatusCode::OK,
        serde_json::to_vec(&*object).unwrap_or_default(),
        "application/json",
    ))
}

/// Label and field selectors of a list or watch request.
pub struct Selectors {
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Selectors {
    pub fn from_request(
        ctx: &RequestContext,
        resource: &'static ResourceInfo,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            labels: LabelSelector::parse(ctx.param("labelSelector").unwrap_or_default())?,
            fields: FieldSelector::parse(resource, ctx.param("fieldSelector").unwrap_or_default())?,
        })
    }

    pub fn matches(&self, object: &Value) -> bool {
        (self.labels.is_empty()
            || self
                .labels
                .matches(object["metadata"]["labels"].as_object()))
            && (self.fields.is_empty() || self.fields.matches(object))
    }
}

/// A `continue` token: where the next page starts, and the revision of the first page.
fn encode_continue(revision: u64, namespace: &str, name: &str) -> String {
    use base64::Engine;
    let raw = json!({"rv": revision, "ns": namespace, "name": name}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_continue(token: &str) -> Result<(u64, String, String), ApiError> {
    use base64::Engine;
    let invalid = || {
        ApiError::bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let parsed: Value = serde_json::from_slice(&raw).map_err(|_| invalid())?;
    let revision = parsed["rv"].as_u64().ok_or_else(invalid)?;
    let ns = parsed["ns"].as_str().ok_or_else(invalid)?.to_string();
    let name = parsed["name"].as_str().ok_or_else(invalid)?.to_string();
    Ok((revision, ns, name))
}

fn list(
    state: &ServerState,
    ctx: &RequestContext,
    path: &ResourcePath,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    let selectors = Selectors::from_request(ctx, resource)?;
    let limit: usize = match ctx.param("limit") {
        None | Some("") => 0,
        Some(l) => l
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid limit: {l}")))?,
    };
    let namespace = path.namespace.as_deref();
    let (objects, mut revision) = state.store.list(resource, namespace);
    let mut start_after: Option<(String, String)> = None;
    if let Some(token) = ctx.param("continue").filter(|t| !t.is_empty()) {
        let (rv, ns, name) = decode_continue(token)?;
        revision = rv;
        start_after = Some((ns, name));
    }
    let mut items: Vec<&Value> = Vec::new();
    let mut next: Option<String> = None;
    let mut remaining = 0usize;
    for object in &objects {
        if let Some((ns, name)) = &start_after {
            let key = (super::store::namespace_of(object), name_of(object));
            if (key.0, key.1) <= (ns.as_str(), name.as_str()) {
                continue;
            }
        }
        if !selectors.matches(object) {
            continue;
        }
        if limit > 0 && items.len() == limit {
            remaining += 1;
            continue;
        }
        items.push(object);
    }
    if remaining > 0 {
        if let Some(last) = items.last() {
            next = Some(encode_continue(
                revision,
                super::store::namespace_of(last),
                name_of(last),
            ));
        }
    }
    let mut list_meta = Map::new();
    list_meta.insert("resourceVersion".into(), json!(revision.to_string()));
    if let Some(next) = &next {
        list_meta.insert("continue".into(), json!(next));
        list_meta.insert("remainingItemCount".into(), json!(remaining));
    }
    if table::wants_table(ctx.header(header::ACCEPT)) {
        let doc = table::table(
            resource,
            &items,
            Value::Object(list_meta),
            table::parse_include_object(ctx.param("includeObject")),
            jiff::Timestamp::now(),
        );
        return Ok(bytes_response(
            StatusCode::OK,
            serde_json::to_vec(&doc).unwrap_or_default(),
            table::TABLE_CONTENT_TYPE,
        ));
    }
    // Written piece by piece so that large lists are not copied into one big `Value` first.
    let mut out = Vec::with_capacity(256 + items.len() * 512);
    out.extend_from_slice(b"{\"kind\":\"");
    out.extend_from_slice(resource.list_kind.as_bytes());
    out.extend_from_slice(b"\",\"apiVersion\":\"");
    out.extend_from_slice(resource.api_version().as_bytes());
    out.extend_from_slice(b"\",\"metadata\":");
    serde_json::to_writer(&mut out, &list_meta).map_err(|e| ApiError::internal(e.to_string()))?;
    out.extend_from_slice(b",\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, item).map_err(|e| ApiError::internal(e.to_string()))?;
    }
    out.extend_from_slice(b"]}");
    Ok(bytes_response(StatusCode::OK, out, "application/json"))
}

/// The media types accepted for create and update bodies.
const OBJECT_MEDIA_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];

fn media_type(ctx: &RequestContext) -> String {
    ctx.header(header::CONTENT_TYPE)
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Decodes a create or update body into an object of the expected kind.
fn decode_object(
    ctx: &RequestContext,
    resource: &ResourceInfo,
    body: &Bytes,
) -> Result<Value, ApiError> {
    let media = media_type(ctx);
    let value: Value = match media.as_str() {
        "" | "application/json" | "*/*" => serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })?,
        "application/yaml" => serde_yaml::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; yaml parse error: {e}"))
        })?,
        // kubectl's typed clients (create namespace, secret, configmap, ...) send protobuf.
        protobuf::PROTOBUF_MEDIA_TYPE => protobuf::decode_object(body, resource)?,
        _ => return Err(ApiError::unsupported_media_type(OBJECT_MEDIA_TYPES)),
    };
    let Value::Object(map) = &value else {
        return Err(ApiError::bad_request(
            "couldn't get version/kind; json parse error: the body is not a JSON object",
        ));
    };
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default();
    if kind.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Object 'Kind' is missing in '{}'",
            String::from_utf8_lossy(body)
        )));
    }
    let api_version = map
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if api_version.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Object 'apiVersion' is missing in '{}'",
            String::from_utf8_lossy(body)
        )));
    }
    if api_version != resource.api_version() {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            resource.api_version()
        )));
    }
    if kind != resource.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({}) for this endpoint",
            resource.kind
        )));
    }
    Ok(value)
}

/// `fieldValidation`: Strict rejects unknown fields, Warn (the default) reports them in a
/// `Warning` header, Ignore drops them silently. They are never stored.
fn check_fields(
    ctx: &RequestContext,
    resource: &ResourceInfo,
    object: &Value,
    warnings: &mut Vec<String>,
) -> Result<(), ApiError> {
    let mode = field_validation(ctx)?;
    if mode == "Ignore" {
        return Ok(());
    }
    report_unknown_fields(
        mode,
        resource,
        &validation::unknown_fields(resource, object),
        warnings,
    )
}

/// The `fieldValidation` parameter, checked; empty means the default (Warn).
fn field_validation(ctx: &RequestContext) -> Result<&str, ApiError> {
    let mode = ctx.param("fieldValidation").unwrap_or("Warn");
    if !matches!(mode, "Strict" | "Warn" | "Ignore" | "") {
        return Err(ApiError::bad_request(format!(
            "fieldValidation parameter unsupported: {mode}. Supported values: Ignore, Strict, Warn"
        )));
    }
    Ok(mode)
}

fn report_unknown_fields(
    mode: &str,
    resource: &ResourceInfo,
    unknown: &[String],
    warnings: &mut Vec<String>,
) -> Result<(), ApiError> {
    if unknown.is_empty() || mode == "Ignore" {
        return Ok(());
    }
    if mode == "Strict" {
        return Err(validation::strict_decoding_error(resource, unknown));
    }
    warnings.extend(unknown.iter().map(|f| format!("unknown field \"{f}\"")));
    Ok(())
}

/// [`check_fields`] and the typed round trip of [`codec::normalize`] in one decode:
/// the normalized object, or None if it does not decode as it is. Then, as before, no
/// unknown fields are reported and the pipeline normalizes after its own changes (which
/// may fix the object or report the decode error in their usual order).
fn normalize_checking_fields(
    ctx: &RequestContext,
    resource: &ResourceInfo,
    object: &Value,
    warnings: &mut Vec<String>,
) -> Result<Option<Value>, ApiError> {
    let mode = field_validation(ctx)?;
    let Ok(normalized) = codec::normalize(resource, object) else {
        return Ok(None);
    };
    if mode != "Ignore" {
        let unknown = validation::unknown_fields_against(object, &normalized);
        report_unknown_fields(mode, resource, &unknown, warnings)?;
    }
    Ok(Some(normalized))
}

fn is_dry_run(ctx: &RequestContext) -> bool {
    ctx.query.get("dryRun").is_some_and(|v| v == "All")
}

fn attributes(
    ctx: &RequestContext,
    path: &ResourcePath,
    name: &str,
    operation: AdmissionOperation,
    old: Option<Arc<Value>>,
) -> Attributes {
    Attributes {
        resource: path.resource,
        subresource: path.subresource.clone(),
        namespace: namespace_for(path).to_string(),
        name: name.to_string(),
        operation,
        user: ctx.user.clone(),
        dry_run: is_dry_run(ctx),
        old_object: old,
    }
}

fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object.get("metadata").is_some_and(Value::is_object) {
        object["metadata"] = json!({});
    }
    match object.get_mut("metadata") {
        Some(Value::Object(meta)) => meta,
        _ => unreachable!("metadata was just set to an object"),
    }
}

/// Server-owned metadata on create: namespace, name from generateName, uid, timestamps.
fn prepare_for_create(path: &ResourcePath, object: &mut Value) -> Result<(), ApiError> {
    let url_namespace = namespace_for(path).to_string();
    let resource = path.resource;
    let meta = metadata_mut(object);
    if resource.namespaced {
        match meta.get("namespace").and_then(Value::as_str) {
            Some(ns) if !ns.is_empty() && ns != url_namespace => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ))
            }
            _ => {
                meta.insert("namespace".into(), json!(url_namespace));
            }
        }
    } else {
        meta.remove("namespace");
    }
    for field in [
        "uid",
        "creationTimestamp",
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        meta.remove(field);
    }
    // Status is the server's to set: a client's status on create is dropped.
    if resource.has_status() {
        if let Some(map) = object.as_object_mut() {
            map.remove("status");
        }
    }
    Ok(())
}

/// Name (from generateName), uid and creation time. As in kube-apiserver this happens
/// after mutating admission, so admission errors quote the generateName.
fn assign_identity(state: &ServerState, resource: &ResourceInfo, object: &mut Value) {
    let meta = metadata_mut(object);
    let name = meta.get("name").and_then(Value::as_str).unwrap_or_default();
    let generate_name = meta
        .get("generateName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name.is_empty() && !generate_name.is_empty() {
        let generated = state.names.generate(generate_name);
        meta.insert("name".into(), json!(generated));
    }
    meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
    meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
    resource.strategy.prepare_for_create(object);
}

fn created_response(status: StatusCode, object: &Value, warnings: &[String]) -> Response<Body> {
    let mut response = json_response(status, object);
    for warning in warnings {
        if let Ok(v) =
            http::HeaderValue::from_str(&format!("299 - \"{}\"", warning.replace('"', "\\\"")))
        {
            response.headers_mut().append(header::WARNING, v);
        }
    }
    response
}

async fn create(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    if path.name.is_some() || path.subresource.is_some() {
        return Err(ApiError::method_not_allowed());
    }
    if resource.namespaced && path.namespace.is_none() {
        return Err(ApiError::method_not_allowed());
    }
    let body = read_body(body).await?;
    let object = decode_object(ctx, resource, &body)?;
    let mut warnings = Vec::new();
    let (mut object, normalized) =
        match normalize_checking_fields(ctx, resource, &object, &mut warnings)? {
            Some(normalized) => (normalized, true),
            None => (object, false),
        };
    let object = create_object(state, ctx, path, &mut object, normalized).await?;
    Ok(created_response(StatusCode::CREATED, &object, &warnings))
}

/// The create pipeline after decoding: metadata, defaulting, admission, validation, storage.
/// `already_normalized`: `object` is [`codec::normalize`]'s output, which the metadata
/// preparation keeps normalized, so it is not round-tripped again.
async fn create_object(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    object: &mut Value,
    already_normalized: bool,
) -> Result<Arc<Value>, ApiError> {
    let resource = path.resource;
    prepare_for_create(path, object)?;
    let mut normalized = if already_normalized {
        std::mem::take(object)
    } else {
        codec::normalize(resource, object)?
    };
    resource.strategy.default(&mut normalized);
    let attrs = attributes(
        ctx,
        path,
        name_of(&normalized),
        AdmissionOperation::Create,
        None,
    );
    state.admission.admit(&attrs, &mut normalized).await?;
    assign_identity(state, resource, &mut normalized);
    let name = name_of(&normalized).to_string();
    // Defaulting runs again for what admission added (a token volume's defaultMode), as
    // a real server's storage round trip does.
    resource.strategy.default(&mut normalized);
    resource.strategy.sync_derived_fields(&mut normalized);
    validation::validate_create(resource, &normalized)?;
    state.admission.validate(&attrs, &normalized).await?;
    if is_dry_run(ctx) {
        return Ok(Arc::new(normalized));
    }
    state
        .store
        .create(resource, normalized)
        .map_err(|e| store_error(e, resource, &name))
}

async fn update(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    let name = path.name.clone().unwrap_or_default();
    let body = read_body(body).await?;
    let object = decode_object(ctx, resource, &body)?;
    let mut warnings = Vec::new();
    let (mut object, normalized) =
        match normalize_checking_fields(ctx, resource, &object, &mut warnings)? {
            Some(normalized) => (normalized, true),
            None => (object, false),
        };
    let body_name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    if resource.namespaced {
        let body_ns = object["metadata"]["namespace"].as_str().unwrap_or_default();
        if !body_ns.is_empty() && body_ns != namespace_for(path) {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    }
    let precondition = object["metadata"]["resourceVersion"]
        .as_str()
        .filter(|rv| !rv.is_empty())
        .map(str::to_string);
    let existing = state
        .store
        .get(resource, namespace_for(path), &name)
        .ok_or_else(|| ApiError::not_found(resource, &name))?;
    if let Some(rv) = &precondition {
        if rv != resource_version_of(&existing) {
            return Err(ApiError::conflict(resource, &name));
        }
    }
    let stored = update_object(state, ctx, path, existing, &mut object, normalized).await?;
    Ok(created_response(StatusCode::OK, &stored, &warnings))
}

/// The update pipeline shared by PUT and PATCH: server-owned fields kept, subresource
/// rules, defaulting, admission, validation, then a compare-and-swap on the revision the
/// change was computed from. `already_normalized`: `object` is [`codec::normalize`]'s output.
async fn update_object(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    existing: Arc<Value>,
    object: &mut Value,
    already_normalized: bool,
) -> Result<Arc<Value>, ApiError> {
    let resource = path.resource;
    // A plain write of a resource without a status subresource keeps the normalized
    // request apart from server-owned metadata copied from the (normalized) stored
    // object, so it stays normalized; the other merges may insert nulls.
    let merge_stays_normalized =
        already_normalized && path.subresource.is_none() && !resource.has_status();
    let name = name_of(&existing).to_string();
    let mut updated = match path.subresource.as_deref() {
        // Status writes change only status; finalize writes only spec.finalizers.
        Some(sub) => resource.strategy.update_subresource(sub, &existing, object),
        None => {
            let mut merged = std::mem::take(object);
            // Ordinary writes do not change status of resources that have a status subresource.
            if resource.has_status() {
                merged["status"] = existing.get("status").cloned().unwrap_or(Value::Null);
            }
            merged
        }
    };
    {
        let old_meta = &existing["metadata"];
        let meta = metadata_mut(&mut updated);
        for field in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "generation",
        ] {
            match old_meta.get(field) {
                Some(v) => meta.insert(field.into(), v.clone()),
                None => meta.remove(field),
            };
        }
        if resource.namespaced {
            meta.insert("namespace".into(), old_meta["namespace"].clone());
        }
        meta.remove("resourceVersion");
    }
    let mut normalized = if merge_stays_normalized {
        updated
    } else {
        codec::normalize(resource, &updated)?
    };
    resource.strategy.default(&mut normalized);
    let attrs = attributes(
        ctx,
        path,
        &name,
        AdmissionOperation::Update,
        Some(existing.clone()),
    );
    state.admission.admit(&attrs, &mut normalized).await?;
    // Defaulting runs again for what admission added (a token volume's defaultMode), as
    // a real server's storage round trip does.
    resource.strategy.default(&mut normalized);
    resource.strategy.sync_derived_fields(&mut normalized);
    validation::validate_update(resource, &existing, &normalized)?;
    state.admission.validate(&attrs, &normalized).await?;
    let expected = resource_version_of(&existing).to_string();
    if equal_apart_from_revision(&normalized, &existing) {
        // A no-op write does not create a new revision, as on a real server.
        return Ok(existing);
    }
    if is_dry_run(ctx) {
        normalized["metadata"]["resourceVersion"] = json!(expected);
        return Ok(Arc::new(normalized));
    }
    let finalized = normalized["metadata"]["deletionTimestamp"].is_string()
        && normalized["metadata"]["finalizers"]
            .as_array()
            .is_none_or(|f| f.is_empty())
        && normalized["spec"]["finalizers"]
            .as_array()
            .is_none_or(|f| f.is_empty());
    let stored = state
        .store
        .update(resource, normalized, Some(&expected))
        .map_err(|e| store_error(e, resource, &name))?;
    if finalized {
        // The last finalizer of an object being deleted is gone: the object goes too.
        let _ = state.store.delete(
            resource,
            namespace_for(path),
            &name,
            &Preconditions::default(),
        );
    }
    Ok(stored)
}

/// Whether two objects differ at most in `metadata.resourceVersion` and
/// `metadata.managedFields`; compared in place, as every update asks it.
fn equal_apart_from_revision(a: &Value, b: &Value) -> bool {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return a == b;
    };
    let compared =
        |(key, _): &(&String, &Value)| !matches!(key.as_str(), "resourceVersion" | "managedFields");
    let metadata_equal = match (a.get("metadata"), b.get("metadata")) {
        (Some(Value::Object(meta_a)), Some(Value::Object(meta_b))) => meta_a
            .iter()
            .filter(compared)
            .eq(meta_b.iter().filter(compared)),
        (meta_a, meta_b) => meta_a == meta_b,
    };
    metadata_equal
        && a.len() == b.len()
        && a.iter()
            .all(|(key, value)| key == "metadata" || b.get(key) == Some(value))
}

async fn patch(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    let name = path.name.clone().unwrap_or_default();
    let patch_type = PatchType::from_content_type(ctx.header(header::CONTENT_TYPE))
        .ok_or_else(|| ApiError::unsupported_media_type(PatchType::ACCEPTED))?;
    let body = read_body(body).await?;
    let patch_doc: Value = match patch_type {
        PatchType::Apply => serde_yaml::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?,
        _ => serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?,
    };
    let mut warnings = Vec::new();
    if patch_type == PatchType::Apply {
        let mut applied = patch_doc.clone();
        check_fields(ctx, resource, &applied, &mut warnings)?;
        let manager = ctx
            .param("fieldManager")
            .filter(|m| !m.is_empty())
            .ok_or_else(|| {
                patch::PatchError::MissingFieldManager.into_api_error(resource, &name)
            })?;
        let force = ctx.flag("force");
        for _ in 0..PATCH_CONFLICT_RETRIES {
            let existing = state.store.get(resource, namespace_for(path), &name);
            let merged = patch::server_side_apply(
                resource.kind,
                existing.as_deref(),
                &applied,
                manager,
                force,
                &now_rfc3339(),
            )
            .map_err(|e| e.into_api_error(resource, &name))?;
            let result = match existing {
                None => {
                    applied = merged;
                    let created = create_object(state, ctx, path, &mut applied, false).await?;
                    return Ok(created_response(StatusCode::CREATED, &created, &warnings));
                }
                Some(existing) => {
                    let mut merged = merged;
                    update_object(state, ctx, path, existing, &mut merged, false).await
                }
            };
            match result {
                Err(e) if e.code == 409 && e.reason == "Conflict" => continue,
                other => return other.map(|o| created_response(StatusCode::OK, &o, &warnings)),
            }
        }
        return Err(ApiError::conflict(resource, &name));
    }
    for _ in 0..PATCH_CONFLICT_RETRIES {
        let existing = state
            .store
            .get(resource, namespace_for(path), &name)
            .ok_or_else(|| ApiError::not_found(resource, &name))?;
        let mut patched = patch::apply_patch(resource.kind, &existing, &patch_doc, patch_type)
            .map_err(|e| e.into_api_error(resource, &name))?;
        // A patch that names a resourceVersion makes it a precondition.
        let requested_rv = patched["metadata"]["resourceVersion"].as_str();
        if requested_rv.is_some_and(|rv| rv != resource_version_of(&existing)) {
            return Err(ApiError::conflict(resource, &name));
        }
        check_fields(ctx, resource, &patched, &mut warnings)?;
        match update_object(state, ctx, path, existing, &mut patched, false).await {
            Err(e) if e.code == 409 && e.reason == "Conflict" => continue,
            other => return other.map(|o| created_response(StatusCode::OK, &o, &warnings)),
        }
    }
    Err(ApiError::conflict(resource, &name))
}

/// Preconditions from the `DeleteOptions` body (kubectl and kube-rs send one).
fn delete_preconditions(body: &Bytes) -> Result<Preconditions, ApiError> {
    let mut preconditions = Preconditions::default();
    if !body.is_empty() {
        let options: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?;
        let pre = &options["preconditions"];
        preconditions.uid = pre["uid"].as_str().map(str::to_string);
        preconditions.resource_version = pre["resourceVersion"].as_str().map(str::to_string);
    }
    Ok(preconditions)
}

async fn delete(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let name = path.name.clone().unwrap_or_default();
    if path.subresource.is_some() {
        return Err(ApiError::method_not_allowed());
    }
    let body = read_body(body).await?;
    let preconditions = delete_preconditions(&body)?;
    let deleted = delete_object(state, ctx, path, &name, &preconditions).await?;
    Ok(json_response(StatusCode::OK, &deleted))
}

async fn delete_object(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    name: &str,
    preconditions: &Preconditions,
) -> Result<Value, ApiError> {
    let resource = path.resource;
    let namespace = namespace_for(path);
    let existing = state
        .store
        .get(resource, namespace, name)
        .ok_or_else(|| ApiError::not_found(resource, name))?;
    let attrs = attributes(
        ctx,
        path,
        name,
        AdmissionOperation::Delete,
        Some(existing.clone()),
    );
    let mut probe = (*existing).clone();
    state.admission.admit(&attrs, &mut probe).await?;
    state.admission.validate(&attrs, &existing).await?;
    let has_finalizers = existing["metadata"]["finalizers"]
        .as_array()
        .is_some_and(|f| !f.is_empty());
    let graceful = resource.strategy.finalizes_on_delete() || has_finalizers;
    if is_dry_run(ctx) {
        return Ok((*existing).clone());
    }
    if graceful {
        let mut marked = (*existing).clone();
        check_preconditions(&existing, preconditions)
            .map_err(|e| store_error(e, resource, name))?;
        if marked["metadata"]["deletionTimestamp"].is_string() {
            return Ok(marked);
        }
        marked["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
        marked["metadata"]["deletionGracePeriodSeconds"] = json!(0);
        resource.strategy.mark_deleted(&mut marked);
        let stored = state
            .store
            .update(resource, marked, Some(resource_version_of(&existing)))
            .map_err(|e| store_error(e, resource, name))?;
        if resource.strategy.finalizes_on_delete() {
            super::namespaces::start_finalizing(state.clone(), name.to_string());
        }
        return Ok((*stored).clone());
    }
    let deleted = state
        .store
        .delete(resource, namespace, name, preconditions)
        .map_err(|e| store_error(e, resource, name))?;
    Ok((*deleted).clone())
}

async fn delete_collection(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    let selectors = Selectors::from_request(ctx, resource)?;
    let (objects, revision) = state.store.list(resource, path.namespace.as_deref());
    let mut deleted = Vec::new();
    for object in objects.iter().filter(|o| selectors.matches(o)) {
        match delete_object(state, ctx, path, name_of(object), &Preconditions::default()).await {
            Ok(gone) => deleted.push(gone),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let list = json!({
        "kind": resource.list_kind,
        "apiVersion": resource.api_version(),
        "metadata": {"resourceVersion": revision.to_string()},
        "items": deleted,
    });
    Ok(json_response(StatusCode::OK, &list))
}

/// A create of a create-only resource (a review): the kind's strategy answers.
async fn create_review(
    ctx: &RequestContext,
    resource: &ResourceInfo,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let body = read_body(body).await?;
    let review = resource.strategy.create_review(resource, ctx, &body)?;
    Ok(json_response(StatusCode::CREATED, &review))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_that_change_only_the_revision_are_no_ops() {
        let base = json!({"kind": "Secret", "metadata": {"name": "s", "resourceVersion": "5", "managedFields": [1]}, "data": {"a": "eA=="}});
        let cases = [
            ("same", base.clone(), true),
            (
                "other revision",
                json!({"kind": "Secret", "metadata": {"name": "s", "resourceVersion": "6"}, "data": {"a": "eA=="}}),
                true,
            ),
            (
                "other data",
                json!({"kind": "Secret", "metadata": {"name": "s", "resourceVersion": "5"}, "data": {"a": "eQ=="}}),
                false,
            ),
            (
                "extra label",
                json!({"kind": "Secret", "metadata": {"name": "s", "labels": {"x": "y"}}, "data": {"a": "eA=="}}),
                false,
            ),
            (
                "extra field",
                json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "eA=="}, "type": "Opaque"}),
                false,
            ),
            (
                "field instead of metadata",
                json!({"kind": "Secret", "meta": {"name": "s"}, "data": {"a": "eA=="}}),
                false,
            ),
            (
                "no metadata",
                json!({"kind": "Secret", "data": {"a": "eA=="}}),
                false,
            ),
        ];
        for (name, other, expected) in cases {
            assert_eq!(equal_apart_from_revision(&other, &base), expected, "{name}");
            assert_eq!(
                equal_apart_from_revision(&base, &other),
                expected,
                "{name}, swapped"
            );
        }
        assert!(equal_apart_from_revision(&json!("x"), &json!("x")));
        assert!(!equal_apart_from_revision(&json!({}), &json!([])));
    }
}
