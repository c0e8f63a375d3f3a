//! The `thresher.v1.ThresherAdmin` handlers: show the active ruleset and the last reload, try
//! candidate rules without installing them, reload on demand.

use std::sync::Arc;
use std::time::Instant;

use thresher_engine::diag::codes;
use thresher_engine::{Diagnostic, ProcessOptions, Ruleset};
use thresher_proto::v1 as pb;
use thresher_proto::v1::thresher_admin_server::ThresherAdmin;
use tonic::{Request, Response, Status};

use crate::auth::Token;
use crate::convert::{self, Candidate};
use crate::metrics::Metrics;
use crate::reload::{Reloader, Trigger};
use crate::status;

/// The admin service: a view on the reloader, and a sandbox for candidate rules.
#[derive(Clone)]
pub struct AdminService {
    rules: Arc<Reloader>,
    options: ProcessOptions,
    token: Token,
    metrics: Option<Arc<Metrics>>,
}

impl AdminService {
    /// An admin service over `rules`; sample documents are held to `options`. With a `token`,
    /// the calls that take rules or change them (ValidateRules, ReloadRules) need it as a
    /// bearer token; GetRuleset stays open, like health and reflection.
    pub fn new(rules: Arc<Reloader>, options: ProcessOptions, token: Token) -> Self {
        Self { rules, options, token, metrics: None }
    }

    /// Counts the admin calls in `metrics` too.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Runs one call's handler and counts the answer.
    async fn counted<T>(
        &self,
        method: &'static str,
        handler: impl std::future::Future<Output = Result<T, Status>>,
    ) -> Result<T, Status> {
        let started = Instant::now();
        let result = handler.await;
        if let Some(m) = &self.metrics {
            let code = result.as_ref().map_or_else(|s| s.code(), |_| tonic::Code::Ok);
            m.record_call(method, &convert::code_name(code), started.elapsed());
        }
        result
    }

    fn authorize<T>(&self, request: &Request<T>, method: &str) -> Result<(), Status> {
        self.token.check(request.metadata(), method)
    }
}

#[tonic::async_trait]
impl ThresherAdmin for AdminService {
    async fn get_ruleset(
        &self,
        request: Request<pb::GetRulesetRequest>,
    ) -> Result<Response<pb::GetRulesetResponse>, Status> {
        self.counted("GetRuleset", self.get_ruleset_inner(request)).await
    }

    async fn validate_rules(
        &self,
        request: Request<pb::ValidateRulesRequest>,
    ) -> Result<Response<pb::ValidateRulesResponse>, Status> {
        self.counted("ValidateRules", self.validate_rules_inner(request)).await
    }

    async fn reload_rules(
        &self,
        request: Request<pb::ReloadRulesRequest>,
    ) -> Result<Response<pb::ReloadRulesResponse>, Status> {
        self.counted("ReloadRules", self.reload_rules_inner(request)).await
    }
}

/// A compile failure as diagnostics (I/O cannot happen here: the sources are in memory).
fn rule_errors(e: thresher_engine::Error) -> Vec<Diagnostic> {
    match e {
        thresher_engine::Error::Rules(d) => d,
        other => vec![Diagnostic::error(codes::UNREADABLE, other.to_string())],
    }
}

/// The handlers proper; the trait methods above count each call.
impl AdminService {
    async fn get_ruleset_inner(
        &self,
        _request: Request<pb::GetRulesetRequest>,
    ) -> Result<Response<pb::GetRulesetResponse>, Status> {
        let stats = self.rules.stats();
        Ok(Response::new(pb::GetRulesetResponse {
            active: self.rules.active().as_deref().map(convert::active),
            last_reload: self.rules.last_attempt().as_ref().map(convert::attempt),
            stats: Some(pb::ReloadStats { loaded: stats.loaded, refused: stats.refused, failing: stats.failing }),
            rules_dir: self.rules.dir().display().to_string(),
        }))
    }

    async fn validate_rules_inner(
        &self,
        request: Request<pb::ValidateRulesRequest>,
    ) -> Result<Response<pb::ValidateRulesResponse>, Status> {
        self.authorize(&request, "ValidateRules")?;
        let candidate = Candidate::try_from(request.into_inner())?;
        let active = self.rules.active();
        let sources = candidate.sources(active.as_ref().map(|a| &a.sources));
        let limits = self.rules.limits().clone();
        let options = self.options.clone();
        // Compiling and running rules is CPU work: keep it off the async threads.
        let resp = tokio::task::spawn_blocking(move || {
            let mut resp = pb::ValidateRulesResponse {
                version: sources.version(),
                active_version: active.as_ref().map(|a| a.ruleset.version().to_owned()).unwrap_or_default(),
                ..pb::ValidateRulesResponse::default()
            };
            let rs = match Ruleset::compile(&sources, limits) {
                Ok(rs) => rs,
                Err(e) => {
                    resp.errors = rule_errors(e).into_iter().map(convert::diagnostic).collect();
                    return resp;
                }
            };
            let tests = rs.run_tests();
            resp.rule_tests = u32::try_from(tests.len()).unwrap_or(u32::MAX);
            resp.errors = tests.iter().flat_map(|t| t.diagnostics()).map(convert::diagnostic).collect();
            resp.valid = resp.errors.is_empty();
            for doc in &candidate.documents {
                let enc = candidate.encoding;
                let before = active.as_ref().and_then(|a| a.ruleset.process(doc, &options).ok());
                let before = before.map(|o| convert::response(&doc.text, o, enc));
                resp.documents.push(match rs.process(doc, &options) {
                    Ok(after) => convert::diff(before.as_ref(), convert::response(&doc.text, after, enc)),
                    Err(e) => {
                        let failed = convert::failed(doc.id.clone(), &status::from_engine(&e));
                        pb::DocumentDiff { document_id: doc.id.clone(), error: failed.error, ..Default::default() }
                    }
                });
            }
            resp
        })
        .await
        .map_err(|e| status::task_failed(&e))?;
        Ok(Response::new(resp))
    }

    async fn reload_rules_inner(
        &self,
        request: Request<pb::ReloadRulesRequest>,
    ) -> Result<Response<pb::ReloadRulesResponse>, Status> {
        self.authorize(&request, "ReloadRules")?;
        let attempt = self.rules.reload(Trigger::Rpc).await;
        Ok(Response::new(pb::ReloadRulesResponse {
            attempt: Some(convert::attempt(&attempt)),
            active_version: self.rules.active().map(|a| a.ruleset.version().to_owned()).unwrap_or_default(),
        }))
    }
}
