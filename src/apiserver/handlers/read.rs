//! get and list: answered from the stored bytes; a Table (`kubectl get`) parses the objects.

use http::{header, Response, StatusCode};
use serde_json::{json, Map, Value};
use std::sync::Arc;

use super::super::errors::ApiError;
use super::super::http::{bytes_response, Body, RequestContext};
use super::super::kinds::ResourceInfo;
use super::super::resource_version;
use super::super::routes::ResourcePath;
use super::super::selectors::{FieldSelector, LabelSelector};
use super::super::store::StoredObject;
use super::super::{partial_metadata, table, ServerState};
use super::existing;

pub(super) fn get(
    state: &ServerState,
    ctx: &RequestContext,
    path: &ResourcePath,
) -> Result<Response<Body>, ApiError> {
    let name = path.name.as_deref().unwrap_or_default();
    let object = existing(state, path, name)?;
    if table::wants_table(ctx.header(header::ACCEPT)) {
        let list_meta = json!({"resourceVersion": object.resource_version()});
        return Ok(table_response(
            state,
            ctx,
            path.resource,
            &[object],
            list_meta,
        ));
    }
    if partial_metadata::wants(ctx.header(header::ACCEPT), false) {
        let reduced = partial_metadata::object(&object.value());
        return Ok(bytes_response(
            StatusCode::OK,
            serde_json::to_vec(&reduced).unwrap_or_default(),
            partial_metadata::OBJECT_CONTENT_TYPE,
        ));
    }
    Ok(bytes_response(
        StatusCode::OK,
        object.json(),
        "application/json",
    ))
}

fn table_response(
    state: &ServerState,
    ctx: &RequestContext,
    resource: &ResourceInfo,
    objects: &[Arc<StoredObject>],
    list_meta: Value,
) -> Response<Body> {
    let values: Vec<Value> = objects.iter().map(|o| o.value()).collect();
    let refs: Vec<&Value> = values.iter().collect();
    let doc = table::table(
        resource,
        &refs,
        list_meta,
        table::parse_include_object(ctx.param("includeObject")),
        state.store.clock().now(),
    );
    bytes_response(
        StatusCode::OK,
        serde_json::to_vec(&doc).unwrap_or_default(),
        table::TABLE_CONTENT_TYPE,
    )
}

/// Label and field selectors of a list or watch request.
pub struct Selectors {
    resource: &'static ResourceInfo,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Selectors {
    pub fn from_request(
        ctx: &RequestContext,
        resource: &'static ResourceInfo,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            resource,
            labels: LabelSelector::parse(ctx.param("labelSelector").unwrap_or_default())?,
            fields: FieldSelector::parse(resource, ctx.param("fieldSelector").unwrap_or_default())?,
        })
    }

    /// Whether neither a label nor a field selector was given.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }

    /// Whether a stored object is selected; it is parsed only for a field the store does
    /// not index.
    pub fn matches(&self, object: &StoredObject) -> bool {
        if !self.labels.is_empty() && !self.labels.matches_with(|key| object.label(key)) {
            return false;
        }
        if self.fields.is_empty() {
            return true;
        }
        let mut parsed: Option<Value> = None;
        self.fields.matches_with(|field| match field {
            "metadata.name" => object.name().to_string(),
            "metadata.namespace" => object.namespace().to_string(),
            other => match object.indexed_field(other) {
                Some(value) => value.to_string(),
                None => {
                    let value = parsed.get_or_insert_with(|| object.value());
                    self.resource.strategy.field_value(value, other)
                }
            },
        })
    }
}

