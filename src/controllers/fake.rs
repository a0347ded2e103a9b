//! A recording in-memory [`CoreApi`] for the controller tests, in the spirit of client-go's
//! fake clientset: every call is recorded as an [`Action`], and reactors can make a call
//! fail before the object tracker sees it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
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
}
