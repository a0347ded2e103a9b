//! patch: JSON, merge and strategic merge patches of the stored object, and server-side
//! apply; the result is decoded like a body and goes through the update (or, for an
//! apply of a new object, the create) pipeline. A write that another one beat is made
//! again on the object as that one left it, however often that happens, as upstream's
//! `GuaranteedUpdate` re-applies the patch in its retry loop: a patch never answers 409
//! for a race, only for a resourceVersion it names or (apply) a field conflict.

use http::{header, Response, StatusCode};
use serde_json::Value;
use std::sync::Arc;

use super::super::errors::ApiError;
use super::super::http::{read_body, Body, RequestBody, RequestContext};
use super::super::patch::{self, PatchType};
use super::super::routes::ResourcePath;
use super::super::{now_rfc3339, ServerState};
use super::body::{check_fields, decode_value, field_validation, first_yaml_document};
use super::create::create_object;
use super::update::{check_name_and_namespace, update_object, UpdateFailure};
use super::{existing, namespace_for, object_response};

pub(super) async fn patch(
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
    if patch_type == PatchType::Apply {
        // sigs.k8s.io/yaml's words, then serde_yaml's.
        let applied = first_yaml_document(&body).map_err(|e| {
            ApiError::bad_request(format!(
                "error decoding YAML: error converting YAML to JSON: yaml: {e}"
            ))
        })?;
        return apply(state, ctx, path, &name, &applied).await;
    }
    // The object is looked up before its patch is read: a patch of a missing object is
    // 404 whatever its body (upstream's createNewObject never reads it).
    let mut first = Some(existing(state, path, &name)?);
    let patch_doc = patch::decode_patch(patch_type, &body, field_validation(ctx) != "Ignore")
        .map_err(|e| e.into_api_error(resource, &name))?;
    loop {
        let current = match first.take() {
            Some(current) => current,
            None => existing(state, path, &name)?,
        };
        let mut patched =
            patch::apply_patch(resource.kind, &current.value(), &patch_doc, patch_type)
                .map_err(|e| e.into_api_error(resource, &name))?;
        check_name_and_namespace(path, &name, &mut patched)?;
        // A patch that names a resourceVersion makes it a precondition.
        let requested_rv = patched["metadata"]["resourceVersion"].as_str();
        if requested_rv.is_some_and(|rv| rv != current.resource_version()) {
            return Err(ApiError::conflict(resource, &name));
        }
        let decoded = decode_value(ctx, resource, &patched)?;
        match update_object(state, ctx, path, current, decoded.object).await {
            Ok(json) => return Ok(object_response(StatusCode::OK, json, &decoded.warnings)),
            Err(UpdateFailure::Raced) => continue,
            Err(UpdateFailure::Refused(err)) => return Err(err),
        }
    }
}

/// Server-side apply: the configuration merged into the stored object (or a new one) with
/// field ownership by `fieldManager`.
async fn apply(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    name: &str,
    applied: &Value,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    let mut warnings = Vec::new();
    check_fields(ctx, resource, applied, &mut warnings)?;
    let manager = ctx
        .param("fieldManager")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| patch::PatchError::MissingFieldManager.into_api_error(resource, name))?;
    let force = ctx.flag("force");
    // Upstream's reset fields: an apply to the object itself neither sets nor owns the
    // status of a kind with a status subresource.
    let mut applied = std::borrow::Cow::Borrowed(applied);
    if path.subresource.is_none() && resource.has_status() {
        if let Some(fields) = applied.to_mut().as_object_mut() {
            fields.remove("status");
        }
    }
    let applied = applied.as_ref();
    loop {
        // An apply creates a missing object, but not through a subresource (404, as
        // upstream's subresource stores do not create).
        let current = match path.subresource {
            Some(_) => Some(existing(state, path, name)?),
            None => state.store.get(resource, namespace_for(path), name),
        };
        let current_value = current.as_ref().map(|c| c.value());
        let mut merged = patch::server_side_apply(
            resource.kind,
            path.subresource.as_deref().unwrap_or_default(),
            current_value.as_ref(),
            applied,
            manager,
            force,
            &now_rfc3339(state.store.clock().as_ref()),
        )
        .map_err(|e| e.into_api_error(resource, name))?;
        check_name_and_namespace(path, name, &mut merged)?;
        let decoded = decode_value(ctx, resource, &merged)?;
        let Some(current) = current else {
            match create_object(state, ctx, path, decoded.object).await {
                Ok(created) => return Ok(object_response(StatusCode::CREATED, created, &warnings)),
                // Another request created it first: the next pass applies to that object.
                Err(err)
                    if err.reason == "AlreadyExists"
                        && state
                            .store
                            .get(resource, namespace_for(path), name)
                            .is_some() =>
                {
                    continue
                }
                Err(err) => return Err(err),
            }
        };
        match update_object(state, ctx, path, current, decoded.object).await {
            Ok(json) => return Ok(object_response(StatusCode::OK, json, &warnings)),
            Err(UpdateFailure::Raced) => continue,
            Err(UpdateFailure::Refused(err)) => return Err(err),
        }
    }
}
