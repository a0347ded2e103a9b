//! The state of one scenario: its cluster, its namespaces (logical → real names), what it
//! remembered, and the outcome of its last request.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;

use crate::backends::{Backend, ScenarioCluster, ScenarioOptions};
use crate::failure::Failure;
use crate::objects::{Kind, ObjectRef};
use crate::timing::{default_deadline, with_deadline};

/// A failed API request as a client sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFailure {
    pub code: u16,
    pub reason: String,
    pub message: String,
    pub details: Value,
}

impl ApiFailure {
    /// The Status of an API error, or a [`Failure`] when the request never got an answer.
    pub fn from_error(error: kube::Error, doing: &str) -> Result<Self, Failure> {
        match error {
            kube::Error::Api(status) => Ok(Self {
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
                details: status
                    .details
                    .as_ref()
                    .and_then(|d| serde_json::to_value(d).ok())
                    .unwrap_or(Value::Null),
            }),
            other => Err(Failure::new(format!(
                "{doing}: no answer from the API server: {other}"
            ))),
        }
    }
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {:?}: {}", self.code, self.reason, self.message)
    }
}

/// Where a scenario comes from, for snapshot names and messages.
#[derive(Debug, Clone, Default)]
pub struct ScenarioId {
    /// Folder under `features/` (`admission`).
    pub component: String,
    /// Feature file stem (`automount`).
    pub feature: String,
    /// Scenario name (without its mode suffix); for an outline example, with the
    /// example's values appended.
    pub scenario: String,
    pub feature_path: Option<PathBuf>,
    /// The mode this run of the scenario is in.
    pub mode: kube_sa::Mode,
    /// The scenario runs in both modes (no mode tag of its own).
    pub both_modes: bool,
}

/// Namespaces a fresh cluster starts with (kube-apiserver's system namespaces and
/// `default`).
pub const INITIAL_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct ConformanceWorld {
    pub cluster: Option<ScenarioCluster>,
    pub id: ScenarioId,
    /// Logical → real namespace names; interior mutability so `&self` helpers can map.
    namespaces: Mutex<BTreeMap<String, String>>,
    pub remembered: BTreeMap<String, String>,
    /// The outcome of the last `I try to create` (or any request step).
    pub last_outcome: Option<Result<Value, ApiFailure>>,
    /// Whether the scenario's cluster runs the service-account controllers (not
    /// `@without-controllers`), so that every new namespace gets its `default` account.
    pub controllers: bool,
    /// Snapshot name → the logical namespace of the first object recorded under it.
    snapshot_namespaces: Mutex<BTreeMap<String, String>>,
}

