//! The whole pipeline on the shipped rules: never a panic, every span sound, claims only in
//! kept text.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use thresher_engine::{Document, Limits, ProcessOptions, Ruleset};

static RULES: LazyLock<Option<Ruleset>> = LazyLock::new(|| {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../rules");
    Ruleset::load_dir(&dir, Limits::default()).ok()
});

fuzz_target!(|text: &str| {
    let Some(rules) = RULES.as_ref() else { panic!("the shipped rules must load") };
    let Ok(out) = rules.process(&Document::new("fuzz", text), &ProcessOptions::default()) else { return };
    let ok = |s: thresher_engine::Span| {
        s.start <= s.end && s.end <= text.len() && text.is_char_boundary(s.start) && text.is_char_boundary(s.end)
    };
    for r in &out.removals {
        assert!(ok(r.span));
    }
    for c in &out.claims {
        assert!(ok(c.span));
        assert!(c.speaker.span.is_none_or(ok));
        assert!(!out.removals.iter().any(|r| r.span.start < c.span.end && c.span.start < r.span.end));
    }
});
