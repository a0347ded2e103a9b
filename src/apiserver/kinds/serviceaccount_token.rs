//! TokenRequest, the `serviceaccounts/token` subresource (bound mode only): upstream's
//! pkg/registry/core/serviceaccount/storage/token.go (1.29–1.33) with the validation of
//! pkg/apis/authentication/validation and the defaults of pkg/apis/authentication/v1
//! (spec-modern §1). `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token` answers
//! 201 with a signed bound token; nothing is stored.

use std::sync::Arc;

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestStatus};
use k8s_openapi::api::core::v1::{Node, Pod, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::Value;

use super::{ResourceInfo, Strategy, TypedSchema, NODES, PODS, SECRETS, SERVICE_ACCOUNTS};
use crate::apiserver::errors::{ApiError, FieldError, FieldErrorKind};
use crate::apiserver::store::Store;
use crate::serviceaccount::claims::{
    self, AccountRef, BoundObjects, ClaimsRequest, ObjectRef, EXPIRATION_EXTENSION_SECONDS,
    WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS,
};
use crate::serviceaccount::{IssuerOptions, SigningKey, TokenGenerator};

/// The request and response kind of the subresource, `authentication.k8s.io/v1`
/// `TokenRequest`, as discovery lists it under `serviceaccounts/token`. It is not in
/// [`super::ALL`]: it is reached only through the service account's path.
pub const TOKEN_REQUESTS: ResourceInfo = ResourceInfo {
    group: "authentication.k8s.io",
    version: "v1",
    plural: "serviceaccounts/token",
    singular: "",
    kind: "TokenRequest",
    list_kind: "",
    namespaced: true,
    short_names: &[],
    categories: &[],
    verbs: &["create"],
    subresources: &[],
    create_only: true,
    strategy: &TokenRequestStrategy,
    schema: TypedSchema::of::<TokenRequest>(),
};

/// The subresource's name under `serviceaccounts`.
pub const TOKEN_SUBRESOURCE: &str = "token";

/// `spec.expirationSeconds` when the request leaves it out (v1 defaulting).
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 60 * 60;
/// `MinTokenAgeSec`: the shortest lifetime a token may be asked for.
pub const MIN_EXPIRATION_SECONDS: i64 = 10 * 60;
/// The longest lifetime validation accepts (the check is `> 1<<32`).
pub const MAX_EXPIRATION_SECONDS: i64 = 1 << 32;

/// Decoding only: the request body as k8s-openapi's `TokenRequest` writes it. The request's
/// `status` is passed through unread: clients send an empty one (`"expirationTimestamp":
/// null`, which the typed status refuses), and [`TokenRequestRest::create`] clears it.
pub struct TokenRequestStrategy;

impl Strategy for TokenRequestStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        let mut object = object.clone();
        let status = object.as_object_mut().and_then(|map| map.remove("status"));
        let mut normalized = super::normalize_as::<TokenRequest>(info, &object)?;
        if let (Some(status), Some(map)) = (status, normalized.as_object_mut()) {
            map.insert("status".into(), status);
        }
        Ok(normalized)
    }
}

/// Issues bound tokens for TokenRequests, with the settings of `--service-account-issuer`,
/// `--api-audiences`, `--service-account-max-token-expiration` and
/// `--service-account-extend-token-expiration`.
pub struct TokenRequestRest {
    generator: TokenGenerator,
    api_audiences: Vec<String>,
    max_expiration_seconds: Option<i64>,
    extend_expiration: bool,
}

impl std::fmt::Debug for TokenRequestRest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequestRest")
            .field("issuer", &self.generator.issuer())
            .field("api_audiences", &self.api_audiences)
            .field("max_expiration_seconds", &self.max_expiration_seconds)
            .field("extend_expiration", &self.extend_expiration)
            .finish_non_exhaustive()
    }
}

/// A TokenRequest past validation (steps 1–6), waiting for admission.
#[derive(Debug, Clone)]
pub struct Prepared {
    request: TokenRequest,
    service_account: ServiceAccount,
    now: jiff::Timestamp,
}

impl Prepared {
    /// The TokenRequest as admission sees it (`authentication.k8s.io/v1`, defaulted).
    pub fn object(&self) -> Result<Value, ApiError> {
        let mut object =
            serde_json::to_value(&self.request).map_err(|e| ApiError::internal(e.to_string()))?;
        if let Some(map) = object.as_object_mut() {
            map.insert("apiVersion".into(), TOKEN_REQUESTS.api_version().into());
            map.insert("kind".into(), TOKEN_REQUESTS.kind.into());
        }
        Ok(object)
    }
}

