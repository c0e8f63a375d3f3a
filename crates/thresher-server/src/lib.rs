//! Thresher's gRPC server: the `thresher.v1.Thresher` and `thresher.v1.ThresherAdmin`
//! services, server reflection (v1 and v1alpha), `grpc.health.v1`, hot reload of the rules
//! directory, configuration and graceful shutdown.
//!
//! Protobuf stops here: handlers convert requests into engine types at the edge
//! ([`convert`]), run the engine on the blocking pool, and map engine errors to status codes in
//! one place ([`status`]). The active ruleset and every change to it belong to the
//! [`reload::Reloader`]; [`watch`] decides when to ask it to look again.

pub mod admin;
pub mod auth;
pub mod convert;
pub mod linger;
pub mod metrics;
pub mod reload;
pub mod sched;
pub mod service;
pub mod status;
pub mod watch;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use thresher_engine::{DEFAULT_MAX_DOCUMENT_BYTES, Limits, ProcessOptions};
use thresher_proto::v1::thresher_admin_server::ThresherAdminServer;
use thresher_proto::v1::thresher_server::ThresherServer;
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Identity, Server, ServerTlsConfig};

pub use admin::AdminService;
pub use reload::Reloader;
pub use service::ThresherService;

/// How the server runs. Every setting is a flag and a `THRESHER_*` environment variable.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "THRESHER_ADDR", default_value = "127.0.0.1:50051")]
    pub addr: SocketAddr,
    /// Directory holding the rule files.
    #[arg(long, env = "THRESHER_RULES", default_value = "rules")]
    pub rules: PathBuf,
    /// Largest document text accepted, in bytes; larger ones get INVALID_ARGUMENT.
    #[arg(long, env = "THRESHER_MAX_DOCUMENT_BYTES", default_value_t = DEFAULT_MAX_DOCUMENT_BYTES)]
    pub max_document_bytes: usize,
    /// Documents one ProcessStream call works on at once (answers stay in order).
    #[arg(long, env = "THRESHER_STREAM_WINDOW", default_value_t = 8)]
    pub stream_window: usize,
    /// Reload the rules when their files change (file events plus a periodic rescan). With
    /// `--watch false` the rules change only through ThresherAdmin/ReloadRules or a restart.
    #[arg(long, env = "THRESHER_WATCH", default_value_t = true, action = clap::ArgAction::Set)]
    pub watch: bool,
    /// Quiet time after a burst of file events before the rules are rescanned, in milliseconds.
    #[arg(long, env = "THRESHER_DEBOUNCE_MS", default_value_t = 150)]
    pub debounce_ms: u64,
    /// Rescan period for file systems that send no events, in milliseconds; 0 turns it off.
    #[arg(long, env = "THRESHER_POLL_INTERVAL_MS", default_value_t = 5000)]
    pub poll_interval_ms: u64,
    /// Threads that process documents; 0 means one per CPU. More threads than cores only
    /// add contention (and per-thread regex caches), so calls beyond them wait their turn, up
    /// to --max-in-flight.
    #[arg(long, env = "THRESHER_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// Threads for the network side of calls (reading, decoding, encoding, writing); 0 means
    /// half the CPUs, at least one. Documents are processed on the --workers threads, and
    /// fewer I/O threads leave the cores, and their caches, to the documents.
    #[arg(long, env = "THRESHER_IO_THREADS", default_value_t = 0)]
    pub io_threads: usize,
    /// Schedule the network threads SCHED_BATCH (Linux): a thread woken by a packet then does
    /// not preempt a document mid-way, and handles everything that arrived meanwhile when it
    /// runs. Needs no privilege; `--io-batch false` leaves every thread in the normal policy.
    #[arg(long, env = "THRESHER_IO_BATCH", default_value_t = true, action = clap::ArgAction::Set)]
    pub io_batch: bool,
    /// Documents the server works on at once, across all calls; beyond that it answers
    /// RESOURCE_EXHAUSTED at once instead of queueing.
    #[arg(long, env = "THRESHER_MAX_IN_FLIGHT", default_value_t = 256)]
    pub max_in_flight: usize,
    /// On SIGTERM/SIGINT, how long calls in flight may take to finish before the server exits
    /// anyway, in milliseconds.
    #[arg(long, env = "THRESHER_SHUTDOWN_GRACE_MS", default_value_t = 10_000)]
    pub shutdown_grace_ms: u64,
    /// Bearer token the admin calls that take or change rules (ValidateRules, ReloadRules)
    /// require. Unset, they are open: bind to a private address or set it.
    #[arg(long, env = "THRESHER_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<Secret>,
    /// What the admin token guards: `admin` (ValidateRules and ReloadRules) or `all` (every
    /// call except grpc.health.v1, so that probes still reach it).
    #[arg(long, env = "THRESHER_AUTH_SCOPE", value_enum, default_value_t = auth::Scope::Admin, requires = "admin_token")]
    pub auth_scope: auth::Scope,
    /// Serve Prometheus metrics (OpenMetrics text at /metrics) on this address, e.g.
    /// 0.0.0.0:9090. Unset, no metrics port is opened.
    #[arg(long, env = "THRESHER_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// PEM file with the server's certificate chain: serve TLS (needs --tls-key). Unset, the
    /// server speaks plaintext HTTP/2, for a private network or a TLS-terminating proxy.
    #[arg(long, env = "THRESHER_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM file with the private key of --tls-cert.
    #[arg(long, env = "THRESHER_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl Config {
    /// The number of document-processing threads `--workers` asks for.
    pub fn worker_threads(&self) -> usize {
        match self.workers {
            0 => cpus(),
            n => n,
        }
    }

    /// The number of network threads `--io-threads` asks for.
    pub fn io_threads(&self) -> usize {
        match self.io_threads {
            0 => (cpus() / 2).max(1),
            n => n,
        }
    }
}