/// 410 for a list at a revision that has left the history (etcd3's `expired`).
const LIST_TOO_OLD: &str = "The resourceVersion for the provided list is too old.";
/// 410 for a `continue` whose revision has left the history (etcd3's
/// `inconsistentContinue`); the Status carries a token for the rest at the latest revision.
const CONTINUE_TOO_OLD: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// A `continue` token: where the next page starts, and the revision of the first page
/// (`-1`: the latest revision, as the token a too-old `continue` is answered with).
fn encode_continue(revision: Option<u64>, namespace: &str, name: &str) -> String {
    use base64::Engine;
    let revision = revision.map_or(json!(-1), |r| json!(r));
    let raw = json!({"rv": revision, "ns": namespace, "name": name}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// The revision (`None`: the latest) and the key a `continue` token resumes after.
fn decode_continue(token: &str) -> Result<(Option<u64>, String, String), ApiError> {
    use base64::Engine;
    let invalid = || {
        ApiError::bad_request("invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let parsed: Value = serde_json::from_slice(&raw).map_err(|_| invalid())?;
    let revision = match parsed["rv"].as_i64() {
        Some(-1) => None,
        Some(_) => Some(
            parsed["rv"]
                .as_u64()
                .filter(|&rv| rv > 0)
                .ok_or_else(invalid)?,
        ),
        None => return Err(invalid()),
    };
    let ns = parsed["ns"].as_str().ok_or_else(invalid)?.to_string();
    let name = parsed["name"].as_str().ok_or_else(invalid)?.to_string();
    Ok((revision, ns, name))
}

/// The revision a list is read at, as etcd3's `ValidateListOptions` decides it: a
/// `continue` token's, or with `resourceVersionMatch=Exact` (or, the legacy way, a `limit`
/// and no match) the `resourceVersion`; `None` reads the latest.
///
/// Errors: 400 for a `resourceVersion` beside a `continue`, or one that is not a number.
fn snapshot_revision(
    ctx: &RequestContext,
    limit: usize,
    start_after: Option<Option<u64>>,
) -> Result<Option<u64>, ApiError> {
    let version = ctx.param("resourceVersion").unwrap_or_default();
    if let Some(revision) = start_after {
        if !version.is_empty() && version != "0" {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        return Ok(revision);
    }
    let parsed = match version {
        "" => None,
        version => Some(resource_version::parse_for_list(version)?),
    };
    let exact = match ctx.param("resourceVersionMatch").unwrap_or_default() {
        "Exact" => true,
        "" => limit > 0,
        _ => false,
    };
    Ok(parsed.filter(|&rv| exact && rv > 0))
}

/// A get's `resourceVersion` as the cacher's `Get` parses it before it reads the cache: a
/// number, or empty.
///
/// Errors: [`resource_version::parse_in_cacher`]'s.
pub(super) fn check_get_resource_version(ctx: &RequestContext) -> Result<(), ApiError> {
    match ctx.param("resourceVersion").filter(|v| !v.is_empty()) {
        None => Ok(()),
        Some(version) => resource_version::parse_in_cacher(version).map(drop),
    }
}

pub(super) fn list(
    state: &ServerState,
    ctx: &RequestContext,
    path: &ResourcePath,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    let selectors = Selectors::from_request(ctx, resource)?;
    // As upstream, a limit of zero or below asks for every item. `timeoutSeconds` only
    // bounds a watch, but a list must still decode it.
    let limit = usize::try_from(ctx.int64("limit")?.unwrap_or(0)).unwrap_or(0);
    ctx.int64("timeoutSeconds")?;
    let namespace = path.namespace.as_deref();
    let token = match ctx.param("continue").filter(|t| !t.is_empty()) {
        Some(token) => Some(decode_continue(token)?),
        None => None,
    };
    let snapshot = snapshot_revision(ctx, limit, token.as_ref().map(|(rv, _, _)| *rv))?;
    // A list at "any" version is the watch cache's whole list: it ignores the limit
    // (`computeListLimit`). A continued list is read from storage, which pages.
    let limit = if token.is_none() && ctx.param("resourceVersion") == Some("0") {
        0
    } else {
        limit
    };
    let start_after = token.map(|(_, ns, name)| (ns, name));
    let (objects, revision) = match snapshot {
        None => state.store.list(resource, namespace),
        Some(revision) => match state.store.list_at(resource, namespace, revision) {
            Ok(objects) => (objects, revision),
            Err(_) => {
                return Err(match &start_after {
                    Some((ns, name)) => {
                        let mut gone = ApiError::expired(CONTINUE_TOO_OLD);
                        gone.list_continue = Some(encode_continue(None, ns, name));
                        gone
                    }
                    None => ApiError::expired(LIST_TOO_OLD),
                })
            }
        },
    };
    let mut items: Vec<Arc<StoredObject>> = Vec::new();
    let mut next: Option<String> = None;
    let mut remaining = 0usize;
    for object in objects {
        if let Some((ns, name)) = &start_after {
            if (object.namespace(), object.name()) <= (ns.as_str(), name.as_str()) {
                continue;
            }
        }
        if !selectors.matches(&object) {
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
                Some(revision),
                last.namespace(),
                last.name(),
            ));
        }
    }
    let mut list_meta = Map::new();
    list_meta.insert("resourceVersion".into(), json!(revision.to_string()));
    if let Some(next) = &next {
        list_meta.insert("continue".into(), json!(next));
        // etcd3's GetList gives no count for a selected list: it would count objects the
        // selectors leave out.
        if selectors.is_empty() {
            list_meta.insert("remainingItemCount".into(), json!(remaining));
        }
    }
    if table::wants_table(ctx.header(header::ACCEPT)) {
        return Ok(table_response(
            state,
            ctx,
            resource,
            &items,
            Value::Object(list_meta),
        ));
    }
    if partial_metadata::wants(ctx.header(header::ACCEPT), true) {
        let values: Vec<Value> = items.iter().map(|o| o.value()).collect();
        let reduced = partial_metadata::list(Value::Object(list_meta), &values);
        return Ok(bytes_response(
            StatusCode::OK,
            serde_json::to_vec(&reduced).unwrap_or_default(),
            partial_metadata::LIST_CONTENT_TYPE,
        ));
    }
    let list_meta =
        serde_json::to_vec(&list_meta).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(bytes_response(
        StatusCode::OK,
        list_json(resource, &list_meta, items.iter().map(|o| o.json())),
        "application/json",
    ))
}

/// `{"kind":"<List>","apiVersion":..,"metadata":..,"items":[..]}` from the items' stored
/// bytes, without parsing them.
pub(super) fn list_json(
    resource: &ResourceInfo,
    list_meta: &[u8],
    items: impl ExactSizeIterator<Item = bytes::Bytes>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + items.len() * 512);
    out.extend_from_slice(b"{\"kind\":\"");
    out.extend_from_slice(resource.list_kind.as_bytes());
    out.extend_from_slice(b"\",\"apiVersion\":\"");
    out.extend_from_slice(resource.api_version().as_bytes());
    out.extend_from_slice(b"\",\"metadata\":");
    out.extend_from_slice(list_meta);
    out.extend_from_slice(b",\"items\":[");
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&item);
    }
    out.extend_from_slice(b"]}");
    out
}