/// A TokenRequest answered: the response object and the `Warning` texts to send with it.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The TokenRequest with `status.token` set.
    pub response: TokenRequest,
    /// HTTP warnings (the expiration cap's).
    pub warnings: Vec<String>,
}

impl TokenRequestRest {
    /// Tokens signed by `issuer.signing_key`, else by `service_account_key`, with `iss` the
    /// first issuer and the API audiences `issuer.effective_api_audiences()`.
    pub fn new(issuer: &IssuerOptions, service_account_key: Arc<SigningKey>) -> Self {
        let key = issuer.signing_key.clone().unwrap_or(service_account_key);
        Self {
            generator: TokenGenerator::with_key_id(issuer.signing_issuer(), key),
            api_audiences: issuer.effective_api_audiences(),
            max_expiration_seconds: issuer
                .max_token_expiration
                .filter(|cap| !cap.is_zero())
                .map(|cap| i64::try_from(cap.as_secs()).unwrap_or(i64::MAX)),
            extend_expiration: issuer.extend_token_expiration,
        }
    }

    /// The generator tokens are signed with.
    pub fn generator(&self) -> &TokenGenerator {
        &self.generator
    }

    /// Runs upstream's steps in order (spec-modern §1.3) for a decoded, normalized
    /// TokenRequest sent to `serviceaccounts/{name}/token` in `namespace`; the body's
    /// namespace has been reconciled with the URL's already. Time comes from the store's
    /// clock. Errors are the Status answered; nothing is written. Without validating
    /// admission (step 7): the server runs [`prepare`](Self::prepare), admission, then
    /// [`issue`](Self::issue).
    pub fn create(
        &self,
        store: &Store,
        namespace: &str,
        name: &str,
        object: Value,
    ) -> Result<Issued, ApiError> {
        let prepared = self.prepare(store, namespace, name, object)?;
        self.issue(store, namespace, name, prepared)
    }

    /// Steps 1–6: the request checked, defaulted and validated, the account read. The
    /// result's [`Prepared::object`] is what validating admission sees.
    pub fn prepare(
        &self,
        store: &Store,
        namespace: &str,
        name: &str,
        object: Value,
    ) -> Result<Prepared, ApiError> {
        if namespace.is_empty() {
            return Err(ApiError::bad_request("namespace is required"));
        }
        let mut object = object;
        if let Some(map) = object.as_object_mut() {
            map.remove("status");
        }
        let mut request: TokenRequest =
            serde_json::from_value(object).map_err(|e| ApiError::bad_request(e.to_string()))?;
        let body_name = request.metadata.name.clone().unwrap_or_default();
        if !body_name.is_empty() && body_name != name {
            return Err(ApiError::invalid(
                &TOKEN_REQUESTS,
                name,
                vec![FieldError::invalid(
                    "metadata.name",
                    &body_name,
                    "must match the service account name if specified",
                )],
            ));
        }
        let service_account: ServiceAccount = get(store, &SERVICE_ACCOUNTS, namespace, name)?;

        if request.spec.audiences.is_empty() {
            request.spec.audiences = self.api_audiences.clone();
        }
        request.metadata.name = service_account.metadata.name.clone();
        request.metadata.namespace = service_account.metadata.namespace.clone();
        let now = store.clock().now();
        request.metadata.creation_timestamp = Some(Time(now));
        request.status = None;
        let requested = *request
            .spec
            .expiration_seconds
            .get_or_insert(DEFAULT_EXPIRATION_SECONDS);
        validate_expiration(requested)?;
        Ok(Prepared {
            request,
            service_account,
            now,
        })
    }

