//! The verbs on served resources, with Kubernetes semantics, one module per verb:
//! [`read`] (get, list), [`create`], [`update`], [`patch`], [`delete`] (and
//! deletecollection); watch is [`super::watch`]. A request body is decoded once, at the
//! edge ([`body`]); from there the object flows one way: server-set metadata, defaulting,
//! mutating admission, validation, validating admission, the store. What differs between
//! kinds comes from their [`Strategy`](super::kinds::Strategy).

use bytes::Bytes;
use http::{header, Method, Response, StatusCode};
use serde_json::Value;
use std::sync::Arc;

use super::admission::{AdmissionContext, AdmissionOperation, Attributes};
use super::authz::{self, Attributes as AuthzAttributes, Request};
use super::errors::ApiError;
use super::faults::{injected_error, FaultInjector, FaultTarget};
use super::http::{bytes_response, Body, RequestBody, RequestContext};
use super::kinds::serviceaccount_token::TOKEN_SUBRESOURCE;
use super::kinds::{ResourceInfo, NAMESPACES, SERVICE_ACCOUNTS};
use super::namespaces::namespace_terminating;
use super::routes::ResourcePath;
use super::selectors::required_value;
use super::store::{StoreError, StoredObject};
use super::{watch, ServerState};

mod body;
mod create;
mod delete;
mod freshness;
mod options;
mod patch;
mod read;
mod review;
mod token;
mod update;

pub use body::decode_object_bytes;
pub use read::Selectors;

