//! Conversions between `thresher.v1` messages and engine types: the only place that sees both.

use thresher_engine as engine;
use thresher_engine::offsets;
use thresher_proto::v1 as pb;
use tonic::Status;

/// A request, validated and converted.
#[derive(Debug)]
pub struct Job {
    /// The document.
    pub doc: engine::Document,
    /// How to count offsets in the answer.
    pub encoding: engine::OffsetEncoding,
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
        Ok(Self { doc, encoding })
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

/// Builds the response for `out`, computed from `text`, with offsets in `encoding`.
pub fn response(text: &str, out: engine::Outcome, encoding: engine::OffsetEncoding) -> pb::ProcessResponse {
    let mut spans = Spans::new(text, encoding, &out);
    let removals = out
        .removals
        .iter()
        .map(|r| pb::Removal {
            span: spans.next(),
            kind: r.kind.clone(),
            rule: r.rule.clone(),
            text: r.span.slice(text).to_owned(),
        })
        .collect();
    let claims = out
        .claims
        .iter()
        .map(|c| {
            let span = spans.next();
            let speaker_span = c.speaker.span.and_then(|_| spans.next());
            pb::Claim {
                span,
                text: c.span.slice(text).to_owned(),
                speaker: Some(pb::Speaker {
                    name: c.speaker.name.clone(),
                    canonical: c.speaker.canonical.clone(),
                    span: speaker_span,
                }),
                form: claim_form(c.form) as i32,
                cue: c.cue.clone(),
                labels: c
                    .labels
                    .iter()
                    .map(|l| pb::Label {
                        name: l.name.clone(),
                        score: l.score,
                        rule: l.rule.clone(),
                        evidence: l.evidence.and_then(|_| spans.next()),
                    })
                    .collect(),
                cue_span: c.cue_span.and_then(|_| spans.next()),
                source: c.source.as_ref().map(|src| pb::Speaker {
                    name: src.name.clone(),
                    canonical: src.canonical.clone(),
                    span: src.span.and_then(|_| spans.next()),
                }),
            }
        })
        .collect();
    pb::ProcessResponse {
        document_id: out.document_id,
        outlet: Some(pb::Outlet {
            id: out.outlet.id,
            name: out.outlet.name,
            matched_by: outlet_match(out.outlet.matched_by) as i32,
        }),
        clean_text: out.clean_text,
        removals,
        claims,
        ruleset: Some(pb::RulesetRef { version: out.ruleset_version }),
        diagnostics: out.diagnostics.into_iter().map(diagnostic).collect(),
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
pub fn failed(document_id: String, status: &Status) -> pb::ProcessResponse {
    pb::ProcessResponse {
        document_id,
        error: Some(pb::DocumentError {
            code: format!("{:?}", status.code()).to_uppercase_snake(),
            message: status.message().to_owned(),
        }),
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
        let bad = pb::ProcessRequest { document: Some(pb::Document::default()), offset_encoding: 99 };
        assert_eq!(Job::try_from(bad).err().map(|s| s.code()), Some(tonic::Code::InvalidArgument));
    }
}