    /// Steps 8–12, after validating admission: the bound object resolved, the lifetime
    /// capped and perhaps extended, the token signed.
    pub fn issue(
        &self,
        store: &Store,
        namespace: &str,
        name: &str,
        prepared: Prepared,
    ) -> Result<Issued, ApiError> {
        let Prepared {
            mut request,
            service_account,
            now,
        } = prepared;
        let requested = request
            .spec
            .expiration_seconds
            .unwrap_or(DEFAULT_EXPIRATION_SECONDS);
        let bound = match &request.spec.bound_object_ref {
            Some(reference) => self.resolve_bound_object(
                store,
                namespace,
                name,
                reference.kind.as_deref().unwrap_or_default(),
                reference.api_version.as_deref().unwrap_or_default(),
                reference.name.as_deref().unwrap_or_default(),
                reference.uid.as_deref().unwrap_or_default(),
            )?,
            None => BoundObjects::default(),
        };

        let mut warnings = Vec::new();
        let mut expiration = requested;
        if let Some(cap) = self.max_expiration_seconds {
            if expiration > cap {
                warnings.push(format!(
                    "requested expiration of {expiration} seconds shortened to {cap} seconds"
                ));
                expiration = cap;
                request.spec.expiration_seconds = Some(cap);
            }
        }
        let (token_expiration, warnafter) = if self.extend_expiration
            && bound.pod.is_some()
            && expiration == WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS
            && request
                .spec
                .audiences
                .iter()
                .all(|audience| self.api_audiences.contains(audience))
        {
            (
                EXPIRATION_EXTENSION_SECONDS,
                WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS,
            )
        } else {
            (expiration, 0)
        };

        let account = AccountRef {
            namespace,
            name,
            uid: service_account.metadata.uid.as_deref().unwrap_or_default(),
        };
        let claims = claims::claims(
            account,
            &bound,
            &ClaimsRequest {
                audiences: &request.spec.audiences,
                now: now.as_second(),
                expiration_seconds: token_expiration,
                warnafter_seconds: warnafter,
                jti: claims::new_jti(),
            },
        )
        .map_err(|e| ApiError::internal(e.to_string()))?;
        let token = self
            .generator
            .bound_token(&claims)
            .map_err(|e| ApiError::internal(format!("failed to generate token: {e}")))?;
        let expires = now
            .checked_add(jiff::SignedDuration::from_secs(expiration))
            .unwrap_or(jiff::Timestamp::MAX);
        request.status = Some(TokenRequestStatus {
            token,
            expiration_timestamp: Time(expires),
        });
        Ok(Issued {
            response: request,
            warnings,
        })
    }

    /// Step 8 (spec-modern §1.4, §1.5): the bound object, looked up in the request's
    /// namespace (nodes cluster-wide), its uid checked against the reference's.
    #[allow(clippy::too_many_arguments)]
    fn resolve_bound_object(
        &self,
        store: &Store,
        namespace: &str,
        service_account: &str,
        kind: &str,
        api_version: &str,
        name: &str,
        uid: &str,
    ) -> Result<BoundObjects, ApiError> {
        let (group, version) = parse_group_version(api_version);
        if !group.is_empty() {
            return Err(ApiError::bad_request(format!(
                "cannot bind token to object of type {group}/{version}, Kind={kind}"
            )));
        }
        let check_uid = |actual: &str| -> Result<(), ApiError> {
            if !uid.is_empty() && uid != actual {
                let mut error = ApiError::new(
                    409,
                    "Conflict",
                    format!(
                        "Operation cannot be fulfilled on {kind} \"{name}\": the UID in the bound object reference ({uid}) does not match the UID in record. The object might have been deleted and then recreated"
                    ),
                );
                error.name = Some(name.to_string());
                error.group = Some(String::new());
                error.kind = Some(kind.to_string());
                return Err(error);
            }
            Ok(())
        };
        match kind {
            "Pod" => {
                let pod: Pod = get(store, &PODS, namespace, name)?;
                let spec = pod.spec.unwrap_or_default();
                if spec.service_account_name.as_deref().unwrap_or_default() != service_account {
                    return Err(ApiError::bad_request(format!(
                        "cannot bind token for serviceaccount \"{service_account}\" to pod running with different serviceaccount name."
                    )));
                }
                let pod_uid = pod.metadata.uid.unwrap_or_default();
                check_uid(&pod_uid)?;
                let node = match spec.node_name.filter(|n| !n.is_empty()) {
                    None => None,
                    Some(node_name) => match store.get_as::<Node>(&NODES, "", &node_name) {
                        Ok(Some(node)) => Some(ObjectRef::new(
                            node_name,
                            node.metadata.uid.unwrap_or_default(),
                        )),
                        Ok(None) => Some(ObjectRef::new(node_name, "")),
                        Err(e) => return Err(ApiError::internal(e.to_string())),
                    },
                };
                Ok(BoundObjects {
                    pod: Some(ObjectRef::new(name, pod_uid)),
                    secret: None,
                    node,
                })
            }
            "Secret" => {
                let secret: Secret = get(store, &SECRETS, namespace, name)?;
                let secret_uid = secret.metadata.uid.unwrap_or_default();
                check_uid(&secret_uid)?;
                Ok(BoundObjects {
                    secret: Some(ObjectRef::new(name, secret_uid)),
                    ..Default::default()
                })
            }
            "Node" => {
                let node: Node = get(store, &NODES, "", name)?;
                let node_uid = node.metadata.uid.unwrap_or_default();
                check_uid(&node_uid)?;
                Ok(BoundObjects {
                    node: Some(ObjectRef::new(name, node_uid)),
                    ..Default::default()
                })
            }
            _ => Err(ApiError::bad_request(format!(
                "cannot bind token to object of type {group}/{version}, Kind={kind}"
            ))),
        }
    }
}

