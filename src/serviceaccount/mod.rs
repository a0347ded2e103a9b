//! Signing keys, the JWT generator and the token authenticator, plus the service-account
//! constants (spec §1) the other components share.

pub mod authenticator;
pub mod bound;
pub mod claims;
pub mod go_base64;
pub mod go_duration;
pub(crate) mod jws;
pub mod jwt;
pub mod keys;
pub mod openid_metadata;
pub mod options;

pub use authenticator::{GetterError, LegacyTokenAuthenticator, ServiceAccountTokenGetter};
pub use jwt::{TokenError, TokenGenerator};
pub use keys::{
    load_public_key_files, load_public_keys, parse_public_keys_pem, EcCurve, JwtAlgorithm,
    KeyError, KeyKind, KeyParseError, PublicKey, SignError, SigningKey, VerifyError,
};
pub use options::{IssuerOptions, OptionsError};

use crate::authn::UserInfo;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};

/// Secret type of service-account token Secrets.
pub const SERVICE_ACCOUNT_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
/// Secret annotation naming the service account (required on that type).
pub const SERVICE_ACCOUNT_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
/// Secret annotation holding the service account's UID.
pub const SERVICE_ACCOUNT_UID_ANNOTATION: &str = "kubernetes.io/service-account.uid";
/// Secret data key of the token.
pub const TOKEN_DATA_KEY: &str = "token";
/// Secret data key of the root CA bundle.
pub const ROOT_CA_DATA_KEY: &str = "ca.crt";
/// Secret data key of the namespace.
pub const NAMESPACE_DATA_KEY: &str = "namespace";
/// Optional Secret data key of a kubeconfig (unused by the controllers).
pub const KUBECONFIG_DATA_KEY: &str = "kubernetes.kubeconfig";
/// Where the token volume is mounted in every container.
pub const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The service account pods get when they name none.
pub const DEFAULT_SERVICE_ACCOUNT_NAME: &str = "default";
/// ServiceAccount annotation that limits pods to the account's listed secrets.
pub const ENFORCE_MOUNTABLE_SECRETS_ANNOTATION: &str = "kubernetes.io/enforce-mountable-secrets";
/// Pod annotation marking mirror (static) pods.
pub const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";
/// Name of the admission plugin.
pub const ADMISSION_PLUGIN_NAME: &str = "ServiceAccount";
/// `iss` of legacy (secret-based) tokens.
pub const LEGACY_ISSUER: &str = "kubernetes/serviceaccount";
/// Prefix of every service-account username.
pub const USERNAME_PREFIX: &str = "system:serviceaccount:";
/// Group of every service account.
pub const ALL_SERVICE_ACCOUNTS_GROUP: &str = "system:serviceaccounts";
/// Prefix of the per-namespace group.
pub const NAMESPACE_GROUP_PREFIX: &str = "system:serviceaccounts:";

/// `system:serviceaccount:<namespace>:<name>`.
pub fn make_username(namespace: &str, name: &str) -> String {
    format!("{USERNAME_PREFIX}{namespace}:{name}")
}

/// A username that is not `system:serviceaccount:<namespace>:<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Username must be in the form system:serviceaccount:namespace:name")]
pub struct InvalidUsername;

/// Splits `system:serviceaccount:<namespace>:<name>` into namespace and name. As in v1.8, the
/// parts are not checked to be DNS names: exactly two `:`-separated parts after the prefix.
pub fn split_username(username: &str) -> Result<(&str, &str), InvalidUsername> {
    let rest = username
        .strip_prefix(USERNAME_PREFIX)
        .ok_or(InvalidUsername)?;
    match rest.split_once(':') {
        Some((namespace, name)) if !name.contains(':') => Ok((namespace, name)),
        _ => Err(InvalidUsername),
    }
}

/// `system:serviceaccounts` and `system:serviceaccounts:<namespace>`, in that order.
pub fn make_group_names(namespace: &str) -> Vec<String> {
    vec![
        ALL_SERVICE_ACCOUNTS_GROUP.to_string(),
        format!("{NAMESPACE_GROUP_PREFIX}{namespace}"),
    ]
}

/// The user a service-account token authenticates as.
pub fn user_info(namespace: &str, name: &str, uid: &str) -> UserInfo {
    UserInfo {
        username: make_username(namespace, name),
        uid: uid.to_string(),
        groups: make_group_names(namespace),
        extra: Default::default(),
    }
}

