//! Conversions between `thresher.v1` messages and engine (and reload) types: the only place
//! that sees both.

use std::time::{Duration, SystemTime};

use thresher_engine as engine;
use thresher_engine::offsets;
use thresher_proto::v1 as pb;
use tonic::Status;

use crate::reload::{Active, Attempt, Outcome, Trigger};

/// A request, validated and converted.
#[derive(Debug)]
pub struct Job {
    /// The document.
    pub doc: engine::Document,
    /// How to count offsets in the answer.
    pub encoding: engine::OffsetEncoding,
    /// Whether to add the explain view.
    pub explain: bool,
}

impl TryFrom<pb::ProcessRequest> for Job {
    type Error = Status;

    fn try_from(req: pb::ProcessRequest) -> Result<Self, Status> {
        let encoding = match pb::OffsetEncoding::try_from(req.offset_encoding) {
            Ok(pb::OffsetEncoding::Unspecified | pb::OffsetEncoding::Utf8) => engine::OffsetEncoding::Utf8,
            Ok(pb::OffsetEncoding::Utf16) => engine::OffsetEncoding::Utf16,
            Ok(pb::OffsetEncoding::CodePoints) => engine::OffsetEncoding::CodePoints,
            Err(_) => {
                return Err(Status::invalid_argument(format!(
                    "offset_encoding {} is not a known OffsetEncoding; use OFFSET_ENCODING_UTF8, \
                     OFFSET_ENCODING_UTF16 or OFFSET_ENCODING_CODE_POINTS",
                    req.offset_encoding
                )));
            }
        };
        let d = req.document.ok_or_else(|| {
            Status::invalid_argument("ProcessRequest.document is missing; send {\"document\": {\"text\": \"...\"}}")
        })?;
        let doc = engine::Document {
            id: d.id,
            text: d.text,
            url: d.url,
            outlet: d.outlet,
            title: d.title,
            metadata: d.metadata.into_iter().collect(),
        };
        Ok(Self { doc, encoding, explain: req.explain })
    }
}

/// Converts byte spans of one text into the client's unit, all in one pass.
struct Spans {
    converted: std::vec::IntoIter<usize>,
}

impl Spans {
    fn new(text: &str, encoding: engine::OffsetEncoding, out: &engine::Outcome) -> Self {
        let mut raw = Vec::with_capacity(2 * (out.removals.len() + 4 * out.claims.len()));
        for_each_span(out, |s| {
            raw.push(s.start);
            raw.push(s.end);
        });
        offsets::convert(text, encoding, &mut raw);
        Self { converted: raw.into_iter() }
    }

    /// The next span, in the order `for_each_span` visits them.
    fn next(&mut self) -> Option<pb::Span> {
        let start = u32::try_from(self.converted.next()?).unwrap_or(u32::MAX);
        let end = u32::try_from(self.converted.next()?).unwrap_or(u32::MAX);
        Some(pb::Span { start, end })
    }
}

/// Visits every span of an outcome in the order `response` converts them.
fn for_each_span(out: &engine::Outcome, mut f: impl FnMut(engine::Span)) {
    for r in &out.removals {
        f(r.span);
    }
    for c in &out.claims {
        f(c.span);
        if let Some(s) = c.speaker.span {
            f(s);
        }
        for l in &c.labels {
            if let Some(s) = l.evidence {
                f(s);
            }
        }
        if let Some(s) = c.cue_span {
            f(s);
        }
        if let Some(s) = c.source.as_ref().and_then(|s| s.span) {
            f(s);
        }
    }
}

