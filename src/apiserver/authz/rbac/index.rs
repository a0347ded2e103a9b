//! The RBAC objects the authorizer reads, indexed by subject so that a decision looks up
//! the bindings naming the user and its groups instead of scanning every binding (upstream
//! lists all bindings of the namespace and all cluster bindings on every request).
//!
//! The index is kept by the store's synchronous observer ([`Index::apply`]), so a binding
//! is honoured by the very next request after its write returns.

use std::ops::ControlFlow;
use std::sync::Arc;

use foldhash::HashMap;
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, Role, RoleBinding, RoleRef, Subject,
};

use super::rules::{service_account_username, Rule};
use crate::apiserver::kinds::rbac::{CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS};
use crate::apiserver::store::{EventType, WatchEvent};
use crate::apiserver::validation::go_quote;
use crate::authn::UserInfo;

/// The rules of one role; shared by every lookup.
type Rules = Arc<[Rule]>;

/// What a binding grants: the role it refers to. Kept once per binding, shared by every
/// subject entry.
#[derive(Debug)]
struct Binding {
    /// The binding's namespace; empty for ClusterRoleBindings.
    namespace: Box<str>,
    /// The binding's name.
    name: Box<str>,
    /// `Role` or `ClusterRole` (anything else never resolves).
    role_kind: Box<str>,
    /// The referenced role's name.
    role_name: Box<str>,
    /// The binding's subjects in order, for the reason an allow gives
    /// ([`Source::describe`]); never read by a plain decision.
    subjects: Box<[Subject]>,
}

/// The binding a visited rule list came from (upstream's `fmt.Stringer` source of
/// `VisitRulesFor`).
#[derive(Debug, Clone, Copy)]
pub struct Source<'a>(&'a Binding);

impl Source<'_> {
    /// An identity of the binding, equal for every visit of the same binding.
    pub fn id(&self) -> usize {
        self.0 as *const Binding as usize
    }

    /// How upstream names the binding and the subject through which it applies to
    /// `user`: `RoleBinding "name/namespace" of Role "r" to ServiceAccount "sa/ns"` or
    /// `ClusterRoleBinding "name" of ClusterRole "r" to Group "g"` (the `String()`s of
    /// `roleBindingDescriber` and `clusterRoleBindingDescriber` in
    /// pkg/registry/rbac/validation/rule.go). The subject is the first of the binding
    /// that applies to the user, as upstream's `appliesTo` picks it.
    pub fn describe(&self, user: &UserInfo) -> String {
        let binding = self.0;
        let namespace = &*binding.namespace;
        let subject = binding
            .subjects
            .iter()
            .find(|s| match SubjectKey::of(s, namespace) {
                Some(SubjectKey::User(name)) => name == user.username,
                Some(SubjectKey::Group(name)) => user.groups.contains(&name),
                None => false,
            });
        let subject = match subject {
            Some(s) if s.kind == "ServiceAccount" => {
                let ns = s.namespace.as_deref().filter(|n| !n.is_empty());
                format!(
                    "{} {}",
                    s.kind,
                    go_quote(&format!("{}/{}", s.name, ns.unwrap_or(namespace)))
                )
            }
            Some(s) => format!("{} {}", s.kind, go_quote(&s.name)),
            // Unreachable for a visited binding; upstream would describe its first subject.
            None => String::new(),
        };
        let (kind, name) = if namespace.is_empty() {
            ("ClusterRoleBinding", binding.name.to_string())
        } else {
            ("RoleBinding", format!("{}/{}", binding.name, namespace))
        };
        format!(
            "{kind} {} of {} {} to {subject}",
            go_quote(&name),
            binding.role_kind,
            go_quote(&binding.role_name)
        )
    }
}

/// Bindings by the subject they name: users (ServiceAccount subjects as their user name)
/// and groups.
#[derive(Default)]
struct BySubject {
    users: HashMap<Box<str>, Vec<Arc<Binding>>>,
    groups: HashMap<Box<str>, Vec<Arc<Binding>>>,
}

