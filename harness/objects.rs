//! The kinds features talk about, YAML documents, and how step texts name objects.

use std::str::FromStr;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::core::ApiResource;
use serde_json::Value;

use crate::failure::Failure;

/// A kind a step can name, in words (`service account`) or as a manifest `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pod,
    Secret,
    ServiceAccount,
    Namespace,
    ConfigMap,
    Role,
    RoleBinding,
    Event,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Pod,
        Kind::Secret,
        Kind::ServiceAccount,
        Kind::Namespace,
        Kind::ConfigMap,
        Kind::Role,
        Kind::RoleBinding,
        Kind::Event,
    ];

    /// How steps spell the kind.
    pub fn words(self) -> &'static str {
        match self {
            Kind::Pod => "pod",
            Kind::Secret => "secret",
            Kind::ServiceAccount => "service account",
            Kind::Namespace => "namespace",
            Kind::ConfigMap => "config map",
            Kind::Role => "role",
            Kind::RoleBinding => "role binding",
            Kind::Event => "event",
        }
    }

    /// The manifest `kind`.
    pub fn manifest_kind(self) -> &'static str {
        match self {
            Kind::Pod => "Pod",
            Kind::Secret => "Secret",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::Namespace => "Namespace",
            Kind::ConfigMap => "ConfigMap",
            Kind::Role => "Role",
            Kind::RoleBinding => "RoleBinding",
            Kind::Event => "Event",
        }
    }

    pub fn from_manifest_kind(kind: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.manifest_kind() == kind)
    }

    pub fn resource(self) -> ApiResource {
        match self {
            Kind::Pod => ApiResource::erase::<Pod>(&()),
            Kind::Secret => ApiResource::erase::<Secret>(&()),
            Kind::ServiceAccount => ApiResource::erase::<ServiceAccount>(&()),
            Kind::Namespace => ApiResource::erase::<Namespace>(&()),
            Kind::ConfigMap => ApiResource::erase::<ConfigMap>(&()),
            Kind::Role => ApiResource::erase::<Role>(&()),
            Kind::RoleBinding => ApiResource::erase::<RoleBinding>(&()),
            Kind::Event => ApiResource::erase::<k8s_openapi::api::core::v1::Event>(&()),
        }
    }

    pub fn namespaced(self) -> bool {
        self != Kind::Namespace
    }

    /// For snapshot names: `pod`, `serviceaccount`, …
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Pod => "pod",
            Kind::Secret => "secret",
            Kind::ServiceAccount => "serviceaccount",
            Kind::Namespace => "namespace",
            Kind::ConfigMap => "configmap",
            Kind::Role => "role",
            Kind::RoleBinding => "rolebinding",
            Kind::Event => "event",
        }
    }
}

impl FromStr for Kind {
    type Err = Failure;

    fn from_str(words: &str) -> Result<Self, Self::Err> {
        let normalized = words.trim().to_ascii_lowercase().replace(' ', "");
        Kind::ALL
            .into_iter()
            .find(|kind| kind.words().replace(' ', "") == normalized)
            .ok_or_else(|| {
                let known: Vec<&str> = Kind::ALL.iter().map(|k| k.words()).collect();
                Failure::new(format!(
                    "unknown kind {:?}; steps know: {}",
                    words.trim(),
                    known.join(", ")
                ))
            })
    }
}

/// Splits a step fragment into the text outside double quotes and the quoted values:
/// `the pod "web" in namespace "demo"` → (["the pod ", " in namespace ", ""], ["web", "demo"]).
fn split_quoted(text: &str) -> (Vec<&str>, Vec<&str>) {
    let parts: Vec<&str> = text.split('"').collect();
    let outside = parts.iter().step_by(2).copied().collect();
    let quoted = parts.iter().skip(1).step_by(2).copied().collect();
    (outside, quoted)
}

/// An object a step names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectRef {
    /// `the <kind> "<name>" in namespace "<ns>"` or `the namespace "<name>"`.
    Named {
        kind: Kind,
        name: String,
        namespace: Option<String>,
    },
    /// `the token secret of service account "<sa>" in namespace "<ns>"`: the first secret
    /// the account lists that is its token Secret.
    TokenSecretOf {
        service_account: String,
        namespace: String,
    },
}

impl ObjectRef {
    pub fn kind(&self) -> Kind {
        match self {
            ObjectRef::Named { kind, .. } => *kind,
            ObjectRef::TokenSecretOf { .. } => Kind::Secret,
        }
    }
}

