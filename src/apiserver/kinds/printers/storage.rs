//! Printers of PersistentVolumes, PersistentVolumeClaims and StorageClasses
//! (`printPersistentVolume`, `printPersistentVolumeClaim`, `printStorageClass` in
//! `pkg/printers/internalversion/printers.go`). Quantities print as stored; upstream
//! prints them in canonical form, which differs for values such as `1.5Gi`.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::wide;
use crate::apiserver::kinds::generic::Printer;
use crate::apiserver::table::{age, column, str_at, value_at, AGE_COLUMN, NAME_COLUMN};

/// The annotation that overrides a volume's or claim's class
/// (`v1.BetaStorageClassAnnotation`).
const BETA_STORAGE_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

/// PersistentVolumes: CAPACITY, ACCESS MODES, RECLAIM POLICY, STATUS, CLAIM, STORAGECLASS,
/// VOLUMEATTRIBUTESCLASS, REASON; wide VOLUMEMODE.
pub const PERSISTENT_VOLUME: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Capacity",
            "string",
            "capacity is the description of the persistent volume's resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity",
        ),
        column(
            "Access Modes",
            "string",
            "accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes",
        ),
        column(
            "Reclaim Policy",
            "string",
            "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming",
        ),
        column(
            "Status",
            "string",
            "phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase",
        ),
        column(
            "Claim",
            "string",
            "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding",
        ),
        column("StorageClass", "string", "StorageClass of the pv"),
        column(
            "VolumeAttributesClass",
            "string",
            "VolumeAttributesClass of the pv",
        ),
        column(
            "Reason",
            "string",
            "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.",
        ),
        AGE_COLUMN,
        wide(column(
            "VolumeMode",
            "string",
            "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.",
        )),
    ],
    row: persistent_volume_row,
};

fn persistent_volume_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let claim = match value_at(object, &["spec", "claimRef"]).filter(|c| c.is_object()) {
        Some(claim) => format!(
            "{}/{}",
            str_at(claim, &["namespace"]),
            str_at(claim, &["name"])
        ),
        None => String::new(),
    };
    let class =
        annotated_class(object).unwrap_or_else(|| str_at(object, &["spec", "storageClassName"]));
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(quantity(value_at(object, &["spec", "capacity", "storage"]))),
        json!(access_modes(value_at(object, &["spec", "accessModes"]))),
        json!(str_at(object, &["spec", "persistentVolumeReclaimPolicy"])),
        json!(phase(object)),
        json!(claim),
        json!(class),
        json!(or_unset(value_at(
            object,
            &["spec", "volumeAttributesClassName"]
        ))),
        json!(str_at(object, &["status", "reason"])),
        json!(age(object, now)),
        json!(or_unset(value_at(object, &["spec", "volumeMode"]))),
    ]
}

/// PersistentVolumeClaims: STATUS, VOLUME, CAPACITY, ACCESS MODES, STORAGECLASS,
/// VOLUMEATTRIBUTESCLASS; wide VOLUMEMODE.
pub const PERSISTENT_VOLUME_CLAIM: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Status",
            "string",
            "phase represents the current phase of PersistentVolumeClaim.",
        ),
        column(
            "Volume",
            "string",
            "volumeName is the binding reference to the PersistentVolume backing this claim.",
        ),
        column(
            "Capacity",
            "string",
            "capacity represents the actual resources of the underlying volume.",
        ),
        column(
            "Access Modes",
            "string",
            "accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1",
        ),
        column("StorageClass", "string", "StorageClass of the pvc"),
        column(
            "VolumeAttributesClass",
            "string",
            "VolumeAttributesClass of the pvc",
        ),
        AGE_COLUMN,
        wide(column(
            "VolumeMode",
            "string",
            "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.",
        )),
    ],
    row: persistent_volume_claim_row,
};

fn persistent_volume_claim_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let volume = str_at(object, &["spec", "volumeName"]);
    // Capacity and access modes are the bound volume's; an unbound claim shows neither.
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity(value_at(object, &["status", "capacity", "storage"])),
            access_modes(value_at(object, &["status", "accessModes"])),
        )
    };
    let class =
        annotated_class(object).unwrap_or_else(|| str_at(object, &["spec", "storageClassName"]));
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(phase(object)),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(class),
        json!(or_unset(value_at(
            object,
            &["spec", "volumeAttributesClassName"]
        ))),
        json!(age(object, now)),
        json!(or_unset(value_at(object, &["spec", "volumeMode"]))),
    ]
}

/// StorageClasses: the name marked `(default)` for the default class, PROVISIONER,
/// RECLAIMPOLICY, VOLUMEBINDINGMODE, ALLOWVOLUMEEXPANSION.
pub const STORAGE_CLASS: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Provisioner",
            "string",
            "provisioner indicates the type of the provisioner.",
        ),
        column(
            "ReclaimPolicy",
            "string",
            "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.",
        ),
        column(
            "VolumeBindingMode",
            "string",
            "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.",
        ),
        column(
            "AllowVolumeExpansion",
            "string",
            "allowVolumeExpansion shows whether the storage class allow volume expand.",
        ),
        AGE_COLUMN,
    ],
    row: storage_class_row,
};

