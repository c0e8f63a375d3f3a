//! The `thresher.v1.Thresher` handlers. Each reads top to bottom: validate and convert, run
//! the engine off the async threads, convert back.

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use thresher_engine::ProcessOptions;
use thresher_proto::v1 as pb;
use thresher_proto::v1::thresher_server::Thresher;
use tokio::sync::Semaphore;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status, Streaming};

use crate::convert::{self, Job};
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
}

impl ThresherService {
    /// A service answering with the rules `rules` holds, working on at most `max_in_flight`
    /// documents at once (across all calls); past that, documents are refused at once.
    pub fn new(rules: Arc<Reloader>, options: ProcessOptions, stream_window: usize, max_in_flight: usize) -> Self {
        let max_in_flight = max_in_flight.max(1);
        Self {
            rules,
            options,
            stream_window: stream_window.max(1),
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
        }
    }

    /// Runs one request on the blocking pool, so a slow document never stalls the reactor.
    async fn run(&self, req: pb::ProcessRequest, deadline: Option<Instant>) -> Result<pb::ProcessResponse, Status> {
        // Shed load before doing anything: a refusal costs microseconds and no memory.
        let _permit = self.in_flight.clone().try_acquire_owned().map_err(|_| status::overloaded(self.max_in_flight))?;
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
        let (doc, outcome) = tokio::task::spawn_blocking(move || {
            let outcome = active.ruleset.process(&doc, &options);
            (doc, outcome)
        })
        .await
        .map_err(|e| status::task_failed(&e))?;
        let outcome = outcome.map_err(|e| status::from_engine(&e))?;
        let explanation = explain
            .then(|| thresher_engine::explain::render(&doc.text, &outcome, thresher_engine::explain::Style::PLAIN));
        let mut resp = convert::response(&doc.text, outcome, encoding);
        resp.explanation = explanation.unwrap_or_default();
        Ok(resp)
    }
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

#[tonic::async_trait]
impl Thresher for ThresherService {
    async fn process(&self, request: Request<pb::ProcessRequest>) -> Result<Response<pb::ProcessResponse>, Status> {
        let deadline = client_deadline(request.metadata());
        self.run(request.into_inner(), deadline).await.map(Response::new)
    }

    type ProcessStreamStream = ResponseStream;

    async fn process_stream(
        &self,
        request: Request<Streaming<pb::ProcessRequest>>,
    ) -> Result<Response<Self::ProcessStreamStream>, Status> {
        let svc = self.clone();
        let window = self.stream_window;
        let deadline = client_deadline(request.metadata());
        // `buffered` works on up to `window` documents at once and yields them in request
        // order. A bad document gets an answer with `error` set; a broken stream ends the call.
        let answers = request
            .into_inner()
            .map(move |item| {
                let svc = svc.clone();
                async move {
                    let req = item?;
                    let id = req.document.as_ref().map(|d| d.id.clone()).unwrap_or_default();
                    Ok(match svc.run(req, deadline).await {
                        Ok(resp) => resp,
                        Err(status) => convert::failed(id, &status),
                    })
                }
            })
            .buffered(window);
        Ok(Response::new(Box::pin(answers)))
    }
}
