//! The engine's own document and result types. Spans are UTF-8 byte ranges into the text
//! exactly as the client sent it; `offsets` converts them for clients that count otherwise.

use std::collections::BTreeMap;

use crate::diag::Diagnostic;

/// A half-open byte range `[start, end)` into a document's text, always on char boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// Length in bytes.
    pub const fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// True when the span covers nothing.
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The span's text in `text`, or "" if the span does not fit (never panics).
    pub fn slice<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

/// A news article as a client sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// The client's id, echoed back.
    pub id: String,
    /// The article text, one paragraph per line.
    pub text: String,
    /// Where it was published, if known.
    pub url: String,
    /// Outlet hint (id or name), if any.
    pub outlet: String,
    /// Headline, if the client has it apart from the text.
    pub title: String,
    /// Free-form metadata, readable by rules.
    pub metadata: BTreeMap<String, String>,
}

impl Document {
    /// A document with just an id and a text.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Self { id: id.into(), text: text.into(), ..Self::default() }
    }
}

/// How the outlet of a document was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutletMatch {
    /// The request's hint.
    Hint,
    /// The URL's host.
    Url,
    /// Markers in the text.
    TextMarker,
    /// Nothing matched; only generic rules ran.
    None,
}

/// The outlet a document was attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutletRef {
    /// Slug id, or "unknown".
    pub id: String,
    /// Display name, empty for unknown.
    pub name: String,
    /// How it was decided.
    pub matched_by: OutletMatch,
}

impl OutletRef {
    /// The id reported when no outlet is recognised.
    pub const UNKNOWN: &'static str = "unknown";

    pub(crate) fn unknown() -> Self {
        Self { id: Self::UNKNOWN.into(), name: String::new(), matched_by: OutletMatch::None }
    }
}

/// A piece of boilerplate a rule removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// Where it is in the original text.
    pub span: Span,
    /// Boilerplate kind ("donation_appeal", "caption", ...).
    pub kind: String,
    /// Id of the rule that removed it.
    pub rule: String,
}

/// The form of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimForm {
    /// Entirely a quotation.
    Direct,
    /// Reported speech.
    Indirect,
    /// Reported speech with quoted fragments.
    Mixed,
}

/// Who made a statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Speaker {
    /// The mention as written; empty when inherited.
    pub name: String,
    /// Canonical name within the document.
    pub canonical: String,
    /// Where the mention is, if there is one.
    pub span: Option<Span>,
}

/// A label a claim rule attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Label name.
    pub name: String,
    /// Confidence in [0, 1].
    pub score: f32,
    /// Rule id.
    pub rule: String,
    /// What made the rule fire.
    pub evidence: Option<Span>,
}

/// A reported statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The sentence(s) in the original text.
    pub span: Span,
    /// Who said it.
    pub speaker: Speaker,
    /// Direct, indirect or mixed.
    pub form: ClaimForm,
    /// The reporting verb or phrase.
    pub cue: String,
    /// Where the cue is.
    pub cue_span: Option<Span>,
    /// Labels from the claim rules: the statement type first, then topics.
    pub labels: Vec<Label>,
    /// The outer source through which the statement is reported, if any ("Lavrov said ...,
    /// the Foreign Ministry said": the ministry).
    pub source: Option<Speaker>,
}

/// Everything the pipeline produced for one document.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The request's document id.
    pub document_id: String,
    /// The outlet it was attributed to.
    pub outlet: OutletRef,
    /// The kept text.
    pub clean_text: String,
    /// Where each piece of `clean_text` came from in the original.
    pub clean_map: Vec<Piece>,
    /// Removed boilerplate, in text order.
    pub removals: Vec<Removal>,
    /// Claims, in text order.
    pub claims: Vec<Claim>,
    /// Version of the ruleset that ran.
    pub ruleset_version: String,
    /// Rule errors and warnings for this document.
    pub diagnostics: Vec<Diagnostic>,
}

/// A run of `clean_text` copied verbatim from the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Byte offset in `clean_text`.
    pub clean: usize,
    /// Where the same bytes are in the original text.
    pub source: Span,
}
