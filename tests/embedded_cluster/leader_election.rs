//! Replicated `kube-sa controller-manager` processes against one `kube-sa serve`: one
//! holds the Lease and runs the controllers, a follower writes nothing, and leadership
//! passes within the lease duration after SIGKILL and at once after SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{ObjectMeta, PostParams};
use kube::Api;

use crate::metrics::{free_port, http_get};
use crate::support::{kubectl, kubectl_binaries, poll_until, send_signal, ServeProcess};

/// Short election timing (kube-controller-manager's defaults are 15 s / 10 s / 2 s).
const LEASE: Duration = Duration::from_secs(2);
const RETRY: Duration = Duration::from_millis(200);
const ELECTION_FLAGS: &[&str] = &[
    "--leader-elect-lease-duration=2s",
    "--leader-elect-renew-deadline=1s",
    "--leader-elect-retry-period=200ms",
];
const LEASE_NAME: &str = "kube-sa-controller-manager";

/// A `kube-sa controller-manager` process, the holder identity it logged and the address
/// of its probes and metrics; killed on drop.
struct Manager {
    child: Child,
    identity: String,
    health: std::net::SocketAddr,
}

impl Manager {
    fn start(kubeconfig: &Path, key: &str) -> Self {
        let health: std::net::SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kube-sa"))
            .args(["controller-manager", "--kubeconfig"])
            .arg(kubeconfig)
            .args(["--service-account-private-key-file", key])
            .args(ELECTION_FLAGS)
            .arg(format!("--health-probe-bind-address={health}"))
            .arg(format!("--metrics-bind-address={health}"))
            .env("RUST_LOG", "warn,kube_sa=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("controller-manager starts");
        // The identity is logged at start; the rest of the log passes through.
        let stderr = child.stderr.take().expect("stderr");
        let (found, identity) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("identity=") {
                    let id = line[at + "identity=".len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or_default();
                    let _ = found.send(id.to_string());
                }
                eprintln!("{line}");
            }
        });
        let identity = identity
            .recv_timeout(Duration::from_secs(30))
            .expect("the controller-manager logs its identity");
        Self {
            child,
            identity,
            health,
        }
    }

    /// `leader_election_master_status` of this replica's Lease, once `/readyz` answers 200
    /// (a follower is ready as well as a leader that has synced).
    fn master_status(&self) -> f64 {
        poll_until(
            "/readyz and the master status",
            Duration::from_secs(10),
            || {
                if http_get(self.health, "/readyz")?.0 != 200 {
                    return None;
                }
                let (_, body) = http_get(self.health, "/metrics")?;
                kube_sa::metrics::sample_value(
                    &body,
                    "leader_election_master_status",
                    &[("name", LEASE_NAME)],
                )
            },
        )
    }

    /// Waits for the exit status after a signal, with a deadline.
    fn exit_status(&mut self) -> std::process::ExitStatus {
        poll_until(
            "the controller-manager to exit",
            Duration::from_secs(10),
            || self.child.try_wait().expect("wait"),
        )
    }
}

impl Drop for Manager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Cluster {
    server: ServeProcess,
    key: String,
    _keys: tempfile::TempDir,
}

/// `kube-sa serve` without its own controllers, verifying with the key managers sign with.
fn cluster() -> Cluster {
    let keys = tempfile::tempdir().expect("dir");
    let key_file = keys.path().join("sa.key");
    let key = kube_sa::serviceaccount::SigningKey::generate_ecdsa_p256().expect("key");
    std::fs::write(&key_file, key.to_pkcs8_pem().expect("pem")).expect("write key");
    let key = key_file.to_string_lossy().into_owned();
    let server = ServeProcess::start(&["--controllers=false", "--service-account-key-file", &key]);
    Cluster {
        server,
        key,
        _keys: keys,
    }
}

async fn client(kubeconfig: &Path) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(config).expect("client")
}

async fn lease_spec(leases: &Api<Lease>) -> LeaseSpec {
    leases
        .get_opt(LEASE_NAME)
        .await
        .expect("get lease")
        .and_then(|l| l.spec)
        .unwrap_or_default()
}

