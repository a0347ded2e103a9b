//! Impersonation: a user allowed to may act as another user, group or service account
//! through `Impersonate-*` headers (`kubectl --as`, `--as-group`, `--as-uid`). Follows
//! k8s.io/apiserver/pkg/endpoints/filters/impersonation.go: each thing asked for is
//! authorized with the verb `impersonate` before the request goes on as the new user.

use http::{HeaderMap, HeaderName};

use super::authz::{self, Attributes, Authorizer, Request};
use super::errors::ApiError;
use crate::authn::UserInfo;
use crate::serviceaccount::{make_group_names, make_username, split_username};

/// The user to act as (`authenticationv1.ImpersonateUserHeader`).
pub const IMPERSONATE_USER: &str = "impersonate-user";
/// A group to act in; repeatable.
pub const IMPERSONATE_GROUP: &str = "impersonate-group";
/// The UID to act with.
pub const IMPERSONATE_UID: &str = "impersonate-uid";
/// Prefix of the headers that set `extra` values: `Impersonate-Extra-<key>`; repeatable.
pub const IMPERSONATE_EXTRA_PREFIX: &str = "impersonate-extra-";

const AUTHENTICATION_GROUP: &str = "authentication.k8s.io";
const ANONYMOUS: &str = crate::authn::ANONYMOUS_USER;
const ALL_AUTHENTICATED: &str = "system:authenticated";
const ALL_UNAUTHENTICATED: &str = crate::authn::UNAUTHENTICATED_GROUP;

/// One thing a request asks to impersonate (upstream builds `v1.ObjectReference`s).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    ServiceAccount { namespace: String, name: String },
    User(String),
    Group(String),
    Extra { key: String, value: String },
    Uid(String),
}

impl Wanted {
    /// Go's `%v` of the `v1.ObjectReference` upstream builds (fields Kind, Namespace, Name,
    /// UID, APIVersion, ResourceVersion, FieldPath), as its 400 message shows it.
    fn go_reference(&self) -> String {
        let v1 = "authentication.k8s.io/v1";
        let (kind, namespace, name, api_version, field_path) = match self {
            Wanted::ServiceAccount { namespace, name } => {
                ("ServiceAccount", namespace.as_str(), name.as_str(), "", "")
            }
            Wanted::User(name) => ("User", "", name.as_str(), "", ""),
            Wanted::Group(name) => ("Group", "", name.as_str(), "", ""),
            Wanted::Extra { key, value } => ("UserExtra", "", value.as_str(), v1, key.as_str()),
            Wanted::Uid(uid) => ("UID", "", uid.as_str(), v1, ""),
        };
        format!("{{{kind} {namespace} {name}  {api_version}  {field_path}}}")
    }
}

/// The user a request runs as: `requestor` itself when it carries no `Impersonate-*`
/// header, else the impersonated user, once `authorizer` allowed `requestor` to impersonate
/// every part of it. The headers are removed from `headers`.
///
/// Errors: 400 BadRequest (`requested [...] without impersonating a user`) for groups, extra
/// or a UID without `Impersonate-User`; 403 Forbidden with upstream's text
/// (`users "jane" is forbidden: User "x" cannot impersonate resource "users" in API group ""
/// at the cluster scope`) for the first part not allowed.
pub fn impersonate(
    authorizer: &dyn Authorizer,
    requestor: UserInfo,
    headers: &mut HeaderMap,
) -> Result<UserInfo, ApiError> {
    let wanted = wanted(headers)?;
    if wanted.is_empty() {
        return Ok(requestor);
    }
    let groups_given = headers.contains_key(IMPERSONATE_GROUP);
    let mut user = UserInfo::default();
    for part in &wanted {
        let (namespace, api_group, api_version, resource, subresource, name) = match part {
            Wanted::ServiceAccount { namespace, name } => {
                user.username = make_username(namespace, name);
                if !groups_given {
                    user.groups = make_group_names(namespace);
                }
                (
                    namespace.as_str(),
                    "",
                    "",
                    "serviceaccounts",
                    "",
                    name.as_str(),
                )
            }
            Wanted::User(name) => {
                user.username = name.clone();
                ("", "", "", "users", "", name.as_str())
            }
            Wanted::Group(name) => {
                user.groups.push(name.clone());
                ("", "", "", "groups", "", name.as_str())
            }
            Wanted::Extra { key, value } => {
                user.extra
                    .entry(key.clone())
                    .or_default()
                    .push(value.clone());
                (
                    "",
                    AUTHENTICATION_GROUP,
                    "v1",
                    "userextras",
                    key.as_str(),
                    value.as_str(),
                )
            }
            Wanted::Uid(uid) => {
                user.uid = uid.clone();
                ("", AUTHENTICATION_GROUP, "v1", "uids", "", uid.as_str())
            }
        };
        authz::require(
            authorizer,
            &Attributes {
                user: &requestor,
                verb: "impersonate",
                request: Request::Resource {
                    namespace,
                    api_group,
                    api_version,
                    resource,
                    subresource,
                    name,
                },
            },
        )?;
    }
    add_implicit_group(&mut user);
    tracing::debug!(
        requestor = %requestor.username,
        impersonated = %user.username,
        "impersonating"
    );
    strip_headers(headers);
    Ok(user)
}

