//! Prometheus metrics on their own HTTP port (`--metrics-addr`, off by default): calls by
//! method and status, latency histograms, documents and bytes processed, the engine's CPU
//! time, and, read from the
//! active ruleset and the reloader at each scrape, per-rule calls, hits, errors and time,
//! reloads by outcome and the active ruleset version.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::reload::Reloader;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: &'static str,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: &'static str,
}

type LatencyFamily = Family<MethodLabels, Histogram, fn() -> Histogram>;

/// The service's own counters; the rules' figures are read at scrape time.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    calls: Family<CallLabels, Counter>,
    latency: LatencyFamily,
    documents: Counter,
    bytes: Counter,
    engine_cpu: Counter<f64, AtomicU64>,
}

/// Latency buckets: 100 µs to about 6.5 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

impl Metrics {
    /// The metrics, with the rules' figures read from `rules` at each scrape.
    pub fn new(rules: Arc<Reloader>) -> Self {
        let mut registry = Registry::with_prefix("thresher");
        let calls = Family::<CallLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let documents = Counter::default();
        let bytes = Counter::default();
        let engine_cpu = Counter::<f64, AtomicU64>::default();
        registry.register(
            "calls",
            "Calls answered (for ProcessStream: documents), by method and gRPC status code",
            calls.clone(),
        );
        registry.register(
            "call_duration_seconds",
            "Time from a document's arrival to its answer, by method",
            latency.clone(),
        );
        registry.register("documents", "Documents processed (answered without error)", documents.clone());
        registry.register("document_bytes", "Bytes of document text processed", bytes.clone());
        registry.register(
            "engine_cpu_seconds",
            "CPU time of the document threads inside the engine (rules, boilerplate, claims), all documents",
            engine_cpu.clone(),
        );
        registry.register_collector(Box::new(RulesCollector { rules }));
        Self { registry, calls, latency, documents, bytes, engine_cpu }
    }

    /// Records one document's answer: `code` is the gRPC status code name ("OK", ...).
    pub fn record(&self, method: &'static str, code: &str, took: Duration, text_bytes: usize) {
        self.record_call(method, code, took);
        if code == "OK" {
            self.documents.inc();
            self.bytes.inc_by(text_bytes as u64);
        }
    }

    /// Adds the CPU time a document thread spent in the engine on one document: beside the
    /// process's CPU time it tells how much of the server's work the rules and the engine are.
    pub fn record_engine_cpu(&self, cpu: Duration) {
        self.engine_cpu.inc_by(cpu.as_secs_f64());
    }

    /// Records one call that processes no document (the admin calls).
    pub fn record_call(&self, method: &'static str, code: &str, took: Duration) {
        self.calls.get_or_create(&CallLabels { method, code: code.to_owned() }).inc();
        self.latency.get_or_create(&MethodLabels { method }).observe(took.as_secs_f64());
    }

    /// The metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Reads per-rule figures and reload counts at scrape time, so that nothing on the request
/// path pays for them.
#[derive(Debug)]
struct RulesCollector {
    rules: Arc<Reloader>,
}

impl Collector for RulesCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.rules.stats();
        let mut reloads = encoder.encode_descriptor(
            "reloads",
            "Rule reloads by outcome (loaded: swapped in; refused: the previous ruleset kept serving)",
            None,
            MetricType::Counter,
        )?;
        for (outcome, n) in [("loaded", stats.loaded), ("refused", stats.refused)] {
            let labels = [("outcome", outcome)];
            ConstCounter::new(n).encode(reloads.encode_family(&labels)?)?;
        }
        let failing = encoder.encode_descriptor(
            "rules_failing",
            "1 while the rules on disk are refused (the last reload failed), else 0",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(i64::from(stats.failing)).encode(failing)?;

        let Some(active) = self.rules.active() else { return Ok(()) };
        let version = active.ruleset.version().to_owned();
        let info = encoder.encode_descriptor("ruleset", "The active ruleset", None, MetricType::Info)?;
        Info::new([("version", version)]).encode(info)?;

        let rule_stats = active.ruleset.rule_stats();
        let per_rule: [(&str, &str, MetricType); 4] = [
            ("rule_calls", "Times each rule of the active ruleset ran", MetricType::Counter),
            ("rule_hits", "Runs in which each rule marked something", MetricType::Counter),
            ("rule_errors", "Runs in which each rule failed (a limit, an error)", MetricType::Counter),
            ("rule_seconds", "Time spent in each rule", MetricType::Counter),
        ];
        for (i, (name, help, kind)) in per_rule.into_iter().enumerate() {
            let mut family = encoder.encode_descriptor(name, help, None, kind)?;
            for s in &rule_stats {
                let labels = [("rule", s.id.as_str())];
                let m = family.encode_family(&labels)?;
                match i {
                    0 => ConstCounter::new(s.calls).encode(m)?,
                    1 => ConstCounter::new(s.hits).encode(m)?,
                    2 => ConstCounter::new(s.errors).encode(m)?,
                    _ => ConstCounter::new(s.time.as_secs_f64()).encode(m)?,
                }
            }
        }
        Ok(())
    }
}

/// Serves `GET /metrics` on `listener` until the process ends.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: back off rather than spin.
                tracing::warn!(error = %e, "metrics port cannot accept");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let metrics = metrics.clone();
                async move {
                    if req.uri().path() == "/metrics" {
                        hyper::Response::builder()
                            .header("content-type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
                            .body(Full::new(Bytes::from(metrics.render())))
                    } else {
                        hyper::Response::builder()
                            .status(404)
                            .body(Full::new(Bytes::from_static(b"metrics are at /metrics\n")))
                    }
                }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await {
                tracing::debug!(error = %e, "metrics connection");
            }
        });
    }
}

/// Binds the metrics port.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
