//! Thresher's engine: the document model, paragraph segmentation, the sandboxed Rhai rule
//! runtime with its native helpers, outlet resolution and the per-document pipeline.
//!
//! A plain synchronous library: no gRPC, no async runtime. The server, the CLI, tests and
//! benchmarks all call it the same way: compile a [`Ruleset`] once, then
//! [`Ruleset::process`] documents with it from any number of threads.

pub mod claim_rules;
pub mod claims;
pub mod diag;
pub mod document;
pub mod error;
pub mod explain;
pub mod fixtures;
mod local;
pub mod names;
pub mod needles;
pub mod offsets;
pub mod page;
pub mod patterns;
pub mod pipeline;
mod plan;
pub mod ruleset;
pub mod sandbox;
pub mod segment;
pub mod sentences;
pub mod stats;
mod swar;

pub use diag::{Diagnostic, Severity};
pub use document::{Claim, ClaimForm, Document, Label, Outcome, OutletMatch, OutletRef, Piece, Removal, Span, Speaker};
pub use error::{Error, Result};
pub use offsets::OffsetEncoding;
pub use pipeline::{DEFAULT_MAX_DOCUMENT_BYTES, ProcessOptions};
pub use ruleset::{Outlet, Rule, RuleSources, Ruleset};
pub use sandbox::Limits;
pub use stats::RuleStats;
