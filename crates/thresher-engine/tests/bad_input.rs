//! Documents as scrapers really produce them, on the shipped rules: every one gets an answer,
//! nothing panics, and every span the engine reports is sound. Property tests check the same
//! invariants on random text built from the characters that break offset arithmetic.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use std::path::Path;
use std::sync::LazyLock;

use proptest::prelude::*;
use thresher_engine::offsets::{OffsetEncoding, convert};
use thresher_engine::{Document, Limits, Outcome, ProcessOptions, Ruleset, Span};

static RULES: LazyLock<Ruleset> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    Ruleset::load_dir(&dir, Limits::default()).unwrap_or_else(|e| panic!("shipped rules must load: {e}"))
});

fn run(text: &str) -> Outcome {
    let doc = Document { url: "not a url at all".into(), outlet: "no-such-outlet".into(), ..Document::new("t", text) };
    RULES
        .process(&doc, &ProcessOptions::default())
        .unwrap_or_else(|e| panic!("a document under the limit must be processed: {e}"))
}

fn on_boundary(text: &str, s: Span) -> bool {
    s.start <= s.end && s.end <= text.len() && text.is_char_boundary(s.start) && text.is_char_boundary(s.end)
}

/// Every span is on char boundaries, removals are disjoint and in order, claims lie in kept
/// text, and `clean_text` is the kept pieces joined by the documented separators.
fn check(text: &str, out: &Outcome) {
    let mut last = 0;
    for r in &out.removals {
        assert!(on_boundary(text, r.span), "removal {:?} in {text:?}", r.span);
        assert!(r.span.start >= last, "removals overlap or are out of order");
        last = r.span.end;
    }
    for c in &out.claims {
        assert!(on_boundary(text, c.span), "claim {:?}", c.span);
        for s in
            c.speaker.span.iter().chain(c.cue_span.iter()).chain(c.labels.iter().filter_map(|l| l.evidence.as_ref()))
        {
            assert!(on_boundary(text, *s), "span {s:?}");
        }
        assert!(
            !out.removals.iter().any(|r| r.span.start < c.span.end && c.span.start < r.span.end),
            "claim in boilerplate"
        );
    }
    let mut rebuilt = String::new();
    for p in &out.clean_map {
        assert!(on_boundary(text, p.source));
        let gap = &out.clean_text[rebuilt.len().min(p.clean)..p.clean];
        assert!(gap.chars().all(|c| c == '\n' || c == ' '), "pieces are joined by line breaks or spaces only: {gap:?}");
        rebuilt.push_str(gap);
        rebuilt.push_str(p.source.slice(text));
    }
    assert_eq!(rebuilt, out.clean_text);
}

#[test]
fn empty_and_whitespace_only_are_valid_empty_results() {
    for t in ["", " ", "\n\n\n", "\r\n\t \r", "\u{a0}\u{2003}"] {
        let out = run(t);
        check(t, &out);
        assert!(out.clean_text.trim().is_empty() && out.claims.is_empty(), "{t:?}");
    }
}

#[test]
fn control_characters_combining_marks_rtl_and_astral_text() {
    let t = "\u{0}Photo: AFP\u{7}\n\u{301}\u{301} said the official \u{1F600}.\n\
             قال المتحدث \"السلام\" للصحفيين.\n\"Ça suffit,\" dit-il — 😀👍🏽 said Łukasz Kowalski.\n";
    let out = run(t);
    check(t, &out);
    let mut offs: Vec<usize> = out.claims.iter().flat_map(|c| [c.span.start, c.span.end]).collect();
    let utf8 = offs.clone();
    convert(t, OffsetEncoding::CodePoints, &mut offs);
    let chars: Vec<char> = t.chars().collect();
    for (k, c) in out.claims.iter().enumerate() {
        let cp: String = chars[offs[2 * k]..offs[2 * k + 1]].iter().collect();
        assert_eq!(cp, c.span.slice(t));
        assert_eq!((utf8[2 * k], utf8[2 * k + 1]), (c.span.start, c.span.end));
    }
}

