//! create: server-set metadata, defaulting, mutating admission, the name and uid,
//! validation, validating admission, the store (`pkg/registry/rest/create.go`'s order).

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{json, Map, Value};
use std::sync::Arc;

use super::super::admission::AdmissionOperation;
use super::super::errors::ApiError;
use super::super::http::{read_body, Body, RequestBody, RequestContext};
use super::super::kinds::ResourceInfo;
use super::super::routes::ResourcePath;
use super::super::store::name_of;
use super::super::{now_rfc3339, validation, ServerState};
use super::body::decode_body;
use super::{
    admit, attributes, authorize_write, is_dry_run, namespace_for, object_response, record_manager,
    store_error, unstored_json,
};

pub(super) async fn create(
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
    let decoded = decode_body(ctx, resource, &body)?;
    let created = create_object(state, ctx, path, decoded.object).await?;
    Ok(object_response(
        StatusCode::CREATED,
        created,
        &decoded.warnings,
    ))
}

/// The create pipeline for a decoded (normalized) object; answers the created object's
/// JSON (not stored on a dry run).
pub(super) async fn create_object(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    mut object: Value,
) -> Result<Bytes, ApiError> {
    let resource = path.resource;
    // Upstream's storage refuses a create that carries a resource version (after
    // admission and validation, and not on a dry run, whose storage does not look).
    let version_given = ctx.method == http::Method::POST
        && object["metadata"]["resourceVersion"]
            .as_str()
            .is_some_and(|v| !v.is_empty());
    prepare_for_create(path, &mut object)?;
    resource.strategy.default(&mut object);
    authorize_write(state, ctx, path, &object, None)?;
    if ctx.method == http::Method::POST {
        // An apply that creates records its own manager.
        record_manager(state.store.clock().as_ref(), ctx, path, None, &mut object);
    }
    let attrs = attributes(
        ctx,
        path,
        name_of(&object),
        AdmissionOperation::Create,
        None,
    );
    admit(state, &attrs, &mut object).await?;
    assign_identity(state, resource, &ctx.user, &mut object);
    let name = name_of(&object).to_string();
    // Held until the object is stored (or the create fails): then it holds what it took.
    let _allocation = resource.strategy.allocate(&state.store, &mut object)?;
    resource.strategy.sync_derived_fields(&mut object);
    validation::validate_create(resource, &object)?;
    // Upstream's `BeforeCreate` adds the strategy's warnings once the object is valid,
    // before validating admission.
    for warning in resource.strategy.warnings_on_create(&object) {
        ctx.warnings.add(&warning);
    }
    state.admission.validate(&attrs, &object).await?;
    if is_dry_run(ctx) {
        return unstored_json(&object);
    }
    if version_given {
        // A plain error from etcd3's store, not a Status: `ErrorToAPIStatus` makes it a 500
        // without a reason (kubectl: `Error from server: resourceVersion should ...`).
        return Err(ApiError::new(
            500,
            "",
            "resourceVersion should not be set on objects to be created",
        ));
    }
    let stored = state
        .store
        .create(resource, object)
        .map_err(|e| store_error(e, resource, namespace_for(path), &name))?;
    Ok(stored.json())
}

/// The object's metadata map, created if missing.
pub(super) fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object.get("metadata").is_some_and(Value::is_object) {
        object["metadata"] = json!({});
    }
    match object.get_mut("metadata") {
        Some(Value::Object(meta)) => meta,
        _ => unreachable!("metadata was just set to an object"),
    }
}

/// Server-owned metadata on create: the namespace from the URL; uid, timestamps and the
/// revision are the server's to set, and so is status where the kind has a subresource.
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
    meta.remove("resourceVersion");
    wipe_object_meta_system_fields(object);
    // Upstream's PrepareForCreate sets the zero status (a Go struct value, never left out
    // of its JSON); the kind's strategy may fill it in afterwards.
    if resource.has_status() && !resource.strategy.keeps_status_on_create() {
        if let Some(map) = object.as_object_mut() {
            map.remove("status");
        }
        crate::apiserver::kinds::fill_zero_status(resource, object);
    }
    Ok(())
}

/// Name (from generateName), uid and creation time. As in kube-apiserver this happens
/// after mutating admission, so admission errors quote the generateName.
fn assign_identity(
    state: &ServerState,
    resource: &ResourceInfo,
    user: &crate::authn::UserInfo,
    object: &mut Value,
) {
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
    meta.insert("uid".into(), json!(crate::names::new_uid()));
    meta.insert(
        "creationTimestamp".into(),
        json!(now_rfc3339(state.store.clock().as_ref())),
    );
    resource.strategy.prepare_for_create(user, object);
}

/// `rest.WipeObjectMetaSystemFields`, which upstream's create handler applies to every
/// created object (reviews and TokenRequests included; in 1.33 only `pods/eviction` and
/// `pods/binding` keep them, as preconditions): no uid, creation time, deletion timestamp,
/// grace period or self link.
pub(super) fn wipe_object_meta_system_fields(object: &mut Value) {
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    for field in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        meta.remove(field);
    }
}
