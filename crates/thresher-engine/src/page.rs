//! `doc`: the document handle every rule receives, and the native helpers rules call on it.
//!
//! Rules describe *what* to drop ("from the line that starts `A Message from` while the lines
//! talk about support") and the helpers do the scanning in Rust, so that a rule costs a few
//! regex searches rather than a Rhai loop over characters. Helpers never change the text: they
//! record marks (a span, a kind, the rule that made it), and the pipeline merges the marks of
//! every rule into removals afterwards, so rules do not depend on each other's order.
//!
//! Every helper returns how many paragraphs (or, for `drop_text`, pieces) it marked, which
//! rule tests and `--explain` output use.

use std::sync::{Arc, Mutex, PoisonError};

use regex::Regex;
use rhai::{Dynamic, Engine, EvalAltResult, Map, Position};

use crate::diag::codes;
use crate::document::Span;
use crate::patterns::Patterns;

/// A helper failure a rule author can act on; becomes a diagnostic with `code`.
#[derive(Debug, Clone)]
pub struct HelperError {
    /// Diagnostic code.
    pub code: &'static str,
    /// What was wrong.
    pub message: String,
}

type HelperResult<T> = Result<T, Box<EvalAltResult>>;

pub(crate) fn fail(code: &'static str, message: impl Into<String>) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(Dynamic::from(HelperError { code, message: message.into() }), Position::NONE).into()
}

/// What one rule marked for removal.
#[derive(Debug, Clone)]
pub struct Mark {
    /// Byte span in the original text.
    pub span: Span,
    /// Boilerplate kind.
    pub kind: Arc<str>,
    /// Rule id.
    pub rule: Arc<str>,
    /// Rule precedence: lower runs first and wins overlaps.
    pub order: u32,
    /// Sequence within the document, to keep merging deterministic.
    pub seq: u32,
}

/// The read-only facts about a document that helpers scan.
#[derive(Debug)]
pub struct PageCtx {
    /// The original text.
    pub text: String,
    /// Paragraph spans.
    pub paras: Vec<Span>,
    /// Document URL.
    pub url: String,
    /// URL host, lowercased, without "www.".
    pub host: String,
    /// Headline given by the client.
    pub title: String,
    /// Outlet id the document was attributed to.
    pub outlet: String,
    /// Client metadata.
    pub metadata: Map,
    /// The ruleset's pattern cache.
    pub patterns: Arc<Patterns>,
}

#[derive(Debug, Default)]
struct MarkLog {
    rule: Arc<str>,
    order: u32,
    marks: Vec<Mark>,
}

/// The handle rules see as `doc`. Cheap to clone: clones share the same marks.
#[derive(Debug, Clone)]
pub struct Page {
    ctx: Arc<PageCtx>,
    log: Arc<Mutex<MarkLog>>,
}

impl Page {
    /// A page over `ctx` with no marks yet.
    pub fn new(ctx: PageCtx) -> Self {
        Self { ctx: Arc::new(ctx), log: Arc::default() }
    }

    /// The document facts.
    pub fn ctx(&self) -> &PageCtx {
        &self.ctx
    }

    /// Attributes the marks that follow to `rule`, with precedence `order`.
    pub fn begin_rule(&self, rule: Arc<str>, order: u32) {
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        log.rule = rule;
        log.order = order;
    }

    /// Takes every mark made so far.
    pub fn take_marks(&self) -> Vec<Mark> {
        std::mem::take(&mut self.log.lock().unwrap_or_else(PoisonError::into_inner).marks)
    }

