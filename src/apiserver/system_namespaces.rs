//! The system namespaces controller: the namespaces a cluster starts with are created at
//! start and, should one go missing, again within a minute of Kubernetes time, as
//! upstream's `pkg/controlplane/controller/systemnamespaces` (1.33: `kube-system`,
//! `kube-public`, `kube-node-lease`, every minute) and the bootstrap controller's
//! `default` do. Only `kube-node-lease` can go missing through the API: the others are
//! immortal ([`super::namespaces::NamespaceLifecycle`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch as signal;

use super::kinds::NAMESPACES;
use super::namespaces::{initial_namespace, NODE_LEASE_NAMESPACE, SYSTEM_NAMESPACES};
use super::now_rfc3339;
use super::store::{Store, StoreError};

/// How often the namespaces are checked (upstream's `interval`), in Kubernetes time.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// The namespaces a cluster in this mode starts with and keeps: `default`, `kube-system`,
/// `kube-public`, and in bound mode (Kubernetes 1.14 and later) `kube-node-lease`.
pub fn names(bound_mode: bool) -> Vec<&'static str> {
    let node_lease = bound_mode.then_some(NODE_LEASE_NAMESPACE);
    SYSTEM_NAMESPACES
        .iter()
        .copied()
        .chain(node_lease)
        .collect()
}

/// Creates those of `names` that do not exist (one that is terminating exists until it is
/// gone); answers the names it created.
///
/// # Errors
///
/// The store's error for a create that failed other than by the namespace having appeared
/// meanwhile.
pub fn ensure(store: &Store, names: &[&str]) -> Result<Vec<String>, StoreError> {
    let mut created = Vec::new();
    for name in names {
        if store.get(&NAMESPACES, "", name).is_some() {
            continue;
        }
        let now = now_rfc3339(store.clock().as_ref());
        match store.create(&NAMESPACES, initial_namespace(name, &now)) {
            Ok(_) => created.push((*name).to_string()),
            Err(StoreError::AlreadyExists) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(created)
}

/// Checks `names` every [`INTERVAL`] of the store's clock until `shutdown` is set.
pub async fn run(
    store: Arc<Store>,
    names: Vec<&'static str>,
    mut shutdown: signal::Receiver<bool>,
) {
    let clock = store.clock().clone();
    loop {
        let next = clock
            .now()
            .checked_add(jiff::SignedDuration::from_secs(INTERVAL.as_secs() as i64))
            .unwrap_or(jiff::Timestamp::MAX);
        tokio::select! {
            () = clock.sleep_until(next) => match ensure(&store, &names) {
                Ok(created) if !created.is_empty() => {
                    tracing::info!(namespaces = ?created, "created missing system namespaces");
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "unable to create the required system namespaces");
                }
            },
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::store::Preconditions;

    #[test]
    fn names_follow_the_mode() {
        assert_eq!(names(false), ["default", "kube-system", "kube-public"]);
        assert_eq!(
            names(true),
            ["default", "kube-system", "kube-public", "kube-node-lease"]
        );
    }

    #[test]
    fn ensure_creates_only_the_missing_ones() {
        let store = Store::new(100);
        let all = names(true);
        assert_eq!(ensure(&store, &all).expect("first"), all);
        let uid = |name: &str| {
            store.get(&NAMESPACES, "", name).expect("present").value()["metadata"]["uid"].clone()
        };
        let kept = uid("kube-system");
        assert!(ensure(&store, &all).expect("again").is_empty());
        store
            .delete(
                &NAMESPACES,
                "",
                NODE_LEASE_NAMESPACE,
                &Preconditions::default(),
            )
            .expect("delete");
        assert_eq!(
            ensure(&store, &all).expect("after delete"),
            [NODE_LEASE_NAMESPACE]
        );
        assert_eq!(uid("kube-system"), kept);
        let lease = store
            .get(&NAMESPACES, "", NODE_LEASE_NAMESPACE)
            .expect("back");
        assert_eq!(lease.value()["status"]["phase"], "Active");
    }
}