const OBJECT_FORMS: &str = "`the <kind> \"<name>\" in namespace \"<ns>\"`, `the namespace \"<name>\"`, or `the token secret of service account \"<sa>\" in namespace \"<ns>\"`";

impl FromStr for ObjectRef {
    type Err = Failure;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (outside, quoted) = split_quoted(text.trim());
        let unknown = || {
            Failure::new(format!(
                "cannot tell which object {text:?} means; write {OBJECT_FORMS}"
            ))
        };
        match (outside.as_slice(), quoted.as_slice()) {
            (["the token secret of service account ", " in namespace ", ""], [sa, ns]) => {
                Ok(ObjectRef::TokenSecretOf {
                    service_account: sa.to_string(),
                    namespace: ns.to_string(),
                })
            }
            (["the namespace ", ""], [name]) => Ok(ObjectRef::Named {
                kind: Kind::Namespace,
                name: name.to_string(),
                namespace: None,
            }),
            ([kind, " in namespace ", ""], [name, ns]) => {
                let kind: Kind = kind.strip_prefix("the ").ok_or_else(unknown)?.parse()?;
                Ok(ObjectRef::Named {
                    kind,
                    name: name.to_string(),
                    namespace: Some(ns.to_string()),
                })
            }
            _ => Err(unknown()),
        }
    }
}

/// A token a step names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRef {
    OfServiceAccount {
        service_account: String,
        namespace: String,
    },
    InSecret {
        secret: String,
        namespace: String,
    },
    Remembered(String),
}

impl FromStr for TokenRef {
    type Err = Failure;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (outside, quoted) = split_quoted(text.trim());
        match (outside.as_slice(), quoted.as_slice()) {
            (["the token of service account ", " in namespace ", ""], [sa, ns]) => {
                Ok(TokenRef::OfServiceAccount { service_account: sa.to_string(), namespace: ns.to_string() })
            }
            (["the token in secret ", " in namespace ", ""], [secret, ns]) => {
                Ok(TokenRef::InSecret { secret: secret.to_string(), namespace: ns.to_string() })
            }
            (["the remembered token ", ""], [alias]) => Ok(TokenRef::Remembered(alias.to_string())),
            _ => Err(Failure::new(format!(
                "cannot tell which token {text:?} means; write `the token of service account \"<sa>\" in namespace \"<ns>\"`, `the token in secret \"<name>\" in namespace \"<ns>\"` or `the remembered token \"<alias>\"`"
            ))),
        }
    }
}

/// Every YAML document in a doc string (`---` separated), as JSON values; empty documents are skipped.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, Failure> {
    use serde::Deserialize;
    let mut documents = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(document).map_err(|e| {
            Failure::new(format!(
                "YAML document {} of the doc string does not parse: {e}",
                index + 1
            ))
        })?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}

/// Exactly one YAML document.
pub fn parse_document(text: &str) -> Result<Value, Failure> {
    let mut documents = parse_documents(text)?;
    match documents.len() {
        1 => Ok(documents.remove(0)),
        n => Err(Failure::new(format!(
            "expected exactly one YAML document in the doc string, found {n}"
        ))),
    }
}

/// The kind of a manifest, from its `kind` field.
pub fn manifest_kind(object: &Value) -> Result<Kind, Failure> {
    let kind = object.get("kind").and_then(Value::as_str).ok_or_else(|| {
        Failure::new(format!(
            "every object needs a `kind` (Pod, Secret, ServiceAccount, Namespace, ConfigMap): {}",
            crate::matching::show(object)
        ))
    })?;
    Kind::from_manifest_kind(kind)
        .ok_or_else(|| Failure::new(format!("the harness does not know kind {kind:?}")))
}

/// A field by dotted path (`metadata.uid`, `spec.volumes.0.name`); a dot inside a key is
/// escaped with a backslash, as in kubectl's JSONPath
/// (`metadata.annotations.kubernetes\.io/service-account\.name`, `data.ca\.crt`).
pub fn field<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    path_keys(path)
        .iter()
        .try_fold(object, |value, key| match value {
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => value.get(key),
        })
}

/// The keys of a dotted path, `\\.` being a dot within a key.
fn path_keys(path: &str) -> Vec<String> {
    let (mut keys, mut key) = (Vec::new(), String::new());
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                key.push('.');
            }
            '.' => keys.push(std::mem::take(&mut key)),
            other => key.push(other),
        }
    }
    keys.push(key);
    keys
}

/// A scalar as the text steps compare (`"x"` → `x`, `420` → `420`).
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
