//! Paragraphs and sentences of arbitrary text: every span on char boundaries, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thresher_engine::segment::Paragraphs;
use thresher_engine::sentences;

fuzz_target!(|text: &str| {
    let paras = Paragraphs::split(text);
    let mut last = 0;
    for p in &paras.spans {
        assert!(p.start >= last && p.end <= text.len());
        assert!(text.is_char_boundary(p.start) && text.is_char_boundary(p.end));
        last = p.end;
        let mut at = p.start;
        for s in sentences::split(p.slice(text), p.start) {
            assert!(s.span.start >= at && s.span.end <= p.end);
            assert!(text.is_char_boundary(s.span.start) && text.is_char_boundary(s.span.end));
            for q in &s.quotes {
                assert!(q.start >= s.span.start && q.end <= s.span.end);
            }
            at = s.span.end;
        }
    }
});
