//! The bootstrap policy a new cluster starts with: the roles and bindings of upstream's
//! plugin/pkg/auth/authorizer/rbac/bootstrappolicy (`policy.go`, `controller_policy.go`,
//! `namespace_policy.go`), restricted to those a user of service accounts meets. Each
//! object carries upstream's label `kubernetes.io/bootstrapping: rbac-defaults` and
//! annotation `rbac.authorization.kubernetes.io/autoupdate: "true"`; rules are sorted as
//! upstream's rule builder sorts them.

use serde_json::{json, Value};

use crate::apiserver::kinds::rbac::{
    CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, GROUP, ROLES, ROLE_BINDINGS,
};
use crate::apiserver::kinds::ResourceInfo;
use crate::apiserver::store::{Store, StoreError};

const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
const READ_WRITE: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

const LEGACY: &str = "";
const APPS: &str = "apps";
const AUTOSCALING: &str = "autoscaling";
const BATCH: &str = "batch";
const EXTENSIONS: &str = "extensions";
const POLICY: &str = "policy";
const NETWORKING: &str = "networking.k8s.io";
const DISCOVERY: &str = "discovery.k8s.io";
const COORDINATION: &str = "coordination.k8s.io";
const EVENTS: &str = "events.k8s.io";
const AUTHENTICATION: &str = "authentication.k8s.io";
const AUTHORIZATION: &str = "authorization.k8s.io";

/// The prefix of the controllers' roles and the names of their accounts' bindings.
const CONTROLLER_PREFIX: &str = "system:controller:";
/// Where the controllers' service accounts live.
const KUBE_SYSTEM: &str = "kube-system";

fn sorted(items: &[&str]) -> Vec<String> {
    let mut items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    items.sort();
    items
}

/// A resource rule, its lists sorted (`rbacv1helpers.NewRule(...).RuleOrDie()`).
fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> Value {
    json!({"apiGroups": sorted(groups), "resources": sorted(resources), "verbs": sorted(verbs)})
}

/// A rule on non-resource URLs.
fn urls(verbs: &[&str], urls: &[&str]) -> Value {
    json!({"nonResourceURLs": sorted(urls), "verbs": sorted(verbs)})
}

/// The controllers' events rule (`eventsRule()`).
fn events_rule() -> Value {
    rule(
        &["create", "update", "patch"],
        &[LEGACY, EVENTS],
        &["events"],
    )
}

fn metadata(name: &str, extra_labels: &[(&str, &str)]) -> Value {
    let mut labels = json!({"kubernetes.io/bootstrapping": "rbac-defaults"});
    for (key, value) in extra_labels {
        labels[*key] = json!(value);
    }
    json!({
        "name": name,
        "labels": labels,
        "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
    })
}

fn cluster_role(name: &str, labels: &[(&str, &str)], rules: Vec<Value>) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": metadata(name, labels), "rules": rules})
}

/// A ClusterRole whose rules the aggregation controller gathers from those labelled
/// `rbac.authorization.k8s.io/aggregate-to-<to>: "true"`.
fn aggregated_role(name: &str, to: &str, labels: &[(&str, &str)]) -> Value {
    let mut role = cluster_role(name, labels, Vec::new());
    if let Some(map) = role.as_object_mut() {
        map.remove("rules");
    }
    role["aggregationRule"] = json!({"clusterRoleSelectors": [
        {"matchLabels": {format!("rbac.authorization.k8s.io/aggregate-to-{to}"): "true"}}
    ]});
    role
}