impl BySubject {
    fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }

    fn insert(&mut self, key: &SubjectKey, binding: &Arc<Binding>) {
        let map = match key {
            SubjectKey::User(_) => &mut self.users,
            SubjectKey::Group(_) => &mut self.groups,
        };
        map.entry(Box::from(key.name()))
            .or_default()
            .push(binding.clone());
    }

    fn remove(&mut self, key: &SubjectKey, namespace: &str, name: &str) {
        let map = match key {
            SubjectKey::User(_) => &mut self.users,
            SubjectKey::Group(_) => &mut self.groups,
        };
        if let Some(list) = map.get_mut(key.name()) {
            list.retain(|b| !(&*b.namespace == namespace && &*b.name == name));
            if list.is_empty() {
                map.remove(key.name());
            }
        }
    }

    /// Every binding naming the user or one of its groups, once per entry.
    fn for_user<'a: 'u, 'u>(
        &'a self,
        user: &'u UserInfo,
    ) -> impl Iterator<Item = &'a Arc<Binding>> + 'u {
        let by_name = self.users.get(user.username.as_str()).into_iter().flatten();
        let by_group = user
            .groups
            .iter()
            .filter_map(|g| self.groups.get(g.as_str()))
            .flatten();
        by_name.chain(by_group)
    }
}

/// Where one subject of a binding is filed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SubjectKey {
    User(String),
    Group(String),
}

impl SubjectKey {
    fn name(&self) -> &str {
        match self {
            SubjectKey::User(n) | SubjectKey::Group(n) => n,
        }
    }

    fn of(subject: &Subject, namespace: &str) -> Option<Self> {
        match subject.kind.as_str() {
            "User" => Some(SubjectKey::User(subject.name.clone())),
            "Group" => Some(SubjectKey::Group(subject.name.clone())),
            "ServiceAccount" => service_account_username(subject, namespace).map(SubjectKey::User),
            _ => None,
        }
    }
}

/// Why a binding that names the user gave no rules (upstream's `GetRoleReferenceRules`
/// errors, with the lister's texts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleRefError {
    /// The referenced Role does not exist in the binding's namespace.
    #[error("role.rbac.authorization.k8s.io {0:?} not found")]
    RoleNotFound(String),
    /// The referenced ClusterRole does not exist.
    #[error("clusterrole.rbac.authorization.k8s.io {0:?} not found")]
    ClusterRoleNotFound(String),
    /// The reference names neither a Role nor a ClusterRole.
    #[error("unsupported role reference kind: {0:?}")]
    UnsupportedKind(String),
}

/// Roles, cluster roles and bindings, indexed.
#[derive(Default)]
pub struct Index {
    /// namespace → name → rules.
    roles: HashMap<Box<str>, HashMap<Box<str>, Rules>>,
    cluster_roles: HashMap<Box<str>, Rules>,
    cluster_bindings: BySubject,
    /// namespace → bindings of that namespace.
    role_bindings: HashMap<Box<str>, BySubject>,
    /// (namespace, name) of each binding → the subject keys it was filed under.
    filed: HashMap<(Box<str>, Box<str>), Vec<SubjectKey>>,
}

impl Index {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in one change of a Role, ClusterRole, RoleBinding or ClusterRoleBinding.
    /// Objects that do not decode are treated as absent.
    pub fn apply(&mut self, event: &WatchEvent) {
        let object = &event.object;
        let (namespace, name) = (object.namespace(), object.name());
        let gone = event.event_type() == EventType::Deleted;
        match event.resource {
            r if r == ROLES.plural => {
                let rules = if gone {
                    None
                } else {
                    object.decode::<Role>().ok().map(|r| rules_of(r.rules))
                };
                self.set_role(namespace, name, rules);
            }
            r if r == CLUSTER_ROLES.plural => {
                let rules = if gone {
                    None
                } else {
                    object
                        .decode::<ClusterRole>()
                        .ok()
                        .map(|r| rules_of(r.rules))
                };
                self.set_cluster_role(name, rules);
            }
            r if r == ROLE_BINDINGS.plural => {
                let binding = if gone {
                    None
                } else {
                    object
                        .decode::<RoleBinding>()
                        .ok()
                        .map(|b| (b.role_ref, b.subjects))
                };
                self.set_binding(namespace, name, binding);
            }
            r if r == CLUSTER_ROLE_BINDINGS.plural => {
                let binding = if gone {
                    None
                } else {
                    object
                        .decode::<ClusterRoleBinding>()
                        .ok()
                        .map(|b| (b.role_ref, b.subjects))
                };
                self.set_binding("", name, binding);
            }
            _ => {}
        }
    }

    /// Sets (or, with None, removes) a Role's rules.
    pub fn set_role(&mut self, namespace: &str, name: &str, rules: Option<Rules>) {
        match rules {
            Some(rules) => {
                self.roles
                    .entry(Box::from(namespace))
                    .or_default()
                    .insert(Box::from(name), rules);
            }
            None => {
                if let Some(roles) = self.roles.get_mut(namespace) {
                    roles.remove(name);
                    if roles.is_empty() {
                        self.roles.remove(namespace);
                    }
                }
            }
        }
    }