/// Builds the response for `out`, computed from `text`, with offsets in `encoding`. The
/// outcome's strings move into the response: it is not needed afterwards.
pub fn response(text: &str, out: engine::Outcome, encoding: engine::OffsetEncoding) -> pb::ProcessResponse {
    let mut spans = Spans::new(text, encoding, &out);
    let engine::Outcome { document_id, outlet, clean_text, removals, claims, ruleset_version, diagnostics, .. } = out;
    let removals = removals
        .into_iter()
        .map(|r| pb::Removal { span: spans.next(), kind: r.kind, rule: r.rule, text: r.span.slice(text).to_owned() })
        .collect();
    let claims = claims
        .into_iter()
        .map(|c| {
            let span = spans.next();
            let speaker_span = c.speaker.span.and_then(|_| spans.next());
            pb::Claim {
                span,
                text: c.span.slice(text).to_owned(),
                speaker: Some(pb::Speaker { name: c.speaker.name, canonical: c.speaker.canonical, span: speaker_span }),
                form: claim_form(c.form) as i32,
                cue: c.cue,
                labels: c
                    .labels
                    .into_iter()
                    .map(|l| pb::Label {
                        name: l.name,
                        score: l.score,
                        rule: l.rule,
                        evidence: l.evidence.and_then(|_| spans.next()),
                    })
                    .collect(),
                cue_span: c.cue_span.and_then(|_| spans.next()),
                source: c.source.map(|src| pb::Speaker {
                    name: src.name,
                    canonical: src.canonical,
                    span: src.span.and_then(|_| spans.next()),
                }),
            }
        })
        .collect();
    pb::ProcessResponse {
        document_id,
        outlet: Some(pb::Outlet {
            id: outlet.id,
            name: outlet.name,
            matched_by: outlet_match(outlet.matched_by) as i32,
        }),
        clean_text,
        removals,
        claims,
        ruleset: Some(pb::RulesetRef { version: ruleset_version }),
        diagnostics: diagnostics.into_iter().map(diagnostic).collect(),
        explanation: String::new(),
        error: None,
    }
}

fn claim_form(f: engine::ClaimForm) -> pb::ClaimForm {
    match f {
        engine::ClaimForm::Direct => pb::ClaimForm::Direct,
        engine::ClaimForm::Indirect => pb::ClaimForm::Indirect,
        engine::ClaimForm::Mixed => pb::ClaimForm::Mixed,
    }
}

fn outlet_match(m: engine::OutletMatch) -> pb::OutletMatch {
    match m {
        engine::OutletMatch::Hint => pb::OutletMatch::Hint,
        engine::OutletMatch::Url => pb::OutletMatch::Url,
        engine::OutletMatch::TextMarker => pb::OutletMatch::TextMarker,
        engine::OutletMatch::None => pb::OutletMatch::None,
    }
}

/// A diagnostic as the contract carries it.
pub fn diagnostic(d: engine::Diagnostic) -> pb::Diagnostic {
    let severity = match d.severity {
        engine::Severity::Info => pb::Severity::Info,
        engine::Severity::Warning => pb::Severity::Warning,
        engine::Severity::Error => pb::Severity::Error,
    };
    pb::Diagnostic {
        severity: severity as i32,
        code: d.code.to_owned(),
        message: d.message,
        rule: d.rule.unwrap_or_default(),
        file: d.file.unwrap_or_default(),
        line: d.line,
        column: d.column,
    }
}

/// The stream answer for a document that could not be processed.
/// The gRPC name of a status code: "INVALID_ARGUMENT".
pub fn code_name(code: tonic::Code) -> String {
    format!("{code:?}").to_uppercase_snake()
}

/// A failed document's answer on a stream.
pub fn failed(document_id: String, status: &Status) -> pb::ProcessResponse {
    pb::ProcessResponse {
        document_id,
        error: Some(pb::DocumentError { code: code_name(status.code()), message: status.message().to_owned() }),
        ..pb::ProcessResponse::default()
    }
}

trait UpperSnake {
    fn to_uppercase_snake(&self) -> String;
}

impl UpperSnake for String {
    /// "InvalidArgument" → "INVALID_ARGUMENT", the name gRPC uses for status codes.
    fn to_uppercase_snake(&self) -> String {
        let mut out = String::with_capacity(self.len() + 4);
        for (i, c) in self.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }
}