#[test]
fn crlf_lone_cr_and_unbalanced_quotes() {
    let t = "\"We will never give up,\r\nhe said.\rThe minister said \"talks are over.\r\n\"\"\"\r\nIt said \u{201c}no\u{201d} \u{201c}\r\n";
    let out = run(t);
    check(t, &out);
    assert!(!out.claims.is_empty());
}

#[test]
fn a_long_single_line_and_many_short_lines_are_answered() {
    let line = "Lavrov said \"the talks are tough,\" he added. ".repeat(20_000);
    let out = run(&line);
    check(&line, &out);
    assert!(out.claims.len() > 1000);
    let lines: String = (0..50_000).map(|i| format!("Item {i}\n")).collect();
    let out = run(&lines);
    check(&lines, &out);
}

fn interesting() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "Lavrov",
        " said",
        " told reporters",
        "\"",
        "\u{201c}",
        "\u{201d}",
        "\u{2019}",
        ".",
        ". ",
        ",",
        " ",
        "\n",
        "\r\n",
        "\r",
        "\n\n",
        "Photo: AFP",
        "Read more",
        "é",
        "\u{301}",
        "😀",
        "👍🏽",
        "\u{0}",
        "—",
        "U.S.",
        "Mr.",
        "the ministry",
        "He",
        "according to",
        "Sergei Lavrov",
        "(Via Reuters)",
        "قال",
        "\u{200f}",
        "A Message from The Moscow Times:",
    ]);
    prop::collection::vec(pieces, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn spans_are_sound_on_any_text(text in interesting()) {
        let out = run(&text);
        check(&text, &out);
    }

    #[test]
    fn offsets_agree_across_encodings(text in interesting(), picks in prop::collection::vec(0usize..400, 0..20)) {
        let mut bytes: Vec<usize> = picks.iter().map(|&p| thresher_engine::offsets::floor_boundary(&text, p)).collect();
        bytes.sort_unstable();
        let mut cps = bytes.clone();
        let mut u16s = bytes.clone();
        convert(&text, OffsetEncoding::CodePoints, &mut cps);
        convert(&text, OffsetEncoding::Utf16, &mut u16s);
        for k in 0..bytes.len() {
            let prefix = &text[..bytes[k]];
            prop_assert_eq!(cps[k], prefix.chars().count());
            prop_assert_eq!(u16s[k], prefix.encode_utf16().count());
        }
    }
}

/// A ruleset with one well-behaved rule and, after it, one runaway rule. (The time budget is
/// per document: a rule that exhausts it also stops the rules after it on that document.)
fn runaway(body: &str) -> Outcome {
    let src = thresher_engine::RuleSources::from_pairs([
        ("generic/a_good.rhai".to_owned(), "fn captions(doc) { doc.drop_lines(\"caption\", \"^Photo:\") }".to_owned()),
        (
            "generic/b_bad.rhai".to_owned(),
            format!("fn runaway(doc) {{ if doc.count > 0 {{ {body} }} }}\nprivate fn deep(n) {{ deep(n + 1) }}"),
        ),
    ]);
    let rules = Ruleset::compile(&src, Limits::default()).unwrap_or_else(|e| panic!("compiles: {e}"));
    rules
        .process(&Document::new("d", "Photo: AFP\nThe talks ended.\n"), &ProcessOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn runaway_rules_fail_only_themselves_and_say_which_limit() {
    for (body, limit) in [
        ("loop { }", "operations"),
        ("let s = \"x\"; loop { s += s; }", "grew past the sandbox limit"),
        ("let a = []; loop { a.push(1); }", "grew past the sandbox limit"),
        ("deep(0);", "deeper than"),
        ("doc.drop_lines(\"x\", \"(a*)*b{1000}{1000}\");", "pattern"),
    ] {
        let out = runaway(body);
        assert_eq!(out.clean_text, "The talks ended.", "the good rule still ran for {body}");
        let d = out.diagnostics.iter().find(|d| d.rule.as_deref() == Some("b_bad.runaway"));
        let d = d.unwrap_or_else(|| panic!("no diagnostic for {body}: {:?}", out.diagnostics));
        assert!(d.message.contains(limit) || d.code == "T2102", "{body}: {d}");
    }
}
