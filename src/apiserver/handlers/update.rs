//! update (PUT) and the update pipeline that patches share: server-owned fields kept,
//! subresource rules, defaulting, admission, validation, then a compare-and-swap on the
//! revision the change was computed from (`pkg/registry/rest/update.go`'s order).

use bytes::Bytes;
use http::{header, Response, StatusCode};
use serde_json::Value;
use std::sync::Arc;

use super::super::admission::AdmissionOperation;
use super::super::errors::ApiError;
use super::super::http::{read_body, Body, RequestBody, RequestContext};
use super::super::kinds::status_write;
use super::super::patch::PatchType;
use super::super::routes::ResourcePath;
use super::super::store::{Preconditions, StoreError, StoredObject};
use super::super::{validation, ServerState};
use super::body::decode_body;
use super::create::metadata_mut;
use super::{
    admit, attributes, authorize_write, existing, is_dry_run, namespace_for, object_response,
    record_manager, store_error, unstored_json,
};

pub(super) async fn update(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    let name = path.name.clone().unwrap_or_default();
    let body = read_body(body).await?;
    let decoded = decode_body(ctx, resource, &body)?;
    let mut object = decoded.object;
    check_name_and_namespace(path, &name, &mut object)?;
    let precondition = object["metadata"]["resourceVersion"]
        .as_str()
        .filter(|rv| !rv.is_empty())
        .map(str::to_string);
    // A uid in the body is a precondition (`defaultUpdatedObjectInfo.Preconditions`),
    // checked by the storage before anything else, against an empty object when there is
    // none: a PUT of an object that has since been deleted (and perhaps re-created) does
    // not overwrite or resurrect it.
    let uid = object["metadata"]["uid"]
        .as_str()
        .filter(|uid| !uid.is_empty())
        .map(str::to_string);
    // Each pass reads the stored object afresh: a write that another one beat is made
    // again on top of it, as upstream's `GuaranteedUpdate` retries its transaction, so an
    // update without a resourceVersion never answers 409. With one, the next pass finds
    // the object changed and answers the Conflict.
    loop {
        let current = match (existing(state, path, &name), uid.as_deref()) {
            (Err(err), Some(_)) if err.code != 404 => return Err(err),
            (Err(_), Some(uid)) => return Err(uid_precondition_failed(path, &name, uid, "")),
            (found, _) => found?,
        };
        if let Some(uid) = uid.as_deref().filter(|uid| *uid != current.uid()) {
            return Err(uid_precondition_failed(path, &name, uid, current.uid()));
        }
        if let Some(rv) = &precondition {
            if *rv != current.resource_version() {
                return Err(ApiError::conflict(resource, &name));
            }
        }
        match update_object(state, ctx, path, current, object.clone()).await {
            Ok(stored) => return Ok(object_response(StatusCode::OK, stored, &decoded.warnings)),
            Err(UpdateFailure::Raced) => continue,
            Err(UpdateFailure::Refused(err)) => return Err(err),
        }
    }
}

/// Upstream's checks of the object a PUT or a patch produced against the URL
/// (`EnsureObjectNamespaceMatchesRequestNamespace`, then `checkName`): a namespaced object
/// naming another namespace, or an object with another name, is 400 BadRequest. A
/// cluster-scoped object's namespace is cleared (namespaces included:
/// `ExpectedNamespaceForResource` expects none for them); a namespaced object without
/// one takes the stored one in the update.
pub(super) fn check_name_and_namespace(
    path: &ResourcePath,
    name: &str,
    object: &mut Value,
) -> Result<(), ApiError> {
    if path.resource.namespaced {
        let object_ns = object["metadata"]["namespace"].as_str().unwrap_or_default();
        if !object_ns.is_empty() && object_ns != namespace_for(path) {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    } else if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("namespace");
    }
    let object_name = object["metadata"]["name"].as_str().unwrap_or_default();
    if object_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({object_name}) does not match the name on the URL ({name})"
        )));
    }
    Ok(())
}

/// Why one pass of the update pipeline stored nothing.
pub(super) enum UpdateFailure {
    /// Another write changed the object after this pass read it (the storage's
    /// compare-and-swap failed): the caller reads it again and recomputes its change.
    Raced,
    /// The request is refused with this error.
    Refused(ApiError),
}

impl From<ApiError> for UpdateFailure {
    fn from(err: ApiError) -> Self {
        UpdateFailure::Refused(err)
    }
}

/// The 409 of a PUT whose body names another uid than the stored object's (`actual`,
/// empty when there is none), in the storage's words.
fn uid_precondition_failed(path: &ResourcePath, name: &str, uid: &str, actual: &str) -> ApiError {
    let failed = StoreError::UidPrecondition {
        precondition: uid.to_string(),
        actual: actual.to_string(),
    };
    store_error(failed, path.resource, namespace_for(path), name)
}