/// A moment as protobuf's `Timestamp`.
pub fn timestamp(t: SystemTime) -> pbjson_types::Timestamp {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    pbjson_types::Timestamp {
        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
    }
}

/// A length of time as protobuf's `Duration`.
pub fn duration(d: Duration) -> pbjson_types::Duration {
    pbjson_types::Duration {
        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
    }
}

/// A reload attempt as the admin API reports it.
pub fn attempt(a: &Attempt) -> pb::ReloadAttempt {
    pb::ReloadAttempt {
        at: Some(timestamp(a.at)),
        trigger: match a.trigger {
            Trigger::Startup => pb::ReloadTrigger::Startup,
            Trigger::Watch => pb::ReloadTrigger::Watch,
            Trigger::Poll => pb::ReloadTrigger::Poll,
            Trigger::Rpc => pb::ReloadTrigger::Rpc,
        } as i32,
        outcome: match a.outcome {
            Outcome::Loaded => pb::ReloadOutcome::Loaded,
            Outcome::Unchanged => pb::ReloadOutcome::Unchanged,
            Outcome::Refused => pb::ReloadOutcome::Refused,
        } as i32,
        version: a.version.clone(),
        errors: a.errors.iter().cloned().map(diagnostic).collect(),
        change: a.change.as_ref().map(|c| pb::RulesetChange {
            previous_version: c.previous_version.clone().unwrap_or_default(),
            outlets_added: c.outlets_added.clone(),
            outlets_removed: c.outlets_removed.clone(),
            rules_before: u32::try_from(c.rules_before).unwrap_or(u32::MAX),
            rules_after: u32::try_from(c.rules_after).unwrap_or(u32::MAX),
        }),
        took: Some(duration(a.took)),
    }
}

/// The active ruleset with its per-rule counters.
pub fn active(a: &Active) -> pb::ActiveRuleset {
    let rs = &a.ruleset;
    let mut stats = rs.rule_stats().into_iter();
    let outlet_rules = rs.outlets().iter().flat_map(|o| o.rules.iter().map(move |r| (r, o.id.as_str())));
    let rules = outlet_rules
        .chain(rs.generic_rules().iter().map(|r| (r, "")))
        .map(|(r, outlet)| {
            let s = stats.next();
            pb::RuleInfo {
                id: r.id.to_string(),
                file: r.file.clone(),
                outlet: outlet.to_owned(),
                calls: s.as_ref().map_or(0, |s| s.calls),
                hits: s.as_ref().map_or(0, |s| s.hits),
                errors: s.as_ref().map_or(0, |s| s.errors),
                time_spent: s.map(|s| duration(s.time)),
            }
        })
        .collect();
    pb::ActiveRuleset {
        version: rs.version().to_owned(),
        loaded_at: Some(timestamp(a.loaded_at)),
        files: rs.files().to_vec(),
        outlets: rs
            .outlets()
            .iter()
            .map(|o| pb::OutletInfo {
                id: o.id.clone(),
                name: o.name.clone(),
                hosts: o.hosts.clone(),
                file: o.file.clone(),
            })
            .collect(),
        rules,
        rule_tests: u32::try_from(rs.fixtures().len()).unwrap_or(u32::MAX),
    }
}

/// Most sample documents one `ValidateRules` call may carry: each runs twice.
pub const MAX_VALIDATE_DOCUMENTS: usize = 100;

/// A `ValidateRulesRequest`, validated and converted.
#[derive(Debug)]
pub struct Candidate {
    /// Files sent.
    pub files: Vec<(String, String)>,
    /// The files are the whole candidate, not changes to the active ruleset.
    pub replace_all: bool,
    /// Active files to leave out.
    pub remove_paths: Vec<String>,
    /// Sample documents.
    pub documents: Vec<engine::Document>,
    /// How to count offsets in the answer.
    pub encoding: engine::OffsetEncoding,
}