/// Runs one request on a served resource: the user must be allowed the verb the method
/// names, the subresource must exist, the verb must be served; then the verb's handler
/// answers.
pub async fn dispatch(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    path: &ResourcePath,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    if let Some(rest) = &state.token_requests {
        if path.subresource.as_deref() == Some(TOKEN_SUBRESOURCE) && *resource == SERVICE_ACCOUNTS {
            // TokenRequest authorizes itself; a fault comes first, as overload would (fault
            // rules see every request here as the create it is meant to be).
            if let Some(faults) = &state.faults {
                inject_fault(faults, "create", path).await?;
            }
            return token::create_token(state, rest, ctx, path, body).await;
        }
    }
    // Authorization comes first, with the verb the method names, as upstream's filter
    // chain authorizes before its router looks for a handler: a user who may not make the
    // request learns nothing of which subresources or methods are served.
    let verb = requested_verb(&ctx.method, path, ctx);
    authorize(state, ctx, verb, resource, path)?;
    // An unknown subresource is not there at all, whatever the method (upstream: 404).
    if let Some(sub) = path.subresource.as_deref() {
        if !resource.subresources.contains(&sub) {
            return Err(ApiError::route_not_found());
        }
    }
    let verb = served_verb(&ctx.method, verb, path)?;
    // Past authorization, where upstream's installer wraps every handler of the kind.
    if let Some(text) = super::deprecation::warning_for(resource) {
        ctx.warnings.add(&text);
    }
    // Each handler's first step upstream: its options, decoded and validated.
    match verb {
        "create" => options::validate_write(ctx, "CreateOptions")?,
        "update" => options::validate_write(ctx, "UpdateOptions")?,
        // An unknown patch type is the handler's 415, which upstream answers first.
        "patch" => {
            if let Some(kind) =
                super::patch::PatchType::from_content_type(ctx.header(header::CONTENT_TYPE))
            {
                options::validate_patch(ctx, kind == super::patch::PatchType::Apply)?;
            }
        }
        "list" | "watch" => options::validate_list(ctx, verb == "watch")?,
        _ => {}
    }
    // A named watch is a field selector upstream, whose store skips the key for a name
    // no key can hold and answers an empty stream.
    if let Some(name) = path.name.as_deref().filter(|_| verb != "watch") {
        super::validation::check_key_name(name)?;
    }
    if let Some(faults) = &state.faults {
        inject_fault(faults, verb, path).await?;
    }
    if verb != "create" || path.name.is_some() {
        // An object on disk that no encryption provider opens fails whatever reads it,
        // as upstream's storage fails to transform it.
        let namespace = path.namespace.as_deref().filter(|_| resource.namespaced);
        if let Some(reason) = state
            .store
            .unreadable(resource, namespace, path.name.as_deref())
        {
            return Err(ApiError::internal(&*reason));
        }
    }
    if resource.create_only {
        return match (verb, path.name.as_deref()) {
            ("create", None) => review::create_review(state, ctx, path, body).await,
            _ => Err(ApiError::method_not_allowed()),
        };
    }
    // A watch waits only when it asks for the initial events, and one that waits in vain
    // is answered 200 with the error as its one event (the cacher's
    // `waitUntilWatchCacheFreshAndForceAllEvents`, then `newErrWatcher`); any other watch
    // opens at once and sends what comes after the asked version.
    let mut watch_error = None;
    if verb == "get" {
        read::check_get_resource_version(ctx)?;
    }
    if matches!(verb, "get" | "list") {
        freshness::wait_until_fresh(&state.store, ctx.param("resourceVersion")).await?;
    } else if verb == "watch" && ctx.flag("sendInitialEvents") {
        watch_error = freshness::wait_until_fresh(&state.store, ctx.param("resourceVersion"))
            .await
            .err();
    }
    match verb {
        "get" => read::get(state, ctx, path),
        "list" => read::list(state, ctx, path),
        "watch" => watch::watch(state, ctx, path, watch_error),
        "create" => create::create(state, ctx, path, body).await,
        "update" => update::update(state, ctx, path, body).await,
        "patch" => patch::patch(state, ctx, path, body).await,
        "delete" => delete::delete(state, ctx, path, body).await,
        "deletecollection" => delete::delete_collection(state, ctx, path, body).await,
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// Delays or fails an authorized request as the server's fault rules pick it; a failed
/// request reaches no handler, so nothing is stored.
async fn inject_fault(
    faults: &FaultInjector,
    verb: &str,
    path: &ResourcePath,
) -> Result<(), ApiError> {
    let target = FaultTarget {
        verb,
        resource: path.resource.plural,
        subresource: path.subresource.as_deref(),
        namespace: path.namespace.as_deref(),
    };
    let Some(fault) = faults.decide(&target) else {
        return Ok(());
    };
    if let Some(latency) = fault.latency {
        tokio::time::sleep(latency).await;
    }
    match fault.code {
        Some(code) => Err(injected_error(
            code,
            path.resource,
            path.name.as_deref().unwrap_or_default(),
        )),
        None => Ok(()),
    }
}

/// The verb of a resource request, by method as upstream's `RequestInfoFactory` gives it:
/// `list` or `watch` (`?watch=true`) for a GET without a name, `deletecollection` for a
/// DELETE without one, empty for a method it does not know. Unlike upstream (whose named
/// GET stays a `get` and ignores `watch`), a named GET with `?watch=true` is a `watch` here,
/// narrowed to that object.
pub(super) fn requested_verb(
    method: &Method,
    path: &ResourcePath,
    ctx: &RequestContext,
) -> &'static str {
    let item = path.name.is_some();
    match method.as_str() {
        "GET" | "HEAD" if ctx.flag("watch") => "watch",
        "GET" | "HEAD" if item => "get",
        "GET" | "HEAD" => "list",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" if item => "delete",
        "DELETE" => "deletecollection",
        // Upstream leaves the verb empty; only a user allowed every verb gets the 405.
        _ => "",
    }
}

/// `verb` ([`requested_verb`]) if the resource serves it for this method and path, else 405
/// MethodNotAllowed: a create names no object, an update, patch or delete names one,
/// HEAD and other methods are not served, and a subresource serves only its own verbs.
fn served_verb(
    method: &Method,
    verb: &'static str,
    path: &ResourcePath,
) -> Result<&'static str, ApiError> {
    let item = path.name.is_some();
    let served = match (method.as_str(), verb) {
        ("GET", "watch" | "get" | "list") => true,
        ("POST", "create") | ("DELETE", "deletecollection") => !item,
        ("PUT", "update") | ("PATCH", "patch") | ("DELETE", "delete") => item,
        _ => false,
    };
    if !served || !path.resource.verbs.contains(&verb) {
        return Err(ApiError::method_not_allowed());
    }
    // A subresource serves its own verbs, as discovery lists them: a namespace's
    // `finalize` storage is an updater alone, so GET and PATCH on it are 405 upstream.
    if let Some(sub) = path.subresource.as_deref() {
        if path.resource.subresources.contains(&sub)
            && !super::discovery::subresource_verbs(sub).contains(&verb)
        {
            return Err(ApiError::method_not_allowed());
        }
    }
    Ok(verb)
}

