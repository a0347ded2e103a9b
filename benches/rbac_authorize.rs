//! RBAC authorization decisions with 10,000 RoleBindings and 1,000 ClusterRoleBindings in
//! the store (plus the bootstrap policy), one core.
//! Targets: >= 1,000,000 decisions/s; <= 20 µs p99 added per request of a
//! service-account token.
//!
//! Rate: a mix of decisions (service accounts allowed by their namespace's bindings,
//! denied in another namespace or for another verb, users and groups bound cluster-wide,
//! discovery paths), per CPU-second of the deciding thread.
//! Latency: every request passes one `Authorizer::authorize` call (the handlers call it
//! before anything else, and nothing else about the request depends on RBAC), so the
//! latency authorization adds is that call's duration: each of 1,000,000 calls for a
//! service-account token is timed on its own, while another thread rewrites a binding
//! every millisecond (so the index's lock is contended as in a live cluster), and the
//! 99th percentile is reported.
//!
//! `cargo bench --bench rbac_authorize`

mod common;

use common::{median, report, single_core_rate, spread, Target};
use kube_sa::apiserver::authz::rbac::RbacAuthorizer;
use kube_sa::apiserver::authz::{Attributes, Authorizer, Decision, Request};
use kube_sa::apiserver::kinds::rbac::{CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS};
use kube_sa::apiserver::kinds::NAMESPACES;
use kube_sa::apiserver::store::Store;
use kube_sa::authn::UserInfo;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const NAMESPACES_COUNT: usize = 1_000;
const BINDINGS_PER_NAMESPACE: usize = 10;
const CLUSTER_BINDINGS: usize = 1_000;

fn account(namespace: &str, name: &str) -> UserInfo {
    UserInfo {
        username: format!("system:serviceaccount:{namespace}:{name}"),
        uid: String::new(),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{namespace}"),
            "system:authenticated".into(),
        ],
        extra: Default::default(),
    }
}

fn populate(store: &Store) {
    for n in 0..NAMESPACES_COUNT {
        let ns = format!("ns-{n}");
        store
            .create(&NAMESPACES, json!({"metadata": {"name": ns}}))
            .expect("namespace");
        store
            .create(&ROLES, json!({"metadata": {"name": "reader", "namespace": ns},
                "rules": [{"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods", "configmaps"]}]}))
            .expect("role");
        for b in 0..BINDINGS_PER_NAMESPACE {
            let (kind, role) = if b % 2 == 0 {
                ("Role", "reader")
            } else {
                ("ClusterRole", "view")
            };
            store
                .create(&ROLE_BINDINGS, json!({"metadata": {"name": format!("b-{b}"), "namespace": ns},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
                    "subjects": [{"kind": "ServiceAccount", "name": format!("sa-{b}"), "namespace": ns}]}))
                .expect("role binding");
        }
    }
    for c in 0..CLUSTER_BINDINGS {
        let subject = if c % 2 == 0 {
            json!({"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": format!("user-{c}")})
        } else {
            json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": format!("group-{c}")})
        };
        store
            .create(&CLUSTER_ROLE_BINDINGS, json!({"metadata": {"name": format!("crb-{c}")},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
                "subjects": [subject]}))
            .expect("cluster role binding");
    }
}

struct Case {
    user: UserInfo,
    verb: &'static str,
    namespace: String,
    resource: &'static str,
    path: Option<&'static str>,
    allowed: bool,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for i in 0..64 {
        let ns = format!("ns-{}", (i * 37) % NAMESPACES_COUNT);
        let other = format!("ns-{}", (i * 37 + 1) % NAMESPACES_COUNT);
        let sa = account(&ns, &format!("sa-{}", i % BINDINGS_PER_NAMESPACE));
        let resource_case = |user: &UserInfo, verb, namespace: &str, resource, allowed| Case {
            user: user.clone(),
            verb,
            namespace: namespace.to_string(),
            resource,
            path: None,
            allowed,
        };
        cases.push(resource_case(&sa, "get", &ns, "pods", true));
        cases.push(resource_case(&sa, "list", &ns, "configmaps", true));
        cases.push(resource_case(&sa, "delete", &ns, "pods", false));
        cases.push(resource_case(&sa, "get", &other, "pods", false));
        cases.push(resource_case(&sa, "get", &ns, "secrets", false));
        let user = UserInfo {
            username: format!("user-{}", (i * 2) % CLUSTER_BINDINGS),
            groups: vec!["system:authenticated".into()],
            ..UserInfo::default()
        };
        cases.push(resource_case(&user, "create", &ns, "pods", true));
        let member = UserInfo {
            username: "someone".into(),
            groups: vec![
                format!("group-{}", (i * 2 + 1) % CLUSTER_BINDINGS),
                "system:authenticated".into(),
            ],
            ..UserInfo::default()
        };
        cases.push(resource_case(&member, "delete", &ns, "secrets", true));
        cases.push(Case {
            path: Some("/apis/apps/v1"),
            ..resource_case(&sa, "get", "", "", true)
        });
    }
    cases
}

