//! Validation of a pod's volumes (`ValidateVolumes` in `pkg/apis/core/validation`): one
//! source each, secret, configMap, downwardAPI, projected and host paths, file modes and
//! the paths files are projected to.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::apiserver::validation::{index, is_dns1123_label, is_set, items, str_of, Issues};

const FILE_MODE_ERR: &str = "must be a number between 0 and 0777 (octal), both inclusive";

/// Relative, and without `..` elements.
pub(super) fn validate_local_descending_path(target: &str, path: &str, issues: &mut Issues) {
    if target.starts_with('/') {
        issues.invalid(path, target, "must be a relative path");
    }
    if target.split('/').any(|element| element == "..") {
        issues.invalid(path, target, "must not contain '..'");
    }
}

fn validate_local_non_reserved_path(target: &str, path: &str, issues: &mut Issues) {
    validate_local_descending_path(target, path, issues);
    if target.starts_with("..") && !target.starts_with("../") {
        issues.invalid(path, target, "must not start with '..'");
    }
}

/// Volume source keys in the order upstream checks them, with the path segment it reports
/// for "more than 1 volume type" (upstream misspells two of them).
const VOLUME_SOURCES: &[(&str, &str)] = &[
    ("emptyDir", "emptyDir"),
    ("hostPath", "hostPath"),
    ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("configMap", "configMap"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
];

/// Validates the volumes; returns the names of the valid ones, which mounts may refer to.
pub(super) fn validate_volumes(volumes: Option<&Value>, issues: &mut Issues) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, volume) in items(volumes).iter().enumerate() {
        let path = index("spec.volumes", i);
        let mut volume_issues = Issues::default();
        validate_volume_source(volume, &path, &mut volume_issues);
        let name = str_of(volume, "name");
        let name_path = format!("{path}.name");
        if name.is_empty() {
            volume_issues.required(&name_path);
        } else {
            volume_issues.invalid_each(&name_path, name, is_dns1123_label(name));
        }
        if names.contains(name) {
            volume_issues.duplicate(&name_path, name);
        }
        if volume_issues.is_empty() {
            names.insert(name.to_string());
        } else {
            issues.append(volume_issues);
        }
    }
    names
}

fn validate_volume_source(volume: &Value, path: &str, issues: &mut Issues) {
    let mut counted = 0;
    for (key, reported) in VOLUME_SOURCES {
        let Some(source) = volume.get(*key).filter(|v| !v.is_null()) else {
            continue;
        };
        if counted > 0 {
            issues.forbidden(
                format!("{path}.{reported}"),
                "may not specify more than 1 volume type",
            );
            continue;
        }
        counted += 1;
        let source_path = format!("{path}.{key}");
        match *key {
            "secret" => {
                if str_of(source, "secretName").is_empty() {
                    issues.required(format!("{source_path}.secretName"));
                }
                validate_default_mode(source, &source_path, issues);
                validate_key_to_paths(source, &source_path, issues);
            }
            "configMap" => {
                if str_of(source, "name").is_empty() {
                    issues.required(format!("{source_path}.name"));
                }
                validate_default_mode(source, &source_path, issues);
                validate_key_to_paths(source, &source_path, issues);
            }
            "downwardAPI" => {
                validate_default_mode(source, &source_path, issues);
                for item in items(source.get("items")) {
                    // Upstream reports item errors on the source's path, not the item's.
                    validate_downward_api_file(item, &source_path, issues);
                }
            }
            "projected" => validate_projected(source, &source_path, issues),
            "hostPath" => {
                let host_path = str_of(source, "path");
                if host_path.is_empty() {
                    issues.required(format!("{source_path}.path"));
                } else if host_path.split('/').any(|element| element == "..") {
                    issues.invalid(
                        format!("{source_path}.path"),
                        host_path,
                        "must not contain '..'",
                    );
                }
            }
            "persistentVolumeClaim" if str_of(source, "claimName").is_empty() => {
                issues.required(format!("{source_path}.claimName"));
            }
            "nfs" => {
                let nfs_path = str_of(source, "path");
                if str_of(source, "server").is_empty() {
                    issues.required(format!("{source_path}.server"));
                }
                if nfs_path.is_empty() {
                    issues.required(format!("{source_path}.path"));
                }
                if !nfs_path.starts_with('/') {
                    issues.invalid(
                        format!("{source_path}.path"),
                        nfs_path,
                        "must be an absolute path",
                    );
                }
            }
            _ => {}
        }
    }
}