impl std::fmt::Debug for ConformanceWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConformanceWorld")
            .field("scenario", &self.id.scenario)
            .field("namespaces", &self.namespace_map())
            .field("remembered", &self.remembered.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ConformanceWorld {
    fn new() -> Self {
        Self {
            cluster: None,
            id: ScenarioId::default(),
            namespaces: Mutex::new(BTreeMap::new()),
            remembered: BTreeMap::new(),
            last_outcome: None,
            controllers: true,
            snapshot_namespaces: Mutex::new(BTreeMap::new()),
        }
    }

    /// The logical namespace of the first object whose snapshot is `snapshot`, which is
    /// `namespace` when this is the first.
    pub fn first_snapshot_namespace(&self, snapshot: &str, namespace: &str) -> String {
        self.snapshot_namespaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(snapshot.to_string())
            .or_insert_with(|| namespace.to_string())
            .clone()
    }

    /// Starts (embedded) or connects to (shared) the scenario's cluster.
    pub async fn start(
        &mut self,
        backend: &Backend,
        id: ScenarioId,
        options: ScenarioOptions,
    ) -> Result<(), Failure> {
        self.id = id;
        self.id.mode = options.mode;
        self.id.both_modes = options.both_modes;
        self.controllers = !options.without_controllers;
        self.cluster = Some(backend.scenario_cluster(options).await?);
        Ok(())
    }

    /// Ends the scenario: an embedded cluster shuts down; on a shared cluster the
    /// scenario's namespaces are deleted without waiting for them to terminate.
    pub async fn finish(&mut self) {
        let Some(cluster) = self.cluster.take() else {
            return;
        };
        if cluster.unique_namespaces {
            let api: Api<DynamicObject> =
                Api::all_with(cluster.client.clone(), &Kind::Namespace.resource());
            for real in self.namespace_map().values() {
                let _ = api.delete(real, &Default::default()).await;
            }
        }
        if let Some(server) = cluster.server {
            server.shutdown().await;
        }
    }

    pub fn cluster(&self) -> Result<&ScenarioCluster, Failure> {
        self.cluster.as_ref().ok_or_else(|| {
            Failure::new("the scenario has no cluster (the before hook did not run)")
        })
    }

    pub fn client(&self) -> Result<kube::Client, Failure> {
        Ok(self.cluster()?.client.clone())
    }

    fn namespace_map(&self) -> BTreeMap<String, String> {
        self.namespaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The real name of a logical namespace, chosen on first use.
    ///
    /// # Errors
    ///
    /// On a cluster shared between scenarios, one of the cluster's own namespaces
    /// ([`INITIAL_NAMESPACES`]): there every scenario works in namespaces of its own, so
    /// `default` would be a suffixed namespace that nothing creates.
    pub fn namespace(&self, logical: &str) -> Result<String, Failure> {
        let cluster = self.cluster()?;
        let unique = cluster.unique_namespaces;
        if unique && INITIAL_NAMESPACES.contains(&logical) {
            return Err(Failure::new(format!(
                "namespace {logical:?} is the cluster's own; on a cluster shared between scenarios each \
                 scenario works in namespaces of its own (with a random suffix), so it cannot use \
                 {logical:?} there: give the scenario a namespace with `Given a namespace \"<name>\"`, \
                 or tag it @embedded-only"
            )));
        }
        let mut map = self.namespaces.lock().unwrap_or_else(|e| e.into_inner());
        let real = map.entry(logical.to_string()).or_insert_with(|| {
            if unique {
                format!("{logical}-{}", crate::backends::random_suffix())
            } else {
                logical.to_string()
            }
        });
        Ok(real.clone())
    }

    /// Replaces `${alias}` with remembered values.
    pub fn expand(&self, text: &str) -> Result<String, Failure> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| Failure::new(format!("unclosed `${{` in {text:?}")))?;
            let alias = &after[..end];
            let value = self.remembered.get(alias).ok_or_else(|| {
                let known: Vec<&String> = self.remembered.keys().collect();
                Failure::new(format!(
                    "nothing was remembered as {alias:?} (remembered so far: {known:?})"
                ))
            })?;
            out.push_str(value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `text` with real namespace names replaced by logical ones, and without the denial
    /// prefix of a webhook backend.
    pub fn logical_text(&self, text: &str) -> String {
        let prefix = self.cluster.as_ref().and_then(|c| c.denial_prefix);
        let mut text = prefix
            .and_then(|prefix| text.strip_prefix(prefix))
            .unwrap_or(text)
            .to_string();
        for (logical, real) in self.namespace_map() {
            if logical != real {
                text = text.replace(&real, &logical);
            }
        }
        text
    }

    /// Every string in `value` with real namespace names replaced by logical ones.
    pub fn logical(&self, value: Value) -> Value {
        let map = self.namespace_map();
        if map.iter().all(|(logical, real)| logical == real) {
            return value;
        }
        map_strings(value, &|text| {
            let mut text = text.to_string();
            for (logical, real) in &map {
                text = text.replace(real.as_str(), logical);
            }
            text
        })
    }

    /// The API for `kind` in a real namespace.
    pub fn api(
        &self,
        kind: Kind,
        real_namespace: Option<&str>,
    ) -> Result<Api<DynamicObject>, Failure> {
        let client = self.client()?;
        let resource = kind.resource();
        Ok(match (kind.namespaced(), real_namespace) {
            (true, Some(ns)) => Api::namespaced_with(client, ns, &resource),
            (true, None) => {
                return Err(Failure::new(format!(
                    "a {} needs a namespace",
                    kind.words()
                )))
            }
            (false, _) => Api::all_with(client, &resource),
        })
    }

    /// GETs an object (real names), `None` when it does not exist. Values are as the API returns them.
    pub async fn fetch(
        &self,
        kind: Kind,
        real_namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, Failure> {
        let api = self.api(kind, real_namespace)?;
        let what = format!(
            "GET {} {}{name}",
            kind.words(),
            real_namespace
                .map(|ns| format!("{ns}/"))
                .unwrap_or_default()
        );
        let object = with_deadline(&what, default_deadline(), async {
            api.get_opt(name)
                .await
                .map_err(|e| Failure::new(format!("{what}: {e}")))
        })
        .await?;
        object
            .map(|o| serde_json::to_value(o).map_err(|e| Failure::new(e.to_string())))
            .transpose()
    }

    /// LISTs a kind in a real namespace.
    pub async fn list(&self, kind: Kind, real_namespace: &str) -> Result<Vec<Value>, Failure> {
        let api = self.api(kind, Some(real_namespace))?;
        let what = format!("LIST {} in {real_namespace}", kind.words());
        let list = with_deadline(&what, default_deadline(), async {
            api.list(&ListParams::default())
                .await
                .map_err(|e| Failure::new(format!("{what}: {e}")))
        })
        .await?;
        list.items
            .into_iter()
            .map(|o| serde_json::to_value(o).map_err(|e| Failure::new(e.to_string())))
            .collect()
    }

    /// The first secret the account lists (in order) that is its token Secret: type
    /// `kubernetes.io/service-account-token`, name annotation = account, UID annotation
    /// empty or the account's. `None` while there is none.
    pub async fn token_secret_of(
        &self,
        real_namespace: &str,
        service_account: &str,
    ) -> Result<Option<Value>, Failure> {
        let Some(account) = self
            .fetch(Kind::ServiceAccount, Some(real_namespace), service_account)
            .await?
        else {
            return Ok(None);
        };
        let uid = account
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or("");
        let names: Vec<String> = account
            .get("secrets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
            .collect();
        for name in names {
            let Some(secret) = self
                .fetch(Kind::Secret, Some(real_namespace), &name)
                .await?
            else {
                continue;
            };
            if is_token_secret_of(&secret, service_account, uid) {
                return Ok(Some(secret));
            }
        }
        Ok(None)
    }

    /// Resolves an object reference (after `${alias}` expansion) to kind, real namespace and name.
    pub async fn resolve(&self, object: &ObjectRef) -> Result<Resolved, Failure> {
        match object {
            ObjectRef::Named {
                kind,
                name,
                namespace,
            } => {
                let name = self.expand(name)?;
                Ok(match (kind, namespace) {
                    (Kind::Namespace, _) => Resolved {
                        kind: *kind,
                        namespace: None,
                        name: self.namespace(&name)?,
                        logical_name: name,
                    },
                    (_, Some(ns)) => {
                        let ns = self.namespace(&self.expand(ns)?)?;
                        Resolved {
                            kind: *kind,
                            namespace: Some(ns),
                            logical_name: name.clone(),
                            name,
                        }
                    }
                    (_, None) => {
                        return Err(Failure::new(format!(
                            "a {} needs a namespace",
                            kind.words()
                        )))
                    }
                })
            }
            ObjectRef::TokenSecretOf {
                service_account,
                namespace,
            } => {
                let sa = self.expand(service_account)?;
                let ns = self.namespace(&self.expand(namespace)?)?;
                let secret = self.token_secret_of(&ns, &sa).await?.ok_or_else(|| {
                    Failure::new(format!(
                        "service account {namespace}/{sa} lists no token secret (yet)"
                    ))
                })?;
                let name = secret
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                Ok(Resolved {
                    kind: Kind::Secret,
                    namespace: Some(ns),
                    logical_name: name.clone(),
                    name,
                })
            }
        }
    }

    /// What a failed scenario prints: the objects in its namespaces and (embedded) the
    /// last API requests.
    pub async fn diagnostics(&self) -> String {
        let mut out = String::new();
        let Some(cluster) = &self.cluster else {
            return out;
        };
        let keys = cluster.public_keys.as_slice();
        for (logical, real) in self.namespace_map() {
            out.push_str(&format!(
                "\n── objects in namespace {logical}{} ──\n",
                if logical == real {
                    String::new()
                } else {
                    format!(" ({real})")
                }
            ));
            for kind in [Kind::ServiceAccount, Kind::Secret, Kind::Pod] {
                match self.list(kind, &real).await {
                    Ok(items) => {
                        for item in items {
                            let item = crate::snapshots::decoded(kind, item, keys);
                            let yaml = serde_yaml::to_string(&item).unwrap_or_default();
                            out.push_str(&format!(
                                "{} {}:\n",
                                kind.manifest_kind(),
                                item.pointer("/metadata/name")
                                    .and_then(Value::as_str)
                                    .unwrap_or("?")
                            ));
                            for line in yaml.lines() {
                                out.push_str(&format!("    {line}\n"));
                            }
                        }
                    }
                    Err(e) => out.push_str(&format!("(listing {}s failed: {e})\n", kind.words())),
                }
            }
        }
        if let Some(server) = self.cluster.as_ref().and_then(|c| c.server.as_ref()) {
            let requests = server.recent_requests();
            let skip = requests.len().saturating_sub(40);
            out.push_str(&format!(
                "\n── last {} API requests (of {}, oldest first) ──\n",
                requests.len() - skip,
                requests.len()
            ));
            for request in &requests[skip..] {
                out.push_str(&format!(
                    "  {} {} → {}\n",
                    request.method,
                    self.logical_text(&request.path),
                    request.status
                ));
            }
        }
        out
    }

    /// A step's result, with diagnostics appended when it failed.
    pub async fn diagnose<T>(&self, result: Result<T, Failure>) -> Result<T, Failure> {
        match result {
            Ok(value) => Ok(value),
            Err(failure) => {
                let diagnostics = self.diagnostics().await;
                Err(Failure::new(format!(
                    "{}\n{diagnostics}",
                    self.logical_text(failure.message())
                )))
            }
        }
    }
}

/// Kind, real namespace and name of a referenced object.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub name: String,
    /// The name as the feature wrote it (a namespace's logical name).
    pub logical_name: String,
}

impl Resolved {
    pub fn describe(&self, world: &ConformanceWorld) -> String {
        match &self.namespace {
            Some(ns) => format!(
                "{} {}/{}",
                self.kind.words(),
                world.logical_text(ns),
                self.name
            ),
            None => format!("{} {}", self.kind.words(), self.logical_name),
        }
    }
}

/// `IsServiceAccountToken`, on JSON.
pub fn is_token_secret_of(secret: &Value, service_account: &str, uid: &str) -> bool {
    let annotation = |key: &str| {
        secret
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    secret.get("type").and_then(Value::as_str) == Some("kubernetes.io/service-account-token")
        && annotation("kubernetes.io/service-account.name") == service_account
        && (annotation("kubernetes.io/service-account.uid").is_empty()
            || annotation("kubernetes.io/service-account.uid") == uid)
}

/// Applies `f` to every string (keys stay as they are).
pub fn map_strings(value: Value, f: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::String(text) => Value::String(f(&text)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, map_strings(v, f)))
                .collect(),
        ),
        other => other,
    }
}