    /// Sets (or removes) a ClusterRole's rules.
    pub fn set_cluster_role(&mut self, name: &str, rules: Option<Rules>) {
        match rules {
            Some(rules) => {
                self.cluster_roles.insert(Box::from(name), rules);
            }
            None => {
                self.cluster_roles.remove(name);
            }
        }
    }

    /// Sets (or removes) a binding: a RoleBinding in `namespace`, or a ClusterRoleBinding
    /// when `namespace` is empty.
    pub fn set_binding(
        &mut self,
        namespace: &str,
        name: &str,
        binding: Option<(RoleRef, Option<Vec<Subject>>)>,
    ) {
        let key = (Box::from(namespace), Box::from(name));
        if let Some(old_keys) = self.filed.remove(&key) {
            let subjects = if namespace.is_empty() {
                Some(&mut self.cluster_bindings)
            } else {
                self.role_bindings.get_mut(namespace)
            };
            if let Some(subjects) = subjects {
                for subject in &old_keys {
                    subjects.remove(subject, namespace, name);
                }
                if !namespace.is_empty() && subjects.is_empty() {
                    self.role_bindings.remove(namespace);
                }
            }
        }
        let Some((role_ref, subjects)) = binding else {
            return;
        };
        let entry = Arc::new(Binding {
            namespace: Box::from(namespace),
            name: Box::from(name),
            role_kind: Box::from(role_ref.kind.as_str()),
            role_name: Box::from(role_ref.name.as_str()),
            subjects: subjects.iter().flatten().cloned().collect(),
        });
        let mut keys: Vec<SubjectKey> = subjects
            .iter()
            .flatten()
            .filter_map(|s| SubjectKey::of(s, namespace))
            .collect();
        // A subject named twice is filed once, so its rules are visited once.
        keys.dedup();
        let filed_in = if namespace.is_empty() {
            &mut self.cluster_bindings
        } else {
            self.role_bindings.entry(Box::from(namespace)).or_default()
        };
        for subject in &keys {
            filed_in.insert(subject, &entry);
        }
        self.filed.insert(key, keys);
    }

    fn role_ref_rules(&self, binding: &Binding) -> Result<&Rules, RoleRefError> {
        match &*binding.role_kind {
            "Role" => self
                .roles
                .get(&*binding.namespace)
                .and_then(|roles| roles.get(&*binding.role_name))
                .ok_or_else(|| RoleRefError::RoleNotFound(binding.role_name.to_string())),
            "ClusterRole" => self
                .cluster_roles
                .get(&*binding.role_name)
                .ok_or_else(|| RoleRefError::ClusterRoleNotFound(binding.role_name.to_string())),
            other => Err(RoleRefError::UnsupportedKind(other.to_string())),
        }
    }

    /// Calls `visit` with the rules of every binding that names `user`: cluster bindings
    /// first, then the bindings of `namespace` (none when it is empty), as upstream's
    /// `VisitRulesFor`; a binding whose role is missing gives its error instead. Stops
    /// when `visit` breaks. A binding that names the user more than once (by name and by
    /// group) is visited once per naming; `visit` gets the binding's [`Source`] to tell.
    pub fn visit_rules_for<'a>(
        &'a self,
        user: &UserInfo,
        namespace: &str,
        mut visit: impl FnMut(Source<'a>, Result<&'a [Rule], RoleRefError>) -> ControlFlow<()>,
    ) {
        let namespaced = (!namespace.is_empty())
            .then(|| self.role_bindings.get(namespace))
            .flatten();
        let bindings = self
            .cluster_bindings
            .for_user(user)
            .chain(namespaced.into_iter().flat_map(|b| b.for_user(user)));
        for binding in bindings {
            let rules = self.role_ref_rules(binding).map(|r| &**r);
            if visit(Source(binding), rules).is_break() {
                return;
            }
        }
    }

    /// The rules of a ClusterRole, if it exists.
    pub fn cluster_role(&self, name: &str) -> Option<&[Rule]> {
        self.cluster_roles.get(name).map(|r| &**r)
    }

    /// How many bindings are indexed (cluster and namespaced).
    pub fn binding_count(&self) -> usize {
        self.filed.len()
    }
}

fn rules_of(rules: Option<Vec<k8s_openapi::api::rbac::v1::PolicyRule>>) -> Rules {
    rules.iter().flatten().map(Rule::from).collect()
}
