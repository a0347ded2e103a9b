//! The `EncryptionConfiguration` file of `--encryption-provider-config`
//! (`apiserver.config.k8s.io/v1`), read and validated as kube-apiserver does: the types of
//! `k8s.io/apiserver/pkg/apis/config/v1`, the checks and texts of
//! `k8s.io/apiserver/pkg/apis/config/validation/validation.go`.

use base64::Engine;
use serde::Deserialize;

/// The only group/version kube-apiserver registers for the file.
pub const API_VERSION: &str = "apiserver.config.k8s.io/v1";
/// The file's kind.
pub const KIND: &str = "EncryptionConfiguration";

const AES_KEY_SIZES: &[usize] = &[16, 24, 32];
const SECRETBOX_KEY_SIZES: &[usize] = &[32];
const NO_PROVIDER: &str =
    "provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity";

/// The file: which resources are stored how.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionConfiguration {
    /// `apiserver.config.k8s.io/v1`.
    #[serde(default)]
    pub api_version: String,
    /// `EncryptionConfiguration`.
    #[serde(default)]
    pub kind: String,
    /// One entry per set of resources sharing providers; the first entry naming a
    /// resource wins.
    #[serde(default)]
    pub resources: Vec<ResourceConfiguration>,
}

/// `resources[]`: resources (`secrets`, `deployments.apps`, `*.`, `*.apps`, `*.*`) and
/// their providers in order; the first provider encrypts new writes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResourceConfiguration {
    /// `resource.group` names; the core group's have no group part.
    #[serde(default)]
    pub resources: Vec<String>,
    /// The providers, in order.
    #[serde(default)]
    pub providers: Vec<ProviderConfiguration>,
}

/// One provider; exactly one field is set.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ProviderConfiguration {
    /// AES-GCM with a random nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aesgcm: Option<KeysConfiguration>,
    /// AES-CBC with PKCS#7 padding (upstream's; not served by kube-sa).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aescbc: Option<KeysConfiguration>,
    /// XSalsa20-Poly1305.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secretbox: Option<KeysConfiguration>,
    /// No encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<serde_json::Value>,
    /// An external KMS plugin (upstream's; not served by kube-sa).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms: Option<serde_json::Value>,
}

/// A provider's keys; the first encrypts, all decrypt.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct KeysConfiguration {
    /// The keys in order.
    #[serde(default)]
    pub keys: Vec<Key>,
}

/// A named key.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct Key {
    /// Written before each value it encrypts (`k8s:enc:aesgcm:v1:<name>:`).
    #[serde(default)]
    pub name: String,
    /// The key, standard base64.
    #[serde(default)]
    pub secret: String,
}

/// A resource of the file as `schema.ParseGroupResource` reads it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupResource {
    /// The API group; empty for the core group, `*` for every group.
    pub group: String,
    /// The plural resource name, or `*`.
    pub resource: String,
}

impl GroupResource {
    /// `secrets` → core `secrets`; `deployments.apps` → `apps` `deployments`; the group
    /// starts after the first dot.
    pub fn parse(text: &str) -> Self {
        match text.split_once('.') {
            Some((resource, group)) => Self {
                group: group.to_string(),
                resource: resource.to_string(),
            },
            None => Self {
                group: String::new(),
                resource: text.to_string(),
            },
        }
    }

    /// How upstream's errors name it (`grYAMLString`): `*.` for every core resource.
    pub fn yaml_string(&self) -> String {
        match (self.group.as_str(), self.resource.as_str()) {
            ("", "*") => "*.".to_string(),
            ("", resource) => resource.to_string(),
            (group, resource) => format!("{resource}.{group}"),
        }
    }

    fn is_any(&self) -> bool {
        self.group == "*" && self.resource == "*"
    }
}

/// Parses the file's text (YAML or JSON) and checks its kind and version.
///
/// Errors: the text is not a document of that shape; the message follows the decoder's.
pub fn decode(text: &str) -> Result<EncryptionConfiguration, String> {
    let config: EncryptionConfiguration = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    if config.kind.is_empty() {
        return Err("Object 'Kind' is missing in the file".into());
    }
    if config.api_version != API_VERSION || config.kind != KIND {
        return Err(format!(
            "no kind {:?} is registered for version {:?}",
            config.kind, config.api_version
        ));
    }
    Ok(config)
}