/// The ClusterRoles of upstream's `ClusterRoles()` and `ControllerRoles()` that kube-sa
/// creates.
pub fn cluster_roles() -> Vec<Value> {
    const TO_ADMIN: &[(&str, &str)] = &[("rbac.authorization.k8s.io/aggregate-to-admin", "true")];
    const TO_EDIT: &[(&str, &str)] = &[("rbac.authorization.k8s.io/aggregate-to-edit", "true")];
    const TO_VIEW: &[(&str, &str)] = &[("rbac.authorization.k8s.io/aggregate-to-view", "true")];
    vec![
        // A "root" role which can do absolutely anything.
        cluster_role(
            "cluster-admin",
            &[],
            vec![rule(&["*"], &["*"], &["*"]), urls(&["*"], &["*"])],
        ),
        // Enough to negotiate API versions.
        cluster_role(
            "system:discovery",
            &[],
            vec![urls(
                &["get"],
                &[
                    "/livez",
                    "/readyz",
                    "/healthz",
                    "/version",
                    "/version/",
                    "/openapi",
                    "/openapi/*",
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                ],
            )],
        ),
        // What a user may learn about itself.
        cluster_role(
            "system:basic-user",
            &[],
            vec![
                rule(
                    &["create"],
                    &[AUTHORIZATION],
                    &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                ),
                rule(&["create"], &[AUTHENTICATION], &["selfsubjectreviews"]),
            ],
        ),
        // Information safe to show to anyone.
        cluster_role(
            "system:public-info-viewer",
            &[],
            vec![urls(
                &["get"],
                &["/livez", "/readyz", "/healthz", "/version", "/version/"],
            )],
        ),
        aggregated_role("admin", "admin", &[]),
        aggregated_role("edit", "edit", TO_ADMIN),
        aggregated_role("view", "view", TO_EDIT),
        cluster_role(
            "system:aggregate-to-admin",
            TO_ADMIN,
            vec![
                rule(
                    &["create"],
                    &[AUTHORIZATION],
                    &["localsubjectaccessreviews"],
                ),
                rule(READ_WRITE, &[GROUP], &["roles", "rolebindings"]),
            ],
        ),
        cluster_role(
            "system:aggregate-to-edit",
            TO_EDIT,
            aggregate_to_edit_rules(),
        ),
        cluster_role(
            "system:aggregate-to-view",
            TO_VIEW,
            aggregate_to_view_rules(),
        ),
        // Delegated authentication and authorization (webhook token and access reviews).
        cluster_role(
            "system:auth-delegator",
            &[],
            vec![
                rule(&["create"], &[AUTHENTICATION], &["tokenreviews"]),
                rule(&["create"], &[AUTHORIZATION], &["subjectaccessreviews"]),
            ],
        ),
        // The service-account issuer's discovery documents.
        cluster_role(
            "system:service-account-issuer-discovery",
            &[],
            vec![urls(
                &["get"],
                // Upstream 1.33's list: both paths with and without a trailing slash.
                &[
                    "/.well-known/openid-configuration",
                    "/.well-known/openid-configuration/",
                    "/openid/v1/jwks",
                    "/openid/v1/jwks/",
                ],
            )],
        ),
        cluster_role(
            &format!("{CONTROLLER_PREFIX}root-ca-cert-publisher"),
            &[],
            vec![
                rule(&["create", "update"], &[LEGACY], &["configmaps"]),
                events_rule(),
            ],
        ),
        cluster_role(
            &format!("{CONTROLLER_PREFIX}service-account-controller"),
            &[],
            vec![
                rule(&["create"], &[LEGACY], &["serviceaccounts"]),
                events_rule(),
            ],
        ),
    ]
}

/// `system:aggregate-to-edit`: everyday writes in a namespace, without the privileged
/// `/status` subresources, quotas and limits.
fn aggregate_to_edit_rules() -> Vec<Value> {
    vec![
        // Read on escalating resources.
        rule(
            READ,
            &[LEGACY],
            &[
                "pods/attach",
                "pods/proxy",
                "pods/exec",
                "pods/portforward",
                "secrets",
                "services/proxy",
            ],
        ),
        rule(&["impersonate"], &[LEGACY], &["serviceaccounts"]),
        rule(
            WRITE,
            &[LEGACY],
            &[
                "pods",
                "pods/attach",
                "pods/proxy",
                "pods/exec",
                "pods/portforward",
            ],
        ),
        rule(&["create"], &[LEGACY], &["pods/eviction"]),
        rule(
            WRITE,
            &[LEGACY],
            &[
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "serviceaccounts",
                "services",
                "services/proxy",
                "persistentvolumeclaims",
                "configmaps",
                "secrets",
                "events",
            ],
        ),
        rule(&["create"], &[LEGACY], &["serviceaccounts/token"]),
        rule(
            WRITE,
            &[APPS],
            &[
                "statefulsets",
                "statefulsets/scale",
                "daemonsets",
                "deployments",
                "deployments/scale",
                "deployments/rollback",
                "replicasets",
                "replicasets/scale",
            ],
        ),
        rule(WRITE, &[AUTOSCALING], &["horizontalpodautoscalers"]),
        rule(WRITE, &[BATCH], &["jobs", "cronjobs"]),
        rule(
            WRITE,
            &[EXTENSIONS],
            &[
                "daemonsets",
                "deployments",
                "deployments/scale",
                "deployments/rollback",
                "ingresses",
                "replicasets",
                "replicasets/scale",
                "replicationcontrollers/scale",
                "networkpolicies",
            ],
        ),
        rule(WRITE, &[POLICY], &["poddisruptionbudgets"]),
        rule(WRITE, &[NETWORKING], &["networkpolicies", "ingresses"]),
        rule(READ_WRITE, &[COORDINATION], &["leases"]),
    ]
}

