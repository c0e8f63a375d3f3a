//! The `thresher.v1.Thresher` handlers. Each reads top to bottom: validate and convert, run
//! the engine off the async threads, convert back.

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use thresher_engine::ProcessOptions;
use thresher_proto::v1 as pb;
use thresher_proto::v1::thresher_server::Thresher;
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
}

impl ThresherService {
    /// A service answering with the rules `rules` holds.
    pub fn new(rules: Arc<Reloader>, options: ProcessOptions, stream_window: usize) -> Self {
        Self { rules, options, stream_window: stream_window.max(1) }
    }

    /// Runs one request on the blocking pool, so a slow document never stalls the reactor.
    async fn run(&self, req: pb::ProcessRequest) -> Result<pb::ProcessResponse, Status> {
        let Job { doc, encoding, explain } = Job::try_from(req)?;
        // Load the ruleset once: the whole document runs on the version it started with, even
        // if a reload swaps another one in meanwhile.
        let Some(active) = self.rules.active() else {
            let last = self.rules.last_attempt();
            let first_error = last.as_ref().and_then(|a| a.errors.first()).map(ToString::to_string);
            return Err(status::not_ready(self.rules.dir(), first_error.as_deref()));
        };
        let options = self.options.clone();
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

type ResponseStream = Pin<Box<dyn Stream<Item = Result<pb::ProcessResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Thresher for ThresherService {
    async fn process(&self, request: Request<pb::ProcessRequest>) -> Result<Response<pb::ProcessResponse>, Status> {
        self.run(request.into_inner()).await.map(Response::new)
    }

    type ProcessStreamStream = ResponseStream;

    async fn process_stream(
        &self,
        request: Request<Streaming<pb::ProcessRequest>>,
    ) -> Result<Response<Self::ProcessStreamStream>, Status> {
        let svc = self.clone();
        let window = self.stream_window;
        // `buffered` works on up to `window` documents at once and yields them in request
        // order. A bad document gets an answer with `error` set; a broken stream ends the call.
        let answers = request
            .into_inner()
            .map(move |item| {
                let svc = svc.clone();
                async move {
                    let req = item?;
                    let id = req.document.as_ref().map(|d| d.id.clone()).unwrap_or_default();
                    Ok(match svc.run(req).await {
                        Ok(resp) => resp,
                        Err(status) => convert::failed(id, &status),
                    })
                }
            })
            .buffered(window);
        Ok(Response::new(Box::pin(answers)))
    }
}
