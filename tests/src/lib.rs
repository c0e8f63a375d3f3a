//! Harness for Thresher's end-to-end tests: starts the real `thresher` binary on a free
//! port, waits for `grpc.health.v1` to report SERVING (never on sleeps), and stops it on drop.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use thresher_proto::v1::thresher_client::ThresherClient;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shipped rules.
pub fn rules() -> PathBuf {
    repo().join("rules")
}

/// The shared corpus and scorer: `$THRESHER_SHARED`, else `../shared` beside the repository.
pub fn shared() -> PathBuf {
    std::env::var_os("THRESHER_SHARED").map_or_else(|| repo().join("../shared"), PathBuf::from)
}

/// The seed documents, sorted.
pub fn seeds() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(shared().join("corpus/seeds"))
        .expect("the seed corpus must exist (set THRESHER_SHARED)")
        .map(|e| e.expect("dir entry").path())
        .collect();
    v.sort();
    v
}

/// The `thresher` binary: `$THRESHER_BIN`, else the one cargo built beside this test.
pub fn thresher_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("THRESHER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> → target/<profile>/thresher
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join(format!("thresher{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} not built: run `cargo build -p thresher-cli` first", bin.display());
    bin
}

/// The grpcurl binary: `$GRPCURL`, else `.venv/bin/grpcurl` in the repository (where the test
/// script installs it), else `grpcurl` on `PATH`.
pub fn grpcurl() -> PathBuf {
    if let Some(p) = std::env::var_os("GRPCURL") {
        return PathBuf::from(p);
    }
    let venv = repo().join(".venv/bin/grpcurl");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("grpcurl")
}

/// A `thresher` command.
pub fn thresher() -> Command {
    Command::new(thresher_bin())
}

/// A running server, killed on drop.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `thresher serve` on a free port with the shipped rules and `args`, and waits
    /// until health says SERVING.
    pub async fn start(args: &[&str]) -> Self {
        Self::start_with_rules(&rules(), args).await
    }

    /// Like [`Server::start`] with another rules directory.
    pub async fn start_with_rules(rules: &Path, args: &[&str]) -> Self {
        let mut child = thresher()
            .args(["serve", "--addr", "127.0.0.1:0", "--rules"])
            .arg(rules)
            .args(args)
            .env("THRESHER_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start thresher serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("thresher listening on ") {
                    let _ = tx.send(addr.parse::<SocketAddr>().expect("address"));
                }
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("thresher serve did not report its address within 60 s")
        });
        let server = Self { child, addr };
        server.wait_serving().await;
        server
    }

    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A channel to the server.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url()).expect("url").connect().await.expect("connect")
    }

    /// A Thresher client.
    pub async fn client(&self) -> ThresherClient<Channel> {
        ThresherClient::new(self.channel().await).max_decoding_message_size(64 << 20)
    }

    /// The health status of `service` ("" for the whole server).
    pub async fn health(&self, service: &str) -> Option<ServingStatus> {
        let mut h = HealthClient::new(self.channel().await);
        let resp = h.check(HealthCheckRequest { service: service.into() }).await.ok()?;
        ServingStatus::try_from(resp.into_inner().status).ok()
    }

    async fn wait_serving(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(ch) = Channel::from_shared(self.url()).expect("url").connect().await {
                let mut h = HealthClient::new(ch);
                let req = HealthCheckRequest { service: "thresher.v1.Thresher".into() };
                if let Ok(r) = h.check(req).await
                    && r.into_inner().status == ServingStatus::Serving as i32
                {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "server never reported SERVING");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends SIGTERM and waits for the exit status. Async, so that the test's own client
    /// connections keep running and can answer the server's GOAWAY while it drains.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success();
        assert!(ok, "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit within 30 s of SIGTERM");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