/// `ValidateEncryptionConfiguration`: every problem, as `field.ErrorList` prints them.
pub fn validate(config: &EncryptionConfiguration) -> Vec<String> {
    let mut errors = Vec::new();
    if config.resources.is_empty() {
        errors.push("resources: Required value: at least one resources is required".into());
        return errors;
    }
    for (i, entry) in config.resources.iter().enumerate() {
        let resources_path = format!("resources[{i}].resources");
        let providers_path = format!("resources[{i}].providers");
        if entry.resources.is_empty() {
            errors.push(format!(
                "{resources_path}: Required value: at least one {resources_path} is required"
            ));
        }
        validate_overlap(&entry.resources, &resources_path, &mut errors);
        validate_names(&entry.resources, &resources_path, &mut errors);
        if entry.providers.is_empty() {
            errors.push(format!(
                "{providers_path}: Required value: at least one {providers_path} is required"
            ));
        }
        for (j, provider) in entry.providers.iter().enumerate() {
            let path = format!("{providers_path}[{j}]");
            let set = [
                provider.kms.is_some(),
                provider.aesgcm.is_some(),
                provider.aescbc.is_some(),
                provider.secretbox.is_some(),
                provider.identity.is_some(),
            ]
            .into_iter()
            .filter(|set| *set)
            .count();
            let shown = redacted_json(provider);
            if set == 0 {
                errors.push(format!("{path}: Invalid value: {shown}: {NO_PROVIDER}"));
                continue;
            }
            if set > 1 {
                errors.push(format!(
                    "{path}: Invalid value: {shown}: more than one provider specified in a single element, should split into different list elements"
                ));
                continue;
            }
            if let Some(aes) = &provider.aesgcm {
                validate_keys(
                    &aes.keys,
                    &format!("{path}.aesgcm.keys"),
                    AES_KEY_SIZES,
                    &mut errors,
                );
            } else if let Some(aes) = &provider.aescbc {
                validate_keys(
                    &aes.keys,
                    &format!("{path}.aescbc.keys"),
                    AES_KEY_SIZES,
                    &mut errors,
                );
            } else if let Some(secretbox) = &provider.secretbox {
                validate_keys(
                    &secretbox.keys,
                    &format!("{path}.secretbox.keys"),
                    SECRETBOX_KEY_SIZES,
                    &mut errors,
                );
            }
        }
    }
    errors
}

