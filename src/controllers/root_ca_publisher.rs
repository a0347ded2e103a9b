//! The root CA publisher, `root-ca-cert-publisher` (modern spec §5; bound mode only):
//! every namespace gets the ConfigMap `kube-root-ca.crt` holding the cluster's CA bundle,
//! and gets it back when it is deleted or edited.
//!
//! Follows upstream pkg/controller/certificates/rootcacertpublisher/publisher.go: a
//! rate-limited queue of namespace names, fed by namespace adds (any phase), namespace
//! updates while Active, and updates and deletes of a ConfigMap named `kube-root-ca.crt`
//! (ConfigMap adds are not watched). [`RootCaPublisher::sync_namespace`] reads the
//! ConfigMap cache, decides, and writes through [`CoreApi`].

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::runtime::reflector::{ObjectRef, Store};
use tracing::{debug, error, info, info_span, warn, Instrument};

use super::api::{ClientError, CoreApi, NAMESPACE_TERMINATING_CAUSE};
use super::queue::{RateLimiterConfig, WorkQueue};
use crate::serviceaccount::ROOT_CA_DATA_KEY;

/// Name of the ConfigMap published in every namespace (upstream `RootCACertConfigMapName`).
pub const ROOT_CA_CONFIG_MAP_NAME: &str = "kube-root-ca.crt";
/// Annotation that describes the ConfigMap (upstream `DescriptionAnnotation`).
pub const DESCRIPTION_ANNOTATION: &str = "kubernetes.io/description";
/// The description's exact text (upstream `Description`).
pub const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";
/// Workers by default (kube-controller-manager runs the publisher with
/// `--concurrent-serviceaccount-token-syncs`, 5).
pub const DEFAULT_WORKERS: usize = 5;

/// The work queue's name in `workqueue_*` metrics, as upstream's publisher names it.
pub const QUEUE_NAME: &str = "root_ca_cert_publisher";
/// The namespace phase whose updates re-check the ConfigMap.
const ACTIVE_PHASE: &str = "Active";

/// Configuration of the root CA publisher.
///
/// ```
/// use kube_sa::controllers::RootCaPublisherOptions;
/// let options = RootCaPublisherOptions::new(b"-----BEGIN CERTIFICATE-----...".to_vec()).workers(2);
/// assert_eq!(options.root_ca(), b"-----BEGIN CERTIFICATE-----...");
/// ```
#[derive(Debug, Clone)]
pub struct RootCaPublisherOptions {
    root_ca: Vec<u8>,
    workers: usize,
    rate_limiter: RateLimiterConfig,
}

impl RootCaPublisherOptions {
    /// Publishes `root_ca` (PEM, `--root-ca-file` or the cluster CA) with 5 workers.
    pub fn new(root_ca: impl Into<Vec<u8>>) -> Self {
        Self {
            root_ca: root_ca.into(),
            workers: DEFAULT_WORKERS,
            rate_limiter: RateLimiterConfig::default(),
        }
    }

    /// Workers (at least 1).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Backoff of retried namespaces (client-go's default controller limiter unless changed).
    pub fn rate_limiter(mut self, rate_limiter: RateLimiterConfig) -> Self {
        self.rate_limiter = rate_limiter;
        self
    }

    /// The CA bundle published as `ca.crt`.
    pub fn root_ca(&self) -> &[u8] {
        &self.root_ca
    }
}

/// Why a namespace sync failed; the namespace is re-queued rate-limited, without a cap.
#[derive(Debug, thiserror::Error)]
pub enum RootCaPublisherError {
    /// Creating `kube-root-ca.crt` failed (other than NotFound or a terminating namespace).
    #[error("creating configmap {namespace}/kube-root-ca.crt: {source}")]
    Create {
        /// The namespace.
        namespace: String,
        /// The classified failure.
        #[source]
        source: ClientError,
    },
    /// Updating `kube-root-ca.crt` failed.
    #[error("updating configmap {namespace}/kube-root-ca.crt: {source}")]
    Update {
        /// The namespace.
        namespace: String,
        /// The classified failure.
        #[source]
        source: ClientError,
    },
}

/// The root CA publisher. Feed it with the `namespace_*` and `config_map_*` methods; run it
/// with [`run_workers`](Self::run_workers).
#[derive(Debug)]
pub struct RootCaPublisher<A> {
    api: A,
    root_ca: String,
    workers: usize,
    config_maps: Store<ConfigMap>,
    queue: WorkQueue<String>,
}

fn phase_of(namespace: &Namespace) -> &str {
    namespace
        .status
        .as_ref()
        .and_then(|status| status.phase.as_deref())
        .unwrap_or_default()
}

impl<A: CoreApi> RootCaPublisher<A> {
    /// A publisher writing through `api`, reading the `kube-root-ca.crt` ConfigMap cache
    /// (a cache of other ConfigMaps works too; only that name is read).
    pub fn new(api: A, options: RootCaPublisherOptions, config_maps: Store<ConfigMap>) -> Self {
        Self {
            api,
            // ConfigMap data is text; a CA bundle is PEM.
            root_ca: String::from_utf8_lossy(&options.root_ca).into_owned(),
            workers: options.workers,
            config_maps,
            queue: WorkQueue::named(QUEUE_NAME, options.rate_limiter),
        }
    }

    /// The namespace queue (for tests and idle checks).
    pub fn queue(&self) -> &WorkQueue<String> {
        &self.queue
    }

    /// A namespace was added, in any phase.
    pub fn namespace_added(&self, namespace: &Namespace) {
        if let Some(name) = namespace.metadata.name.as_deref() {
            self.queue.add(name.to_string());
        }
    }