/// The update pipeline for a decoded (normalized) object replacing `current`; answers
/// the stored object's JSON (not stored on a dry run, unchanged on a no-op), or
/// [`UpdateFailure::Raced`] when another write changed the object since `current` was read.
pub(super) async fn update_object(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    current: Arc<StoredObject>,
    request: Value,
) -> Result<Bytes, UpdateFailure> {
    let resource = path.resource;
    let old = Arc::new(current.value());
    let name = current.name().to_string();
    let applying =
        PatchType::from_content_type(ctx.header(header::CONTENT_TYPE)) == Some(PatchType::Apply);
    let mut updated = match path.subresource.as_deref() {
        Some(sub) => {
            let mut updated = resource.strategy.update_subresource(
                sub,
                &old,
                &request,
                &super::super::now_rfc3339(state.store.clock().as_ref()),
            );
            if applying {
                // The subresource keeps the stored metadata, but the apply's record of who
                // owns what is the request's.
                if let Some(entries) = request.pointer("/metadata/managedFields") {
                    metadata_mut(&mut updated).insert("managedFields".into(), entries.clone());
                }
            }
            updated
        }
        // Ordinary writes do not change status of resources that have a status subresource.
        None if resource.has_status() => status_write(&request, &old),
        None => request,
    };
    crate::apiserver::kinds::fill_zero_status(resource, &mut updated);
    {
        let old_meta = &old["metadata"];
        let meta = metadata_mut(&mut updated);
        for field in ["creationTimestamp", "generation"] {
            match old_meta.get(field) {
                Some(v) => meta.insert(field.into(), v.clone()),
                None => meta.remove(field),
            };
        }
        // "An update can never remove/change a deletion timestamp" (`BeforeUpdate`), but
        // one that sets it on a live object is left for validation to refuse as immutable.
        if let Some(deletion) = old_meta.get("deletionTimestamp").filter(|v| !v.is_null()) {
            meta.insert("deletionTimestamp".into(), deletion.clone());
        }
        // "An update can never remove/change grace period seconds" (`BeforeUpdate`): a
        // request without one keeps the stored one.
        if let Some(grace) = old_meta.get("deletionGracePeriodSeconds") {
            if meta
                .get("deletionGracePeriodSeconds")
                .is_none_or(Value::is_null)
            {
                meta.insert("deletionGracePeriodSeconds".into(), grace.clone());
            }
        }
        // The stored uid when none is given (`BeforeUpdate`); another one is refused by
        // validation as immutable (a patch that changes it).
        if meta
            .get("uid")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            match old_meta.get("uid") {
                Some(v) => meta.insert("uid".into(), v.clone()),
                None => meta.remove("uid"),
            };
        }
        if resource.namespaced {
            meta.insert("namespace".into(), old_meta["namespace"].clone());
        }
        meta.remove("resourceVersion");
    }
    if path.subresource.is_none() {
        resource.strategy.prepare_for_update(&old, &mut updated);
    }
    resource.strategy.default(&mut updated);
    authorize_write(state, ctx, path, &updated, Some(&*old))?;
    if !applying {
        record_manager(
            state.store.clock().as_ref(),
            ctx,
            path,
            Some(&old),
            &mut updated,
        );
    }
    let attrs = attributes(
        ctx,
        path,
        &name,
        AdmissionOperation::Update,
        Some(old.clone()),
    );
    admit(state, &attrs, &mut updated).await?;
    resource.strategy.sync_derived_fields(&mut updated);
    match path.subresource.as_deref() {
        Some(sub) => validation::validate_subresource_update(resource, sub, &old, &updated)?,
        None => validation::validate_update(resource, &old, &updated)?,
    }
    state.admission.validate(&attrs, &updated).await?;
    if equal_apart_from_revision(&updated, &old)
        && updated["metadata"]["managedFields"] == old["metadata"]["managedFields"]
        && !current.is_stale()
    {
        // A no-op write does not create a new revision, as on a real server; a write that
        // changes only who manages which fields (an apply of the same values) does, and so
        // does one of an object read with an encryption key no longer first, which is
        // rewritten with the current one.
        return Ok(current.json());
    }
    let expected = current.resource_version();
    if is_dry_run(ctx) {
        metadata_mut(&mut updated).insert("resourceVersion".into(), Value::String(expected));
        return Ok(unstored_json(&updated)?);
    }
    let finalized = super::super::deletion::finalized(&updated);
    let stored = state
        .store
        .update(resource, updated, Some(&expected))
        .map_err(|e| match e {
            StoreError::Conflict => UpdateFailure::Raced,
            e => store_error(e, resource, namespace_for(path), &name).into(),
        })?;
    if finalized {
        // The last finalizer of an object being deleted is gone: the object goes too.
        let _ = state.store.delete(
            resource,
            namespace_for(path),
            &name,
            &Preconditions::default(),
        );
    }
    Ok(stored.json())
}

/// Whether two objects differ at most in `metadata.resourceVersion` and
/// `metadata.managedFields`; compared in place, as every update asks it.
pub(super) fn equal_apart_from_revision(a: &Value, b: &Value) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