/// `%#v` of a `[]string`, as the field error shows the list.
fn go_strings(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

fn validate_overlap(resources: &[String], path: &str, errors: &mut Vec<String>) {
    if resources.len() < 2 {
        return;
    }
    let parsed: Vec<GroupResource> = resources.iter().map(|r| GroupResource::parse(r)).collect();
    let (mut duplicate, mut overlap) = (false, false);
    for (i, a) in parsed.iter().enumerate() {
        for (j, b) in parsed.iter().enumerate() {
            if i == j {
                continue;
            }
            if a == b {
                duplicate = true;
                continue;
            }
            if a.is_any() || (a.group == b.group && (a.resource == "*" || b.resource == "*")) {
                overlap = true;
            }
        }
    }
    if duplicate {
        errors.push(format!(
            "{path}: Invalid value: {}: the same resource cannot be specified multiple times",
            go_strings(resources)
        ));
    }
    if overlap {
        errors.push(format!(
            "{path}: Invalid value: {}: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked",
            go_strings(resources)
        ));
    }
}

fn validate_names(resources: &[String], path: &str, errors: &mut Vec<String>) {
    for (j, resource) in resources.iter().enumerate() {
        let invalid = |reason: &str| format!("{path}[{j}]: Invalid value: {resource:?}: {reason}");
        let group = GroupResource::parse(resource);
        let reason = if resource.to_lowercase() != *resource {
            "resource name should not contain capital letters"
        } else if resource == "*" {
            "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources"
        } else if matches!(
            resource.as_str(),
            "apiserveripinfo" | "serviceipallocations" | "servicenodeportallocations"
        ) {
            "resources which do not have REST API/s cannot be encrypted"
        } else if group.group == "events.k8s.io" {
            "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file"
        } else if group.group == "extensions" {
            "'extensions' group has been removed and cannot be used for encryption"
        } else if group.group == "*" && group.resource != "*" {
            "encrypting the same resource across groups is not supported"
        } else {
            continue;
        };
        errors.push(invalid(reason));
    }
}

fn validate_keys(keys: &[Key], path: &str, sizes: &[usize], errors: &mut Vec<String>) {
    if keys.is_empty() {
        errors.push(format!(
            "{path}: Required value: at least one keys is required"
        ));
        return;
    }
    for (i, key) in keys.iter().enumerate() {
        let path = format!("{path}[{i}]");
        if key.name.is_empty() {
            errors.push(format!(
                "{path}.name: Required value: name is a mandatory field for a key"
            ));
        }
        if key.secret.is_empty() {
            errors.push(format!(
                "{path}.secret: Required value: secret is a mandatory field for a key"
            ));
            continue;
        }
        let Ok(secret) = base64::engine::general_purpose::STANDARD.decode(&key.secret) else {
            errors.push(format!(
                "{path}.secret: Invalid value: \"REDACTED\": secrets must be base64 encoded"
            ));
            continue;
        };
        if !sizes.contains(&secret.len()) {
            let expected: Vec<String> = sizes.iter().map(usize::to_string).collect();
            errors.push(format!(
                "{path}.secret: Invalid value: \"REDACTED\": secret is not of the expected length, got {}, expected one of [{}]",
                secret.len(),
                expected.join(" ")
            ));
        }
    }
}

/// The secret of a validated key.
pub fn key_bytes(key: &Key) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(&key.secret)
        .unwrap_or_default()
}

