//! The TokenRequest load shared by the `token_request_rs256` and `token_request_es256`
//! benchmarks: an embedded cluster in bound mode signing with the given key, and 16
//! clients (each its own `kube::Client` and HTTPS connection) calling
//! `POST /api/v1/namespaces/default/serviceaccounts/default/token` as `kubectl create
//! token default` does.
//!
//! Server and clients run on two runtimes in this one process, with named worker threads,
//! so that a round can tell the server's CPU time from the clients' (TLS, HTTP, JSON).

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::PostParams;
use kube::Api;
use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::ApiServer;
use kube_sa::serviceaccount::SigningKey;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Concurrent clients.
pub const CLIENTS: usize = 16;
/// Name prefix of the server runtime's threads.
const SERVER_THREADS: &str = "sa-server";
/// Name prefix of the client runtime's threads.
const CLIENT_THREADS: &str = "sa-client";
const DEADLINE: Duration = Duration::from_secs(60);

/// One round: how many tokens, in what wall time, for what CPU time.
pub struct Round {
    pub tokens: usize,
    pub wall: Duration,
    /// The whole process: server and clients.
    pub process_cpu: Duration,
    /// The server runtime's threads only.
    pub server_cpu: Duration,
}

impl Round {
    /// Tokens per wall-second.
    pub fn per_second(&self) -> f64 {
        self.tokens as f64 / self.wall.as_secs_f64()
    }

    /// Tokens per CPU-second of the whole process.
    pub fn per_process_cpu_second(&self) -> f64 {
        self.tokens as f64 / self.process_cpu.as_secs_f64()
    }

    /// Tokens per CPU-second of the server's threads.
    pub fn per_server_cpu_second(&self) -> f64 {
        self.tokens as f64 / self.server_cpu.as_secs_f64()
    }
}

/// A bound-mode cluster and its clients, ready to request tokens.
pub struct Bench {
    server_runtime: tokio::runtime::Runtime,
    client_runtime: tokio::runtime::Runtime,
    server: Option<ApiServer>,
    accounts: Vec<Api<ServiceAccount>>,
}

fn runtime(name: &'static str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name(name)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

impl Bench {
    /// Starts the cluster signing TokenRequests with `key`, waits for the `default`
    /// ServiceAccount, and connects the clients (TLS handshakes before any round).
    pub fn start(key: SigningKey) -> Self {
        let server_runtime = runtime(SERVER_THREADS);
        let client_runtime = runtime(CLIENT_THREADS);
        let server = server_runtime.block_on(async {
            ApiServer::builder()
                .service_accounts(ServiceAccountOptions {
                    mode: kube_sa::Mode::Bound,
                    signing_key: Some(Arc::new(key)),
                    ..Default::default()
                })
                .start()
                .await
                .expect("start")
        });
        let accounts = client_runtime.block_on(async {
            let mut accounts = Vec::new();
            for _ in 0..CLIENTS {
                let client = server.client().await.expect("client");
                accounts.push(Api::<ServiceAccount>::namespaced(client, "default"));
            }
            let started = Instant::now();
            for api in &accounts {
                // The service-account controller makes `default`; the first get also
                // connects this client.
                while api.get_opt("default").await.expect("get").is_none() {
                    assert!(started.elapsed() < DEADLINE, "no default ServiceAccount");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            accounts
        });
        Self {
            server_runtime,
            client_runtime,
            server: Some(server),
            accounts,
        }
    }

    /// Each client asks for `per_client` tokens, one after another.
    pub fn round(&self, per_client: usize) -> Round {
        let process_start = crate::common::process_cpu_time();
        let server_start = crate::common::threads_cpu_time(SERVER_THREADS);
        let wall_start = Instant::now();
        self.client_runtime.block_on(async {
            let tasks: Vec<_> = self
                .accounts
                .iter()
                .map(|api| {
                    let api = api.clone();
                    tokio::spawn(async move {
                        let request = TokenRequest {
                            spec: TokenRequestSpec::default(),
                            ..Default::default()
                        };
                        for _ in 0..per_client {
                            let issued = api
                                .create_token_request("default", &PostParams::default(), &request)
                                .await
                                .expect("token request");
                            let token = issued.status.map(|s| s.token).unwrap_or_default();
                            assert!(token.starts_with("ey"), "no token issued");
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("client task");
            }
        });
        Round {
            tokens: per_client * self.accounts.len(),
            wall: wall_start.elapsed(),
            process_cpu: crate::common::process_cpu_time().saturating_sub(process_start),
            server_cpu: crate::common::threads_cpu_time(SERVER_THREADS)
                .saturating_sub(server_start),
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.server_runtime.block_on(server.shutdown());
        }
    }
}
