//! The engine's one error type. The server maps it to gRPC status codes in one place.

use crate::diag::Diagnostic;

/// What can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The document is larger than the configured limit.
    #[error(
        "document is {size} bytes, over the limit of {limit} bytes; split it, or raise the limit \
         (--max-document-bytes / THRESHER_MAX_DOCUMENT_BYTES)"
    )]
    DocumentTooLarge {
        /// Size of the document text.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The ruleset failed to compile or its tests failed.
    #[error("{}", summarize(.0))]
    Rules(Vec<Diagnostic>),
    /// Reading rule files failed.
    #[error("cannot read rules at {path}: {source}")]
    Io {
        /// What was being read.
        path: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

fn summarize(diags: &[Diagnostic]) -> String {
    let errors: Vec<String> =
        diags.iter().filter(|d| d.severity == crate::diag::Severity::Error).map(ToString::to_string).collect();
    match errors.len() {
        0 => "ruleset refused".into(),
        1 => errors.join(""),
        n => format!("{n} errors; first: {}", errors[0]),
    }
}

/// Shorthand for engine results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
