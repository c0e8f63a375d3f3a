//! The `thresher.v1.Thresher` handlers. Each reads top to bottom: validate and convert, run
//! the engine off the async threads, convert back.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use thresher_engine::ProcessOptions;
use thresher_proto::v1 as pb;
use thresher_proto::v1::thresher_server::Thresher;
use tokio::sync::Semaphore;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument;

use crate::convert::{self, Job};
use crate::metrics::Metrics;
use crate::reload::Reloader;
use crate::status;

/// The service state: the reloader that owns the active ruleset, and processing settings.
#[derive(Clone)]
pub struct ThresherService {
    rules: Arc<Reloader>,
    options: ProcessOptions,
    stream_window: usize,
    in_flight: Arc<Semaphore>,
    max_in_flight: usize,
    metrics: Arc<Metrics>,
}

impl ThresherService {
    /// A service answering with the rules `rules` holds, working on at most `max_in_flight`
    /// documents at once (across all calls); past that, documents are refused at once.
    pub fn new(rules: Arc<Reloader>, options: ProcessOptions, stream_window: usize, max_in_flight: usize) -> Self {
        let max_in_flight = max_in_flight.max(1);
        let metrics = Arc::new(Metrics::new(rules.clone()));
        Self {
            metrics,
            rules,
            options,
            stream_window: stream_window.max(1),
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
        }
    }

    /// The largest request message the service decodes.
    pub fn message_limit(&self) -> usize {
        message_limit(self.options.max_document_bytes)
    }

    /// The admission layer for unary `Process`, sharing this service's in-flight limit.
    pub fn admission(&self) -> Admission {
        Admission { permits: self.in_flight.clone(), limit: self.max_in_flight, metrics: self.metrics.clone() }
    }

    /// The service's metrics.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Runs one document of a stream: admitted here, per document, since a stream's
    /// documents arrive one message at a time (and at most `stream_window` are decoded ahead).
    async fn run(&self, req: pb::ProcessRequest, deadline: Option<Instant>) -> Result<pb::ProcessResponse, Status> {
        let _permit = self.in_flight.clone().try_acquire_owned().map_err(|_| status::overloaded(self.max_in_flight))?;
        self.run_admitted(req, deadline).await
    }

    /// Runs one admitted request on the blocking pool, so a slow document never stalls the
    /// reactor.
    async fn run_admitted(
        &self,
        req: pb::ProcessRequest,
        deadline: Option<Instant>,
    ) -> Result<pb::ProcessResponse, Status> {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(status::deadline_passed());
        }
        let Job { doc, encoding, explain } = Job::try_from(req)?;
        // Load the ruleset once: the whole document runs on the version it started with, even
        // if a reload swaps another one in meanwhile.
        let Some(active) = self.rules.active() else {
            let last = self.rules.last_attempt();
            let first_error = last.as_ref().and_then(|a| a.errors.first()).map(ToString::to_string);
            return Err(status::not_ready(self.rules.dir(), first_error.as_deref()));
        };
        let options = ProcessOptions { deadline, ..self.options.clone() };
        let (doc, outcome, cpu) = tokio::task::spawn_blocking(move || {
            crate::sched::document_thread();
            // The thread's CPU clock, not the wall clock: a document thread shares its core
            // with the network thread, and time waiting for the core is not the engine's.
            let started = cpu_time::ThreadTime::try_now().ok();
            let outcome = active.ruleset.process(&doc, &options);
            (doc, outcome, started.and_then(|s| s.try_elapsed().ok()))
        })
        .await
        .map_err(|e| status::task_failed(&e))?;
        if let Some(cpu) = cpu {
            self.metrics.record_engine_cpu(cpu);
        }
        let outcome = outcome.map_err(|e| status::from_engine(&e))?;
        let explanation = explain
            .then(|| thresher_engine::explain::render(&doc.text, &outcome, thresher_engine::explain::Style::PLAIN));
        let mut resp = convert::response(&doc.text, outcome, encoding);
        resp.explanation = explanation.unwrap_or_default();
        Ok(resp)
    }
}

/// Load shedding for unary `Process` before its body is read: past the in-flight limit the
/// call is answered RESOURCE_EXHAUSTED at once, so refused documents cost neither time nor
/// memory, and the memory held by request bodies stays under the limit times the message
/// size at any offered load. (Decoding happens before a handler runs, so the handler would be
/// too late for that.)
#[derive(Clone)]
pub struct Admission {
    permits: Arc<Semaphore>,
    limit: usize,
    metrics: Arc<Metrics>,
}

/// The full path of the unary call the admission layer guards.
const PROCESS_PATH: &str = "/thresher.v1.Thresher/Process";

impl<S> tower::Layer<S> for Admission {
    type Service = Admitted<S>;

    fn layer(&self, inner: S) -> Admitted<S> {
        Admitted { inner, admission: self.clone() }
    }
}

/// A service behind [`Admission`].
#[derive(Clone)]
pub struct Admitted<S> {
    inner: S,
    admission: Admission,
}

impl<S, B> tower::Service<http::Request<B>> for Admitted<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if req.uri().path() != PROCESS_PATH {
            return Box::pin(self.inner.call(req));
        }
        match self.admission.permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let call = self.inner.call(req);
                Box::pin(async move {
                    let resp = call.await;
                    drop(permit);
                    resp
                })
            }
            Err(_) => {
                self.admission.metrics.record("Process", "RESOURCE_EXHAUSTED", Duration::ZERO, 0);
                let refused = status::overloaded(self.admission.limit).into_http();
                Box::pin(std::future::ready(Ok(refused)))
            }
        }
    }
}