/// Asks the server's authorizer; a request no authorizer allows is a 403 with upstream's
/// message.
fn authorize(
    state: &ServerState,
    ctx: &RequestContext,
    verb: &str,
    resource: &ResourceInfo,
    path: &ResourcePath,
) -> Result<(), ApiError> {
    let selected = match path.name {
        None if matches!(verb, "list" | "watch") => selected_name(ctx),
        _ => None,
    };
    // A request on one namespace (`namespaces/NAME`, its `status` and `finalize`) is in
    // that namespace, as `RequestInfoFactory` reads the path, so Roles there apply to it.
    let namespace = match path.name.as_deref() {
        Some(name) if *resource == NAMESPACES => name,
        _ => path.namespace.as_deref().unwrap_or_default(),
    };
    let attributes = AuthzAttributes {
        user: &ctx.user,
        verb,
        request: Request::Resource {
            namespace,
            api_group: resource.group,
            api_version: resource.version,
            resource: resource.plural,
            subresource: path.subresource.as_deref().unwrap_or_default(),
            name: path
                .name
                .as_deref()
                .or(selected.as_deref())
                .unwrap_or_default(),
        },
    };
    authz::require(state.authorizer.as_ref(), &attributes)
}

/// The object a list or watch names by `fieldSelector=metadata.name=NAME`, which upstream's
/// request info takes as the request's name (`RequestInfoFactory.NewRequestInfo`), so that
/// a role limited by `resourceNames` may watch its one object. A selector that does not
/// parse names nothing here; the handler answers its 400.
fn selected_name(ctx: &RequestContext) -> Option<String> {
    let name = required_value(ctx.param("fieldSelector")?, "metadata.name")?;
    // `path.IsValidPathSegmentName`: a name that could not be a path segment names nothing.
    let valid =
        !name.is_empty() && super::validation::names::is_valid_path_segment_name(&name).is_empty();
    valid.then_some(name)
}

/// The kind's own write checks ([`super::kinds::Strategy::authorize_write`]).
fn authorize_write(
    state: &ServerState,
    ctx: &RequestContext,
    path: &ResourcePath,
    object: &Value,
    old: Option<&Value>,
) -> Result<(), ApiError> {
    let check = super::kinds::WriteCheck {
        resource: path.resource,
        user: &ctx.user,
        namespace: namespace_for(path),
        request_name: path.name.as_deref().unwrap_or_default(),
        object,
        old,
        authorizer: state.authorizer.as_ref(),
        store: &state.store,
    };
    path.resource.strategy.authorize_write(&check)
}

/// The namespace an object lives in (empty for cluster-scoped resources).
fn namespace_for(path: &ResourcePath) -> &str {
    if path.resource.namespaced {
        path.namespace.as_deref().unwrap_or_default()
    } else {
        ""
    }
}

/// The API error of a store error for the object `namespace/name`.
fn store_error(err: StoreError, resource: &ResourceInfo, namespace: &str, name: &str) -> ApiError {
    match err {
        StoreError::NotFound => ApiError::not_found(resource, name),
        StoreError::AlreadyExists => ApiError::already_exists(resource, name),
        StoreError::Conflict => ApiError::conflict(resource, name),
        // `storage.Preconditions.Check` fails with an invalid-object StorageError, which
        // the registry answers as a Conflict quoting it (`InterpretUpdateError`).
        e @ (StoreError::UidPrecondition { .. }
        | StoreError::ResourceVersionPrecondition { .. }) => ApiError::conflict_because(
            resource,
            name,
            &format!(
                "StorageError: invalid object, Code: 4, Key: {}, ResourceVersion: 0, AdditionalErrorMsg: {}",
                storage_key(resource, namespace, name),
                capitalize(&e.to_string())
            ),
        ),
        StoreError::TooOld { .. } => ApiError::expired(err.to_string()),
        StoreError::NamespaceNotFound(ns) => ApiError::not_found(&NAMESPACES, &ns),
        StoreError::NamespaceTerminating(ns) => namespace_terminating(resource, name, &ns),
    }
}

