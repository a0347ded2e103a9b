//! `kube-sa serve --data-dir` killed with SIGKILL at random moments while clients write:
//! every acknowledged write is there after the restart, with its resource version, and an
//! unacknowledged one is there whole or not at all.

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DeleteParams, PostParams};
use rand::Rng;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::ServeProcess;

const KILLS: usize = 20;
const WRITERS: usize = 4;
const NAMESPACE: &str = "kill";

/// What a ConfigMap is, as a client last had it acknowledged: there at a resource version
/// with a value, or not there.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Present { rv: u64, value: String },
    Absent,
}

/// A write sent but not acknowledged: it may or may not have happened.
#[derive(Debug, Clone)]
enum InFlight {
    Create { value: String },
    Update { value: String },
    Delete,
}

#[derive(Debug, Clone)]
struct Track {
    acked: State,
    in_flight: Option<InFlight>,
}

type Tracks = Arc<Mutex<HashMap<String, Track>>>;

fn config_map(name: &str, value: &str, rv: Option<u64>) -> ConfigMap {
    ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            resource_version: rv.map(|rv| rv.to_string()),
            ..Default::default()
        },
        data: Some(BTreeMap::from([("value".to_string(), value.to_string())])),
        ..Default::default()
    }
}

fn state_of(map: &ConfigMap) -> State {
    State::Present {
        rv: map
            .metadata
            .resource_version
            .as_deref()
            .and_then(|rv| rv.parse().ok())
            .expect("numeric resourceVersion"),
        value: map
            .data
            .as_ref()
            .and_then(|d| d.get("value").cloned())
            .unwrap_or_default(),
    }
}

async fn client_for(server: &ServeProcess) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(&server.kubeconfig).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(config).expect("client")
}

/// Creates, updates (every third) and deletes (every fifth) ConfigMaps `w<writer>-<n>` one
/// write at a time, recording each write before it is sent and its acknowledgement, until
/// a write fails (the server is gone); answers how many were acknowledged.
async fn write_until_killed(
    maps: Api<ConfigMap>,
    writer: usize,
    tracks: Tracks,
    next: usize,
) -> usize {
    let mut acknowledged = 0;
    for n in next.. {
        let name = format!("w{writer}-{n}");
        let ops: &[fn(&str) -> InFlight] = match (n % 3, n % 5) {
            (0, 0) => &[create_op, update_op, |_| InFlight::Delete],
            (0, _) => &[create_op, update_op],
            (_, 0) => &[create_op, |_| InFlight::Delete],
            _ => &[create_op],
        };
        for op in ops {
            let op = op(&name);
            let acked_rv = {
                let mut tracks = tracks.lock().expect("tracks");
                let track = tracks.entry(name.clone()).or_insert(Track {
                    acked: State::Absent,
                    in_flight: None,
                });
                track.in_flight = Some(op.clone());
                match track.acked {
                    State::Present { rv, .. } => Some(rv),
                    State::Absent => None,
                }
            };
            let outcome = match &op {
                InFlight::Create { value } => maps
                    .create(&PostParams::default(), &config_map(&name, value, None))
                    .await
                    .map(|m| state_of(&m)),
                InFlight::Update { value } => maps
                    .replace(
                        &name,
                        &PostParams::default(),
                        &config_map(&name, value, acked_rv),
                    )
                    .await
                    .map(|m| state_of(&m)),
                InFlight::Delete => maps
                    .delete(&name, &DeleteParams::default())
                    .await
                    .map(|_| State::Absent),
            };
            let Ok(state) = outcome else {
                return acknowledged;
            };
            acknowledged += 1;
            let mut tracks = tracks.lock().expect("tracks");
            let track = tracks.get_mut(&name).expect("tracked");
            track.acked = state;
            track.in_flight = None;
        }
    }
    acknowledged
}

fn create_op(name: &str) -> InFlight {
    InFlight::Create {
        value: format!("created {name}"),
    }
}

fn update_op(name: &str) -> InFlight {
    InFlight::Update {
        value: format!("updated {name}"),
    }
}