    /// A namespace was updated: only an Active one is synced.
    pub fn namespace_updated(&self, namespace: &Namespace) {
        if phase_of(namespace) == ACTIVE_PHASE {
            self.namespace_added(namespace);
        }
    }

    /// A ConfigMap was updated or deleted: its namespace is synced if it is `kube-root-ca.crt`.
    pub fn config_map_changed(&self, config_map: &ConfigMap) {
        if config_map.metadata.name.as_deref() != Some(ROOT_CA_CONFIG_MAP_NAME) {
            return;
        }
        if let Some(namespace) = config_map.metadata.namespace.as_deref() {
            self.queue.add(namespace.to_string());
        }
    }

    /// Stops the queue; the workers finish their current key and return.
    pub fn shut_down(&self) {
        self.queue.shut_down();
    }

    /// Runs the workers until [`shut_down`](Self::shut_down).
    ///
    /// ```no_run
    /// # async fn example(client: kube::Client) {
    /// use std::sync::Arc;
    /// use kube::runtime::reflector;
    /// use kube_sa::controllers::{KubeApi, RootCaPublisher, RootCaPublisherOptions};
    ///
    /// // The writer is fed by a ConfigMap watch (see `controllers::run`).
    /// let (config_maps, _writer) = reflector::store();
    /// let options = RootCaPublisherOptions::new(b"-----BEGIN CERTIFICATE-----...".to_vec());
    /// let publisher = Arc::new(RootCaPublisher::new(KubeApi::new(client), options, config_maps));
    /// let workers = tokio::spawn(Arc::clone(&publisher).run_workers());
    /// publisher.shut_down();
    /// let _ = workers.await;
    /// # }
    /// ```
    pub async fn run_workers(self: Arc<Self>) {
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..self.workers {
            let publisher = Arc::clone(&self);
            workers.spawn(async move { while publisher.process_next().await {} });
        }
        while let Some(joined) = workers.join_next().await {
            if let Err(error) = joined {
                error!(%error, "root CA publisher worker stopped");
            }
        }
    }

    /// Syncs one namespace; false once the queue is shut down.
    pub async fn process_next(&self) -> bool {
        let Some(namespace) = self.queue.get().await else {
            return false;
        };
        let span = info_span!("sync_root_ca", namespace = %namespace);
        match self
            .sync_namespace(&namespace)
            .instrument(span.clone())
            .await
        {
            Ok(()) => self.queue.forget(&namespace),
            Err(error) => {
                span.in_scope(|| warn!(%error, "sync failed; retrying"));
                self.queue.add_rate_limited(namespace.clone());
            }
        }
        self.queue.done(&namespace);
        true
    }

    fn wanted_data(&self) -> BTreeMap<String, String> {
        BTreeMap::from([(ROOT_CA_DATA_KEY.to_string(), self.root_ca.clone())])
    }

    /// Creates `kube-root-ca.crt` when the cache lacks it; otherwise resets its data to
    /// exactly `{"ca.crt": <CA>}` and sets the description, unless both are already so
    /// (any non-empty description counts, so another one is left alone: no hot loop).
    ///
    /// # Errors
    ///
    /// [`RootCaPublisherError`] for a failed write, except a create refused because the
    /// namespace is gone or terminating, which ends the sync.
    pub async fn sync_namespace(&self, namespace: &str) -> Result<(), RootCaPublisherError> {
        let cached = self
            .config_maps
            .get(&ObjectRef::new(ROOT_CA_CONFIG_MAP_NAME).within(namespace));
        let Some(cached) = cached else {
            let config_map = ConfigMap {
                metadata: ObjectMeta {
                    name: Some(ROOT_CA_CONFIG_MAP_NAME.to_string()),
                    annotations: Some(BTreeMap::from([(
                        DESCRIPTION_ANNOTATION.to_string(),
                        DESCRIPTION.to_string(),
                    )])),
                    ..ObjectMeta::default()
                },
                data: Some(self.wanted_data()),
                ..ConfigMap::default()
            };
            return match self.api.create_config_map(namespace, &config_map).await {
                Ok(_) => {
                    debug!("created configmap {namespace}/{ROOT_CA_CONFIG_MAP_NAME}");
                    Ok(())
                }
                // Not retried: the namespace is gone or going.
                Err(error)
                    if error.is_not_found() || error.has_cause(NAMESPACE_TERMINATING_CAUSE) =>
                {
                    debug!(%error, "namespace {namespace} is gone or terminating");
                    Ok(())
                }
                Err(source) => Err(RootCaPublisherError::Create {
                    namespace: namespace.to_string(),
                    source,
                }),
            };
        };

        let wanted = self.wanted_data();
        let described = cached
            .metadata
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(DESCRIPTION_ANNOTATION))
            .is_some_and(|description| !description.is_empty());
        if cached.data.as_ref() == Some(&wanted) && described {
            return Ok(());
        }
        // The changes go into a copy, never into the cached object.
        let mut config_map = ConfigMap::clone(&cached);
        config_map.data = Some(wanted);
        config_map
            .metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(DESCRIPTION_ANNOTATION.to_string(), DESCRIPTION.to_string());
        match self.api.update_config_map(namespace, &config_map).await {
            Ok(_) => {
                info!("reset configmap {namespace}/{ROOT_CA_CONFIG_MAP_NAME}");
                Ok(())
            }
            Err(source) => Err(RootCaPublisherError::Update {
                namespace: namespace.to_string(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