/// `system:aggregate-to-view`: read-only access to non-escalating resources.
fn aggregate_to_view_rules() -> Vec<Value> {
    vec![
        rule(
            READ,
            &[LEGACY],
            &[
                "pods",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "serviceaccounts",
                "services",
                "services/status",
                "endpoints",
                "persistentvolumeclaims",
                "persistentvolumeclaims/status",
                "configmaps",
            ],
        ),
        rule(
            READ,
            &[LEGACY],
            &[
                "limitranges",
                "resourcequotas",
                "bindings",
                "events",
                "pods/status",
                "resourcequotas/status",
                "namespaces/status",
                "replicationcontrollers/status",
                "pods/log",
            ],
        ),
        // Reading the namespace itself tells which namespaces one has access to.
        rule(READ, &[LEGACY], &["namespaces"]),
        rule(READ, &[DISCOVERY], &["endpointslices"]),
        rule(
            READ,
            &[APPS],
            &[
                "controllerrevisions",
                "statefulsets",
                "statefulsets/status",
                "statefulsets/scale",
                "daemonsets",
                "daemonsets/status",
                "deployments",
                "deployments/status",
                "deployments/scale",
                "replicasets",
                "replicasets/status",
                "replicasets/scale",
            ],
        ),
        rule(
            READ,
            &[AUTOSCALING],
            &[
                "horizontalpodautoscalers",
                "horizontalpodautoscalers/status",
            ],
        ),
        rule(
            READ,
            &[BATCH],
            &["jobs", "cronjobs", "cronjobs/status", "jobs/status"],
        ),
        rule(
            READ,
            &[EXTENSIONS],
            &[
                "daemonsets",
                "daemonsets/status",
                "deployments",
                "deployments/scale",
                "deployments/status",
                "ingresses",
                "ingresses/status",
                "replicasets",
                "replicasets/scale",
                "replicasets/status",
                "replicationcontrollers/scale",
                "networkpolicies",
            ],
        ),
        rule(
            READ,
            &[POLICY],
            &["poddisruptionbudgets", "poddisruptionbudgets/status"],
        ),
        rule(
            READ,
            &[NETWORKING],
            &["ingresses", "ingresses/status", "networkpolicies"],
        ),
    ]
}

fn group(name: &str) -> Value {
    json!({"apiGroup": GROUP, "kind": "Group", "name": name})
}

fn service_account(name: &str) -> Value {
    json!({"kind": "ServiceAccount", "name": name, "namespace": KUBE_SYSTEM})
}

fn binding(kind: &str, name: &str, role_kind: &str, subjects: Vec<Value>) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
        "metadata": metadata(name, &[]),
        "roleRef": {"apiGroup": GROUP, "kind": role_kind, "name": name},
        "subjects": subjects})
}

/// The ClusterRoleBindings of upstream's `ClusterRoleBindings()` and
/// `ControllerRoleBindings()` for those roles; each is named after its role.
pub fn cluster_role_bindings() -> Vec<Value> {
    let cluster =
        |name: &str, subjects| binding("ClusterRoleBinding", name, "ClusterRole", subjects);
    let controller = |name: &str| {
        cluster(
            &format!("{CONTROLLER_PREFIX}{name}"),
            vec![service_account(name)],
        )
    };
    vec![
        cluster("cluster-admin", vec![group("system:masters")]),
        cluster("system:basic-user", vec![group("system:authenticated")]),
        cluster("system:discovery", vec![group("system:authenticated")]),
        cluster(
            "system:public-info-viewer",
            vec![
                group("system:authenticated"),
                group("system:unauthenticated"),
            ],
        ),
        cluster(
            "system:service-account-issuer-discovery",
            vec![group("system:serviceaccounts")],
        ),
        controller("root-ca-cert-publisher"),
        controller("service-account-controller"),
    ]
}

/// The Roles of upstream's `NamespaceRoles()` kube-sa creates (in `kube-system`).
pub fn namespace_roles() -> Vec<Value> {
    let mut role = cluster_role(
        &format!("{CONTROLLER_PREFIX}token-cleaner"),
        &[],
        vec![
            rule(&["delete", "get", "list", "watch"], &[LEGACY], &["secrets"]),
            events_rule(),
        ],
    );
    role["kind"] = json!("Role");
    role["metadata"]["namespace"] = json!(KUBE_SYSTEM);
    vec![role]
}

/// The RoleBindings of upstream's `NamespaceRoleBindings()` for those Roles.
pub fn namespace_role_bindings() -> Vec<Value> {
    let mut token_cleaner = binding(
        "RoleBinding",
        &format!("{CONTROLLER_PREFIX}token-cleaner"),
        "Role",
        vec![service_account("token-cleaner")],
    );
    token_cleaner["metadata"]["namespace"] = json!(KUBE_SYSTEM);
    vec![token_cleaner]
}

/// Creates every bootstrap object `store` lacks (upstream's post-start hook creates the
/// missing ones and reconciles those marked for automatic update; a new store has none).
pub fn ensure_policy(store: &Store) -> Result<(), StoreError> {
    let created = crate::apiserver::now_rfc3339(store.clock().as_ref());
    let sets: [(&'static ResourceInfo, Vec<Value>); 4] = [
        (&CLUSTER_ROLES, cluster_roles()),
        (&CLUSTER_ROLE_BINDINGS, cluster_role_bindings()),
        (&ROLES, namespace_roles()),
        (&ROLE_BINDINGS, namespace_role_bindings()),
    ];
    for (resource, objects) in sets {
        for mut object in objects {
            let namespace = object["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let name = object["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if store.get(resource, &namespace, &name).is_some() {
                continue;
            }
            object["metadata"]["uid"] = json!(crate::names::new_uid());
            object["metadata"]["creationTimestamp"] = json!(created);
            match store.create(resource, object) {
                Ok(_) | Err(StoreError::AlreadyExists) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