/// Lists `serviceaccounts/token` in `GET /api/v1` (an `APIResourceList`) right after
/// `serviceaccounts`, as upstream does: group `authentication.k8s.io`, version `v1`, kind
/// `TokenRequest`, verbs `[create]`.
pub fn add_to_resource_list(doc: &mut Value) {
    let Some(resources) = doc.get_mut("resources").and_then(Value::as_array_mut) else {
        return;
    };
    let Some(at) = resources
        .iter()
        .position(|r| r["name"] == SERVICE_ACCOUNTS.plural)
    else {
        return;
    };
    resources.insert(
        at + 1,
        serde_json::json!({
            "name": TOKEN_REQUESTS.plural,
            "singularName": "",
            "namespaced": true,
            "group": TOKEN_REQUESTS.group,
            "version": TOKEN_REQUESTS.version,
            "kind": TOKEN_REQUESTS.kind,
            "verbs": TOKEN_REQUESTS.verbs,
        }),
    );
}

/// Adds the `token` subresource to `serviceaccounts` in the aggregated discovery document
/// of the core group (`apidiscovery.k8s.io` `subresources`).
pub fn add_to_aggregated(doc: &mut Value) {
    let Some(groups) = doc.get_mut("items").and_then(Value::as_array_mut) else {
        return;
    };
    for group in groups {
        let Some(versions) = group.get_mut("versions").and_then(Value::as_array_mut) else {
            continue;
        };
        for version in versions.iter_mut().filter(|v| v["version"] == "v1") {
            let Some(resources) = version.get_mut("resources").and_then(Value::as_array_mut) else {
                continue;
            };
            for resource in resources
                .iter_mut()
                .filter(|r| r["resource"] == SERVICE_ACCOUNTS.plural)
            {
                resource["subresources"] = serde_json::json!([{
                    "subresource": TOKEN_SUBRESOURCE,
                    "responseKind": {
                        "group": TOKEN_REQUESTS.group,
                        "version": TOKEN_REQUESTS.version,
                        "kind": TOKEN_REQUESTS.kind,
                    },
                    "verbs": TOKEN_REQUESTS.verbs,
                }]);
            }
        }
    }
}

/// Step 6: `spec.expirationSeconds` between ten minutes and 2^32 seconds.
fn validate_expiration(seconds: i64) -> Result<(), ApiError> {
    let detail = if seconds < MIN_EXPIRATION_SECONDS {
        "may not specify a duration less than 10 minutes"
    } else if seconds > MAX_EXPIRATION_SECONDS {
        "may not specify a duration larger than 2^32 seconds"
    } else {
        return Ok(());
    };
    Err(ApiError::invalid(
        &TOKEN_REQUESTS,
        "",
        vec![FieldError {
            field: "spec.expirationSeconds".into(),
            kind: FieldErrorKind::Invalid {
                value: seconds.to_string(),
                detail: detail.into(),
            },
        }],
    ))
}

/// apimachinery's `FromAPIVersionAndKind`: `group/version`, or a bare version; anything
/// with more slashes does not parse and leaves both empty.
fn parse_group_version(api_version: &str) -> (&str, &str) {
    match api_version.split('/').collect::<Vec<_>>().as_slice() {
        [version] => ("", version),
        [group, version] => (group, version),
        _ => ("", ""),
    }
}

/// The object `namespace/name`: 400 for a name no storage key can hold (`check_key_name`),
/// 404 with upstream's text when it is not there.
fn get<T: serde::de::DeserializeOwned>(
    store: &Store,
    resource: &'static ResourceInfo,
    namespace: &str,
    name: &str,
) -> Result<T, ApiError> {
    crate::apiserver::validation::check_key_name(name)?;
    store
        .get_as(resource, namespace, name)
        .map_err(|e| ApiError::internal(e.to_string()))?
        .ok_or_else(|| ApiError::not_found(resource, name))
}

#[cfg(test)]
mod tests;