/// Extra bytes a request may carry beyond the document limit (ids, URL, metadata).
const ENVELOPE_BYTES: usize = 1 << 20;

/// The call's request id: the client's `x-request-id` when it sends a sane one, else a new
/// one. Every log line of the call carries it, and the answer's metadata echoes it.
fn request_id(meta: &MetadataMap) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    if let Some(id) = meta.get("x-request-id").and_then(|v| v.to_str().ok())
        && !id.is_empty()
        && id.len() <= 128
        && id.bytes().all(|b| b.is_ascii_graphic())
    {
        return id.to_owned();
    }
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:08x}-{n}", std::process::id())
}

/// Echoes the request id in a response's (or status's) metadata.
fn tag(meta: &mut MetadataMap, request_id: &str) {
    if let Ok(v) = request_id.parse() {
        meta.insert("x-request-id", v);
    }
}

/// The gRPC message limit for a document limit: the document plus its envelope.
pub fn message_limit(max_document_bytes: usize) -> usize {
    max_document_bytes.saturating_add(ENVELOPE_BYTES)
}

/// Turns tonic's OUT_OF_RANGE for a unary request over the message limit (answered before any
/// handler runs) into the INVALID_ARGUMENT a document over the limit gets, with the setting.
pub fn explain_message_limit()
-> tower::util::MapResponseLayer<fn(http::Response<tonic::body::Body>) -> http::Response<tonic::body::Body>> {
    fn rewrite(mut resp: http::Response<tonic::body::Body>) -> http::Response<tonic::body::Body> {
        if let Some(s) = Status::from_header_map(resp.headers())
            && status::is_message_too_large(&s)
        {
            let _ = status::message_too_large(&s).add_header(resp.headers_mut());
        }
        resp
    }
    tower::util::MapResponseLayer::new(rewrite)
}

/// The client's deadline, from the `grpc-timeout` header ("250m" is 250 ms), so that the rules
/// stop working on a document nobody waits for any more.
fn client_deadline(meta: &MetadataMap) -> Option<Instant> {
    let raw = meta.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = raw.split_at(raw.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    let d = match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    };
    Instant::now().checked_add(d)
}

type ResponseStream = Pin<Box<dyn Stream<Item = Result<pb::ProcessResponse, Status>> + Send>>;

impl ThresherService {
    /// Counts one answered document in the metrics and logs it (at debug level).
    fn answered<T>(&self, method: &'static str, started: Instant, bytes: usize, result: &Result<T, Status>) {
        let code = result.as_ref().map_or_else(|s| s.code(), |_| tonic::Code::Ok);
        let code = convert::code_name(code);
        self.metrics.record(method, &code, started.elapsed(), bytes);
        tracing::debug!(code, bytes, micros = started.elapsed().as_micros(), "answered");
    }
}

#[tonic::async_trait]
impl Thresher for ThresherService {
    async fn process(&self, request: Request<pb::ProcessRequest>) -> Result<Response<pb::ProcessResponse>, Status> {
        // Admitted by the `Admission` layer before its body was read.
        let started = Instant::now();
        let deadline = client_deadline(request.metadata());
        let request_id = request_id(request.metadata());
        let req = request.into_inner();
        let bytes = req.document.as_ref().map_or(0, |d| d.text.len());
        let span = tracing::info_span!("Process", request_id = %request_id);
        let result = self.run_admitted(req, deadline).instrument(span.clone()).await;
        span.in_scope(|| self.answered("Process", started, bytes, &result));
        let mut resp = result.map(Response::new).map_err(|mut s| {
            tag(s.metadata_mut(), &request_id);
            s
        })?;
        tag(resp.metadata_mut(), &request_id);
        Ok(resp)
    }

    type ProcessStreamStream = ResponseStream;

    async fn process_stream(
        &self,
        request: Request<Streaming<pb::ProcessRequest>>,
    ) -> Result<Response<Self::ProcessStreamStream>, Status> {
        let svc = self.clone();
        let window = self.stream_window;
        let deadline = client_deadline(request.metadata());
        let request_id = request_id(request.metadata());
        let span = tracing::info_span!("ProcessStream", request_id = %request_id);
        // `buffered` works on up to `window` documents at once and yields them in request
        // order. A bad document gets an answer with `error` set; a broken stream ends the call.
        let answers =
            request
                .into_inner()
                .map(move |item| {
                    let svc = svc.clone();
                    let span = span.clone();
                    async move {
                        let req = item.map_err(|e| {
                            if status::is_message_too_large(&e) { status::message_too_large(&e) } else { e }
                        })?;
                        let started = Instant::now();
                        let id = req.document.as_ref().map(|d| d.id.clone()).unwrap_or_default();
                        let bytes = req.document.as_ref().map_or(0, |d| d.text.len());
                        let result = svc.run(req, deadline).await;
                        svc.answered("ProcessStream", started, bytes, &result);
                        Ok(match result {
                            Ok(resp) => resp,
                            Err(status) => convert::failed(id, &status),
                        })
                    }
                    .instrument(span)
                })
                .buffered(window);
        let mut resp = Response::new(Box::pin(answers) as ResponseStream);
        tag(resp.metadata_mut(), &request_id);
        Ok(resp)
    }
}
