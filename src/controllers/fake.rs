//! A recording in-memory [`CoreApi`] for the controller tests, in the spirit of client-go's
//! fake clientset: every call is recorded as an [`Action`], and reactors can make a call
//! fail before the object tracker sees it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, ServiceAccount};
use kube::api::Preconditions;

use super::api::{ClientError, CoreApi};

/// One recorded API call.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    GetServiceAccount {
        namespace: String,
        name: String,
    },
    CreateServiceAccount {
        namespace: String,
        account: ServiceAccount,
    },
    UpdateServiceAccount {
        namespace: String,
        account: ServiceAccount,
    },
    DeleteServiceAccount {
        namespace: String,
        name: String,
        preconditions: Option<Preconditions>,
    },
    GetSecret {
        namespace: String,
        name: String,
    },
    CreateSecret {
        namespace: String,
        secret: Secret,
    },
    UpdateSecret {
        namespace: String,
        secret: Secret,
    },
    DeleteSecret {
        namespace: String,
        name: String,
        preconditions: Option<Preconditions>,
    },
    PatchSecret {
        namespace: String,
        name: String,
        patch: serde_json::Value,
    },
    GetConfigMap {
        namespace: String,
        name: String,
    },
    CreateConfigMap {
        namespace: String,
        config_map: ConfigMap,
    },
    UpdateConfigMap {
        namespace: String,
        config_map: ConfigMap,
    },
    ListPods {
        namespace: String,
    },
}

impl Action {
    /// `get serviceaccounts`, `create secrets`, ... as in client-go's `action.Matches`.
    pub fn verb_and_resource(&self) -> (&'static str, &'static str) {
        match self {
            Self::GetServiceAccount { .. } => ("get", "serviceaccounts"),
            Self::CreateServiceAccount { .. } => ("create", "serviceaccounts"),
            Self::UpdateServiceAccount { .. } => ("update", "serviceaccounts"),
            Self::DeleteServiceAccount { .. } => ("delete", "serviceaccounts"),
            Self::GetSecret { .. } => ("get", "secrets"),
            Self::CreateSecret { .. } => ("create", "secrets"),
            Self::UpdateSecret { .. } => ("update", "secrets"),
            Self::DeleteSecret { .. } => ("delete", "secrets"),
            Self::PatchSecret { .. } => ("patch", "secrets"),
            Self::GetConfigMap { .. } => ("get", "configmaps"),
            Self::CreateConfigMap { .. } => ("create", "configmaps"),
            Self::UpdateConfigMap { .. } => ("update", "configmaps"),
            Self::ListPods { .. } => ("list", "pods"),
        }
    }
}

/// Decides, before the tracker runs, whether a call fails: `Some(error)` makes it fail.
pub type Reactor = Box<dyn FnMut(&Action) -> Option<ClientError> + Send>;

type Key = (String, String);

#[derive(Default)]
struct State {
    service_accounts: BTreeMap<Key, ServiceAccount>,
    secrets: BTreeMap<Key, Secret>,
    config_maps: BTreeMap<Key, ConfigMap>,
    pods: BTreeMap<Key, Pod>,
    actions: Vec<Action>,
    reactors: Vec<Reactor>,
    /// Source of resourceVersions and UIDs for objects the fake stores.
    counter: u64,
}

/// The fake API; clones share state.
#[derive(Clone, Default)]
pub struct FakeApi {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for FakeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeApi").finish_non_exhaustive()
    }
}