    /// Drops every mark made after the first `keep` (used to undo a failed rule's partial work).
    pub fn truncate_marks(&self, keep: usize) {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).marks.truncate(keep);
    }

    /// How many marks exist.
    pub fn mark_count(&self) -> usize {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).marks.len()
    }

    fn para(&self, i: usize) -> &str {
        self.ctx.paras.get(i).map_or("", |s| s.slice(&self.ctx.text))
    }

    fn chars(&self, i: usize) -> usize {
        self.para(i).chars().count()
    }

    fn regex(&self, pattern: &str) -> HelperResult<Arc<Regex>> {
        self.ctx.patterns.regex(pattern).map_err(|m| fail(codes::BAD_PATTERN, m))
    }

    fn mark(&self, kind: &str, span: Span) -> HelperResult<()> {
        if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(fail(
                codes::RULE_RUNTIME,
                format!("kind `{kind}` must be a snake_case word such as \"caption\""),
            ));
        }
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        let seq = u32::try_from(log.marks.len()).unwrap_or(u32::MAX);
        let (rule, order) = (log.rule.clone(), log.order);
        log.marks.push(Mark { span, kind: kind.into(), rule, order, seq });
        Ok(())
    }

    fn mark_paras(&self, kind: &str, from: usize, to_inclusive: usize) -> HelperResult<i64> {
        let (Some(a), Some(b)) = (self.ctx.paras.get(from), self.ctx.paras.get(to_inclusive)) else {
            return Ok(0);
        };
        self.mark(kind, Span::new(a.start, b.end))?;
        Ok(i64::try_from(to_inclusive + 1 - from).unwrap_or(i64::MAX))
    }
}

/// Options a helper accepts in its optional last argument, a map such as
/// `#{ max_chars: 80, first: 5 }`.
#[derive(Default)]
struct Opts {
    max_chars: Option<usize>,
    min_chars: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
    unless: Option<Arc<Regex>>,
    end_at: Option<Arc<Regex>>,
    continue_if: Option<Arc<Regex>>,
    short: Option<usize>,
    max_lines: Option<usize>,
    max_items: Option<usize>,
}

const LINE_OPTS: &[&str] = &["max_chars", "min_chars", "first", "last", "unless"];
const FROM_OPTS: &[&str] =
    &["max_chars", "min_chars", "first", "last", "unless", "end_at", "continue_if", "short", "max_lines"];
const LIST_OPTS: &[&str] = &["max_chars", "min_chars", "first", "last", "unless", "max_items", "item_chars"];

impl Opts {
    fn parse(page: &Page, helper: &str, map: Option<&Map>, allowed: &[&str]) -> HelperResult<Self> {
        let mut o = Self::default();
        let Some(map) = map else { return Ok(o) };
        for (key, value) in map {
            let key = key.as_str();
            if !allowed.contains(&key) {
                return Err(fail(
                    codes::RULE_RUNTIME,
                    format!("`{helper}` has no option `{key}`; it takes: {}", allowed.join(", ")),
                ));
            }
            let count = || -> HelperResult<usize> {
                value.as_int().ok().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| {
                    fail(codes::RULE_RUNTIME, format!("option `{key}` of `{helper}` must be a whole number ≥ 0"))
                })
            };
            let pattern = || -> HelperResult<Arc<Regex>> {
                let s = value.clone().into_immutable_string().map_err(|_| {
                    fail(codes::RULE_RUNTIME, format!("option `{key}` of `{helper}` must be a pattern string"))
                })?;
                page.regex(&s)
            };
            match key {
                "max_chars" | "item_chars" => o.max_chars = Some(count()?),
                "min_chars" => o.min_chars = Some(count()?),
                "first" => o.first = Some(count()?),
                "last" => o.last = Some(count()?),
                "unless" => o.unless = Some(pattern()?),
                "end_at" => o.end_at = Some(pattern()?),
                "continue_if" => o.continue_if = Some(pattern()?),
                "short" => o.short = Some(count()?),
                "max_lines" => o.max_lines = Some(count()?),
                "max_items" => o.max_items = Some(count()?),
                _ => {}
            }
        }
        Ok(o)
    }

    /// Whether paragraph `i` may be selected by a pattern match at all.
    fn eligible(&self, page: &Page, i: usize) -> bool {
        let n = page.ctx.paras.len();
        if self.first.is_some_and(|f| i >= f) || self.last.is_some_and(|l| i + l < n) {
            return false;
        }
        if self.max_chars.is_some() || self.min_chars.is_some() {
            let c = page.chars(i);
            if self.max_chars.is_some_and(|m| c > m) || self.min_chars.is_some_and(|m| c < m) {
                return false;
            }
        }
        !self.unless.as_ref().is_some_and(|re| re.is_match(page.para(i)))
    }
}

