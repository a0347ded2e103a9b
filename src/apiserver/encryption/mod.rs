//! Encryption at rest (`kube-sa serve --data-dir DIR --encryption-provider-config FILE`), as
//! kube-apiserver's `k8s.io/apiserver/pkg/server/options/encryptionconfig`: the file names
//! resources and, for each, providers in order; the first provider encrypts every value
//! written to disk and all of them are tried, by prefix, on every value read back.
//!
//! Values are sealed where they reach the disk, by the data directory's writer thread
//! ([`super::store::durable`]), and opened when the file is read at start; the store in
//! memory holds them in the clear, as kube-apiserver's watch cache does. Each value is bound
//! to its storage key, `/registry/<resource>/<namespace>/<name>` as etcd's keys are
//! ([`storage_key`]), by the `aesgcm` provider's authenticated data.
//!
//! A resource is looked up as upstream does: its own `resource.group`, then `*.group`,
//! then `*.*`; a resource no entry names is stored as it is and refuses encrypted values.

pub mod config;
pub mod transformer;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use config::{EncryptionConfiguration, GroupResource};
use transformer::{AesGcmKey, Chain, Provider, SecretboxKey, TransformError};

/// Why the configuration could not be used; kube-apiserver's texts, which `serve` prints
/// before it exits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncryptionConfigError {
    /// The file could not be read, decoded or validated (`loadConfig`).
    #[error("error while parsing file: {0}")]
    Parse(String),
    /// The providers could not be built from a valid file (`getTransformerOverrides...`).
    #[error("error while building transformers: {0}")]
    Build(String),
}

/// The providers of every stored resource, from one configuration file.
pub struct Encryption {
    /// By the plural name of a stored resource (its storage key's first part).
    chains: HashMap<&'static str, Arc<Chain>>,
    unconfigured: Arc<Chain>,
}

impl std::fmt::Debug for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut resources: Vec<&&str> = self.chains.keys().collect();
        resources.sort();
        f.debug_struct("Encryption")
            .field("resources", &resources)
            .finish_non_exhaustive()
    }
}

impl Default for Encryption {
    /// No configuration, as kube-apiserver without the flag: every value is stored as it
    /// is, and an encrypted one is refused on read.
    fn default() -> Self {
        Self {
            chains: HashMap::new(),
            unconfigured: Arc::new(Chain::identity()),
        }
    }
}

impl Encryption {
    /// Reads, validates and builds the configuration at `path`
    /// (`--encryption-provider-config`).
    ///
    /// Errors: the file is missing, empty, not an `EncryptionConfiguration` of
    /// `apiserver.config.k8s.io/v1`, invalid (every problem listed), or names a provider
    /// kube-sa does not serve (`aescbc`, `kms`).
    pub fn load(path: &Path) -> Result<Self, EncryptionConfigError> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| {
            EncryptionConfigError::Parse(format!(
                "error opening encryption provider configuration file {:?}: {e}",
                shown.to_string()
            ))
        })?;
        if text.trim().is_empty() {
            return Err(EncryptionConfigError::Parse(format!(
                "encryption provider configuration file {:?} is empty",
                shown.to_string()
            )));
        }
        let config = config::decode(&text).map_err(|e| {
            EncryptionConfigError::Parse(format!(
                "error decoding encryption provider configuration file {:?}: {e}",
                shown.to_string()
            ))
        })?;
        Self::from_config(&config)
    }

    /// Builds a validated configuration.
    ///
    /// Errors: as [`Encryption::load`], less reading the file.
    pub fn from_config(config: &EncryptionConfiguration) -> Result<Self, EncryptionConfigError> {
        let errors = config::validate(config);
        if !errors.is_empty() {
            return Err(EncryptionConfigError::Parse(aggregate(&errors)));
        }
        // Each resource's providers, in entry order; a rule after `*.group` or `*.*` is
        // masked and refused, a plain resource named again gets the providers appended.
        let mut rules: Vec<(GroupResource, Vec<usize>)> = Vec::new();
        let mut built: Vec<Arc<Vec<config::ProviderConfiguration>>> = Vec::new();
        for (index, entry) in config.resources.iter().enumerate() {
            built.push(Arc::new(entry.providers.clone()));
            for resource in &entry.resources {
                let group_resource = GroupResource::parse(resource);
                for masking in [
                    GroupResource {
                        group: group_resource.group.clone(),
                        resource: "*".into(),
                    },
                    GroupResource {
                        group: "*".into(),
                        resource: "*".into(),
                    },
                ] {
                    if rules.iter().any(|(r, _)| *r == masking) {
                        return Err(EncryptionConfigError::Build(format!(
                            "resource {:?} is masked by earlier rule {:?}",
                            group_resource.yaml_string(),
                            masking.yaml_string()
                        )));
                    }
                }
                match rules.iter_mut().find(|(r, _)| *r == group_resource) {
                    Some((_, entries)) => entries.push(index),
                    None => rules.push((group_resource, vec![index])),
                }
            }
        }
        let mut chains = HashMap::new();
        for resource in super::kinds::ALL
            .iter()
            .filter(|r| r.strategy.storage_version().is_none() && !r.create_only)
        {
            let lookups = [
                (resource.group, resource.plural),
                (resource.group, "*"),
                ("*", "*"),
            ];
            let found = lookups.iter().find_map(|(group, plural)| {
                rules
                    .iter()
                    .find(|(r, _)| r.group == *group && r.resource == *plural)
            });
            let Some((_, entries)) = found else {
                continue;
            };
            let mut providers = Vec::new();
            for entry in entries {
                for provider in built[*entry].iter() {
                    providers.push(build_provider(provider)?);
                }
            }
            chains.insert(resource.plural, Arc::new(Chain::new(providers)));
        }
        Ok(Self {
            chains,
            ..Self::default()
        })
    }

    /// The providers of the stored resource `plural`.
    pub fn chain(&self, plural: &str) -> &Chain {
        self.chains.get(plural).unwrap_or(&self.unconfigured)
    }

    /// Whether any resource is encrypted on write (some first provider is not
    /// `identity`).
    pub fn encrypts(&self) -> bool {
        self.chains.values().any(|chain| !chain.writes_plain())
    }

    /// An object's JSON as stored on disk.
    ///
    /// Errors: the random generator or the cipher failed.
    pub fn to_storage(
        &self,
        plural: &str,
        namespace: &str,
        name: &str,
        json: &[u8],
    ) -> Result<Vec<u8>, TransformError> {
        let chain = self.chain(plural);
        if chain.writes_plain() {
            return Ok(json.to_vec());
        }
        chain.to_storage(json, storage_key(plural, namespace, name).as_bytes())
    }

    /// The JSON of a value read from disk, and whether it must be rewritten on the next
    /// write (it was read by a provider or key that is no longer first).
    ///
    /// Errors: no configured provider reads it; the message is upstream's storage error,
    /// `unable to transform key "/registry/...": <why>`.
    pub fn from_storage(
        &self,
        plural: &str,
        namespace: &str,
        name: &str,
        stored: &[u8],
    ) -> Result<(Vec<u8>, bool), String> {
        let key = storage_key(plural, namespace, name);
        self.chain(plural)
            .from_storage(stored, key.as_bytes())
            .map_err(|e| format!("unable to transform key {key:?}: {e}"))
    }
}