fn decide(rbac: &RbacAuthorizer, case: &Case) -> Decision {
    let request = match case.path {
        Some(path) => Request::NonResource { path },
        None => Request::Resource {
            namespace: &case.namespace,
            api_group: "",
            api_version: "v1",
            resource: case.resource,
            subresource: "",
            name: "",
        },
    };
    rbac.authorize(&Attributes {
        user: &case.user,
        verb: case.verb,
        request,
    })
}

fn main() {
    let rounds = common::rounds(5);
    let store = Arc::new(Store::default());
    let (rbac, setup) = {
        let start = Instant::now();
        store
            .create(&NAMESPACES, json!({"metadata": {"name": "kube-system"}}))
            .expect("namespace");
        let rbac = RbacAuthorizer::install(store.clone()).expect("bootstrap");
        populate(&store);
        (rbac, start.elapsed())
    };
    println!(
        "setup: {} RoleBindings, {} ClusterRoleBindings (plus bootstrap) stored and indexed in {:.2} s",
        NAMESPACES_COUNT * BINDINGS_PER_NAMESPACE,
        CLUSTER_BINDINGS,
        setup.as_secs_f64()
    );
    let cases = cases();
    for case in &cases {
        assert_eq!(
            decide(&rbac, case) == Decision::Allow,
            case.allowed,
            "{} {} {:?}",
            case.user.username,
            case.verb,
            case.path
        );
    }

    let mut rates = Vec::new();
    for _ in 0..rounds {
        let (per_cpu, _) = single_core_rate(Duration::from_secs(1), cases.len() as u64, || {
            for case in &cases {
                std::hint::black_box(decide(&rbac, case));
            }
        });
        rates.push(per_cpu);
    }
    println!("decisions/s per CPU-second: {}", spread(&rates));

    // Latency of one decision for a service-account token, with binding writes going on.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let binding = store
                    .get(&ROLE_BINDINGS, "ns-1", "b-0")
                    .expect("binding")
                    .value();
                store.update(&ROLE_BINDINGS, binding, None).expect("update");
                n += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            n
        })
    };
    let sa_cases: Vec<&Case> = cases
        .iter()
        .filter(|c| c.user.username.starts_with("system:serviceaccount:"))
        .collect();
    let mut p99s = Vec::new();
    for _ in 0..rounds {
        let mut samples: Vec<u64> = Vec::with_capacity(1_000_000);
        for i in 0..1_000_000 {
            let case = sa_cases[i % sa_cases.len()];
            let start = Instant::now();
            std::hint::black_box(decide(&rbac, case));
            samples.push(start.elapsed().as_nanos() as u64);
        }
        samples.sort_unstable();
        let pick = |q: f64| {
            samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)] as f64 / 1000.0
        };
        println!(
            "  latency µs: p50 {:.3} / p99 {:.3} / p99.9 {:.3} / max {:.1}",
            pick(0.5),
            pick(0.99),
            pick(0.999),
            pick(1.0)
        );
        p99s.push(pick(0.99));
    }
    stop.store(true, Ordering::Relaxed);
    let writes = writer.join().expect("writer");
    println!("binding rewrites during the latency runs: {writes}");

    report(
        "RBAC decisions, 10k RoleBindings + 1k ClusterRoleBindings, one core",
        median(&rates),
        "decisions/s",
        Target::AtLeast(1_000_000.0),
    );
    report(
        "authorization latency per service-account request, p99",
        median(&p99s),
        "µs",
        Target::AtMost(20.0),
    );
}