/// Checks every tracked ConfigMap against what was acknowledged (and what was in flight)
/// and makes what is there the new acknowledged state; answers the highest version seen.
async fn verify(maps: &Api<ConfigMap>, tracks: &Tracks, round: usize) -> u64 {
    let listed = maps.list(&Default::default()).await.expect("list");
    let there: HashMap<String, State> = listed
        .items
        .iter()
        .map(|m| (m.metadata.name.clone().unwrap_or_default(), state_of(m)))
        .collect();
    let mut tracks = tracks.lock().expect("tracks");
    let mut highest = 0;
    for (name, track) in tracks.iter_mut() {
        let actual = there.get(name).cloned().unwrap_or(State::Absent);
        let acked_rv = match &track.acked {
            State::Present { rv, .. } => *rv,
            State::Absent => 0,
        };
        let allowed = actual == track.acked
            || match (&track.in_flight, &actual) {
                (Some(InFlight::Create { value }), State::Present { value: v, .. }) => v == value,
                (Some(InFlight::Update { value }), State::Present { rv, value: v }) => {
                    v == value && *rv > acked_rv
                }
                (Some(InFlight::Delete), State::Absent) => true,
                _ => false,
            };
        assert!(
            allowed,
            "after kill {round}: {name} is {actual:?}; acknowledged {:?}, in flight {:?}",
            track.acked, track.in_flight
        );
        if let State::Present { rv, .. } = &actual {
            highest = highest.max(*rv);
        }
        highest = highest.max(acked_rv);
        track.acked = actual;
        track.in_flight = None;
    }
    highest
}

#[test]
fn acknowledged_writes_survive_kill_9_at_random_moments() {
    let data = tempfile::tempdir().expect("tempdir");
    let data_arg = data.path().to_string_lossy().into_owned();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let tracks: Tracks = Arc::default();
    let mut rng = rand::rng();
    let mut acknowledged = 0usize;
    for round in 0..=KILLS {
        let mut server = ServeProcess::start(&["--data-dir", &data_arg]);
        let killed = Arc::new(AtomicBool::new(false));
        let done = runtime.block_on(async {
            let client = client_for(&server).await;
            let maps: Api<ConfigMap> = Api::namespaced(client.clone(), NAMESPACE);
            if round == 0 {
                let namespace = Namespace {
                    metadata: kube::api::ObjectMeta {
                        name: Some(NAMESPACE.into()),
                        ..Default::default()
                    },
                    ..Default::default()
                };
                Api::<Namespace>::all(client.clone())
                    .create(&PostParams::default(), &namespace)
                    .await
                    .expect("namespace");
            }
            let highest = verify(&maps, &tracks, round).await;
            // The revision counter resumed past every version a client was given.
            let marker = maps
                .create(
                    &PostParams::default(),
                    &config_map(&format!("marker-{round}"), "m", None),
                )
                .await
                .expect("marker");
            let State::Present { rv, .. } = state_of(&marker) else {
                unreachable!()
            };
            assert!(rv > highest, "round {round}: new version {rv} <= {highest}");
            if round == KILLS {
                return 0;
            }
            let writers: Vec<_> = (0..WRITERS)
                .map(|w| {
                    tokio::spawn(write_until_killed(
                        maps.clone(),
                        w,
                        tracks.clone(),
                        round * 10_000,
                    ))
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(rng.random_range(50..400))).await;
            killed.store(true, Ordering::SeqCst);
            server.kill();
            let mut acknowledged = 0;
            for writer in writers {
                acknowledged += tokio::time::timeout(Duration::from_secs(30), writer)
                    .await
                    .expect("writers stop once the server is gone")
                    .expect("writer");
            }
            acknowledged
        });
        if round < KILLS {
            assert!(killed.load(Ordering::SeqCst));
            acknowledged += done;
        }
    }
    eprintln!("{KILLS} kills, {acknowledged} acknowledged writes checked");
    assert!(acknowledged > KILLS, "the writers made progress");
}