fn drop_lines(page: &Page, kind: &str, pattern: &str, opts: Option<&Map>) -> HelperResult<i64> {
    let re = page.regex(pattern)?;
    let o = Opts::parse(page, "drop_lines", opts, LINE_OPTS)?;
    let mut n = 0;
    for i in 0..page.ctx.paras.len() {
        if o.eligible(page, i) && re.is_match(page.para(i)) {
            n += page.mark_paras(kind, i, i)?;
        }
    }
    Ok(n)
}

fn drop_from(page: &Page, kind: &str, start: &str, opts: Option<&Map>) -> HelperResult<i64> {
    let re = page.regex(start)?;
    let o = Opts::parse(page, "drop_from", opts, FROM_OPTS)?;
    let n_paras = page.ctx.paras.len();
    let bounded = o.continue_if.is_some() || o.short.is_some();
    let (mut i, mut n) = (0, 0);
    while i < n_paras {
        if !(o.eligible(page, i) && re.is_match(page.para(i))) {
            i += 1;
            continue;
        }
        let cap = o.max_lines.unwrap_or(usize::MAX).max(1);
        let mut end = i;
        let mut j = i + 1;
        while j < n_paras && j - i < cap {
            let line = page.para(j);
            if o.end_at.as_ref().is_some_and(|u| u.is_match(line)) {
                end = j;
                break;
            }
            let continues = !bounded
                || o.continue_if.as_ref().is_some_and(|w| w.is_match(line))
                || o.short.is_some_and(|s| page.chars(j) <= s);
            if !continues {
                break;
            }
            end = j;
            j += 1;
        }
        n += page.mark_paras(kind, i, end)?;
        i = end + 1;
    }
    Ok(n)
}