/// A provider element as JSON for an error message, every key's `secret` shown as
/// `"REDACTED"`: the message is printed and logged, and must not carry key material
/// (upstream's `%#v` of the element shows pointers, not secrets).
fn redacted_json(provider: &impl serde::Serialize) -> String {
    fn redact(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    if key == "secret" {
                        *value = serde_json::Value::from("REDACTED");
                    } else {
                        redact(value);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(provider).unwrap_or_default();
    redact(&mut value);
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(yaml: &str) -> Vec<String> {
        validate(&decode(yaml).expect("decodes"))
    }

    const HEAD: &str = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n";

    #[test]
    fn a_valid_file_has_no_errors() {
        let yaml = format!(
            "{HEAD}resources:\n- resources: [secrets, configmaps]\n  providers:\n  - aesgcm:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZQ==\n  - secretbox:\n      keys:\n      - name: key2\n        secret: YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=\n  - identity: {{}}\n"
        );
        assert_eq!(errors_of(&yaml), Vec::<String>::new());
    }

    #[test]
    fn kind_and_version_must_be_upstreams() {
        let wrong = "apiVersion: apiserver.config.k8s.io/v1beta1\nkind: EncryptionConfiguration\nresources: []\n";
        assert_eq!(
            decode(wrong).err().as_deref(),
            Some("no kind \"EncryptionConfiguration\" is registered for version \"apiserver.config.k8s.io/v1beta1\"")
        );
        assert!(decode("resources: []\n").is_err());
    }

    #[test]
    fn key_problems_are_reported_with_upstreams_texts() {
        let yaml = format!(
            "{HEAD}resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n      - name: short\n        secret: c2hvcnQ=\n      - name: ''\n        secret: 'not base64!'\n  - secretbox:\n      keys:\n      - name: k\n        secret: c2VjcmV0IGlzIHNlY3VyZQ==\n  - aesgcm: {{}}\n"
        );
        assert_eq!(
            errors_of(&yaml),
            [
                "resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: \"REDACTED\": secret is not of the expected length, got 5, expected one of [16 24 32]",
                "resources[0].providers[0].aesgcm.keys[1].name: Required value: name is a mandatory field for a key",
                "resources[0].providers[0].aesgcm.keys[1].secret: Invalid value: \"REDACTED\": secrets must be base64 encoded",
                "resources[0].providers[1].secretbox.keys[0].secret: Invalid value: \"REDACTED\": secret is not of the expected length, got 16, expected one of [32]",
                "resources[0].providers[2].aesgcm.keys: Required value: at least one keys is required",
            ]
        );
    }

    #[test]
    fn providers_must_be_known_and_single() {
        let yaml = format!(
            "{HEAD}resources:\n- resources: [secrets]\n  providers:\n  - aesgcmm:\n      keys: []\n  - identity: {{}}\n    aesgcm:\n      keys: []\n"
        );
        let errors = errors_of(&yaml);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("resources[0].providers[0]: Invalid value: {}: provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity"), "{}", errors[0]);
        assert!(errors[1].ends_with(": more than one provider specified in a single element, should split into different list elements"), "{}", errors[1]);
    }

    #[test]
    fn an_element_shown_in_an_error_carries_no_key_material() {
        let yaml = format!(
            "{HEAD}resources:\n- resources: [secrets]\n  providers:\n  - identity: {{}}\n    aesgcm:\n      keys: [{{name: k, secret: VE9QU0VDUkVUVkFMVUVBQUFBQUFBQUFBQUFBQUFBQUE=}}]\n"
        );
        let errors = errors_of(&yaml);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(!errors[0].contains("VE9QU0VDUkVU"), "{}", errors[0]);
        assert!(
            errors[0].contains(r#""secret":"REDACTED""#),
            "{}",
            errors[0]
        );
        assert!(errors[0].contains(r#""name":"k""#), "{}", errors[0]);
    }

    #[test]
    fn resource_lists_are_checked_for_duplicates_overlaps_and_names() {
        let yaml = format!(
            "{HEAD}resources:\n- resources: [secrets, secrets, '*.']\n  providers:\n  - identity: {{}}\n- resources: ['*', Secrets, events.events.k8s.io, deployments.extensions, 'pods.*', serviceipallocations]\n  providers: []\n"
        );
        assert_eq!(
            errors_of(&yaml),
            [
                "resources[0].resources: Invalid value: []string{\"secrets\", \"secrets\", \"*.\"}: the same resource cannot be specified multiple times",
                "resources[0].resources: Invalid value: []string{\"secrets\", \"secrets\", \"*.\"}: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked",
                // "*" is group "" resource "*", overlapping "Secrets" as upstream finds.
                "resources[1].resources: Invalid value: []string{\"*\", \"Secrets\", \"events.events.k8s.io\", \"deployments.extensions\", \"pods.*\", \"serviceipallocations\"}: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked",
                "resources[1].resources[0]: Invalid value: \"*\": use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources",
                "resources[1].resources[1]: Invalid value: \"Secrets\": resource name should not contain capital letters",
                "resources[1].resources[2]: Invalid value: \"events.events.k8s.io\": '*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file",
                "resources[1].resources[3]: Invalid value: \"deployments.extensions\": 'extensions' group has been removed and cannot be used for encryption",
                "resources[1].resources[4]: Invalid value: \"pods.*\": encrypting the same resource across groups is not supported",
                "resources[1].resources[5]: Invalid value: \"serviceipallocations\": resources which do not have REST API/s cannot be encrypted",
                "resources[1].providers: Required value: at least one resources[1].providers is required",
            ]
        );
    }

    #[test]
    fn group_resources_parse_at_the_first_dot() {
        let parsed = GroupResource::parse("deployments.apps");
        assert_eq!(
            (parsed.group.as_str(), parsed.resource.as_str()),
            ("apps", "deployments")
        );
        assert_eq!(GroupResource::parse("*.").yaml_string(), "*.");
        assert_eq!(GroupResource::parse("*.*").yaml_string(), "*.*");
        assert_eq!(GroupResource::parse("secrets").yaml_string(), "secrets");
        assert_eq!(
            GroupResource::parse("clusterroles.rbac.authorization.k8s.io").group,
            "rbac.authorization.k8s.io"
        );
    }
}