fn key_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> Key {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

fn not_found(resource: &str, name: &str) -> ClientError {
    ClientError::NotFound {
        message: format!("{resource} \"{name}\" not found"),
    }
}

fn conflict(resource: &str, name: &str, why: &str) -> ClientError {
    ClientError::Conflict {
        message: format!("Operation cannot be fulfilled on {resource} \"{name}\": {why}"),
    }
}

fn already_exists(resource: &str, name: &str) -> ClientError {
    ClientError::AlreadyExists {
        message: format!("{resource} \"{name}\" already exists"),
    }
}

/// Object metadata the tracker needs, for both kinds.
trait Tracked: Clone {
    const RESOURCE: &'static str;
    fn meta(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    fn meta_mut(&mut self) -> &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    fn table(state: &mut State) -> &mut BTreeMap<Key, Self>;
}

impl Tracked for ServiceAccount {
    const RESOURCE: &'static str = "serviceaccounts";
    fn meta(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        &mut self.metadata
    }
    fn table(state: &mut State) -> &mut BTreeMap<Key, Self> {
        &mut state.service_accounts
    }
}

impl Tracked for Secret {
    const RESOURCE: &'static str = "secrets";
    fn meta(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        &mut self.metadata
    }
    fn table(state: &mut State) -> &mut BTreeMap<Key, Self> {
        &mut state.secrets
    }
}

impl Tracked for ConfigMap {
    const RESOURCE: &'static str = "configmaps";
    fn meta(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        &mut self.metadata
    }
    fn table(state: &mut State) -> &mut BTreeMap<Key, Self> {
        &mut state.config_maps
    }
}

/// RFC 7386 JSON merge patch: objects merge key by key, `null` removes, anything else replaces.
fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(
                    target.entry(key.clone()).or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
    }
}

impl State {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// Records `action` and runs the reactors; an error from one of them wins.
    fn record(&mut self, action: Action) -> Result<(), ClientError> {
        let error = self.reactors.iter_mut().find_map(|react| react(&action));
        self.actions.push(action);
        error.map_or(Ok(()), Err)
    }

    fn get<T: Tracked>(&mut self, namespace: &str, name: &str) -> Result<T, ClientError> {
        T::table(self)
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
            .ok_or_else(|| not_found(T::RESOURCE, name))
    }

    fn create<T: Tracked>(&mut self, namespace: &str, object: &T) -> Result<T, ClientError> {
        let mut stored = object.clone();
        stored.meta_mut().namespace = Some(namespace.to_string());
        let key = key_of(stored.meta());
        if T::table(self).contains_key(&key) {
            return Err(already_exists(T::RESOURCE, &key.1));
        }
        let version = self.next();
        let meta = stored.meta_mut();
        meta.resource_version = Some(version.to_string());
        if meta.uid.as_deref().unwrap_or_default().is_empty() {
            meta.uid = Some(format!("uid-{version}"));
        }
        T::table(self).insert(key, stored.clone());
        Ok(stored)
    }

    fn update<T: Tracked>(&mut self, namespace: &str, object: &T) -> Result<T, ClientError> {
        let mut stored = object.clone();
        stored.meta_mut().namespace = Some(namespace.to_string());
        let key = key_of(stored.meta());
        let Some(existing) = T::table(self).get(&key) else {
            return Err(not_found(T::RESOURCE, &key.1));
        };
        let current_version = existing.meta().resource_version.clone();
        let existing_uid = existing.meta().uid.clone();
        let sent_version = stored.meta().resource_version.clone().unwrap_or_default();
        if !sent_version.is_empty() && Some(&sent_version) != current_version.as_ref() {
            return Err(conflict(
                T::RESOURCE,
                &key.1,
                "the object has been modified; please apply your changes to the latest version and try again",
            ));
        }
        let version = self.next();
        let meta = stored.meta_mut();
        meta.resource_version = Some(version.to_string());
        meta.uid = existing_uid;
        T::table(self).insert(key, stored.clone());
        Ok(stored)
    }

    fn delete<T: Tracked>(
        &mut self,
        namespace: &str,
        name: &str,
        preconditions: Option<&Preconditions>,
    ) -> Result<(), ClientError> {
        let key = (namespace.to_string(), name.to_string());
        let Some(existing) = T::table(self).get(&key) else {
            return Err(not_found(T::RESOURCE, name));
        };
        if let Some(preconditions) = preconditions {
            if let Some(uid) = &preconditions.uid {
                if existing.meta().uid.as_ref() != Some(uid) {
                    return Err(conflict(
                        T::RESOURCE,
                        name,
                        "Precondition failed: UID in precondition does not match the UID in record",
                    ));
                }
            }
            if let Some(version) = &preconditions.resource_version {
                if existing.meta().resource_version.as_ref() != Some(version) {
                    return Err(conflict(
                        T::RESOURCE,
                        name,
                        "Precondition failed: ResourceVersion in precondition does not match",
                    ));
                }
            }
        }
        T::table(self).remove(&key);
        Ok(())
    }
}

impl FakeApi {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores `account` as is (resourceVersion and UID included), without recording an action.
    pub fn with_service_account(self, account: ServiceAccount) -> Self {
        let key = key_of(&account.metadata);
        self.state().service_accounts.insert(key, account);
        self
    }

    /// Stores `secret` as is, without recording an action.
    pub fn with_secret(self, secret: Secret) -> Self {
        let key = key_of(&secret.metadata);
        self.state().secrets.insert(key, secret);
        self
    }

    /// Stores `config_map` as is, without recording an action.
    pub fn with_config_map(self, config_map: ConfigMap) -> Self {
        let key = key_of(&config_map.metadata);
        self.state().config_maps.insert(key, config_map);
        self
    }

    /// Stores `pod` as is, without recording an action.
    pub fn with_pod(self, pod: Pod) -> Self {
        let key = key_of(&pod.metadata);
        self.state().pods.insert(key, pod);
        self
    }

    /// Adds a reactor; reactors run in the order they were added.
    pub fn with_reactor(
        self,
        reactor: impl FnMut(&Action) -> Option<ClientError> + Send + 'static,
    ) -> Self {
        self.state().reactors.push(Box::new(reactor));
        self
    }

    pub fn actions(&self) -> Vec<Action> {
        self.state().actions.clone()
    }

    pub fn service_account(&self, namespace: &str, name: &str) -> Option<ServiceAccount> {
        self.state().get(namespace, name).ok()
    }

    pub fn secret(&self, namespace: &str, name: &str) -> Option<Secret> {
        self.state().get(namespace, name).ok()
    }

    pub fn secrets(&self) -> Vec<Secret> {
        self.state().secrets.values().cloned().collect()
    }
}

impl CoreApi for FakeApi {
    async fn get_service_account(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<ServiceAccount, ClientError> {
        let mut state = self.state();
        state.record(Action::GetServiceAccount {
            namespace: namespace.into(),
            name: name.into(),
        })?;
        state.get(namespace, name)
    }

    async fn create_service_account(
        &self,
        namespace: &str,
        account: &ServiceAccount,
    ) -> Result<ServiceAccount, ClientError> {
        let mut state = self.state();
        state.record(Action::CreateServiceAccount {
            namespace: namespace.into(),
            account: account.clone(),
        })?;
        state.create(namespace, account)
    }

    async fn update_service_account(
        &self,
        namespace: &str,
        account: &ServiceAccount,
    ) -> Result<ServiceAccount, ClientError> {
        let mut state = self.state();
        state.record(Action::UpdateServiceAccount {
            namespace: namespace.into(),
            account: account.clone(),
        })?;
        state.update(namespace, account)
    }

    async fn delete_service_account(
        &self,
        namespace: &str,
        name: &str,
        preconditions: Option<Preconditions>,
    ) -> Result<(), ClientError> {
        let mut state = self.state();
        state.record(Action::DeleteServiceAccount {
            namespace: namespace.into(),
            name: name.into(),
            preconditions: preconditions.clone(),
        })?;
        state.delete::<ServiceAccount>(namespace, name, preconditions.as_ref())
    }

    async fn get_secret(&self, namespace: &str, name: &str) -> Result<Secret, ClientError> {
        let mut state = self.state();
        state.record(Action::GetSecret {
            namespace: namespace.into(),
            name: name.into(),
        })?;
        state.get(namespace, name)
    }

    async fn create_secret(&self, namespace: &str, secret: &Secret) -> Result<Secret, ClientError> {
        let mut state = self.state();
        state.record(Action::CreateSecret {
            namespace: namespace.into(),
            secret: secret.clone(),
        })?;
        state.create(namespace, secret)
    }

    async fn update_secret(&self, namespace: &str, secret: &Secret) -> Result<Secret, ClientError> {
        let mut state = self.state();
        state.record(Action::UpdateSecret {
            namespace: namespace.into(),
            secret: secret.clone(),
        })?;
        state.update(namespace, secret)
    }

    async fn delete_secret(
        &self,
        namespace: &str,
        name: &str,
        preconditions: Option<Preconditions>,
    ) -> Result<(), ClientError> {
        let mut state = self.state();
        state.record(Action::DeleteSecret {
            namespace: namespace.into(),
            name: name.into(),
            preconditions: preconditions.clone(),
        })?;
        state.delete::<Secret>(namespace, name, preconditions.as_ref())
    }

    async fn merge_patch_secret(
        &self,
        namespace: &str,
        name: &str,
        patch: &serde_json::Value,
    ) -> Result<Secret, ClientError> {
        let mut state = self.state();
        state.record(Action::PatchSecret {
            namespace: namespace.into(),
            name: name.into(),
            patch: patch.clone(),
        })?;
        let existing: Secret = state.get(namespace, name)?;
        let mut value = serde_json::to_value(&existing).map_err(|e| ClientError::Other {
            message: e.to_string(),
            causes: vec![],
        })?;
        merge_patch(&mut value, patch);
        let mut patched: Secret =
            serde_json::from_value(value).map_err(|e| ClientError::Other {
                message: e.to_string(),
                causes: vec![],
            })?;
        patched.metadata.resource_version = None;
        state.update(namespace, &patched)
    }

    async fn get_config_map(&self, namespace: &str, name: &str) -> Result<ConfigMap, ClientError> {
        let mut state = self.state();
        state.record(Action::GetConfigMap {
            namespace: namespace.into(),
            name: name.into(),
        })?;
        state.get(namespace, name)
    }

    async fn create_config_map(
        &self,
        namespace: &str,
        config_map: &ConfigMap,
    ) -> Result<ConfigMap, ClientError> {
        let mut state = self.state();
        state.record(Action::CreateConfigMap {
            namespace: namespace.into(),
            config_map: config_map.clone(),
        })?;
        state.create(namespace, config_map)
    }

    async fn update_config_map(
        &self,
        namespace: &str,
        config_map: &ConfigMap,
    ) -> Result<ConfigMap, ClientError> {
        let mut state = self.state();
        state.record(Action::UpdateConfigMap {
            namespace: namespace.into(),
            config_map: config_map.clone(),
        })?;
        state.update(namespace, config_map)
    }

    async fn list_pods(&self, namespace: &str) -> Result<Vec<Pod>, ClientError> {
        let mut state = self.state();
        state.record(Action::ListPods {
            namespace: namespace.into(),
        })?;
        Ok(state
            .pods
            .iter()
            .filter(|((ns, _), _)| ns == namespace)
            .map(|(_, pod)| pod.clone())
            .collect())
    }
}
