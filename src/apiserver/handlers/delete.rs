//! delete and deletecollection: preconditions from `DeleteOptions`; an object with
//! finalizers (or of a kind that finalizes on delete, namespaces) is only marked with a
//! deletion timestamp, everything else is removed at once.

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::Value;
use std::sync::Arc;

use super::super::admission::AdmissionOperation;
use super::super::deletion;
use super::super::errors::ApiError;
use super::super::http::{bytes_response, read_body, Body, RequestBody, RequestContext};
use super::super::kinds::{ResourceInfo, NAMESPACES};
use super::super::routes::ResourcePath;
use super::super::store::{check_preconditions, Preconditions, StoreError};
use super::super::{now_rfc3339, validation, ServerState};
use super::read::{list_json, Selectors};
use super::{attributes, existing, is_dry_run, namespace_for, store_error};

/// What a delete takes from its `DeleteOptions` body (kubectl and kube-rs send one) and
/// query: preconditions, and whether it is a dry run (`dryRun: ["All"]` in the body, as
/// kubectl's `--dry-run=server` sends it, or `?dryRun=All`).
struct DeleteOptions {
    preconditions: Preconditions,
    dry_run: bool,
}

impl DeleteOptions {
    fn from_request(ctx: &RequestContext, body: &Bytes) -> Result<Self, ApiError> {
        let mut options = Self {
            preconditions: Preconditions::default(),
            dry_run: is_dry_run(ctx),
        };
        if body.is_empty() {
            super::options::validate_delete(ctx, None)?;
            return Ok(options);
        }
        let decoded: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?;
        let pre = &decoded["preconditions"];
        options.preconditions.uid = pre["uid"].as_str().map(str::to_string);
        options.preconditions.resource_version =
            pre["resourceVersion"].as_str().map(str::to_string);
        super::options::validate_delete(ctx, Some(&decoded))?;
        if let Some(values) = decoded["dryRun"].as_array() {
            // Validated: every value is `All`.
            options.dry_run = !values.is_empty();
        }
        Ok(options)
    }
}

pub(super) async fn delete(
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
    let options = DeleteOptions::from_request(ctx, &body)?;
    let deleted = delete_object(state, ctx, path, &name, &options).await?;
    let resource = path.resource;
    let body = if deleted.removed && !resource.strategy.returns_deleted_object() {
        success_status(resource, &deleted.json)
    } else {
        deleted.json
    };
    Ok(bytes_response(StatusCode::OK, body, "application/json"))
}

/// What a delete did: the object's JSON as of the deletion, and whether it is gone (or, on
/// a dry run, would be) rather than marked and held by finalizers.
struct Deleted {
    json: Bytes,
    removed: bool,
}

/// `Store.finalizeDelete`'s answer for a kind that does not return the deleted object:
/// `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{...}}`
/// with the object's name, the resource's group and plural (as `kind`) and its uid.
fn success_status(resource: &ResourceInfo, object: &[u8]) -> Bytes {
    let object: Value = serde_json::from_slice(object).unwrap_or_default();
    let meta = &object["metadata"];
    // Field order and omitted empty fields as Go writes metav1.StatusDetails.
    let details: Vec<String> = [
        ("name", meta["name"].as_str()),
        ("group", Some(resource.group).filter(|g| !g.is_empty())),
        ("kind", Some(resource.plural)),
        ("uid", meta["uid"].as_str()),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some(format!("\"{key}\":{}", Value::from(value?))))
    .collect();
    Bytes::from(format!(
        "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Success\",\"details\":{{{}}}}}",
        details.join(",")
    ))
}

