//! The ClusterRole aggregation controller (pkg/controller/clusterroleaggregation): a
//! ClusterRole with an `aggregationRule` gets the rules of every other ClusterRole its
//! selectors match, in name order, without repeats. Upstream runs it in
//! kube-controller-manager; here it runs beside the API server and writes to the store, so
//! the aggregated `admin`, `edit` and `view` roles are filled before the server serves.

use std::sync::{Arc, Weak};

use futures::FutureExt;
use serde_json::Value;
use tokio::sync::Notify;

use crate::apiserver::kinds::rbac::CLUSTER_ROLES;
use crate::apiserver::selectors::LabelSelector;
use crate::apiserver::store::{Store, StoreError, StoredObject};

/// How many passes [`aggregate`] makes at most over the roles in memory (aggregated roles
/// that select aggregated roles, `admin` ← `edit` ← `view`, settle one level per pass),
/// and how many times [`aggregate_until_stable`] retries after a lost race.
const MAX_PASSES: usize = 16;

/// A `metav1.LabelSelector` (`matchLabels`, `matchExpressions`) as a selector
/// (`LabelSelectorAsSelector`); None when it does not parse. An empty one selects all.
fn selector_of(selector: &Value) -> Option<LabelSelector> {
    let mut terms = Vec::new();
    for (key, value) in selector["matchLabels"].as_object().into_iter().flatten() {
        terms.push(format!("{key}={}", value.as_str()?));
    }
    for expression in selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = expression["key"].as_str()?;
        let values: Vec<&str> = expression["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        terms.push(match expression["operator"].as_str()? {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => return None,
        });
    }
    LabelSelector::parse(&terms.join(",")).ok()
}

/// The rules `role` aggregates from `roles` (all ClusterRoles, sorted by name), or None
/// when it has no `aggregationRule` or a selector does not parse.
fn aggregated_rules(role: &Value, roles: &[(Arc<StoredObject>, Value)]) -> Option<Vec<Value>> {
    let selectors = role["aggregationRule"]["clusterRoleSelectors"].as_array()?;
    let name = role["metadata"]["name"].as_str().unwrap_or_default();
    let mut rules: Vec<Value> = Vec::new();
    for selector in selectors {
        let selector = selector_of(selector)?;
        for (stored, other) in roles {
            if stored.name() == name || !selector.matches_with(|key| stored.label(key)) {
                continue;
            }
            for rule in other["rules"].as_array().into_iter().flatten() {
                if !rules.contains(rule) {
                    rules.push(rule.clone());
                }
            }
        }
    }
    Some(rules)
}

/// What [`aggregate`] did.
#[derive(Debug, Default)]
struct Outcome {
    /// A role was written (or a write lost a race).
    written: bool,
    /// A write lost a race: what it was computed from has changed.
    conflicted: bool,
}

/// Fills every aggregating ClusterRole: the roles are read (and parsed) once, aggregated in
/// memory until nothing changes (at most [`MAX_PASSES`] passes), and those that changed
/// are written, each at the version it was computed from.
fn aggregate(store: &Store) -> Outcome {
    let (stored, _) = store.list(&CLUSTER_ROLES, None);
    let mut roles: Vec<(Arc<StoredObject>, Value)> = stored
        .into_iter()
        .map(|s| {
            let value = s.value();
            (s, value)
        })
        .collect();
    let mut changed = vec![false; roles.len()];
    for _ in 0..MAX_PASSES {
        let mut again = false;
        for i in 0..roles.len() {
            let Some(rules) = aggregated_rules(&roles[i].1, &roles) else {
                continue;
            };
            let current = roles[i].1["rules"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            if current == rules.as_slice() {
                continue;
            }
            roles[i].1["rules"] = Value::Array(rules);
            changed[i] = true;
            again = true;
        }
        if !again {
            break;
        }
    }
    let mut outcome = Outcome::default();
    for ((stored, role), _) in roles.into_iter().zip(changed).filter(|(_, c)| *c) {
        match store.update(&CLUSTER_ROLES, role, Some(&stored.resource_version())) {
            Ok(_) => outcome.written = true,
            Err(StoreError::Conflict) => {
                outcome.written = true;
                outcome.conflicted = true;
            }
            Err(e) => tracing::warn!(role = stored.name(), error = %e, "aggregating cluster role"),
        }
    }
    outcome
}

/// Aggregates once ([`aggregate`]); true when a role was written (or lost a race).
pub fn aggregate_once(store: &Store) -> bool {
    aggregate(store).written
}

/// Aggregates until no write loses a race (at most [`MAX_PASSES`] times).
pub fn aggregate_until_stable(store: &Store) {
    for _ in 0..MAX_PASSES {
        if !aggregate(store).conflicted {
            return;
        }
    }
}

/// Wakes the controller on every ClusterRole change, and once more when the store (which
/// owns the observer holding it) is dropped, so the controller ends.
struct Wake(Arc<Notify>);

impl Drop for Wake {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

/// Starts the controller on the current Tokio runtime: after each burst of ClusterRole
/// changes it aggregates until stable. The caller has aggregated the stored roles already.
/// It ends when the store is dropped.
pub fn spawn(store: &Arc<Store>) {
    let notify = Arc::new(Notify::new());
    let wake = Wake(notify.clone());
    store.observe(&[&CLUSTER_ROLES], Box::new(move |_| wake.0.notify_one()));
    // The observer was first told of every stored role, which the caller has aggregated
    // already: that wake-up is dropped.
    let _ = notify.notified().now_or_never();
    let weak: Weak<Store> = Arc::downgrade(store);
    tokio::spawn(async move {
        loop {
            notify.notified().await;
            let Some(store) = weak.upgrade() else {
                return;
            };
            aggregate_until_stable(&store);
        }
    });
}
