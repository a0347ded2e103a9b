//! The fixed set of resource types the embedded API server serves.

/// Static description of one served resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResourceInfo {
    /// API group; empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    /// Plural lower-case name used in URLs (`pods`).
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub list_kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub verbs: &'static [&'static str],
    /// Create-only resources (reviews) are not stored.
    pub create_only: bool,
}

const CRUD_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

pub const NAMESPACES: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    list_kind: "NamespaceList",
    namespaced: false,
    short_names: &["ns"],
    verbs: &[
        "create", "delete", "get", "list", "patch", "update", "watch",
    ],
    create_only: false,
};

pub const SERVICE_ACCOUNTS: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "serviceaccounts",
    singular: "serviceaccount",
    kind: "ServiceAccount",
    list_kind: "ServiceAccountList",
    namespaced: true,
    short_names: &["sa"],
    verbs: CRUD_VERBS,
    create_only: false,
};

pub const SECRETS: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "secrets",
    singular: "secret",
    kind: "Secret",
    list_kind: "SecretList",
    namespaced: true,
    short_names: &[],
    verbs: CRUD_VERBS,
    create_only: false,
};

pub const PODS: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "pods",
    singular: "pod",
    kind: "Pod",
    list_kind: "PodList",
    namespaced: true,
    short_names: &["po"],
    verbs: CRUD_VERBS,
    create_only: false,
};

pub const CONFIG_MAPS: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "configmaps",
    singular: "configmap",
    kind: "ConfigMap",
    list_kind: "ConfigMapList",
    namespaced: true,
    short_names: &["cm"],
    verbs: CRUD_VERBS,
    create_only: false,
};

pub const SELF_SUBJECT_REVIEWS: ResourceInfo = ResourceInfo {
    group: "authentication.k8s.io",
    version: "v1",
    plural: "selfsubjectreviews",
    singular: "selfsubjectreview",
    kind: "SelfSubjectReview",
    list_kind: "SelfSubjectReviewList",
    namespaced: false,
    short_names: &[],
    verbs: &["create"],
    create_only: true,
};

/// The beta and alpha of the review, which kubectl 1.27 asks for.
pub const SELF_SUBJECT_REVIEWS_V1BETA1: ResourceInfo = ResourceInfo {
    version: "v1beta1",
    ..SELF_SUBJECT_REVIEWS
};
pub const SELF_SUBJECT_REVIEWS_V1ALPHA1: ResourceInfo = ResourceInfo {
    version: "v1alpha1",
    ..SELF_SUBJECT_REVIEWS
};

/// Every served resource, core group first; within a group, preferred version first.
pub const ALL: &[ResourceInfo] = &[
    NAMESPACES,
    SERVICE_ACCOUNTS,
    SECRETS,
    PODS,
    CONFIG_MAPS,
    SELF_SUBJECT_REVIEWS,
    SELF_SUBJECT_REVIEWS_V1BETA1,
    SELF_SUBJECT_REVIEWS_V1ALPHA1,
];

impl ResourceInfo {
    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `selfsubjectreviews.authentication.k8s.io`, as used in error messages.
    pub fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// Looks a resource up by group, version and plural name.
    pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceInfo> {
        ALL.iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
    }

    /// Looks a resource up by its kind.
    pub fn by_kind(kind: &str) -> Option<&'static ResourceInfo> {
        ALL.iter().find(|r| r.kind == kind)
    }
}
