//! Shared helpers: start a server, wait with deadlines, find kubectl binaries.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kube_sa::apiserver::ApiServer;

/// A bare in-process API server (no service-account components) and an admin client.
pub async fn embedded() -> (ApiServer, kube::Client) {
    let server = ApiServer::builder()
        .without_service_accounts()
        .start()
        .await
        .expect("server starts");
    let client = server.client().await.expect("client");
    (server, client)
}

/// An in-process embedded cluster: API server, admission, authenticator, controllers.
pub async fn cluster() -> (ApiServer, kube::Client) {
    let server = ApiServer::builder().start().await.expect("cluster starts");
    let client = server.client().await.expect("client");
    (server, client)
}

/// Polls `check` until it returns true or `timeout` passes; names `what` on failure.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `kube-sa serve` as a child process, stopped (SIGTERM) on drop.
pub struct ServeProcess {
    child: Child,
    pub url: String,
    pub kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

impl ServeProcess {
    pub fn start(extra_args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        let mut child = Command::new(env!("CARGO_BIN_EXE_kube-sa"))
            .args(["serve", "--listen", "127.0.0.1:0", "--kubeconfig-out"])
            .arg(&kubeconfig)
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kube-sa serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reads the serving line");
        let url = line
            .trim()
            .strip_prefix("serving ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Self {
            child,
            url,
            kubeconfig,
            _dir: dir,
        }
    }

    /// Kills the server with SIGKILL, as a crash would, and reaps it.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the exit status, with a deadline.
    pub fn terminate(self) -> std::process::ExitStatus {
        send_signal(self.child.id(), "TERM");
        self.terminate_after_signal()
    }

    /// Waits for the exit status after a signal was sent, with a deadline.
    pub fn terminate_after_signal(mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "kube-sa serve did not stop within 10 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// The newest and the oldest versioned kubectl on this machine, or plain `kubectl`.
pub fn kubectl_binaries() -> Vec<PathBuf> {
    let dir = Path::new("/usr/lib/google-cloud-sdk/bin");
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let minor = name.strip_prefix("kubectl.1.")?.parse().ok()?;
                    Some((minor, e.path()))
                })
                .collect()
        })
        .unwrap_or_default();
    versioned.sort();
    match versioned.as_slice() {
        [] => vec![PathBuf::from("kubectl")],
        [only] => vec![only.1.clone()],
        [oldest, .., newest] => vec![newest.1.clone(), oldest.1.clone()],
    }
}

/// Result of one kubectl run.
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs kubectl with a kubeconfig and optional stdin, with a deadline.
pub fn kubectl(binary: &Path, kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(binary)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--request-timeout", "20s"])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", binary.display()));
    if let Some(input) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("kubectl finishes");
    Output {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Polls `check` every 50 ms until it answers Some, failing with `what` after `timeout`
/// (for kubectl calls, which are blocking).
pub fn poll_until<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A kubeconfig beside `admin` whose only credential is `token` (replacing the previous one).
pub fn token_kubeconfig(admin: &Path, token: &str) -> PathBuf {
    let text = std::fs::read_to_string(admin).expect("kubeconfig");
    let mut config: serde_json::Value = serde_yaml::from_str(&text).expect("yaml");
    config["users"][0]["user"] = serde_json::json!({"token": token});
    let path = admin.with_file_name("token-kubeconfig");
    std::fs::write(&path, serde_yaml::to_string(&config).expect("yaml")).expect("write");
    path
}

/// The stdout of a kubectl run that must succeed; otherwise fails the test with its output.
pub fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.success,
        "{what} failed:\nstdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    out.stdout.clone()
}