fn storage_class_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let annotation = |key: &str| str_at(object, &["metadata", "annotations", key]) == "true";
    let default = annotation("storageclass.kubernetes.io/is-default-class")
        || annotation("storageclass.beta.kubernetes.io/is-default-class");
    let name = str_at(object, &["metadata", "name"]);
    let name = if default {
        format!("{name} (default)")
    } else {
        name.to_string()
    };
    let or = |key: &str, fallback: &'static str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or(fallback)
            .to_string()
    };
    vec![
        json!(name),
        json!(str_at(object, &["provisioner"])),
        json!(or("reclaimPolicy", "Delete")),
        json!(or("volumeBindingMode", "Immediate")),
        json!(object
            .get("allowVolumeExpansion")
            .and_then(Value::as_bool)
            .unwrap_or(false)),
        json!(age(object, now)),
    ]
}

/// The class named by the beta annotation, which takes precedence over the spec's.
fn annotated_class(object: &Value) -> Option<&str> {
    value_at(
        object,
        &["metadata", "annotations", BETA_STORAGE_CLASS_ANNOTATION],
    )
    .and_then(Value::as_str)
}

/// The phase, or `Terminating` once deletion started.
fn phase(object: &Value) -> &str {
    if value_at(object, &["metadata", "deletionTimestamp"]).is_some_and(|t| !t.is_null()) {
        "Terminating"
    } else {
        str_at(object, &["status", "phase"])
    }
}

/// A quantity as stored; a missing one is Go's zero quantity, `0`.
fn quantity(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or("0").to_string()
}

/// The string, or `<unset>` without one.
fn or_unset(value: Option<&Value>) -> &str {
    value.and_then(Value::as_str).unwrap_or("<unset>")
}

/// `GetAccessModesAsString`: RWO, ROX, RWX, RWOP in that order, each once.
fn access_modes(modes: Option<&Value>) -> String {
    let modes: Vec<&str> = modes
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .into_iter()
    .filter(|(mode, _)| modes.contains(mode))
    .map(|(_, short)| short)
    .collect::<Vec<_>>()
    .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::printers::testing::cells;

    #[test]
    fn persistent_volume_rows() {
        let names: Vec<_> = PERSISTENT_VOLUME
            .columns
            .iter()
            .map(|c| (c.name, c.priority))
            .collect();
        assert_eq!(names.len(), 11);
        assert_eq!(names[10], ("VolumeMode", 1));
        let pv = json!({"metadata": {"name": "pv1", "creationTimestamp": "2024-05-01T11:00:00Z"},
            "spec": {"capacity": {"storage": "10Gi"},
                "accessModes": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "fast",
                "claimRef": {"namespace": "default", "name": "data"}, "volumeMode": "Filesystem"},
            "status": {"phase": "Bound"}});
        assert_eq!(
            cells(&PERSISTENT_VOLUME, pv),
            json!([
                "pv1",
                "10Gi",
                "RWO,RWX",
                "Retain",
                "Bound",
                "default/data",
                "fast",
                "<unset>",
                "",
                "60m",
                "Filesystem"
            ])
        );
        let deleting = json!({"metadata": {"name": "pv2", "deletionTimestamp": "2024-05-01T11:00:00Z",
            "annotations": {"volume.beta.kubernetes.io/storage-class": "old"}},
            "spec": {"storageClassName": "fast"}, "status": {"phase": "Released"}});
        assert_eq!(
            cells(&PERSISTENT_VOLUME, deleting),
            json!([
                "pv2",
                "0",
                "",
                "",
                "Terminating",
                "",
                "old",
                "<unset>",
                "",
                "<unknown>",
                "<unset>"
            ])
        );
    }

    #[test]
    fn persistent_volume_claim_rows() {
        let bound = json!({"metadata": {"name": "data", "creationTimestamp": "2024-05-01T11:00:00Z"},
            "spec": {"volumeName": "pv1", "storageClassName": "fast", "resources": {"requests": {"storage": "5Gi"}}},
            "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"]}});
        assert_eq!(
            cells(&PERSISTENT_VOLUME_CLAIM, bound),
            json!(["data", "Bound", "pv1", "10Gi", "RWO", "fast", "<unset>", "60m", "<unset>"])
        );
        let pending = json!({"metadata": {"name": "new"}, "spec": {"volumeMode": "Block",
            "accessModes": ["ReadWriteOnce"]}, "status": {"phase": "Pending"}});
        assert_eq!(
            cells(&PERSISTENT_VOLUME_CLAIM, pending),
            json!([
                "new",
                "Pending",
                "",
                "",
                "",
                "",
                "<unset>",
                "<unknown>",
                "Block"
            ])
        );
    }

    #[test]
    fn storage_class_rows() {
        let names: Vec<_> = STORAGE_CLASS.columns.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "Name",
                "Provisioner",
                "ReclaimPolicy",
                "VolumeBindingMode",
                "AllowVolumeExpansion",
                "Age"
            ]
        );
        let default = json!({"metadata": {"name": "standard",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer",
            "reclaimPolicy": "Retain", "allowVolumeExpansion": true});
        assert_eq!(
            cells(&STORAGE_CLASS, default),
            json!([
                "standard (default)",
                "rancher.io/local-path",
                "Retain",
                "WaitForFirstConsumer",
                true,
                "<unknown>"
            ])
        );
        let bare = json!({"metadata": {"name": "slow"}, "provisioner": "x"});
        assert_eq!(
            cells(&STORAGE_CLASS, bare),
            json!(["slow", "x", "Delete", "Immediate", false, "<unknown>"])
        );
    }
}
