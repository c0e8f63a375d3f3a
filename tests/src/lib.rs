//! Harness for Thresher's end-to-end tests: starts the real `thresher` binary on a free
//! port, waits for `grpc.health.v1` to report SERVING (never on sleeps), and stops it on drop.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use thresher_proto::v1 as pb;
use thresher_proto::v1::thresher_admin_client::ThresherAdminClient;
use thresher_proto::v1::thresher_client::ThresherClient;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
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
    built_bin("thresher", "thresher-cli")
}

/// A binary of the workspace that cargo built beside this test (`package` builds it).
pub fn built_bin(name: &str, package: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} not built: run `cargo build -p {package}` first", bin.display());
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

/// Runs grpcurl with `args` and `stdin`: whether it succeeded, its stdout and its stderr.
pub fn run_grpcurl(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    use std::io::Write;
    let mut child = Command::new(grpcurl())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("grpcurl runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).expect("write stdin");
    }
    drop(input);
    let out = child.wait_with_output().expect("grpcurl exits");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
    /// The CA certificate (PEM) to trust when the server speaks TLS.
    tls_ca: Option<String>,
}

impl Server {
    /// Starts `thresher serve` on a free port with the shipped rules and `args`, and waits
    /// until health says SERVING.
    pub async fn start(args: &[&str]) -> Self {
        Self::start_with_rules(&rules(), args).await
    }

    /// Like [`Server::start`] with another rules directory.
    pub async fn start_with_rules(rules: &Path, args: &[&str]) -> Self {
        let server = Self::spawn_with_rules(rules, args);
        server.wait_serving().await;
        server
    }

    /// Like [`Server::start`] for a server started with `--tls-cert` and `--tls-key` among
    /// `args`: clients connect over TLS as `localhost`, trusting `ca_pem`.
    pub async fn start_tls(args: &[&str], ca_pem: &str) -> Self {
        let mut server = Self::spawn_with_rules(&rules(), args);
        server.tls_ca = Some(ca_pem.to_owned());
        server.wait_serving().await;
        server
    }

    /// Starts `thresher serve` and waits only until it listens, not until it is ready: for
    /// tests of a server whose rules do not load.
    pub fn spawn_with_rules(rules: &Path, args: &[&str]) -> Self {
        Self::spawn_logging(rules, args, "warn", Stdio::inherit())
    }

    /// Starts `thresher serve` with the shipped rules, logging at `level` to `log` (a file),
    /// and waits until it is ready: for tests of what the log says.
    pub async fn start_logging(args: &[&str], level: &str, log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("create log file");
        let server = Self::spawn_logging(&rules(), args, level, Stdio::from(file));
        server.wait_serving().await;
        server
    }

    fn spawn_logging(rules: &Path, args: &[&str], level: &str, log: Stdio) -> Self {
        let mut child = thresher()
            .args(["serve", "--addr", "127.0.0.1:0", "--rules"])
            .arg(rules)
            .args(args)
            .env("THRESHER_LOG", level)
            .stdout(Stdio::piped())
            .stderr(log)
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
        Self { child, addr, tls_ca: None }
    }

    /// `http://addr`, or `https://localhost:port` for a TLS server.
    pub fn url(&self) -> String {
        match self.tls_ca {
            Some(_) => format!("https://localhost:{}", self.addr.port()),
            None => format!("http://{}", self.addr),
        }
    }

    /// Where to connect, with TLS settings for a TLS server.
    pub fn endpoint(&self) -> Endpoint {
        let endpoint = Channel::from_shared(self.url()).expect("url");
        let Some(ca) = &self.tls_ca else { return endpoint };
        let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca)).domain_name("localhost");
        endpoint.tls_config(tls).expect("client TLS settings")
    }

    /// A channel to the server.
    pub async fn channel(&self) -> Channel {
        self.endpoint().connect().await.expect("connect")
    }

    /// A Thresher client.
    pub async fn client(&self) -> ThresherClient<Channel> {
        ThresherClient::new(self.channel().await).max_decoding_message_size(64 << 20)
    }

    /// A ThresherAdmin client.
    pub async fn admin(&self) -> ThresherAdminClient<Channel> {
        ThresherAdminClient::new(self.channel().await).max_decoding_message_size(64 << 20)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's peak resident memory so far, in KiB (`VmHWM`; Linux only, else `None`).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Waits until the server reports SERVING on health (at most 30 s).
    pub async fn wait_ready(&self) {
        self.wait_serving().await;
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
            if let Ok(ch) = self.endpoint().connect().await {
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

/// A copy of the shipped rules in a fresh temporary directory, removed on drop: rule files a
/// test may edit under a running server.
pub struct TempRules {
    /// The copy.
    pub dir: PathBuf,
}

impl TempRules {
    /// Copies `rules()` to a new directory named after `name`.
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("thresher-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&rules(), &dir);
        Self { dir }
    }

    /// `dir/rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Writes `text` to `rel` in place (truncate and write, as many editors do).
    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).expect("write rule file");
    }

    /// Saves `text` to `rel` atomically: a temporary file in the same directory, renamed over.
    pub fn save_atomically(&self, rel: &str, text: &str) {
        let target = self.path(rel);
        let tmp = target.with_file_name(format!(".{}.tmp", target.file_name().expect("name").to_string_lossy()));
        std::fs::write(&tmp, text).expect("write temp file");
        std::fs::rename(&tmp, &target).expect("rename over");
    }
}

impl Drop for TempRules {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}

/// Polls `check` every 20 ms until it returns `Some`, failing the test after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A `Process` request for a document with just an id and a text (UTF-8 offsets, no explain).
pub fn request(id: &str, text: &str) -> pb::ProcessRequest {
    pb::ProcessRequest {
        document: Some(pb::Document { id: id.into(), text: text.into(), ..Default::default() }),
        ..Default::default()
    }
}
