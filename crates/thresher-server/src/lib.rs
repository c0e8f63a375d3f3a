//! Thresher's gRPC server: the `thresher.v1.Thresher` service, server reflection (v1 and
//! v1alpha), `grpc.health.v1`, configuration and graceful shutdown.
//!
//! Protobuf stops here: handlers convert requests into engine types at the edge
//! ([`convert`]), run the engine on the blocking pool, and map engine errors to status codes in
//! one place ([`status`]).

pub mod convert;
pub mod service;
pub mod status;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use thresher_engine::{DEFAULT_MAX_DOCUMENT_BYTES, Limits, ProcessOptions, Ruleset};
use thresher_proto::v1::thresher_server::ThresherServer;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;

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
    /// The rules did not load.
    #[error("rules in {dir} did not load: {source}")]
    Rules {
        /// Rules directory.
        dir: String,
        /// Why.
        source: thresher_engine::Error,
    },
    /// Reflection could not be set up.
    #[error("server reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Extra bytes a request may carry beyond the document limit (ids, URL, metadata).
const ENVELOPE_BYTES: usize = 1 << 20;

/// Loads the rules, listens, and serves until `shutdown` resolves; then reports NOT_SERVING,
/// stops accepting, and lets requests in flight finish.
///
/// `on_listening` is told the bound address (useful with port 0).
pub async fn serve(
    cfg: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let dir = cfg.rules.clone();
    let loaded =
        tokio::task::spawn_blocking(move || Ruleset::load_dir(&dir, Limits::default())).await.map_err(|e| {
            ServeError::Rules {
                dir: cfg.rules.display().to_string(),
                source: thresher_engine::Error::Io {
                    path: cfg.rules.display().to_string(),
                    source: std::io::Error::other(e),
                },
            }
        })?;
    let ruleset = loaded.map_err(|source| ServeError::Rules { dir: cfg.rules.display().to_string(), source })?;
    tracing::info!(
        version = ruleset.version(),
        outlets = ruleset.outlets().len(),
        rules = ruleset.rule_ids().len(),
        dir = %cfg.rules.display(),
        "rules loaded"
    );
    let rules = Arc::new(ArcSwap::from_pointee(ruleset));

    let listener = TcpListener::bind(cfg.addr).await.map_err(|source| ServeError::Bind { addr: cfg.addr, source })?;
    let local = listener.local_addr().map_err(|source| ServeError::Bind { addr: cfg.addr, source })?;

    let (health, health_service) = tonic_health::server::health_reporter();
    let svc = ThresherService::new(
        rules,
        ProcessOptions { max_document_bytes: cfg.max_document_bytes, ..ProcessOptions::default() },
        cfg.stream_window,
    );
    let limit = cfg.max_document_bytes.saturating_add(ENVELOPE_BYTES);
    let thresher =
        ThresherServer::new(svc).max_decoding_message_size(limit).max_encoding_message_size(limit.saturating_mul(2));
    health.set_serving::<ThresherServer<ThresherService>>().await;
    health.set_service_status("", tonic_health::ServingStatus::Serving).await;

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(thresher_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(thresher_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    tracing::info!(addr = %local, "listening");
    on_listening(local);
    let drain = async move {
        shutdown.await;
        tracing::info!("shutting down: refusing new calls, finishing calls in flight");
        health.set_not_serving::<ThresherServer<ThresherService>>().await;
        health.set_service_status("", tonic_health::ServingStatus::NotServing).await;
    };
    Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(thresher)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), drain)
        .await?;
    tracing::info!("stopped");
    Ok(())
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