/// The CPUs this process may use.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// A setting never to be printed: `Debug` shows only that it is set.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Reflection could not be set up.
    #[error("server reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The TLS certificate or key could not be read.
    #[error("cannot read the TLS {what} {path}: {source}")]
    TlsFile {
        /// "certificate" or "key".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate or key was read but cannot be used.
    #[error("the TLS certificate or key (--tls-cert, --tls-key) cannot be used: {0}")]
    TlsUnusable(String),
    /// The transport failed.

    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Listens, loads the rules, and serves until `shutdown` resolves; then reports NOT_SERVING,
/// stops accepting, and lets requests in flight finish.
///
/// The server listens before its rules have loaded and reports NOT_SERVING on health until
/// they do (`Process` answers UNAVAILABLE meanwhile), so that a broken rules directory at
/// start is a visible, fixable state rather than a crash loop: the watcher keeps retrying, and
/// the admin API shows why it fails. `on_listening` is told the bound address (useful with
/// port 0).
pub async fn serve(
    cfg: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    // TLS first: a certificate that cannot be used stops the server before it does anything.
    let tls = tls_config(&cfg)?;
    let tls_on = tls.is_some();
    let mut builder = Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls).map_err(|e| ServeError::TlsUnusable(error_chain(&e)))?;
    }
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_not_serving::<ThresherServer<ThresherService>>().await;
    health.set_service_status("", tonic_health::ServingStatus::NotServing).await;
    // The admin service works without a ruleset (it is where a failing one is diagnosed), so it
    // serves from the start, and stops only at shutdown.
    health.set_serving::<ThresherAdminServer<AdminService>>().await;
    let reloader = Arc::new(Reloader::new(cfg.rules.clone(), Limits::default(), Some(health.clone())));

    let listener = TcpListener::bind(cfg.addr).await.map_err(|source| ServeError::Bind { addr: cfg.addr, source })?;
    let local = listener.local_addr().map_err(|source| ServeError::Bind { addr: cfg.addr, source })?;

    let options = ProcessOptions { max_document_bytes: cfg.max_document_bytes, ..ProcessOptions::default() };
    let svc = ThresherService::new(reloader.clone(), options.clone(), cfg.stream_window, cfg.max_in_flight);
    let admission = svc.admission();
    let service_metrics = svc.metrics();
    if let Some(addr) = cfg.metrics_addr {
        let listener = metrics::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
        tracing::info!(addr = %listener.local_addr().unwrap_or(addr), "metrics at /metrics");
        tokio::spawn(metrics::serve(listener, service_metrics.clone()));
    }
    let limit = svc.message_limit();
    let thresher =
        ThresherServer::new(svc).max_decoding_message_size(limit).max_encoding_message_size(limit.saturating_mul(2));
    // ValidateRules carries rule files and sample documents, and answers with diffs of both.
    let token = auth::Token::new(cfg.admin_token.map(|s| s.0));
    let admin = ThresherAdminServer::new(
        AdminService::new(reloader.clone(), options, token.clone()).with_metrics(service_metrics.clone()),
    )
    .max_decoding_message_size(limit.saturating_mul(2))
    .max_encoding_message_size(limit.saturating_mul(4));
    // With `--auth-scope all` every service but health checks the token before its handlers
    // run; a wrapper that lets every call through otherwise, so that one server is built.
    let guard = match cfg.auth_scope {
        auth::Scope::All => token,
        auth::Scope::Admin => auth::Token::default(),
    };

    let watch_cfg = if cfg.watch {
        watch::WatchConfig {
            events: true,
            debounce: Duration::from_millis(cfg.debounce_ms),
            poll: Duration::from_millis(cfg.poll_interval_ms),
        }
    } else {
        watch::WatchConfig { events: false, debounce: Duration::ZERO, poll: Duration::ZERO }
    };
    tracing::info!(
        dir = %cfg.rules.display(),
        watch = cfg.watch,
        debounce_ms = cfg.debounce_ms,
        poll_interval_ms = cfg.poll_interval_ms,
        "loading rules"
    );
    let watcher = tokio::spawn(watch::run(reloader, watch_cfg));

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(thresher_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(thresher_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    tracing::info!(addr = %local, tls = tls_on, auth_scope = ?cfg.auth_scope, "listening");
    on_listening(local);
    let stopping = Arc::new(tokio::sync::Notify::new());
    let stop_signal = stopping.clone();
    let drain = async move {
        shutdown.await;
        stop_signal.notify_one();
        tracing::info!("shutting down: refusing new calls, finishing calls in flight");
        // Stop reloading first, so that no late first load reports SERVING again.
        watcher.abort();
        let _ = watcher.await;
        health.set_not_serving::<ThresherServer<ThresherService>>().await;
        health.set_not_serving::<ThresherAdminServer<AdminService>>().await;
        health.set_service_status("", tonic_health::ServingStatus::NotServing).await;
    };
    // Each connection's socket lingers after the connection ends, so that its last answer is
    // not lost to a reset (see `linger`); shutdown waits for them below.
    let lingering = linger::Lingering::default();
    let accepted = {
        let lingering = lingering.clone();
        TcpListenerStream::new(listener).map(move |s| s.map(|s| lingering.wrap(s)))
    };
    let server = builder
        .layer(service::explain_message_limit())
        .layer(admission)
        .add_service(health_service)
        .add_service(InterceptedService::new(reflection_v1, guard.interceptor("server reflection")))
        .add_service(InterceptedService::new(reflection_v1alpha, guard.interceptor("server reflection")))
        .add_service(InterceptedService::new(thresher, guard.interceptor("thresher.v1.Thresher")))
        .add_service(InterceptedService::new(admin, guard.interceptor("thresher.v1.ThresherAdmin")))
        .serve_with_incoming_shutdown(accepted, drain);
    // In-flight calls get the grace period to finish; a call that outlives it does not keep
    // the process (and a rolling update) waiting.
    let grace = Duration::from_millis(cfg.shutdown_grace_ms);
    let overdue = async move {
        stopping.notified().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        r = server => {
            r?;
            // Every call is answered; the clients get up to `LINGER` to read the answers and
            // close their side before the process exits.
            lingering.wait().await;
        }
        () = overdue => tracing::warn!(grace_ms = cfg.shutdown_grace_ms, "grace period over: exiting with calls still in flight"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// The TLS settings from `--tls-cert` and `--tls-key`, read once at start.
fn tls_config(cfg: &Config) -> Result<Option<ServerTlsConfig>, ServeError> {
    let (Some(cert), Some(key)) = (&cfg.tls_cert, &cfg.tls_key) else { return Ok(None) };
    let read = |what, path: &PathBuf| {
        std::fs::read(path).map_err(|source| ServeError::TlsFile { what, path: path.clone(), source })
    };
    let identity = Identity::from_pem(read("certificate", cert)?, read("key", key)?);
    Ok(Some(ServerTlsConfig::new().identity(identity)))
}

/// An error and its sources, most specific last, without the repetitions tonic's layers add.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received SIGINT"),
        () = term => tracing::info!("received SIGTERM"),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    fn config(args: &[&str]) -> Config {
        Cli::try_parse_from(std::iter::once("thresher").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{e}"))
            .config
    }

    #[test]
    fn thread_counts_default_to_the_cpus_and_follow_the_flags() {
        let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let default = config(&[]);
        assert_eq!(default.worker_threads(), cpus);
        assert_eq!(default.io_threads(), (cpus / 2).max(1));
        let set = config(&["--workers", "3", "--io-threads", "5"]);
        assert_eq!((set.worker_threads(), set.io_threads()), (3, 5));
    }
}