/// Deletes (or marks) one object; answers its JSON as of the deletion.
async fn delete_object(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    name: &str,
    options: &DeleteOptions,
) -> Result<Deleted, ApiError> {
    let preconditions = &options.preconditions;
    let resource = path.resource;
    let namespace = namespace_for(path);
    let current = existing(state, path, name)?;
    // Checked early, as `rest.BeforeDelete` does; the store checks them again atomically.
    check_preconditions(&current, preconditions)
        .map_err(|e| before_delete_error(e, resource, namespace, name))?;
    let old = Arc::new(current.value());
    let attrs = attributes(
        ctx,
        path,
        name,
        AdmissionOperation::Delete,
        Some(old.clone()),
    );
    let mut probe = (*old).clone();
    state.admission.admit(&attrs, &mut probe).await?;
    state.admission.validate(&attrs, &old).await?;
    let finalizes = resource.strategy.finalizes_on_delete();
    let held = current.is_deleting() && !deletion::finalized(&old);
    let marks = !current.is_deleting() && (finalizes || deletion::has_finalizers(&old));
    if held && finalizes && !validation::is_empty_value(old["spec"].get("finalizers")) {
        // A namespace already terminating refuses another delete while its own finalizers
        // are there (`pkg/registry/core/namespace/storage/storage.go`).
        return Err(ApiError::conflict_because(
            resource,
            name,
            &format!(
                "The system is ensuring all content is removed from this {singular}.  Upon completion, this {singular} will automatically be purged by the system.",
                singular = resource.singular
            ),
        ));
    }
    if options.dry_run {
        // What the delete would answer, stored nowhere: a marked object as it would be.
        let json = if marks {
            let now = now_rfc3339(state.store.clock().as_ref());
            let marked = deletion::marked(resource, &old, &now);
            Bytes::from(serde_json::to_vec(&marked).unwrap_or_default())
        } else {
            current.json()
        };
        return Ok(Deleted {
            json,
            removed: !held && !marks,
        });
    }
    if held {
        // Already marked: other finalizers still hold it (a namespace's own were refused
        // above), and it is answered as it is.
        return Ok(Deleted {
            json: current.json(),
            removed: false,
        });
    }
    if marks {
        let now = now_rfc3339(state.store.clock().as_ref());
        let marked = deletion::marked(resource, &old, &now);
        let stored = state
            .store
            .update(resource, marked, Some(&current.resource_version()))
            .map_err(|e| store_error(e, resource, namespace, name))?;
        if finalizes {
            state.namespace_deleter.enqueue(name);
        }
        return Ok(Deleted {
            json: stored.json(),
            removed: false,
        });
    }
    let deleted = state
        .store
        .delete(resource, namespace, name, preconditions)
        .map_err(|e| store_error(e, resource, namespace, name))?;
    Ok(Deleted {
        json: deleted.json(),
        removed: true,
    })
}

pub(super) async fn delete_collection(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    let body = read_body(body).await?;
    let options = DeleteOptions {
        preconditions: Preconditions::default(),
        ..DeleteOptions::from_request(ctx, &body)?
    };
    let selectors = Selectors::from_request(ctx, resource)?;
    let (objects, revision) = state.store.list(resource, path.namespace.as_deref());
    let matched: Vec<_> = objects.iter().filter(|o| selectors.matches(o)).collect();
    for object in &matched {
        match delete_object(state, ctx, path, object.name(), &options).await {
            Ok(_) => {}
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    // The list as it was read before the deletes, as upstream's `DeleteCollection` answers.
    let list_meta = format!("{{\"resourceVersion\":\"{revision}\"}}");
    Ok(bytes_response(
        StatusCode::OK,
        list_json(
            resource,
            list_meta.as_bytes(),
            matched.iter().map(|object| object.json()),
        ),
        "application/json",
    ))
}

/// The 409 of a failed delete precondition, checked before anything is changed:
/// `rest.BeforeDelete`'s Conflict on the kind (`Operation cannot be fulfilled on Secret "s":
/// the UID in the precondition (a) does not match the UID in record (b). The object might
/// have been deleted and then recreated`), or for a namespace its storage's own
/// `Precondition failed: ...`; any other store error as [`store_error`] words it.
fn before_delete_error(
    err: StoreError,
    resource: &ResourceInfo,
    namespace: &str,
    name: &str,
) -> ApiError {
    if std::ptr::eq(resource, &NAMESPACES) {
        // The namespace storage's own check (`pkg/registry/core/namespace/storage`).
        return ApiError::conflict_because(&NAMESPACES, name, &super::capitalize(&err.to_string()));
    }
    let why = match err {
        StoreError::UidPrecondition {
            precondition,
            actual,
        } => format!(
            "the UID in the precondition ({precondition}) does not match the UID in record ({actual}). The object might have been deleted and then recreated"
        ),
        StoreError::ResourceVersionPrecondition {
            precondition,
            actual,
        } => format!(
            "the ResourceVersion in the precondition ({precondition}) does not match the ResourceVersion in record ({actual}). The object might have been modified"
        ),
        other => return store_error(other, resource, namespace, name),
    };
    let qualified = if resource.group.is_empty() {
        resource.kind.to_string()
    } else {
        format!("{}.{}", resource.kind, resource.group)
    };
    let mut error = ApiError::new(
        409,
        "Conflict",
        format!("Operation cannot be fulfilled on {qualified} \"{name}\": {why}"),
    );
    error.name = Some(name.to_string());
    error.group = Some(resource.group.to_string());
    error.kind = Some(resource.kind.to_string());
    error
}