/// The etcd key kube-apiserver keeps an object under, as its storage errors quote it:
/// `/registry/<prefix>/[<namespace>/]<name>`, the prefix being the resource's plural except
/// where upstream's storage names it otherwise (`SpecialDefaultResourcePrefixes`: nodes are
/// `minions`, services `services/specs`, endpoints `services/endpoints`, replication
/// controllers `controllers`, ingresses `ingress`).
fn storage_key(resource: &ResourceInfo, namespace: &str, name: &str) -> String {
    let prefix = match (resource.group, resource.plural) {
        ("", "nodes") => "minions",
        ("", "services") => "services/specs",
        ("", "endpoints") => "services/endpoints",
        ("", "replicationcontrollers") => "controllers",
        ("networking.k8s.io", "ingresses") => "ingress",
        (_, plural) => plural,
    };
    if namespace.is_empty() {
        format!("/registry/{prefix}/{name}")
    } else {
        format!("/registry/{prefix}/{namespace}/{name}")
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
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
        object_kind: None,
        namespace: namespace_for(path).to_string(),
        name: name.to_string(),
        operation,
        user: ctx.user.clone(),
        dry_run: is_dry_run(ctx),
        old_object: old,
        context: AdmissionContext::new(ctx.warnings.clone()),
    }
}

/// Mutating admission, then defaulting again for what the plugins added (a token volume's
/// `defaultMode`), as a real server's decode after a mutation does.
async fn admit(
    state: &ServerState,
    attrs: &Attributes,
    object: &mut Value,
) -> Result<(), ApiError> {
    if state.admission.admit(attrs, object).await? {
        attrs.resource.strategy.default(object);
    }
    Ok(())
}

/// Records the writer as an `Update` manager of the fields it set
/// ([`super::patch::record_update`]): the `fieldManager` parameter, else the User-Agent; a
/// write through a subresource is recorded in an entry that names it (`subresource: status`).
fn record_manager(
    clock: &dyn crate::clock::Clock,
    ctx: &RequestContext,
    path: &ResourcePath,
    old: Option<&Value>,
    object: &mut Value,
) {
    // A write to the object itself resets a status subresource's status (upstream's
    // strategies' GetResetFields), so its manager never owns it.
    let reset: &[&str] = if path.subresource.is_none() && path.resource.has_status() {
        &["status"]
    } else {
        &[]
    };
    super::patch::record_update_ignoring(
        &super::patch::manager_or_user_agent(
            ctx.param("fieldManager"),
            ctx.header(header::USER_AGENT),
        ),
        &path.resource.api_version(),
        path.subresource.as_deref().unwrap_or_default(),
        old,
        object,
        &super::now_rfc3339(clock),
        reset,
    );
}

/// An object answer (`application/json`), with `Warning` headers.
fn object_response(status: StatusCode, json: Bytes, warnings: &[String]) -> Response<Body> {
    let mut response = bytes_response(status, json, "application/json");
    super::warnings::append_warnings(response.headers_mut(), warnings);
    response
}

/// The JSON of an object that was not stored (a dry run).
fn unstored_json(object: &Value) -> Result<Bytes, ApiError> {
    serde_json::to_vec(object)
        .map(Bytes::from)
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// The stored object, or 404 NotFound.
fn existing(
    state: &ServerState,
    path: &ResourcePath,
    name: &str,
) -> Result<Arc<StoredObject>, ApiError> {
    state
        .store
        .get(path.resource, namespace_for(path), name)
        .ok_or_else(|| ApiError::not_found(path.resource, name))
}