/// Whether `secret` is a token Secret of `service_account`: the right type, the name
/// annotation equal to the account's name, and the UID annotation absent, empty or equal.
pub fn is_service_account_token(secret: &Secret, service_account: &ServiceAccount) -> bool {
    if secret.type_.as_deref() != Some(SERVICE_ACCOUNT_TOKEN_TYPE) {
        return false;
    }
    let annotation = |key: &str| {
        secret
            .metadata
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(key))
            .map(String::as_str)
            .unwrap_or("")
    };
    let name = service_account.metadata.name.as_deref().unwrap_or("");
    let uid = service_account.metadata.uid.as_deref().unwrap_or("");
    let secret_uid = annotation(SERVICE_ACCOUNT_UID_ANNOTATION);
    annotation(SERVICE_ACCOUNT_NAME_ANNOTATION) == name
        && (secret_uid.is_empty() || secret_uid == uid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    #[test]
    fn usernames() {
        assert_eq!(make_username("ns", "sa"), "system:serviceaccount:ns:sa");
        type Split<'a> = Result<(&'a str, &'a str), InvalidUsername>;
        let cases: &[(&str, Split)] = &[
            ("system:serviceaccount:ns:sa", Ok(("ns", "sa"))),
            ("system:serviceaccount::sa", Ok(("", "sa"))),
            ("system:serviceaccount:ns:sa:extra", Err(InvalidUsername)),
            ("system:serviceaccount:ns", Err(InvalidUsername)),
            ("system:serviceaccounts:ns:sa", Err(InvalidUsername)),
            ("ns:sa", Err(InvalidUsername)),
        ];
        for (username, expected) in cases {
            assert_eq!(split_username(username), *expected, "{username}");
        }
        assert_eq!(
            InvalidUsername.to_string(),
            "Username must be in the form system:serviceaccount:namespace:name"
        );
    }

    #[test]
    fn user_info_has_both_groups_in_order() {
        let user = user_info("ns", "sa", "uid-1");
        assert_eq!(user.username, "system:serviceaccount:ns:sa");
        assert_eq!(user.uid, "uid-1");
        assert_eq!(
            user.groups,
            ["system:serviceaccounts", "system:serviceaccounts:ns"]
        );
    }

    #[test]
    fn service_account_token_secrets() {
        let secret = |type_: &str, name: Option<&str>, uid: Option<&str>| {
            let mut annotations = std::collections::BTreeMap::new();
            if let Some(name) = name {
                annotations.insert(
                    SERVICE_ACCOUNT_NAME_ANNOTATION.to_string(),
                    name.to_string(),
                );
            }
            if let Some(uid) = uid {
                annotations.insert(SERVICE_ACCOUNT_UID_ANNOTATION.to_string(), uid.to_string());
            }
            Secret {
                type_: Some(type_.to_string()),
                metadata: ObjectMeta {
                    annotations: Some(annotations),
                    ..Default::default()
                },
                ..Default::default()
            }
        };
        let service_account = ServiceAccount {
            metadata: ObjectMeta {
                name: Some("sa".into()),
                uid: Some("uid-1".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let cases = [
            (
                "matching",
                secret(SERVICE_ACCOUNT_TOKEN_TYPE, Some("sa"), Some("uid-1")),
                true,
            ),
            (
                "no uid",
                secret(SERVICE_ACCOUNT_TOKEN_TYPE, Some("sa"), None),
                true,
            ),
            (
                "empty uid",
                secret(SERVICE_ACCOUNT_TOKEN_TYPE, Some("sa"), Some("")),
                true,
            ),
            (
                "other uid",
                secret(SERVICE_ACCOUNT_TOKEN_TYPE, Some("sa"), Some("uid-2")),
                false,
            ),
            (
                "other name",
                secret(SERVICE_ACCOUNT_TOKEN_TYPE, Some("other"), None),
                false,
            ),
            (
                "no name",
                secret(SERVICE_ACCOUNT_TOKEN_TYPE, None, None),
                false,
            ),
            ("opaque", secret("Opaque", Some("sa"), Some("uid-1")), false),
        ];
        for (name, secret, expected) in cases {
            assert_eq!(
                is_service_account_token(&secret, &service_account),
                expected,
                "{name}"
            );
        }
    }
}