/// A non-anonymous user is authenticated unless a group says otherwise; the anonymous user
/// is unauthenticated.
fn add_implicit_group(user: &mut UserInfo) {
    let has = |group: &str| user.groups.iter().any(|g| g == group);
    if user.username != ANONYMOUS {
        if !has(ALL_AUTHENTICATED) && !has(ALL_UNAUTHENTICATED) {
            user.groups.push(ALL_AUTHENTICATED.to_string());
        }
    } else if !has(ALL_UNAUTHENTICATED) {
        user.groups.push(ALL_UNAUTHENTICATED.to_string());
    }
}

/// What the headers ask for, in upstream's order: the user, the groups, the extra values,
/// the UID.
fn wanted(headers: &HeaderMap) -> Result<Vec<Wanted>, ApiError> {
    let text = |value: &http::HeaderValue| String::from_utf8_lossy(value.as_bytes()).into_owned();
    let mut wanted = Vec::new();
    let user = headers.get(IMPERSONATE_USER).map(text).unwrap_or_default();
    let has_user = !user.is_empty();
    if has_user {
        wanted.push(match split_username(&user) {
            Ok((namespace, name)) => Wanted::ServiceAccount {
                namespace: namespace.to_string(),
                name: name.to_string(),
            },
            Err(_) => Wanted::User(user.clone()),
        });
    }
    let mut others = false;
    for group in headers.get_all(IMPERSONATE_GROUP) {
        others = true;
        wanted.push(Wanted::Group(text(group)));
    }
    for name in extra_header_names(headers) {
        let key = unescape_extra_key(&name.as_str()[IMPERSONATE_EXTRA_PREFIX.len()..]);
        for value in headers.get_all(&name) {
            others = true;
            wanted.push(Wanted::Extra {
                key: key.clone(),
                value: text(value),
            });
        }
    }
    let uid = headers.get(IMPERSONATE_UID).map(text).unwrap_or_default();
    if !uid.is_empty() {
        others = true;
        wanted.push(Wanted::Uid(uid));
    }
    if others && !has_user {
        let references: Vec<String> = wanted.iter().map(Wanted::go_reference).collect();
        return Err(ApiError::bad_request(format!(
            "requested [{}] without impersonating a user",
            references.join(" ")
        )));
    }
    Ok(wanted)
}

/// The `Impersonate-Extra-*` header names, in the order they first appear.
fn extra_header_names(headers: &HeaderMap) -> Vec<HeaderName> {
    let mut names: Vec<HeaderName> = Vec::new();
    for name in headers.keys() {
        if name.as_str().starts_with(IMPERSONATE_EXTRA_PREFIX) && !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// Extra keys are %-encoded in header names (`example.com%2fscopes`); a malformed escape
/// keeps the key as it is. Header names arrive lower-cased, as upstream lower-cases them.
fn unescape_extra_key(encoded: &str) -> String {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                None => return encoded.to_string(),
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| encoded.to_string())
}

fn strip_headers(headers: &mut HeaderMap) {
    headers.remove(IMPERSONATE_USER);
    headers.remove(IMPERSONATE_GROUP);
    headers.remove(IMPERSONATE_UID);
    for name in extra_header_names(headers) {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests;