async fn holder(leases: &Api<Lease>) -> String {
    lease_spec(leases).await.holder_identity.unwrap_or_default()
}

/// Polls the Lease until `want` holds it; returns how long that took.
async fn wait_for_holder(leases: &Api<Lease>, want: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let current = holder(leases).await;
        if current == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{want} did not take the Lease within {limit:?}; holder is {current:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Creates a namespace and waits for its `default` account to get a token Secret: the
/// leading controller-manager's controllers are running.
async fn controllers_answer(client: &kube::Client, namespace: &str) {
    create_namespace(client, namespace).await;
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let has_token = accounts
            .get_opt("default")
            .await
            .expect("get account")
            .and_then(|sa| sa.secrets)
            .is_some_and(|refs| !refs.is_empty());
        if has_token {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no controller answered in namespace {namespace}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn create_namespace(client: &kube::Client, name: &str) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            ..Default::default()
        },
        ..Default::default()
    };
    namespaces
        .create(&PostParams::default(), &namespace)
        .await
        .expect("create namespace");
}

#[test]
fn replicas_elect_one_leader_that_hands_over_on_sigkill_and_sigterm() {
    let cluster = cluster();
    let kubeconfig = cluster.server.kubeconfig.clone();
    let mut first = Manager::start(&kubeconfig, &cluster.key);
    let mut second = Manager::start(&kubeconfig, &cluster.key);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let leases: Api<Lease> =
        runtime.block_on(async { Api::namespaced(client(&kubeconfig).await, "kube-system") });
    let client = runtime.block_on(client(&kubeconfig));

    // Exactly one holds the Lease, and keeps it while it renews.
    let leader_id = poll_until("a leader", Duration::from_secs(20), || {
        let current = runtime.block_on(holder(&leases));
        (!current.is_empty()).then_some(current)
    });
    assert!(
        leader_id == first.identity || leader_id == second.identity,
        "{leader_id} is neither {} nor {}",
        first.identity,
        second.identity
    );
    let host = hostname::get()
        .expect("host")
        .to_string_lossy()
        .into_owned();
    assert!(leader_id.starts_with(&format!("{host}_")), "{leader_id}");
    // The Lease is written by the leader-election client, with kube-controller-manager's
    // agent, so the server names it as the Lease's field manager.
    let lease = runtime.block_on(leases.get(LEASE_NAME)).expect("the lease");
    let managers: Vec<Option<String>> = lease
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .map(|entry| entry.manager.clone())
        .collect();
    assert_eq!(managers, [Some("kube-controller-manager".to_string())]);
    runtime.block_on(controllers_answer(&client, "while-first-leads"));
    let (leading, following) = if leader_id == first.identity {
        (&first, &second)
    } else {
        (&second, &first)
    };
    assert_eq!(leading.master_status(), 1.0, "the leader's master status");
    assert_eq!(
        following.master_status(),
        0.0,
        "the follower's master status"
    );
    std::thread::sleep(LEASE * 2);
    let spec = runtime.block_on(lease_spec(&leases));
    assert_eq!(spec.holder_identity.as_deref(), Some(leader_id.as_str()));
    assert_eq!(spec.lease_duration_seconds, Some(2));
    assert_eq!(spec.lease_transitions, Some(0));
    let holder_column = kubectl(
        &kubectl_binaries()[0],
        &kubeconfig,
        &[
            "get",
            "lease",
            "-n",
            "kube-system",
            LEASE_NAME,
            "--no-headers",
        ],
        None,
    );
    assert!(holder_column.success, "{}", holder_column.stderr);
    assert!(
        holder_column.stdout.contains(&leader_id),
        "{}",
        holder_column.stdout
    );

    // SIGKILL: the follower, which watches the Lease, takes over as soon as the lease has
    // lapsed: one lease duration after the leader's last renewal, which was at most one
    // retry period before the kill.
    let (leader, follower) = if leader_id == first.identity {
        (&mut first, &mut second)
    } else {
        (&mut second, &mut first)
    };
    send_signal(leader.child.id(), "KILL");
    let took = runtime.block_on(wait_for_holder(&leases, &follower.identity, LEASE * 2));
    eprintln!("SIGKILL hand-over took {took:?}");
    assert!(
        took >= LEASE - RETRY * 2,
        "not before the lease lapsed: {took:?}"
    );
    assert!(took <= LEASE + RETRY, "{took:?}");
    runtime.block_on(controllers_answer(&client, "after-sigkill"));
    assert_eq!(
        runtime.block_on(lease_spec(&leases)).lease_transitions,
        Some(1)
    );

    // SIGTERM: the leader stops its controllers, releases, and a new candidate (which
    // would otherwise wait a full lease duration) takes over on its next retry.
    let mut third = Manager::start(&kubeconfig, &cluster.key);
    std::thread::sleep(RETRY * 3);
    assert_eq!(runtime.block_on(holder(&leases)), follower.identity);
    let stopping = Instant::now();
    send_signal(follower.child.id(), "TERM");
    let status = follower.exit_status();
    assert!(status.success(), "a graceful stop exits 0: {status:?}");
    runtime.block_on(wait_for_holder(&leases, &third.identity, LEASE));
    assert!(stopping.elapsed() < LEASE, "{:?}", stopping.elapsed());
    runtime.block_on(controllers_answer(&client, "after-sigterm"));
    send_signal(third.child.id(), "TERM");
    assert!(third.exit_status().success());
    assert_eq!(runtime.block_on(holder(&leases)), "");
}

#[test]
fn a_follower_writes_nothing_until_the_lease_is_released() {
    let cluster = cluster();
    let kubeconfig = cluster.server.kubeconfig.clone();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = runtime.block_on(client(&kubeconfig));
    let leases: Api<Lease> = Api::namespaced(client.clone(), "kube-system");
    // Another holder, renewed for an hour as far as candidates can tell.
    let now = MicroTime(jiff::Timestamp::now());
    let held = Lease {
        metadata: ObjectMeta {
            name: Some(LEASE_NAME.into()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some("elsewhere".into()),
            lease_duration_seconds: Some(3600),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            lease_transitions: Some(4),
            ..Default::default()
        }),
    };
    runtime
        .block_on(leases.create(&PostParams::default(), &held))
        .expect("create lease");
    let manager = Manager::start(&kubeconfig, &cluster.key);
    runtime.block_on(create_namespace(&client, "quiet"));
    // Several retry periods: a follower's controllers would have made `default` by now.
    std::thread::sleep(RETRY * 10);
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "quiet");
    assert!(
        runtime
            .block_on(accounts.get_opt("default"))
            .expect("get")
            .is_none(),
        "a follower's controllers wrote"
    );
    assert_eq!(runtime.block_on(holder(&leases)), "elsewhere");

    // Released as client-go releases: the candidate takes over at once.
    let mut released = runtime.block_on(leases.get(LEASE_NAME)).expect("get lease");
    if let Some(spec) = released.spec.as_mut() {
        spec.holder_identity = Some(String::new());
        spec.lease_duration_seconds = Some(1);
    }
    runtime
        .block_on(leases.replace(LEASE_NAME, &PostParams::default(), &released))
        .expect("release");
    runtime.block_on(wait_for_holder(&leases, &manager.identity, LEASE));
    assert_eq!(
        runtime.block_on(lease_spec(&leases)).lease_transitions,
        Some(5)
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while runtime
        .block_on(accounts.get_opt("default"))
        .expect("get")
        .is_none()
    {
        assert!(
            Instant::now() < deadline,
            "the new leader never made `default`"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn controller_manager_refuses_election_timing_upstream_refuses() {
    for (flags, text) in [
        (
            [
                "--leader-elect-lease-duration=10s",
                "--leader-elect-renew-deadline=10s",
            ],
            "leaseDuration must be greater than renewDeadline",
        ),
        (
            [
                "--leader-elect-renew-deadline=2s",
                "--leader-elect-retry-period=2s",
            ],
            "renewDeadline must be greater than retryPeriod*JitterFactor",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_kube-sa"))
            .args([
                "controller-manager",
                "--kubeconfig=/nonexistent",
                "--service-account-private-key-file=/nonexistent",
            ])
            .args(flags)
            .output()
            .expect("runs");
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(text), "{flags:?}: {stderr}");
    }
}
