//! create of a create-only resource (a review: access reviews, token reviews,
//! SelfSubjectReview): the body is decoded as any create's, its namespace reconciled with the
//! URL's (upstream's `EnsureObjectNamespaceMatchesRequestNamespace`), and the kind's strategy
//! answers. Nothing is stored and no admission runs.

use http::{Response, StatusCode};
use serde_json::Value;
use std::sync::Arc;

use super::super::errors::ApiError;
use super::super::http::{read_body, Body, RequestBody, RequestContext};
use super::super::kinds::Review;
use super::super::routes::ResourcePath;
use super::super::ServerState;
use super::body::decode_body;
use super::create::wipe_object_meta_system_fields;
use super::{namespace_for, object_response};

pub(super) async fn create_review(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    if resource.namespaced && path.namespace.is_none() {
        return Err(ApiError::method_not_allowed());
    }
    let body = read_body(body).await?;
    let decoded = decode_body(ctx, resource, &body)?;
    let mut object = decoded.object;
    let namespace = namespace_for(path);
    wipe_object_meta_system_fields(&mut object);
    reconcile_namespace(&mut object, namespace)?;
    let review = Review {
        request: ctx,
        namespace,
        authorizer: state.authorizer.as_ref(),
        authenticator: &state.authn,
        anonymous_auth: state.anonymous_auth,
        clock: state.store.clock().as_ref(),
    };
    let mut answer = resource
        .strategy
        .create_review(resource, &review, object)
        .await?;
    creation_timestamp_as_go_writes_it(&mut answer);
    let json = serde_json::to_vec(&answer).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(object_response(
        StatusCode::CREATED,
        json.into(),
        &decoded.warnings,
    ))
}

/// A review is the request's object with its status filled in, never stored, so its
/// `metadata.creationTimestamp` is Go's zero `metav1.Time`, which encodes as `null`
/// (`kubectl create -f review.yaml -o yaml` prints `creationTimestamp: null`); a review
/// whose strategy stamps the time (SelfSubjectReview) keeps it.
fn creation_timestamp_as_go_writes_it(answer: &mut Value) {
    let Some(map) = answer.as_object_mut() else {
        return;
    };
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(serde_json::Map::new()));
    if let Some(meta) = meta.as_object_mut() {
        meta.entry("creationTimestamp").or_insert(Value::Null);
    }
}

/// An object without a namespace takes the URL's; a cluster-scoped one loses its own; any
/// other difference is upstream's 400.
pub(super) fn reconcile_namespace(object: &mut Value, url_namespace: &str) -> Result<(), ApiError> {
    let Some(map) = object.as_object_mut() else {
        return Ok(());
    };
    if !map.get("metadata").is_some_and(Value::is_object) {
        if !url_namespace.is_empty() {
            map.insert(
                "metadata".into(),
                serde_json::json!({"namespace": url_namespace}),
            );
        }
        return Ok(());
    }
    let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let own = meta
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if own == url_namespace {
        return Ok(());
    }
    if url_namespace.is_empty() {
        meta.remove("namespace");
    } else if own.is_empty() {
        meta.insert("namespace".into(), Value::String(url_namespace.to_string()));
    } else {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}
