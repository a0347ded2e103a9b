//! create on `serviceaccounts/{name}/token` (TokenRequest, bound mode): only POST, authorized
//! as `create` on the subresource; the body is decoded as `authentication.k8s.io/v1`
//! TokenRequest (JSON, YAML or kubectl's protobuf), its namespace reconciled with the URL's,
//! mutating admission and, after TokenREST's checks, validating admission see the
//! TokenRequest (NamespaceLifecycle, webhooks matching `serviceaccounts/token` CREATE), and [`TokenRequestRest`] answers 201 with the cap's `Warning` header. There is
//! no audit log here, so the `authentication.kubernetes.io/issued-credential-id` audit
//! annotation is not written.

use http::{Method, Response, StatusCode};
use std::sync::Arc;

use super::super::admission::AdmissionOperation;
use super::super::errors::ApiError;
use super::super::http::{read_body, Body, RequestBody, RequestContext};
use super::super::kinds::serviceaccount_token::{TokenRequestRest, TOKEN_REQUESTS};
use super::super::routes::ResourcePath;
use super::super::ServerState;
use super::body::decode_body;
use super::create::wipe_object_meta_system_fields;
use super::review::reconcile_namespace;
use super::{attributes, authorize, object_response, requested_verb};

pub(super) async fn create_token(
    state: &Arc<ServerState>,
    rest: &TokenRequestRest,
    ctx: &RequestContext,
    path: &ResourcePath,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    // Authorized with the verb the method names before the router finds that only POST
    // is served (`get` on `serviceaccounts/token` is a 403 for most users, a 405 for admins).
    authorize(
        state,
        ctx,
        requested_verb(&ctx.method, path, ctx),
        path.resource,
        path,
    )?;
    let (Some(namespace), Some(name)) = (path.namespace.as_deref(), path.name.as_deref()) else {
        return Err(ApiError::method_not_allowed());
    };
    if ctx.method != Method::POST {
        return Err(ApiError::method_not_allowed());
    }
    let body = read_body(body).await?;
    let decoded = decode_body(ctx, &TOKEN_REQUESTS, &body)?;
    let mut object = decoded.object;
    wipe_object_meta_system_fields(&mut object);
    reconcile_namespace(&mut object, namespace)?;
    // Mutating admission on the TokenRequest as decoded, before TokenREST's own steps, as
    // upstream's create handler runs it: NamespaceLifecycle (a missing or terminating
    // namespace) and webhooks matching `serviceaccounts/token` CREATE.
    let mut attrs = attributes(ctx, path, name, AdmissionOperation::Create, None);
    attrs.object_kind = Some(&TOKEN_REQUESTS);
    state.admission.admit(&attrs, &mut object).await?;
    let prepared = rest.prepare(&state.store, namespace, name, object)?;
    // Step 7: validating admission (webhooks on `serviceaccounts/token` CREATE), with the
    // TokenRequest as the object, as upstream's TokenREST passes it to createValidation.
    state
        .admission
        .validate(&attrs, &prepared.object()?)
        .await?;
    let issued = rest.issue(&state.store, namespace, name, prepared)?;
    let mut warnings = decoded.warnings;
    warnings.extend(issued.warnings);
    let json =
        serde_json::to_vec(&issued.response).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(object_response(StatusCode::CREATED, json.into(), &warnings))
}