/// The etcd key kube-apiserver keeps an object under, which authenticates its encrypted
/// value: `/registry/<resource>/<namespace>/<name>`, without the namespace for
/// cluster-scoped objects, and with upstream's own prefixes for Services, Endpoints and
/// Nodes (`/registry/services/specs`, `/registry/services/endpoints`, `/registry/minions`).
pub fn storage_key(plural: &str, namespace: &str, name: &str) -> String {
    let prefix = match plural {
        "services" => "services/specs",
        "endpoints" => "services/endpoints",
        "nodes" => "minions",
        other => other,
    };
    if namespace.is_empty() {
        format!("/registry/{prefix}/{name}")
    } else {
        format!("/registry/{prefix}/{namespace}/{name}")
    }
}

/// A `field.ErrorList` as one error: the message, or `[m1, m2]`.
fn aggregate(errors: &[String]) -> String {
    match errors {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

fn build_provider(
    provider: &config::ProviderConfiguration,
) -> Result<Provider, EncryptionConfigError> {
    let named = |keys: &[config::Key]| -> Vec<(String, Vec<u8>)> {
        keys.iter()
            .map(|key| (key.name.clone(), config::key_bytes(key)))
            .collect()
    };
    if let Some(aes) = &provider.aesgcm {
        let mut keys = Vec::new();
        for (name, secret) in named(&aes.keys) {
            let key = AesGcmKey::new(&secret).ok_or_else(|| {
                EncryptionConfigError::Build(format!(
                    "error while creating cipher for named key {name}: crypto/aes: invalid key size {}",
                    secret.len()
                ))
            })?;
            keys.push((name, key));
        }
        return Ok(Provider::AesGcm(keys));
    }
    if let Some(secretbox) = &provider.secretbox {
        let mut keys = Vec::new();
        for (name, secret) in named(&secretbox.keys) {
            let key = SecretboxKey::new(&secret).ok_or_else(|| {
                EncryptionConfigError::Build(format!(
                    "expected key size 32 for secretbox provider, got {}",
                    secret.len()
                ))
            })?;
            keys.push((name, key));
        }
        return Ok(Provider::Secretbox(keys));
    }
    if provider.identity.is_some() {
        return Ok(Provider::Identity);
    }
    let name = if provider.aescbc.is_some() {
        "aescbc"
    } else {
        "kms"
    };
    Err(EncryptionConfigError::Build(format!(
        "provider {name} is not supported by kube-sa: use aesgcm, secretbox or identity"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY1: &str = "c2VjcmV0IGlzIHNlY3VyZQ=="; // 16 bytes
    const KEY2: &str = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY="; // 32 bytes

    fn build(yaml: &str) -> Result<Encryption, EncryptionConfigError> {
        let text = format!(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n{yaml}"
        );
        Encryption::from_config(&config::decode(&text).expect("decodes"))
    }

    #[test]
    fn resources_are_looked_up_by_name_then_group_then_everything() {
        let encryption = build(&format!(
            "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm: {{keys: [{{name: a, secret: {KEY1}}}]}}\n- resources: ['*.rbac.authorization.k8s.io']\n  providers:\n  - secretbox: {{keys: [{{name: b, secret: {KEY2}}}]}}\n- resources: ['*.*']\n  providers:\n  - identity: {{}}\n  - aesgcm: {{keys: [{{name: c, secret: {KEY1}}}]}}\n"
        ))
        .expect("valid");
        let sealed = |plural: &str| {
            encryption
                .to_storage(plural, "ns", "n", b"{}")
                .expect("seal")
        };
        assert!(sealed("secrets").starts_with(b"k8s:enc:aesgcm:v1:a:"));
        assert!(sealed("roles").starts_with(b"k8s:enc:secretbox:v1:b:"));
        assert_eq!(sealed("configmaps"), b"{}", "*.* writes with identity");
        // *.* reads values its second provider wrote.
        let by_c = build(&format!(
            "resources:\n- resources: [configmaps]\n  providers:\n  - aesgcm: {{keys: [{{name: c, secret: {KEY1}}}]}}\n"
        ))
        .expect("valid")
        .to_storage("configmaps", "ns", "n", b"{}")
        .expect("seal");
        assert_eq!(
            encryption.from_storage("configmaps", "ns", "n", &by_c),
            Ok((b"{}".to_vec(), true))
        );
        assert!(encryption.encrypts());
    }

    #[test]
    fn an_unreadable_value_names_its_storage_key() {
        let encryption = build(&format!(
            "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm: {{keys: [{{name: a, secret: {KEY1}}}]}}\n"
        ))
        .expect("valid");
        let sealed = encryption
            .to_storage("secrets", "default", "s", b"{}")
            .expect("seal");
        assert_eq!(
            encryption.from_storage("configmaps", "default", "s", &sealed),
            Err("unable to transform key \"/registry/configmaps/default/s\": identity transformer tried to read encrypted data".into())
        );
        assert_eq!(
            encryption.from_storage("secrets", "other", "s", &sealed),
            Err("unable to transform key \"/registry/secrets/other/s\": cipher: message authentication failed".into())
        );
    }

    #[test]
    fn a_rule_after_a_wildcard_is_masked() {
        let masked = build(
            "resources:\n- resources: ['*.']\n  providers: [{identity: {}}]\n- resources: [secrets]\n  providers: [{identity: {}}]\n",
        );
        assert_eq!(
            masked.err(),
            Some(EncryptionConfigError::Build(
                "resource \"secrets\" is masked by earlier rule \"*.\"".into()
            ))
        );
        let everything = build(
            "resources:\n- resources: ['*.*']\n  providers: [{identity: {}}]\n- resources: [roles.rbac.authorization.k8s.io]\n  providers: [{identity: {}}]\n",
        );
        assert_eq!(
            everything.err().map(|e| e.to_string()),
            Some("error while building transformers: resource \"roles.rbac.authorization.k8s.io\" is masked by earlier rule \"*.*\"".into())
        );
    }

    #[test]
    fn validation_errors_are_aggregated_and_unsupported_providers_refused() {
        let invalid = build("resources:\n- resources: []\n  providers: []\n");
        assert_eq!(
            invalid.err().map(|e| e.to_string()),
            Some("error while parsing file: [resources[0].resources: Required value: at least one resources[0].resources is required, resources[0].providers: Required value: at least one resources[0].providers is required]".into())
        );
        let cbc = build(&format!(
            "resources:\n- resources: [secrets]\n  providers:\n  - aescbc: {{keys: [{{name: a, secret: {KEY1}}}]}}\n"
        ));
        assert_eq!(
            cbc.err(),
            Some(EncryptionConfigError::Build(
                "provider aescbc is not supported by kube-sa: use aesgcm, secretbox or identity"
                    .into()
            ))
        );
    }

    #[test]
    fn a_missing_or_empty_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.yaml");
        let err = Encryption::load(&missing).expect_err("missing").to_string();
        assert!(
            err.starts_with(
                "error while parsing file: error opening encryption provider configuration file"
            ),
            "{err}"
        );
        let empty = dir.path().join("empty.yaml");
        std::fs::write(&empty, "").expect("write");
        let err = Encryption::load(&empty).expect_err("empty").to_string();
        assert!(err.ends_with("is empty"), "{err}");
    }

    #[test]
    fn storage_keys_follow_etcds_layout() {
        assert_eq!(storage_key("secrets", "a", "s"), "/registry/secrets/a/s");
        assert_eq!(storage_key("namespaces", "", "a"), "/registry/namespaces/a");
        assert_eq!(
            storage_key("services", "a", "k"),
            "/registry/services/specs/a/k"
        );
        assert_eq!(storage_key("nodes", "", "n"), "/registry/minions/n");
    }
}