fn drop_between(page: &Page, kind: &str, start: &str, end: &str, opts: Option<&Map>) -> HelperResult<i64> {
    let start_re = page.regex(start)?;
    let end_re = page.regex(end)?;
    let o = Opts::parse(page, "drop_between", opts, FROM_OPTS)?;
    let cap = o.max_lines.unwrap_or(50).max(1);
    let n_paras = page.ctx.paras.len();
    let (mut i, mut n) = (0, 0);
    while i < n_paras {
        if o.eligible(page, i) && start_re.is_match(page.para(i)) {
            let stop = (i..n_paras.min(i.saturating_add(cap))).find(|&j| end_re.is_match(page.para(j)));
            if let Some(j) = stop {
                n += page.mark_paras(kind, i, j)?;
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    Ok(n)
}

/// True for a line that reads like an item of a headline or link list: short, and not a
/// sentence of prose (no final full stop).
fn list_item(line: &str, max_chars: usize) -> bool {
    let bare = line.trim_end_matches(['"', '\'', '”', '’', ')', ' ']);
    line.chars().count() <= max_chars && !bare.ends_with('.')
}

fn drop_list(page: &Page, kind: &str, heading: &str, opts: Option<&Map>) -> HelperResult<i64> {
    let re = page.regex(heading)?;
    let mut o = Opts::parse(page, "drop_list", opts, LIST_OPTS)?;
    // `max_chars` (alias `item_chars`) limits the items, not the heading.
    let item_chars = o.max_chars.take().unwrap_or(150);
    let max_items = o.max_items.unwrap_or(15);
    let n_paras = page.ctx.paras.len();
    let (mut i, mut n) = (0, 0);
    while i < n_paras {
        if !(o.eligible(page, i) && re.is_match(page.para(i))) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end + 1 < n_paras
            && end - i < max_items
            && list_item(page.para(end + 1), item_chars)
            && !re.is_match(page.para(end + 1))
        {
            end += 1;
        }
        n += page.mark_paras(kind, i, end)?;
        i = end + 1;
    }
    Ok(n)
}

fn drop_text(page: &Page, kind: &str, pattern: &str, opts: Option<&Map>) -> HelperResult<i64> {
    let re = page.regex(pattern)?;
    let o = Opts::parse(page, "drop_text", opts, LINE_OPTS)?;
    let mut n = 0;
    for i in 0..page.ctx.paras.len() {
        if !o.eligible(page, i) {
            continue;
        }
        let base = page.ctx.paras[i].start;
        for m in re.find_iter(page.para(i)) {
            if !m.is_empty() {
                page.mark(kind, Span::new(base + m.start(), base + m.end()))?;
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Resolves a possibly negative paragraph index (-1 is the last paragraph).
fn index(page: &Page, i: i64) -> Option<usize> {
    let n = i64::try_from(page.ctx.paras.len()).ok()?;
    let i = if i < 0 { n + i } else { i };
    (0..n).contains(&i).then(|| usize::try_from(i).ok()).flatten()
}

fn find(page: &Page, pattern: &str, from: i64) -> HelperResult<i64> {
    let re = page.regex(pattern)?;
    let start = usize::try_from(from.max(0)).unwrap_or(0);
    Ok((start..page.ctx.paras.len())
        .find(|&i| re.is_match(page.para(i)))
        .map_or(-1, |i| i64::try_from(i).unwrap_or(-1)))
}

fn find_last(page: &Page, pattern: &str) -> HelperResult<i64> {
    let re = page.regex(pattern)?;
    Ok((0..page.ctx.paras.len())
        .rev()
        .find(|&i| re.is_match(page.para(i)))
        .map_or(-1, |i| i64::try_from(i).unwrap_or(-1)))
}

/// Registers the `Document` type and every helper on `engine`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Page>("Document");

    engine.register_fn("drop_lines", |p: &mut Page, kind: &str, re: &str| drop_lines(p, kind, re, None));
    engine.register_fn("drop_lines", |p: &mut Page, kind: &str, re: &str, o: Map| drop_lines(p, kind, re, Some(&o)));
    engine.register_fn("drop_from", |p: &mut Page, kind: &str, re: &str| drop_from(p, kind, re, None));
    engine.register_fn("drop_from", |p: &mut Page, kind: &str, re: &str, o: Map| drop_from(p, kind, re, Some(&o)));
    engine.register_fn("drop_between", |p: &mut Page, kind: &str, a: &str, b: &str| drop_between(p, kind, a, b, None));
    engine.register_fn("drop_between", |p: &mut Page, kind: &str, a: &str, b: &str, o: Map| {
        drop_between(p, kind, a, b, Some(&o))
    });
    engine.register_fn("drop_list", |p: &mut Page, kind: &str, re: &str| drop_list(p, kind, re, None));
    engine.register_fn("drop_list", |p: &mut Page, kind: &str, re: &str, o: Map| drop_list(p, kind, re, Some(&o)));
    engine.register_fn("drop_text", |p: &mut Page, kind: &str, re: &str| drop_text(p, kind, re, None));
    engine.register_fn("drop_text", |p: &mut Page, kind: &str, re: &str, o: Map| drop_text(p, kind, re, Some(&o)));
    engine.register_fn("drop_paragraph", |p: &mut Page, kind: &str, i: i64| -> HelperResult<i64> {
        match index(p, i) {
            Some(i) => p.mark_paras(kind, i, i),
            None => Ok(0),
        }
    });

    engine.register_get("count", |p: &mut Page| i64::try_from(p.ctx.paras.len()).unwrap_or(i64::MAX));
    engine.register_fn("paragraph", |p: &mut Page, i: i64| {
        index(p, i).map_or_else(String::new, |i| p.para(i).to_owned())
    });
    engine.register_fn("chars", |p: &mut Page, i: i64| {
        index(p, i).map_or(0, |i| i64::try_from(p.chars(i)).unwrap_or(i64::MAX))
    });
    engine.register_fn("find", |p: &mut Page, re: &str| find(p, re, 0));
    engine.register_fn("find", |p: &mut Page, re: &str, from: i64| find(p, re, from));
    engine.register_fn("find_last", |p: &mut Page, re: &str| find_last(p, re));
    engine.register_fn("contains", |p: &mut Page, re: &str| -> HelperResult<bool> { Ok(find(p, re, 0)? >= 0) });
    engine.register_get("url", |p: &mut Page| p.ctx.url.clone());
    engine.register_get("host", |p: &mut Page| p.ctx.host.clone());
    engine.register_get("title", |p: &mut Page| p.ctx.title.clone());
    engine.register_get("outlet", |p: &mut Page| p.ctx.outlet.clone());
    engine.register_get("metadata", |p: &mut Page| p.ctx.metadata.clone());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::Paragraphs;

    fn page(text: &str) -> Page {
        let paras = Paragraphs::split(text).spans;
        let p = Page::new(PageCtx {
            text: text.to_owned(),
            paras,
            url: String::new(),
            host: String::new(),
            title: String::new(),
            outlet: String::new(),
            metadata: Map::new(),
            patterns: Arc::default(),
        });
        p.begin_rule("test.rule".into(), 0);
        p
    }

    fn marked(p: &Page) -> Vec<String> {
        p.take_marks().iter().map(|m| m.span.slice(&p.ctx.text).to_owned()).collect()
    }

    fn map(pairs: &[(&str, Dynamic)]) -> Map {
        pairs.iter().map(|(k, v)| ((*k).into(), v.clone())).collect()
    }

    #[test]
    fn drop_lines_respects_position_and_length() {
        let p = page("Share\nBody text here.\nShare\nLonger line that says Share in it.");
        assert_eq!(drop_lines(&p, "share_widget", "Share", Some(&map(&[("max_chars", 10.into())]))).ok(), Some(2));
        assert_eq!(marked(&p), ["Share", "Share"]);
        assert_eq!(drop_lines(&p, "share_widget", "Share", Some(&map(&[("first", 1.into())]))).ok(), Some(1));
        assert_eq!(marked(&p), ["Share"]);
    }

    #[test]
    fn drop_from_runs_continue_iflines_match_or_are_short() {
        let text = "Body one.\nA Message from X:\nDear readers,\nPlease support us monthly.\nOnce\nMonthly\nA long sentence of article prose comes back here.";
        let p = page(text);
        let o = map(&[("continue_if", "support|readers".into()), ("short", 12.into())]);
        assert_eq!(drop_from(&p, "donation_appeal", "^A Message from", Some(&o)).ok(), Some(5));
        assert_eq!(marked(&p), ["A Message from X:\nDear readers,\nPlease support us monthly.\nOnce\nMonthly"]);
        // Without bounds the block runs to the end; `end_at` ends it inclusively.
        let p = page(text);
        assert_eq!(drop_from(&p, "x", "^Dear", Some(&map(&[("end_at", "^Once$".into())]))).ok(), Some(3));
        assert_eq!(marked(&p), ["Dear readers,\nPlease support us monthly.\nOnce"]);
    }

    #[test]
    fn drop_list_takes_the_heading_and_headline_items() {
        let p = page(
            "Body.\n\nRelated posts\n\nRussian FM: West sees Moldova as ‘next Ukraine’\n\nAnother headline\n\nThis is a sentence of prose that ends with a stop.",
        );
        assert_eq!(drop_list(&p, "related_links", "^Related posts$", None).ok(), Some(3));
        assert_eq!(
            marked(&p),
            ["Related posts\n\nRussian FM: West sees Moldova as ‘next Ukraine’\n\nAnother headline"]
        );
    }

    #[test]
    fn drop_between_needs_its_end() {
        let p = page("a\nSTART\nb\nEND\nc\nSTART\nd");
        assert_eq!(drop_between(&p, "ad", "^START$", "^END$", None).ok(), Some(3));
        assert_eq!(marked(&p), ["START\nb\nEND"]);
    }

    #[test]
    fn drop_text_marks_pieces_of_lines() {
        let p = page("Caption of a photo (Via AFP)\nPlain.");
        assert_eq!(drop_text(&p, "caption", r"\(Via [^)]*\)", None).ok(), Some(1));
        assert_eq!(marked(&p), ["(Via AFP)"]);
    }

    #[test]
    fn helpful_errors() {
        let p = page("a");
        let e = drop_lines(&p, "caption", "(", None).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("Runtime error"), "{e}");
        let e = drop_lines(&p, "caption", "a", Some(&map(&[("frist", 1.into())])));
        assert!(e.is_err());
        assert!(drop_lines(&p, "Bad Kind", "a", None).is_err());
    }
}