fn validate_file_mode(value: Option<&Value>, path: String, issues: &mut Issues) {
    if let Some(mode) = value.and_then(Value::as_i64) {
        if !(0..=0o777).contains(&mode) {
            issues.invalid_rendered(path, mode.to_string(), FILE_MODE_ERR);
        }
    }
}

fn validate_default_mode(source: &Value, path: &str, issues: &mut Issues) {
    validate_file_mode(
        source.get("defaultMode"),
        format!("{path}.defaultMode"),
        issues,
    );
}

fn validate_key_to_paths(source: &Value, path: &str, issues: &mut Issues) {
    for (i, item) in items(source.get("items")).iter().enumerate() {
        validate_key_to_path(item, &index(&format!("{path}.items"), i), issues);
    }
}

fn validate_key_to_path(item: &Value, path: &str, issues: &mut Issues) {
    if str_of(item, "key").is_empty() {
        issues.required(format!("{path}.key"));
    }
    let target = str_of(item, "path");
    if target.is_empty() {
        issues.required(format!("{path}.path"));
    }
    validate_local_non_reserved_path(target, &format!("{path}.path"), issues);
    validate_file_mode(item.get("mode"), format!("{path}.mode"), issues);
}

fn validate_downward_api_file(item: &Value, path: &str, issues: &mut Issues) {
    let target = str_of(item, "path");
    if target.is_empty() {
        issues.required(format!("{path}.path"));
    }
    validate_local_non_reserved_path(target, &format!("{path}.path"), issues);
    let field_ref = is_set(item.get("fieldRef"));
    let resource_ref = is_set(item.get("resourceFieldRef"));
    if field_ref && resource_ref {
        issues.invalid(
            path,
            "resource",
            "fieldRef and resourceFieldRef can not be specified simultaneously",
        );
    } else if !field_ref && !resource_ref {
        issues.required_because(path, "one of fieldRef and resourceFieldRef is required");
    }
    validate_file_mode(item.get("mode"), format!("{path}.mode"), issues);
}

fn validate_projected(projected: &Value, path: &str, issues: &mut Issues) {
    validate_default_mode(projected, path, issues);
    let mut all_paths = BTreeSet::new();
    for (i, source) in items(projected.get("sources")).iter().enumerate() {
        let source_path = index(&format!("{path}.sources"), i);
        let mut kinds = 0;
        for kind in ["secret", "configMap"] {
            let Some(reference) = source.get(kind).filter(|v| !v.is_null()) else {
                continue;
            };
            kinds += 1;
            let kind_path = format!("{source_path}.{kind}");
            let name = str_of(reference, "name");
            if name.is_empty() {
                issues.required(format!("{kind_path}.name"));
            }
            for (j, item) in items(reference.get("items")).iter().enumerate() {
                validate_key_to_path(item, &index(&format!("{kind_path}.items"), j), issues);
                let target = str_of(item, "path");
                if !target.is_empty() && !all_paths.insert(target.to_string()) {
                    issues.invalid(path, name, "conflicting duplicate paths");
                }
            }
        }
        if let Some(downward) = source.get("downwardAPI").filter(|v| !v.is_null()) {
            kinds += 1;
            let kind_path = format!("{source_path}.downwardAPI");
            for item in items(downward.get("items")) {
                validate_downward_api_file(item, &kind_path, issues);
                let target = str_of(item, "path");
                if !target.is_empty() && !all_paths.insert(target.to_string()) {
                    issues.invalid(path, target, "conflicting duplicate paths");
                }
            }
        }
        if let Some(token) = source.get("serviceAccountToken").filter(|v| !v.is_null()) {
            kinds += 1;
            let kind_path = format!("{source_path}.serviceAccountToken");
            let expiration = token
                .get("expirationSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if expiration < 10 * 60 {
                issues.invalid_rendered(
                    format!("{kind_path}.expirationSeconds"),
                    expiration.to_string(),
                    "may not specify a duration less than 10 minutes",
                );
            }
            if expiration > 1 << 32 {
                issues.invalid_rendered(
                    format!("{kind_path}.expirationSeconds"),
                    expiration.to_string(),
                    "may not specify a duration larger than 2^32 seconds",
                );
            }
            let token_path = str_of(token, "path");
            if token_path.is_empty() {
                // Upstream reports this one on the projected volume's path.
                issues.required(format!("{path}.path"));
            } else {
                validate_local_non_reserved_path(token_path, &format!("{path}.path"), issues);
            }
        }
        if is_set(source.get("clusterTrustBundle")) {
            kinds += 1;
        }
        if kinds > 1 {
            issues.forbidden(
                source_path,
                "may not specify more than 1 volume type per source",
            );
        }
    }
}