impl Candidate {
    /// The candidate's sources: `files` alone, or laid over `base`.
    pub fn sources(&self, base: Option<&engine::RuleSources>) -> engine::RuleSources {
        let mut files = match (self.replace_all, base) {
            (false, Some(b)) => b.files.clone(),
            _ => std::collections::BTreeMap::new(),
        };
        if !self.replace_all {
            for p in &self.remove_paths {
                files.remove(p);
            }
        }
        files.extend(self.files.iter().cloned());
        engine::RuleSources { files }
    }
}

impl TryFrom<pb::ValidateRulesRequest> for Candidate {
    type Error = Status;

    fn try_from(req: pb::ValidateRulesRequest) -> Result<Self, Status> {
        if req.files.is_empty() && req.remove_paths.is_empty() {
            return Err(Status::invalid_argument(
                "ValidateRulesRequest.files is empty; send the changed rule files as {\"path\": \"outlets/x.rhai\", \"content\": \"...\"}",
            ));
        }
        if req.documents.len() > MAX_VALIDATE_DOCUMENTS {
            return Err(Status::invalid_argument(format!(
                "ValidateRulesRequest.documents has {} documents; send at most {MAX_VALIDATE_DOCUMENTS} per call",
                req.documents.len()
            )));
        }
        if let Some(f) = req.files.iter().find(|f| !(f.path.ends_with(".rhai") || f.path.ends_with(".toml"))) {
            return Err(Status::invalid_argument(format!(
                "RuleFile.path `{}` must end in .rhai (rules) or .toml (rule tests)",
                f.path
            )));
        }
        let mut encoding = engine::OffsetEncoding::Utf8;
        let mut documents = Vec::with_capacity(req.documents.len());
        for d in req.documents {
            let job = Job::try_from(pb::ProcessRequest {
                document: Some(d),
                offset_encoding: req.offset_encoding,
                explain: false,
            })?;
            encoding = job.encoding;
            documents.push(job.doc);
        }
        Ok(Self {
            files: req.files.into_iter().map(|f| (f.path, f.content)).collect(),
            replace_all: req.replace_all,
            remove_paths: req.remove_paths,
            documents,
            encoding,
        })
    }
}

/// How `candidate` differs from `active` (absent while no ruleset has loaded) on one document.
/// Removals and claims are compared whole, as the client would see them.
pub fn diff(active: Option<&pb::ProcessResponse>, candidate: pb::ProcessResponse) -> pb::DocumentDiff {
    let none = pb::ProcessResponse::default();
    let a = active.unwrap_or(&none);
    let c = &candidate;
    let minus = |x: &[pb::Removal], y: &[pb::Removal]| x.iter().filter(|r| !y.contains(r)).cloned().collect();
    let minus_claims = |x: &[pb::Claim], y: &[pb::Claim]| x.iter().filter(|r| !y.contains(r)).cloned().collect();
    pb::DocumentDiff {
        document_id: candidate.document_id.clone(),
        removals_added: minus(&c.removals, &a.removals),
        removals_lost: minus(&a.removals, &c.removals),
        claims_added: minus_claims(&c.claims, &a.claims),
        claims_lost: minus_claims(&a.claims, &c.claims),
        active_outlet: active.and_then(|a| a.outlet.clone()),
        candidate_outlet: candidate.outlet,
        candidate_clean_text: candidate.clean_text,
        diagnostics: candidate.diagnostics,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_code_names() {
        let s = failed("d".into(), &Status::invalid_argument("x"));
        assert_eq!(s.error.map(|e| e.code).as_deref(), Some("INVALID_ARGUMENT"));
    }

    #[test]
    fn missing_document_is_invalid_argument() {
        let err = Job::try_from(pb::ProcessRequest::default()).err();
        assert_eq!(err.map(|s| s.code()), Some(tonic::Code::InvalidArgument));
        let bad = pb::ProcessRequest { document: Some(pb::Document::default()), offset_encoding: 99, explain: false };
        assert_eq!(Job::try_from(bad).err().map(|s| s.code()), Some(tonic::Code::InvalidArgument));
    }
}
