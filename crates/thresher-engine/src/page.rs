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

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use memchr::memmem::Finder;
use rhai::{Dynamic, Engine, EvalAltResult, Map, NativeCallContext, Position};

use crate::diag::codes;
use crate::document::Span;
use crate::needles::Hits;
use crate::patterns::{self, Pattern, Patterns, Role, SetHits};
use crate::plan;
use crate::swar::{HIGH, gather, in_range, splat};

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

/// Added to the precedence of marks made by the structural helpers, so that they come after
/// every rule that names what it removes.
const FALLBACK_ORDER: u32 = 1 << 20;

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
    /// The ruleset's rule ids, by slot: a mark names the rule whose slot was last begun.
    pub rule_ids: Arc<[Arc<str>]>,
}

/// The marks of a page, and the rule making them. The rule and the count are atomics, read and
/// written without the lock the marks take: the pipeline begins a rule and counts marks before
/// and after it for every rule on every document, three locks a rule. (One thread runs a
/// document's rules; the relaxed atomics only make the handle shareable, as Rhai requires.)
#[derive(Debug, Default)]
struct MarkLog {
    /// The slot of the rule running (see [`Page::begin_rule`]) and its precedence.
    rule: AtomicUsize,
    order: AtomicU32,
    /// `marks.len()`, set with the lock held.
    count: AtomicUsize,
    marks: Mutex<Vec<Mark>>,
}

impl MarkLog {
    fn marks(&self) -> std::sync::MutexGuard<'_, Vec<Mark>> {
        self.marks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The handle rules see as `doc`. Cheap to clone: clones share the same marks.
#[derive(Debug, Clone)]
pub struct Page {
    ctx: Arc<PageCtx>,
    facts: Arc<Facts>,
    log: Arc<MarkLog>,
}

impl Page {
    /// A page over `ctx` with no marks yet.
    pub fn new(ctx: PageCtx) -> Self {
        let facts = Arc::new(Facts::of(&ctx));
        Self { ctx: Arc::new(ctx), facts, log: Arc::default() }
    }

    /// The document facts.
    pub fn ctx(&self) -> &PageCtx {
        &self.ctx
    }

    /// Attributes the marks that follow to the rule in `rule` (its slot: its id is
    /// [`PageCtx::rule_ids`]`[rule]`), with precedence `order`.
    pub fn begin_rule(&self, rule: usize, order: u32) {
        self.log.rule.store(rule, Ordering::Relaxed);
        self.log.order.store(order, Ordering::Relaxed);
    }

    /// Takes every mark made so far.
    pub fn take_marks(&self) -> Vec<Mark> {
        let mut marks = self.log.marks();
        self.log.count.store(0, Ordering::Relaxed);
        std::mem::take(&mut *marks)
    }

    /// Drops every mark made after the first `keep` (used to undo a failed rule's partial work).
    pub fn truncate_marks(&self, keep: usize) {
        let mut marks = self.log.marks();
        marks.truncate(keep);
        self.log.count.store(marks.len(), Ordering::Relaxed);
    }

    /// How many marks exist.
    pub fn mark_count(&self) -> usize {
        self.log.count.load(Ordering::Relaxed)
    }

    fn para(&self, i: usize) -> &str {
        self.ctx.paras.get(i).map_or("", |s| s.slice(&self.ctx.text))
    }

    fn chars(&self, i: usize) -> usize {
        self.facts.lines.get(i).map_or(0, |l| l.chars)
    }

    /// Where the needles of the ruleset's patterns occur in the text (see [`crate::needles`]).
    pub fn needle_hits(&self) -> Option<Arc<Hits>> {
        self.facts.needles.clone()
    }

    /// Whether `re` matches paragraph `i`: a lookup for the patterns of the ruleset's line set.
    fn matches(&self, re: &Pattern, i: usize) -> bool {
        if let Some(slot) = re.slot(Role::Line)
            && let Some(Some(hits)) = self.facts.hits.get(i)
        {
            return hits.matched(slot);
        }
        if !self.may_match(re, i) {
            return false;
        }
        let text = self.para(i);
        re.to_run(text, self.facts.lines.get(i).map(|l| l.plain)).is_some_and(|r| r.is_match(text))
    }

    /// True when the line set or the needles tell at once that `re` does not match paragraph
    /// `i` (false says nothing).
    fn ruled_out(&self, re: &Pattern, i: usize) -> bool {
        if let Some(slot) = re.slot(Role::Line)
            && let Some(Some(hits)) = self.facts.hits.get(i)
        {
            return !hits.matched(slot);
        }
        !self.may_match(re, i)
    }

    /// The lines that [`Page::ruled_out`] does not rule out for `re`, and perhaps a few more:
    /// a helper asks about these only, instead of about every line for every pattern.
    fn candidates(&self, re: &Pattern) -> Candidates<'_> {
        if let Some(lines) = re.slot(Role::Line).and_then(|slot| self.facts.by_slot.get(slot)) {
            return Candidates::Listed(lines);
        }
        match (re.needle_id(), &self.facts.needles) {
            (Some(id), Some(hits)) => Candidates::Owned(hits.lines(id, &self.ctx.paras)),
            _ => Candidates::All(self.ctx.paras.len()),
        }
    }

    /// The first line at or after `from` that `re` selects with options `o`.
    fn next_selected(&self, o: &Opts, re: &Pattern, candidates: &Candidates<'_>, from: usize) -> Option<usize> {
        let mut from = from;
        while let Some(i) = candidates.next(from) {
            if o.selects(self, re, i) {
                return Some(i);
            }
            from = i + 1;
        }
        None
    }

    /// False when paragraph `i` holds none of the needles every match of `re` holds.
    fn may_match(&self, re: &Pattern, i: usize) -> bool {
        match (re.needle_id(), &self.facts.needles, self.ctx.paras.get(i)) {
            (Some(id), Some(hits), Some(&span)) => hits.within(id, span),
            _ => true,
        }
    }

    fn regex(&self, pattern: &str) -> HelperResult<Arc<Pattern>> {
        self.ctx.patterns.regex_in(Role::Line, pattern).map_err(|m| fail(codes::BAD_PATTERN, m))
    }

    fn mark(&self, kind: &str, span: Span) -> HelperResult<()> {
        self.mark_with(kind, span, false)
    }

    /// `fallback` marks come from the structural helpers, which go by a line's shape; where
    /// they overlap a mark of a rule that names what it removes, that rule's kind and id win.
    fn mark_with(&self, kind: &str, span: Span, fallback: bool) -> HelperResult<()> {
        if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(fail(
                codes::RULE_RUNTIME,
                format!("kind `{kind}` must be a snake_case word such as \"caption\""),
            ));
        }
        let mut marks = self.log.marks();
        let seq = u32::try_from(marks.len()).unwrap_or(u32::MAX);
        let rule = self.ctx.rule_ids.get(self.log.rule.load(Ordering::Relaxed)).cloned().unwrap_or_default();
        let mut order = self.log.order.load(Ordering::Relaxed);
        if fallback {
            order = order.saturating_add(FALLBACK_ORDER);
        }
        marks.push(Mark { span, kind: kind.into(), rule, order, seq });
        self.log.count.store(marks.len(), Ordering::Relaxed);
        Ok(())
    }

    fn mark_paras(&self, kind: &str, from: usize, to_inclusive: usize) -> HelperResult<i64> {
        self.mark_paras_with(kind, from, to_inclusive, false)
    }

    fn mark_paras_with(&self, kind: &str, from: usize, to_inclusive: usize, fallback: bool) -> HelperResult<i64> {
        let (Some(a), Some(b)) = (self.ctx.paras.get(from), self.ctx.paras.get(to_inclusive)) else {
            return Ok(0);
        };
        self.mark_with(kind, Span::new(a.start, b.end), fallback)?;
        Ok(i64::try_from(to_inclusive + 1 - from).unwrap_or(i64::MAX))
    }
}

/// The lines a pattern may match (see [`Page::candidates`]).
enum Candidates<'p> {
    /// Every line of a page of this many.
    All(usize),
    /// These lines, in order.
    Listed(&'p [usize]),
    /// These lines, in order, found for this call.
    Owned(Vec<usize>),
}

impl Candidates<'_> {
    /// The first line at or after `from`.
    fn next(&self, from: usize) -> Option<usize> {
        let list = match self {
            Self::All(n) => return (from < *n).then_some(from),
            Self::Listed(list) => list,
            Self::Owned(list) => list.as_slice(),
        };
        list.get(list.partition_point(|&i| i < from)).copied()
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
    unless: Option<Arc<Pattern>>,
    end_at: Option<Arc<Pattern>>,
    continue_if: Option<Arc<Pattern>>,
    short: Option<usize>,
    max_lines: Option<usize>,
    max_items: Option<usize>,
    max_words: Option<usize>,
    min_words: Option<usize>,
    min_run: Option<usize>,
    zone: Option<Zone>,
    keep_prose: bool,
    /// `drop_lines`: the line just before a selected one goes with it when it matches this
    /// and is not prose, the headline or a broken sentence (a card's title above its date).
    with_previous: Option<Arc<Pattern>>,
    /// `drop_lines`: the line just before a selected one goes with it when it matches this,
    /// prose included, unless it is the headline or a broken sentence: a photo's caption
    /// above its credit line.
    caption_above: Option<Arc<Pattern>>,
    /// `drop_repeats`: every copy of a line printed at least this many times goes, the
    /// first included.
    min_copies: Option<usize>,
    /// `drop_lines`: a selected line (a button) takes the card above it: a short title, and
    /// at most one short line under the title (see [`Facts::card_above`]).
    card_above: bool,
}

const LINE_OPTS: &[&str] = &[
    "max_chars", "min_chars", "first", "last", "unless", "zone", "keep_prose", "max_words", "min_words",
    "with_previous", "caption_above", "card_above",
];
const FROM_OPTS: &[&str] = &[
    "max_chars", "min_chars", "first", "last", "unless", "zone", "keep_prose", "max_words", "min_words", "end_at",
    "continue_if", "short", "max_lines",
];
const LIST_OPTS: &[&str] =
    &["max_chars", "min_chars", "first", "last", "unless", "zone", "keep_prose", "max_items", "item_chars"];
const RUN_OPTS: &[&str] = &["first", "last", "unless", "zone", "min_run", "max_words", "min_items"];
const REPEAT_OPTS: &[&str] = &["first", "last", "unless", "zone", "keep_prose", "max_words", "min_words", "min_copies"];

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
            let pattern = || -> HelperResult<Arc<Pattern>> {
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
                "max_items" | "min_items" => o.max_items = Some(count()?),
                "max_words" => o.max_words = Some(count()?),
                "min_words" => o.min_words = Some(count()?),
                "min_run" => o.min_run = Some(count()?),
                "with_previous" => o.with_previous = Some(pattern()?),
                "caption_above" => o.caption_above = Some(pattern()?),
                "min_copies" => o.min_copies = Some(count()?),
                "keep_prose" | "card_above" => {
                    let on = value.as_bool().map_err(|_| {
                        fail(codes::RULE_RUNTIME, format!("option `{key}` of `{helper}` must be true or false"))
                    })?;
                    if key == "keep_prose" {
                        o.keep_prose = on;
                    } else {
                        o.card_above = on;
                    }
                }
                "zone" => {
                    let z = value.clone().into_immutable_string().unwrap_or_default();
                    o.zone = Some(Zone::parse(&z).ok_or_else(|| {
                        fail(
                            codes::RULE_RUNTIME,
                            format!(
                                "option `zone` of `{helper}` must be \"head\", \"tail\", \"outside\" or \"article\", not {z:?}"
                            ),
                        )
                    })?);
                }
                _ => {}
            }
        }
        Ok(o)
    }

    /// Whether `re` selects paragraph `i`: it is [`Opts::eligible`] and matches. A line the
    /// set or the needles rule out is passed over first (a bit or two to read), since most
    /// lines fail most patterns and the options take longer to check.
    fn selects(&self, page: &Page, re: &Pattern, i: usize) -> bool {
        !page.ruled_out(re, i) && self.eligible(page, i) && page.matches(re, i)
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
        let facts = page.facts.line(i);
        if self.max_words.is_some_and(|m| facts.words > m) || self.min_words.is_some_and(|m| facts.words < m) {
            return false;
        }
        if self.keep_prose && page.facts.protected(i) {
            return false;
        }
        if let Some(z) = self.zone
            && !page.facts.in_zone(i, z)
        {
            return false;
        }
        !self.unless.as_ref().is_some_and(|re| page.matches(re, i))
    }
}

/// A helper call with its arguments parsed and its patterns compiled, ready to run on any
/// page of the ruleset (see [`crate::plan`]).
trait Prepared: Fn(&Page) -> HelperResult<i64> + Send + Sync + 'static {}
impl<F: Fn(&Page) -> HelperResult<i64> + Send + Sync + 'static> Prepared for F {}

impl crate::plan::Target for Page {
    fn rules_out(&self, _: &crate::patterns::Pattern) -> bool {
        // Page helpers read the line set's answers themselves; no step is guarded.
        false
    }
}

/// Gives a closure the signature of a [`Prepared`] call.
fn prepared<F: Fn(&Page) -> HelperResult<i64> + Send + Sync + 'static>(f: F) -> F {
    f
}

/// Runs a prepared call on `page` (recording it when the rule is being planned).
fn act(ctx: &NativeCallContext, page: &Page, call: HelperResult<impl Prepared>) -> HelperResult<Dynamic> {
    let call = call?;
    plan::act(ctx, page, move |p: &Page| call(p).map(Dynamic::from))
}

fn drop_lines(page: &Page, kind: &str, pattern: &str, opts: Option<&Map>) -> HelperResult<impl Prepared> {
    let re = page.regex(pattern)?;
    let o = Opts::parse(page, "drop_lines", opts, LINE_OPTS)?;
    let kind = kind.to_owned();
    Ok(prepared(move |page: &Page| {
        let candidates = page.candidates(&re);
        let (mut i, mut n) = (0, 0);
        while let Some(at) = page.next_selected(&o, &re, &candidates, i) {
            let above = at.checked_sub(1).filter(|&p| p >= i);
            let from = match (&o.with_previous, &o.caption_above, above) {
                (Some(prev), _, Some(p)) if !page.facts.protected(p) && page.matches(prev, p) => p,
                (_, Some(cap), Some(p)) if page.facts.caption_shaped(p) && page.matches(cap, p) => p,
                _ if o.card_above => page.facts.card_above(at, i),
                _ => at,
            };
            n += page.mark_paras(&kind, from, at)?;
            i = at + 1;
        }
        Ok(n)
    }))
}

fn drop_from(page: &Page, kind: &str, start: &str, opts: Option<&Map>) -> HelperResult<impl Prepared> {
    let re = page.regex(start)?;
    let o = Opts::parse(page, "drop_from", opts, FROM_OPTS)?;
    let kind = kind.to_owned();
    Ok(prepared(move |page: &Page| {
        let n_paras = page.ctx.paras.len();
        let bounded = o.continue_if.is_some() || o.short.is_some();
        let candidates = page.candidates(&re);
        let (mut i, mut n) = (0, 0);
        while let Some(at) = page.next_selected(&o, &re, &candidates, i) {
            i = at;
            let cap = o.max_lines.unwrap_or(usize::MAX).max(1);
            let mut end = i;
            let mut j = i + 1;
            while j < n_paras && j - i < cap {
                if o.end_at.as_ref().is_some_and(|u| page.matches(u, j)) {
                    end = j;
                    break;
                }
                let continues = !bounded
                    || o.continue_if.as_ref().is_some_and(|w| page.matches(w, j))
                    || o.short.is_some_and(|s| page.chars(j) <= s);
                if !continues {
                    break;
                }
                end = j;
                j += 1;
            }
            n += page.mark_paras(&kind, i, end)?;
            i = end + 1;
        }
        Ok(n)
    }))
}

fn drop_between(page: &Page, kind: &str, start: &str, end: &str, opts: Option<&Map>) -> HelperResult<impl Prepared> {
    let start_re = page.regex(start)?;
    let end_re = page.regex(end)?;
    let o = Opts::parse(page, "drop_between", opts, FROM_OPTS)?;
    let cap = o.max_lines.unwrap_or(50).max(1);
    let kind = kind.to_owned();
    Ok(prepared(move |page: &Page| {
        let n_paras = page.ctx.paras.len();
        let candidates = page.candidates(&start_re);
        let (mut i, mut n) = (0, 0);
        while let Some(at) = page.next_selected(&o, &start_re, &candidates, i) {
            let stop = (at..n_paras.min(at.saturating_add(cap))).find(|&j| page.matches(&end_re, j));
            match stop {
                Some(j) => {
                    n += page.mark_paras(&kind, at, j)?;
                    i = j + 1;
                }
                None => i = at + 1,
            }
        }
        Ok(n)
    }))
}

/// True for a line that reads like an item of a headline or link list: short, and not a
/// sentence of prose (no final full stop).
fn list_item(line: &str, max_chars: usize) -> bool {
    let bare = line.trim_end_matches(['"', '\'', '”', '’', ')', ' ']);
    line.chars().count() <= max_chars && !bare.ends_with('.')
}

fn drop_list(page: &Page, kind: &str, heading: &str, opts: Option<&Map>) -> HelperResult<impl Prepared> {
    let re = page.regex(heading)?;
    let mut o = Opts::parse(page, "drop_list", opts, LIST_OPTS)?;
    // `max_chars` (alias `item_chars`) limits the items, not the heading.
    let item_chars = o.max_chars.take().unwrap_or(150);
    let max_items = o.max_items.unwrap_or(15);
    let kind = kind.to_owned();
    Ok(prepared(move |page: &Page| {
        let n_paras = page.ctx.paras.len();
        let candidates = page.candidates(&re);
        let (mut i, mut n) = (0, 0);
        while let Some(at) = page.next_selected(&o, &re, &candidates, i) {
            i = at;
            let mut end = i;
            while end + 1 < n_paras
                && end - i < max_items
                && list_item(page.para(end + 1), item_chars)
                && !page.matches(&re, end + 1)
            {
                end += 1;
            }
            n += page.mark_paras(&kind, i, end)?;
            i = end + 1;
        }
        Ok(n)
    }))
}

fn drop_text(page: &Page, kind: &str, pattern: &str, opts: Option<&Map>) -> HelperResult<impl Prepared> {
    let re = page.regex(pattern)?;
    let o = Opts::parse(page, "drop_text", opts, LINE_OPTS)?;
    let kind = kind.to_owned();
    Ok(prepared(move |page: &Page| {
        let mut n = 0;
        for i in 0..page.ctx.paras.len() {
            if !(o.eligible(page, i) && page.may_match(&re, i)) {
                continue;
            }
            let base = page.ctx.paras[i].start;
            let text = page.para(i);
            let Some(found) = re.to_run(text, page.facts.lines.get(i).map(|l| l.plain)) else { continue };
            for m in found.find_iter(text) {
                if !m.is_empty() {
                    page.mark(&kind, Span::new(base + m.start(), base + m.end()))?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }))
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
    Ok((start..page.ctx.paras.len()).find(|&i| page.matches(&re, i)).map_or(-1, |i| i64::try_from(i).unwrap_or(-1)))
}

fn find_last(page: &Page, pattern: &str) -> HelperResult<i64> {
    let re = page.regex(pattern)?;
    Ok((0..page.ctx.paras.len()).rev().find(|&i| page.matches(&re, i)).map_or(-1, |i| i64::try_from(i).unwrap_or(-1)))
}

/// Which part of the page a line is in, relative to the article: the main run of prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    /// Before the first paragraph of the article: menus, section labels, headline, byline.
    Head,
    /// After the last paragraph of the article: credits, bios, link lists, footers.
    Tail,
    /// Head or tail.
    Outside,
    /// From the first through the last paragraph of the article.
    Article,
}

impl Zone {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "head" => Some(Self::Head),
            "tail" => Some(Self::Tail),
            "outside" => Some(Self::Outside),
            "article" => Some(Self::Article),
            _ => None,
        }
    }
}

/// What one line looks like, computed once per document so that every structural helper reads
/// the same answers without scanning the text again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LineFacts {
    /// Words with a letter or digit in them.
    words: usize,
    /// Reads as prose: several words ending in sentence punctuation, or very long.
    prose: bool,
    /// Reads as a headline or link text: a few words, no final stop, not a broken-off piece of
    /// a sentence.
    headline: bool,
    /// A label, count, date or time: at most three words, a dateline, or a few words that are
    /// mostly digits.
    meta: bool,
    /// Mostly markup or link residue (`[](https://...)`, bare URLs), or no letters at all.
    residue: bool,
    /// The same text (ignoring case, markup and spacing) occurs on an earlier line.
    repeat: bool,
    /// Lines of the page with this line's text, this one included (0 for a line with no
    /// text to compare).
    copies: u32,
    /// Its words are (nearly) all in the page title: the document's `title`, or the first line
    /// as scrapers print the browser title there.
    title_like: bool,
    /// Part of a sentence broken over lines at a link: the line before ends mid-sentence ("on
    /// the", a comma) or this one starts in lower case.
    broken: bool,
    /// Ends in sentence punctuation (a full stop, "!" or "?", maybe inside a quotation).
    stop: bool,
    /// Length in characters.
    chars: usize,
    /// Runs of letters and digits (see [`Tally::runs`]).
    runs: usize,
    /// No non-ASCII word characters: patterns may run with ASCII word boundaries.
    plain: bool,
    /// See [`Tally::plain_key`].
    plain_key: bool,
}

/// Facts about the whole document.
#[derive(Debug, Default)]
struct Facts {
    lines: Vec<LineFacts>,
    /// Per line, which patterns of the ruleset's line set match it (empty before it is
    /// sealed; None for lines the set cannot answer for).
    hits: Vec<Option<SetHits>>,
    /// Per pattern of the line set, the lines the set does not rule out for it: those it
    /// matches, and those it cannot answer for (in order).
    by_slot: Vec<Vec<usize>>,
    /// First and last line of the article: the largest cluster of prose lines.
    article: Option<(usize, usize)>,
    /// Where the needles of the ruleset's patterns occur (once they are indexed).
    needles: Option<Arc<Hits>>,
}

/// Words ending a line that show it is a piece of a sentence cut at a link, not a headline.
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "with", "and", "or", "but", "from", "over", "as",
    "that", "than", "into", "about", "after", "before", "its", "his", "her", "their", "our", "is", "are", "was",
    "were", "who", "which",
];

/// The longest title or teaser line of a card above a button (see [`Facts::card_above`]).
const CARD_WORDS: usize = 25;
/// The most words a caption taken above its credit line may have.
const CAPTION_WORDS: usize = 60;

/// A prose line at least this long anchors the article.
const ANCHOR_WORDS: usize = 10;
/// An anchor at least this long may join a cluster across a gap; a shorter one (a sign-up
/// form's "By continuing you agree to our Terms.") only joins its direct neighbours.
const STRONG_ANCHOR_WORDS: usize = 15;
/// Anchors further apart than this many lines belong to different clusters.
const ANCHOR_GAP: usize = 10;
/// A line this long is prose even without a final stop.
const LONG_WORDS: usize = 50;

fn markup_trimmed(line: &str) -> &str {
    line.trim_matches(|c: char| c.is_whitespace() || matches!(c, '*' | '#' | '>' | '_' | '|' | '-' | '•' | '·'))
}

/// Ends in sentence punctuation (after closing quotes and brackets), not in a teaser's "...".
fn ends_sentence(line: &str) -> bool {
    let bare = line.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '"' | '\'' | '”' | '’' | '»' | ')' | ']' | '*' | '_')
    });
    if bare.ends_with("...") || bare.ends_with('…') {
        return false;
    }
    bare.ends_with(['.', '!', '?'])
}

/// A word that is a URL, with or without its scheme: residue, not text.
fn url_like(word: &str) -> bool {
    word.starts_with("http://") || word.starts_with("https://") || word.starts_with("www.") || domain_path(word)
}

/// Whether a line is residue: most of its `total` characters are link targets, URLs or image
/// syntax (the words that are not URLs, as if joined by single spaces, have `kept` characters
/// and `letters` letters), or it has no letters at all.
fn residue(total: usize, kept: usize, letters: usize) -> bool {
    let total = total.max(1);
    letters == 0 || (kept + 1) * 10 < total * 4 && letters * 10 < total * 4
}

/// [`residue`] for a line with markdown links, whose targets do not count as text.
fn linked_residue(line: &str, total: usize) -> bool {
    let rest = without_link_targets(line);
    let (mut kept, mut letters, mut words) = (0, 0, 0);
    for w in rest.split_whitespace().filter(|w| !url_like(w)) {
        words += 1;
        for c in w.chars() {
            kept += 1;
            letters += usize::from(c.is_alphabetic());
        }
    }
    residue(total, kept + words.max(1) - 1, letters)
}

/// What [`LineFacts::of`] counts, in one pass over the line's characters rather than one pass
/// per fact: the facts are computed for every line of every document, and decoding a line a
/// dozen times was a tenth of the engine's work.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Characters.
    chars: usize,
    /// Whitespace-separated words with a letter or digit in them.
    words: usize,
    /// ASCII digits.
    digits: usize,
    /// Letters.
    letters: usize,
    /// Characters of the words that are not URLs, as if joined by single spaces.
    kept: usize,
    /// Letters of the words that are not URLs.
    kept_letters: usize,
    /// Every character is ASCII.
    ascii: bool,
    /// Runs of letters and digits: the words [`words`] splits the line into.
    runs: usize,
    /// Every whitespace character is a single ASCII space, and no character beyond ASCII
    /// changes when lower-cased: the repeat key is the trimmed line lower-cased by bytes.
    plain_key: bool,
}

// Classes of characters for [`Tally`], as bits of a byte: for ASCII its masks hold them, and
// [`unicode_class`] works them out for the rest.

/// Whitespace.
const SPACE: u8 = 1;
/// Alphabetic.
const LETTER: u8 = 2;
/// An ASCII digit.
#[cfg(test)]
const DIGIT: u8 = 4;
/// Numeric but not an ASCII digit: a letter or digit for word counts, not a digit for `meta`.
const NUMBER: u8 = 8;
/// `/`, without which a word can be a URL only by starting with `www.`.
#[cfg(test)]
const SLASH: u8 = 16;

/// The class of each ASCII character, as `char::is_whitespace`, `char::is_alphabetic` and
/// `char::is_ascii_digit` have it.
#[cfg(test)]
const ASCII_CLASS: [u8; 128] = {
    let mut table = [0; 128];
    let mut b = 0;
    while b < 128 {
        table[b as usize] = match b {
            b'\t'..=b'\r' | b' ' => SPACE,
            b'a'..=b'z' | b'A'..=b'Z' => LETTER,
            b'0'..=b'9' => DIGIT,
            b'/' => SLASH,
            _ => 0,
        };
        b += 1;
    }
    table
};

/// The class of a character beyond ASCII.
fn unicode_class(c: char) -> u8 {
    if c.is_whitespace() {
        SPACE
    } else if c.is_alphabetic() {
        LETTER
    } else if c.is_numeric() {
        NUMBER
    } else {
        0
    }
}

/// The searcher for `www.` in lines, built once (a one-off `memmem::find` builds its searcher
/// on every call).
static WWW: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"www."));

/// Where the first `/` or `www.` at or after `from` is: where a word may be a URL.
fn url_mark(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    let slash = memchr::memchr(b'/', rest);
    Some(from + slash.into_iter().chain(WWW.find(rest)).min()?)
}

/// Masks of a block of 64 bytes, bit `i` for byte `i`: ASCII whitespace, letters, and letters
/// and digits; bytes beyond ASCII, and the bytes of a character after its first.
#[derive(Debug, Default)]
struct Masks {
    space: u64,
    letter: u64,
    alnum: u64,
    /// Whether there is whitespace other than the space (`\t` to `\r`).
    ctrl: bool,
    wide: u64,
    cont: u64,
}

impl Masks {
    /// Eight bytes at a time, each test a few arithmetic steps on all eight (which take a
    /// byte beyond ASCII for the ASCII byte of its low seven bits, until the end).
    fn of(block: &[u8; 64]) -> Self {
        let word = |i: usize| {
            u64::from_le_bytes(block.get(8 * i..8 * i + 8).and_then(|w| w.try_into().ok()).unwrap_or_default())
        };
        let mut m = Self::default();
        let (mut high, mut ctrl) = (0, 0);
        for i in 0..8 {
            let x = word(i);
            high |= x;
            let y = x & !HIGH;
            let c = in_range(y, b'\t', b'\r');
            ctrl |= c & !x;
            let letter = in_range(y | splat(0x20), b'a', b'z');
            let at = 8 * i;
            m.space |= gather(c | in_range(y, b' ', b' ')) << at;
            m.letter |= gather(letter) << at;
            m.alnum |= gather(letter | in_range(y, b'0', b'9')) << at;
        }
        m.ctrl = ctrl != 0;
        if high & HIGH != 0 {
            for i in 0..8 {
                let x = word(i);
                // 10xxxxxx: the high bit set, the next one clear.
                m.wide |= gather(x & HIGH) << (8 * i);
                m.cont |= gather(x & !(x << 1) & HIGH) << (8 * i);
            }
            m.space &= !m.wide;
            m.letter &= !m.wide;
            m.alnum &= !m.wide;
        }
        m
    }
}

impl Tally {
    /// The tally of `line`, 64 bytes at a time: each count is a count of bits in masks of the
    /// block's bytes. (A loop over the bytes cost about 18 instructions a byte on ASCII lines
    /// and 80 on lines with a curly quote or an accented letter.)
    fn of(line: &str) -> Self {
        let bytes = line.as_bytes();
        let mut t = Self { ascii: true, ..Self::default() };
        let (mut nonspace, mut tokens) = (0, 0);
        // Whitespace other than single spaces, and characters that lower-case to others.
        let (mut odd_spaces, mut cased) = (0u64, false);
        // From the block before: whether its last byte was in a word (a run of non-spaces), a
        // letter or digit, or a space, and whether the word it was in has a letter or digit.
        let (mut in_word, mut in_alnum, mut in_space, mut word_alnum) = (0u64, 0u64, 0u64, false);
        let mut padded = [0u8; 64];
        for (k, chunk) in bytes.chunks(64).enumerate() {
            let block = match <&[u8; 64]>::try_from(chunk) {
                Ok(block) => block,
                // The last block of a line, padded with zeros (which no test takes for a space,
                // a letter or a digit); only it can be short.
                Err(_) => {
                    padded.get_mut(..chunk.len()).unwrap_or_default().copy_from_slice(chunk);
                    &padded
                }
            };
            let valid = if chunk.len() == 64 { u64::MAX } else { (1u64 << chunk.len()) - 1 };
            let mut m = Masks::of(block);
            // ASCII digits: the letters and digits that are not letters.
            t.digits += (m.alnum.count_ones() - m.letter.count_ones()) as usize;
            let mut alnum = m.alnum;
            if m.wide != 0 {
                t.ascii = false;
                // Characters beyond ASCII, classed at their first byte.
                let mut leads = m.wide & !m.cont;
                while leads != 0 {
                    let at = leads.trailing_zeros() as usize;
                    leads &= leads - 1;
                    let Some(ch) = line.get(k * 64 + at..).and_then(|rest| rest.chars().next()) else { continue };
                    let c = unicode_class(ch);
                    // (General Punctuation, the curly quotes and dashes, has no cases.)
                    if !('\u{2000}'..='\u{206f}').contains(&ch) {
                        let mut lower = ch.to_lowercase();
                        cased |= lower.next() != Some(ch) || lower.next().is_some();
                    }
                    let bit = 1u64 << at;
                    m.space |= if c & SPACE != 0 { bit } else { 0 };
                    m.letter |= if c & LETTER != 0 { bit } else { 0 };
                    alnum |= if c & (LETTER | NUMBER) != 0 { bit } else { 0 };
                }
                // The other bytes of a character take its classes (a character has at most
                // three more; those of one begun in the block before take its last byte's).
                for _ in 0..3 {
                    m.space |= (m.space << 1 | in_space) & m.cont;
                    alnum |= (alnum << 1 | in_alnum) & m.cont;
                }
            }
            let lead = valid & !m.cont;
            let word = valid & !m.space;
            // A character beyond ASCII that is whitespace spans several space bits.
            odd_spaces |= u64::from(m.ctrl) | m.space & (m.space << 1 | in_space);
            t.chars += lead.count_ones() as usize;
            t.letters += (m.letter & lead).count_ones() as usize;
            nonspace += (word & lead).count_ones() as usize;
            tokens += (word & !(word << 1 | in_word)).count_ones() as usize;
            t.runs += (alnum & !(alnum << 1 | in_alnum)).count_ones() as usize;
            // The words with a letter or digit: adding a word's letters and digits to its bits
            // carries out of its last bit into the bit after it, and only then. A word carried
            // over from the block before with a letter or digit already gets its first bit
            // added; one that ended with that block is counted here.
            let carried = in_word == 1 && word_alnum;
            t.words += usize::from(carried && word & 1 == 0);
            let (sum, out) = word.overflowing_add(alnum | u64::from(carried) & word);
            t.words += (sum & !word).count_ones() as usize;
            word_alnum = out;
            (in_word, in_alnum, in_space) = (word >> 63, alnum >> 63, m.space >> 63);
        }
        t.words += usize::from(in_word == 1 && word_alnum);
        t.plain_key = odd_spaces == 0 && !cased;
        // The words that are URLs are not kept text.
        let (mut url_words, mut url_chars, mut url_letters) = (0, 0, 0);
        let mut from = 0;
        while let Some(at) = url_mark(bytes, from) {
            let start = line
                .get(..at)
                .and_then(|s| s.rfind(char::is_whitespace))
                .map_or(0, |i| i + line.get(i..).and_then(|s| s.chars().next()).map_or(1, char::len_utf8));
            let end = line.get(at..).and_then(|s| s.find(char::is_whitespace)).map_or(line.len(), |i| at + i);
            let word = line.get(start..end).unwrap_or("");
            let url = if word.contains('/') { url_like(word) } else { word.starts_with("www.") };
            if url {
                url_words += 1;
                for c in word.chars() {
                    url_chars += 1;
                    url_letters += usize::from(c.is_alphabetic());
                }
            }
            from = end.max(at + 1);
        }
        t.kept = nonspace - url_chars + (tokens - url_words).max(1) - 1;
        t.kept_letters = t.letters - url_letters;
        t
    }

    /// [`Tally::of`] character by character, as it was: the reference for the tests.
    #[cfg(test)]
    fn of_any(line: &str) -> Self {
        let mut t = Self { ascii: true, ..Self::default() };
        let mut kept_words = 0;
        let mut end_word = |t: &mut Self, word: &str, chars: usize, letters: usize, class: u8| {
            t.words += usize::from(class & (LETTER | DIGIT | NUMBER) != 0);
            t.letters += letters;
            let url = if class & SLASH == 0 { word.starts_with("www.") } else { url_like(word) };
            if !url {
                kept_words += 1;
                t.kept += chars;
                t.kept_letters += letters;
            }
        };
        // The word being read: where it starts, its characters (none between words), its
        // letters, and the union of its characters' classes.
        let (mut start, mut chars, mut letters, mut class) = (0, 0, 0, 0);
        let mut in_run = false;
        for (i, &b) in line.as_bytes().iter().enumerate() {
            let c = match ASCII_CLASS.get(usize::from(b)) {
                Some(&c) => c,
                // The rest of a character beyond ASCII, classed at its first byte.
                None if b & 0xc0 == 0x80 => continue,
                None => {
                    t.ascii = false;
                    line.get(i..).and_then(|rest| rest.chars().next()).map_or(0, unicode_class)
                }
            };
            t.chars += 1;
            let alnum = c & (LETTER | DIGIT | NUMBER) != 0;
            t.runs += usize::from(alnum && !in_run);
            in_run = alnum;
            if c & SPACE != 0 {
                if chars > 0 {
                    end_word(&mut t, line.get(start..i).unwrap_or(""), chars, letters, class);
                    chars = 0;
                }
                continue;
            }
            if chars == 0 {
                (start, letters, class) = (i, 0, 0);
            }
            chars += 1;
            letters += usize::from(c & LETTER != 0);
            class |= c;
            t.digits += usize::from(c & DIGIT != 0);
        }
        if chars > 0 {
            end_word(&mut t, line.get(start..).unwrap_or(""), chars, letters, class);
        }
        t.plain_key = plain_key_by_chars(line);
        t.kept += kept_words.max(1) - 1;
        t
    }
}

/// [`Tally::plain_key`] character by character.
#[cfg(test)]
fn plain_key_by_chars(line: &str) -> bool {
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let double = c.is_whitespace() && chars.peek().is_some_and(|d| d.is_whitespace());
        let mut lower = c.to_lowercase();
        let cased = !c.is_ascii() && (lower.next() != Some(c) || lower.next().is_some());
        if double || (c.is_whitespace() && c != ' ') || cased {
            return false;
        }
    }
    true
}

/// `line` without the targets of its markdown links (`[text](target)` keeps `[text]`).
fn without_link_targets(line: &str) -> String {
    let mut rest = String::with_capacity(line.len());
    let mut chars = line.char_indices().peekable();
    let bytes = line.as_bytes();
    while let Some((i, c)) = chars.next() {
        // `](target)`: skip the target.
        if c == ']' && bytes.get(i + 1) == Some(&b'(') {
            let mut depth = 0usize;
            for (_, d) in chars.by_ref() {
                match d {
                    '(' => depth += 1,
                    ')' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            continue;
        }
        rest.push(c);
    }
    rest
}

/// `example.com/news/...`: a URL without its scheme.
fn domain_path(word: &str) -> bool {
    let Some((host, _)) = word.split_once('/') else { return false };
    let Some((name, tld)) = host.rsplit_once('.') else { return false };
    !name.is_empty()
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_lowercase())
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// Mentions a month or a clock time: a dateline, a timestamp, "Updated ...".
fn names_a_date(line: &str) -> bool {
    const MONTHS: &[&str] = &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january",
        "february", "march", "april", "june", "july", "august", "september", "october", "november", "december",
    ];
    // The months are ASCII, and no non-ASCII letter lower-cases to ASCII ones that spell a month.
    line.split(|c: char| !c.is_alphanumeric()).any(|w| MONTHS.iter().any(|m| w.eq_ignore_ascii_case(m)))
        || line.as_bytes().windows(3).any(|w| w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit())
}

/// `line`'s repeat key appended to `key`: the line without its markup, lower-cased, its
/// words joined by single spaces, without a final stop, colon or mark. `plain` is the line's
/// [`Tally::plain_key`].
fn norm_key_into(line: &str, key: &mut String, plain: bool) {
    let bare = markup_trimmed(line);
    let start = key.len();
    if plain {
        // Most lines: their words are joined by single spaces already, and only their ASCII
        // letters change case.
        let at = key.len();
        key.push_str(bare);
        if let Some(copied) = key.get_mut(at..) {
            copied.make_ascii_lowercase();
        }
    } else if bare.contains('Σ') {
        // A capital sigma lower-cases by where it stands in its word: the whole line at once.
        for w in bare.to_lowercase().split_whitespace() {
            if key.len() > start {
                key.push(' ');
            }
            key.push_str(w);
        }
    } else {
        // Character by character, as lower-casing the whole line would (no other character
        // lower-cases by context, and none becomes or stops being whitespace).
        let mut space = false;
        for c in bare.chars() {
            if c.is_whitespace() {
                space = true;
                continue;
            }
            if space {
                key.push(' ');
                space = false;
            }
            if c.is_ascii() {
                key.push(c.to_ascii_lowercase());
            } else {
                key.extend(c.to_lowercase());
            }
        }
    }
    let kept = key.get(start..).map_or(0, |k| k.trim_end_matches(['.', ':', '!', '?']).len());
    key.truncate(start + kept);
}

/// The repeat key of `line`, the tally saying whether it is plain (`plain`: false takes the
/// general way whatever the line).
#[cfg(test)]
fn norm_key_as(line: &str, plain: bool) -> String {
    let mut key = String::new();
    norm_key_into(line, &mut key, plain && Tally::of(line).plain_key);
    key
}

#[cfg(test)]
fn norm_key(line: &str) -> String {
    norm_key_as(line, true)
}

/// The words of a line, lower-cased, as [`resembles`] compares them.
fn tokens(line: &str) -> Vec<String> {
    words(line).map(str::to_lowercase).collect()
}

/// The words of four letters or more of `line` (as [`words`] has them).
fn long_words(line: &str) -> impl Iterator<Item = &str> {
    words(line).filter(|w| w.len() >= 4 && (w.is_ascii() || w.chars().count() >= 4))
}

/// Whether at least three, and at least half, of the [`long_words`] of `line` occur in
/// `reference` (compared without case; ASCII words without lower-casing them).
fn shares_most_words(line: &str, reference: &[&str]) -> bool {
    let (mut long, mut shared) = (0, 0);
    for w in long_words(line) {
        long += 1;
        let found = if w.is_ascii() {
            reference.iter().any(|r| r.eq_ignore_ascii_case(w))
        } else {
            let lower = w.to_lowercase();
            reference.iter().any(|r| r.chars().flat_map(char::to_lowercase).eq(lower.chars()))
        };
        shared += usize::from(found);
    }
    shared >= 3 && shared * 2 >= long
}

fn words(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// Whether most of `line`'s `total` words (as [`words`] has them) occur in `a` or most occur
/// in `b` (lower-cased words, see [`tokens`]; an empty one is never resembled): at least three,
/// and four in five. The line's words are read once for both.
fn resembles(line: &str, total: usize, a: &[String], b: &[String]) -> bool {
    if total < 3 {
        return false;
    }
    // Misses per reference, until one is out. Four in five shared is at most one in five
    // missed: the first miss beyond that decides (most lines are prose that shares few words
    // with the title).
    let mut missed = [(!a.is_empty()).then_some(0usize), (!b.is_empty()).then_some(0usize)];
    for w in words(line) {
        if missed.iter().all(Option::is_none) {
            return false;
        }
        // Lower-casing an ASCII word is comparing it without case to each reference word.
        let lower = (!w.is_ascii()).then(|| w.to_lowercase());
        for (m, reference) in missed.iter_mut().zip([a, b]) {
            let Some(n) = m else { continue };
            let found = match &lower {
                None => reference.iter().any(|r| r.eq_ignore_ascii_case(w)),
                Some(lower) => reference.contains(lower),
            };
            if !found {
                *n += 1;
                if *n * 5 > total {
                    *m = None;
                }
            }
        }
    }
    missed.iter().flatten().any(|&n| total - n >= 3)
}

impl LineFacts {
    fn of(line: &str) -> Self {
        let bare = markup_trimmed(line);
        // The trimmed markup has no letters or digits, so the words, digits and letters of the
        // line are those of `bare`.
        let t = Tally::of(line);
        let words = t.words;
        let residue =
            if line.contains("](") { linked_residue(line, t.chars) } else { residue(t.chars, t.kept, t.kept_letters) };
        let stop = ends_sentence(line);
        let prose = !residue && ((words >= 4 && stop) || words >= LONG_WORDS);
        let last = bare.split_whitespace().last().unwrap_or("");
        let first = bare.split_whitespace().next().unwrap_or("");
        let fragment = bare.ends_with([',', ';', '–', '—', '-', '(', '/'])
            || FUNCTION_WORDS.contains(&last)
            || (first.chars().next().is_some_and(char::is_lowercase) && FUNCTION_WORDS.contains(&first));
        // A short headline with a number ("Russia launches 40 drones") is not a label: only
        // dates, times and lines of mostly digits are.
        let (digits, letters) = (t.digits, t.letters);
        let has_digit = digits > 0;
        let meta = !prose
            && (words <= 3
                || (digits >= letters && words <= 6)
                || (has_digit && words <= 16 && names_a_date(bare))
                || (bare.ends_with(':') && words <= 8));
        let headline = !prose && !residue && !meta && !fragment && !bare.starts_with('(') && (3..=40).contains(&words);
        let plain = t.ascii || patterns::plain(line);
        Self {
            words,
            runs: t.runs,
            prose,
            headline,
            meta,
            residue,
            stop,
            chars: t.chars,
            plain,
            plain_key: t.plain_key,
            ..Self::default()
        }
    }
}

impl Facts {
    fn of(ctx: &PageCtx) -> Self {
        let texts: Vec<&str> = ctx.paras.iter().map(|s| s.slice(&ctx.text)).collect();
        let mut lines: Vec<LineFacts> = texts.iter().map(|t| LineFacts::of(t)).collect();
        // Each line's key is appended to one buffer and kept there if it is new: no string
        // per line.
        let mut keys = String::with_capacity(ctx.text.len());
        // Each distinct key's buffer range and the line that first had it; a line's `copies`
        // holds that first line's number plus one until the counts are in.
        let mut seen: hashbrown::HashTable<(usize, usize, u32)> = hashbrown::HashTable::with_capacity(texts.len());
        let mut copies: Vec<u32> = vec![0; texts.len()];
        let hasher = ahash::RandomState::new();
        for (i, (f, t)) in lines.iter_mut().zip(&texts).enumerate() {
            let start = keys.len();
            norm_key_into(t, &mut keys, f.plain_key);
            let Some(key) = keys.get(start..).filter(|k| !k.is_empty()) else { continue };
            let hash = hasher.hash_one(key);
            let slot = |&(a, b, _): &(usize, usize, u32)| keys.get(a..b).unwrap_or_default();
            let first = if let Some(&(_, _, first)) = seen.find(hash, |k| slot(k) == key) {
                f.repeat = true;
                keys.truncate(start);
                first
            } else {
                let first = u32::try_from(i).unwrap_or(u32::MAX);
                seen.insert_unique(hash, (start, keys.len(), first), |k| hasher.hash_one(slot(k)));
                first
            };
            f.copies = first.saturating_add(1);
            if let Some(c) = usize::try_from(first).ok().and_then(|i| copies.get_mut(i)) {
                *c += 1;
            }
        }
        for f in &mut lines {
            if let Some(first) = f.copies.checked_sub(1) {
                f.copies = usize::try_from(first).ok().and_then(|i| copies.get(i)).copied().unwrap_or(0);
            }
        }
        let title = tokens(&ctx.title);
        let first = texts.first().map(|t| tokens(t)).unwrap_or_default();
        for (i, (f, t)) in lines.iter_mut().zip(&texts).enumerate() {
            // The first line is a reference for the lines after it.
            let first_line: &[String] = if i > 0 { &first } else { &[] };
            f.title_like = resembles(t, f.runs, &title, first_line) || (i == 0 && f.headline);
        }
        for i in 1..lines.len() {
            let (Some(prev), Some(this)) = (texts.get(i - 1), texts.get(i)) else { continue };
            let Some(p) = lines.get(i - 1) else { continue };
            if p.residue || ends_sentence(prev) || p.words == 0 {
                continue;
            }
            let prev_bare = markup_trimmed(prev);
            let last = prev_bare.split_whitespace().last().unwrap_or("");
            // "Sign in" is a button, not the start of a sentence: a cut needs a few words before it.
            let open_end =
                p.words >= 3 && (prev_bare.ends_with([',', ';', '—', '–']) || FUNCTION_WORDS.contains(&last));
            let lower_start = markup_trimmed(this).chars().next().is_some_and(char::is_lowercase) && p.words >= 2;
            if open_end || lower_start {
                if let Some(f) = lines.get_mut(i) {
                    f.broken = true;
                }
                if let Some(f) = lines.get_mut(i - 1) {
                    f.broken = true;
                }
            }
        }
        // The standfirst: a headline-like line right under the title.
        let titles: Vec<usize> = lines.iter().enumerate().filter(|(_, f)| f.title_like).map(|(i, _)| i + 1).collect();
        for i in titles {
            if let Some(f) = lines.get_mut(i)
                && f.headline
            {
                f.title_like = true;
            }
        }
        let article = article_span(&lines, &texts);
        // With no headline known, the nearest headline-shaped line of the six above the lede
        // that shares most of its longer words with it is the headline: "Russia and Ukraine
        // swap prisoners in UAE-brokered deal" over "Russia and Ukraine exchanged 150 prisoners
        // ...", between an app button and a player's length that menus and link lists would
        // take with it.
        // (The first line is taken for the headline when it is shaped like one, and is one
        // here only if it shares the lede's words too.)
        if let Some((a, _)) = article
            && !lines.iter().take(a).skip(1).any(|f| f.title_like)
            && let Some(lede) = texts.get(a).map(|t| long_words(t).collect::<Vec<_>>())
            && !(lines.first().is_some_and(|f| f.title_like)
                && texts.first().is_some_and(|t| shares_most_words(t, &lede)))
            // (A photo's caption with its credit names the lede's people too: "Russian Foreign
            // Minister Sergei Lavrov Russian Foreign Ministry/TASS".)
            && let Some(h) = (a.saturating_sub(6)..a).rev().find(|&j| {
                lines.get(j).is_some_and(|f| f.headline)
                    && texts.get(j).is_some_and(|t| !t.contains(['/', '|', '©']) && shares_most_words(t, &lede))
            })
            && let Some(f) = lines.get_mut(h)
        {
            f.title_like = true;
        }
        let hits = ctx.patterns.set(Role::Line).map_or_else(Vec::new, |set| {
            set.hits_each(&texts.iter().zip(&lines).map(|(t, l)| (*t, l.plain)).collect::<Vec<_>>())
        });
        let mut by_slot: Vec<Vec<usize>> = Vec::new();
        if let Some(width) = hits.iter().flatten().map(SetHits::width).next() {
            by_slot.resize_with(width, Vec::new);
            for (i, h) in hits.iter().enumerate() {
                match h {
                    Some(h) => {
                        for slot in h.iter() {
                            if let Some(l) = by_slot.get_mut(slot) {
                                l.push(i);
                            }
                        }
                    }
                    None => by_slot.iter_mut().for_each(|l| l.push(i)),
                }
            }
        }
        let needles = ctx.patterns.needles().map(|n| Arc::new(n.scan(&ctx.text)));
        Self { lines, hits, by_slot, article, needles }
    }

    fn line(&self, i: usize) -> LineFacts {
        self.lines.get(i).cloned().unwrap_or_default()
    }

    /// Lines the structural helpers never take: prose, the headline and its standfirst,
    /// and pieces of a sentence broken at a link.
    fn protected(&self, i: usize) -> bool {
        self.lines.get(i).is_some_and(|f| f.prose || f.title_like || f.broken)
    }

    /// Line `i` may be a caption though it reads as prose: it is neither headline-like nor a
    /// piece of a broken sentence, and not long.
    fn caption_shaped(&self, i: usize) -> bool {
        self.lines.get(i).is_some_and(|f| !f.title_like && !f.broken && f.words <= CAPTION_WORDS)
    }

    /// Where the card above line `i` (a "Read more" or "Sign up" button) starts: its title, a
    /// short line that does not end like a sentence, and under it at most one more line (the
    /// teaser or the pitch), each of at most `CARD_WORDS` words. Neither may be the page's
    /// headline or a piece of a broken sentence, nor come before `floor` (the line after the
    /// button before); without such a title, `i` itself.
    fn card_above(&self, i: usize, floor: usize) -> usize {
        let title = |j: usize| {
            self.lines.get(j).is_some_and(|f| {
                !f.stop && !f.residue && !f.title_like && !f.broken && (1..=CARD_WORDS).contains(&f.words)
            })
        };
        let pitch = |j: usize| {
            self.lines.get(j).is_some_and(|f| !f.title_like && !f.broken && (1..=CARD_WORDS).contains(&f.words))
        };
        match (i.checked_sub(2).filter(|&t| t >= floor), i.checked_sub(1).filter(|&t| t >= floor)) {
            (Some(t), Some(p)) if title(t) && pitch(p) => t,
            (_, Some(t)) if title(t) => t,
            _ => i,
        }
    }

    fn in_zone(&self, i: usize, zone: Zone) -> bool {
        match (self.article, zone) {
            (None, Zone::Article) => true,
            (None, _) => false,
            (Some((a, _)), Zone::Head) => i < a,
            (Some((_, b)), Zone::Tail) => i > b,
            (Some((a, b)), Zone::Outside) => i < a || i > b,
            (Some((a, b)), Zone::Article) => (a..=b).contains(&i),
        }
    }
}

/// The article is the cluster of prose lines (anchors: long sentences seen for the first time)
/// with the most prose in it; anchors more than `ANCHOR_GAP` lines apart start a new cluster.
/// Other clusters of at least three anchors and a third of its weight are part of the article
/// too (a story split by a long table or list), and so is everything between them.
fn article_span(lines: &[LineFacts], texts: &[&str]) -> Option<(usize, usize)> {
    // (first, last, weight, anchors)
    let mut clusters: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (i, f) in lines.iter().enumerate() {
        let text = texts.get(i).copied().unwrap_or("");
        // List items ("* A man walks past ...") are captions and teasers as often as story.
        let bullet = text.starts_with(['*', '-', '•']) && text.chars().nth(1).is_some_and(char::is_whitespace);
        // Nor is the browser title on the first line that the headline repeats further down,
        // even when it reads as prose ("What Is the ... Rate in Biden's Plan?"): the section
        // label under it is above the story.
        let browser_title = i == 0 && f.copies > 1;
        if !f.prose || f.words < ANCHOR_WORDS || f.repeat || bullet || browser_title {
            continue;
        }
        let reach = if f.words >= STRONG_ANCHOR_WORDS { ANCHOR_GAP + 1 } else { 3 };
        match clusters.last_mut() {
            Some(c) if i - c.1 <= reach => {
                c.1 = i;
                c.2 += text.len();
                c.3 += 1;
            }
            _ => clusters.push((i, i, text.len(), 1)),
        }
    }
    let best = clusters.iter().max_by_key(|c| c.2)?;
    let big = |c: &&(usize, usize, usize, usize)| c.3 >= 3 && c.2 * 3 >= best.2;
    let first = clusters.iter().find(big).map_or(best.0, |c| c.0);
    let last = clusters.iter().rev().find(big).map_or(best.1, |c| c.1);
    Some((first.min(best.0), last.max(best.1)))
}

/// Runs of consecutive menu items: labels, counts, dates and link residue, none of them prose
/// or headline-like.
fn drop_menus(page: &Page, kind: &str, opts: Option<&Map>) -> HelperResult<impl Prepared> {
    let mut o = Opts::parse(page, "drop_menus", opts, RUN_OPTS)?;
    let max_words = o.max_words.take().unwrap_or(6);
    let min_run = o.min_run.unwrap_or(3).max(1);
    let kind = kind.to_owned();
    Ok(prepared(move |page: &Page| {
        // A label over a bulleted sentence, before the page's tail, heads the article's own
        // summary ("Key Points" over "* On Dec. 8, prosecutors unsealed ..."): a menu's labels
        // are followed by more labels, the headline or a byline.
        let heads_summary = |i: usize| {
            page.facts.lines.get(i + 1).is_some_and(|f| f.prose)
                && page.para(i + 1).trim_start().starts_with(['*', '-', '•'])
                && page.facts.article.is_none_or(|(_, b)| i < b)
        };
        let item = |i: usize| {
            let f = page.facts.line(i);
            o.eligible(page, i)
                && !page.facts.protected(i)
                && (f.residue || (f.meta && f.words <= max_words))
                && !heads_summary(i)
        };
        // A longer label inside a menu ("Banned Books Week UK" between "Campaigns" and
        // "SLAPPs"): a short line that is no sentence, with labels right above and below it and
        // at least four within three lines. Not in the three lines above the article, where a
        // short headline stands between its section label and its byline and date.
        let n_paras = page.ctx.paras.len();
        let bridge = |i: usize| {
            // The line's own facts first: most lines are prose and fail them.
            let shaped = page.facts.lines.get(i).is_some_and(|f| !f.stop && f.words <= max_words);
            let Some(before) = i.checked_sub(1).filter(|_| shaped && i + 1 < n_paras) else { return false };
            page.facts.article.is_none_or(|(a, b)| i + 3 < a || i > b)
                && !page.facts.protected(i)
                && o.eligible(page, i)
                && item(before)
                && item(i + 1)
                && (i.saturating_sub(3)..=(i + 3).min(n_paras - 1)).filter(|&j| j != i && item(j)).count() >= 4
        };
        mark_runs(page, &kind, |i| item(i) || bridge(i), |_| 1, min_run)
    }))
}

/// Blocks of headline-like lines (link lists, "more stories"), with the labels, dates and link
/// residue between them, holding at least `min_items` headlines.
fn drop_link_lists(page: &Page, kind: &str, opts: Option<&Map>) -> HelperResult<impl Prepared> {
    let mut o = Opts::parse(page, "drop_link_lists", opts, RUN_OPTS)?;
    o.max_words = None;
    let min_items = o.max_items.take().unwrap_or(3).max(1);
    let kind = kind.to_owned();
    Ok(prepared(move |page: &Page| {
        let member = |i: usize| {
            let f = page.facts.line(i);
            o.eligible(page, i) && !page.facts.protected(i) && (f.headline || f.meta || f.residue)
        };
        let weight = |i: usize| usize::from(page.facts.line(i).headline);
        mark_runs(page, &kind, member, weight, min_items)
    }))
}

/// Marks every maximal run of `member` lines whose `weight` adds up to at least `min`.
fn mark_runs(
    page: &Page,
    kind: &str,
    member: impl Fn(usize) -> bool,
    weight: impl Fn(usize) -> usize,
    min: usize,
) -> HelperResult<i64> {
    let n_paras = page.ctx.paras.len();
    let (mut i, mut n) = (0, 0);
    while i < n_paras {
        if !member(i) {
            i += 1;
            continue;
        }
        let mut end = i;
        let mut total = weight(i);
        while end + 1 < n_paras && member(end + 1) {
            end += 1;
            total += weight(end);
        }
        if total >= min {
            // One mark per line, so that a rule naming part of the run still wins that part.
            for j in i..=end {
                n += page.mark_paras_with(kind, j, j, true)?;
            }
        }
        i = end + 1;
    }
    Ok(n)
}

/// Second and later copies of a line (menus printed twice, a headline repeated as a link); with
/// `min_copies`, every copy of a line printed at least that many times.
fn drop_repeats(page: &Page, kind: &str, opts: Option<&Map>) -> HelperResult<impl Prepared> {
    let o = Opts::parse(page, "drop_repeats", opts, REPEAT_OPTS)?;
    let kind = kind.to_owned();
    Ok(prepared(move |page: &Page| {
        let mut n = 0;
        for i in 0..page.ctx.paras.len() {
            // A word repeated as a piece of a broken sentence ("... on" / "Telegram") is story.
            let f = page.facts.line(i);
            let copied = match o.min_copies {
                Some(m) => f.copies as usize >= m.max(2),
                None => f.repeat,
            };
            if copied && !f.broken && o.eligible(page, i) {
                n += page.mark_paras_with(&kind, i, i, true)?;
            }
        }
        Ok(n)
    }))
}

/// Lines that are only markup or link residue.
fn drop_residue(page: &Page, kind: &str, opts: Option<&Map>) -> HelperResult<impl Prepared> {
    let o = Opts::parse(page, "drop_residue", opts, LINE_OPTS)?;
    let kind = kind.to_owned();
    Ok(prepared(move |page: &Page| {
        let mut n = 0;
        for i in 0..page.ctx.paras.len() {
            if page.facts.line(i).residue && o.eligible(page, i) {
                n += page.mark_paras_with(&kind, i, i, true)?;
            }
        }
        Ok(n)
    }))
}

/// Every line of a zone (the tail by default) that is not protected: what is left after the
/// article once its prose, headline and broken sentences are spared.
fn drop_leftovers(page: &Page, kind: &str, opts: Option<&Map>) -> HelperResult<impl Prepared> {
    let mut o = Opts::parse(page, "drop_leftovers", opts, REPEAT_OPTS)?;
    o.zone = Some(o.zone.unwrap_or(Zone::Tail));
    o.keep_prose = true;
    let kind = kind.to_owned();
    Ok(prepared(move |page: &Page| {
        let mut n = 0;
        for i in 0..page.ctx.paras.len() {
            if o.eligible(page, i) {
                n += page.mark_paras_with(&kind, i, i, true)?;
            }
        }
        Ok(n)
    }))
}

fn fact_of(page: &Page, i: i64, f: impl Fn(&LineFacts) -> bool) -> bool {
    index(page, i).is_some_and(|i| f(&page.facts.line(i)))
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Registers the `Document` type and every helper on `engine`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Page>("Document");

    engine.register_fn("drop_lines", |ctx: NativeCallContext, p: &mut Page, kind: &str, re: &str| {
        act(&ctx, p, drop_lines(p, kind, re, None))
    });
    engine.register_fn("drop_lines", |ctx: NativeCallContext, p: &mut Page, kind: &str, re: &str, o: Map| {
        act(&ctx, p, drop_lines(p, kind, re, Some(&o)))
    });
    engine.register_fn("drop_from", |ctx: NativeCallContext, p: &mut Page, kind: &str, re: &str| {
        act(&ctx, p, drop_from(p, kind, re, None))
    });
    engine.register_fn("drop_from", |ctx: NativeCallContext, p: &mut Page, kind: &str, re: &str, o: Map| {
        act(&ctx, p, drop_from(p, kind, re, Some(&o)))
    });
    engine.register_fn("drop_between", |ctx: NativeCallContext, p: &mut Page, kind: &str, a: &str, b: &str| {
        act(&ctx, p, drop_between(p, kind, a, b, None))
    });
    engine.register_fn("drop_between", |ctx: NativeCallContext, p: &mut Page, kind: &str, a: &str, b: &str, o: Map| {
        act(&ctx, p, drop_between(p, kind, a, b, Some(&o)))
    });
    engine.register_fn("drop_list", |ctx: NativeCallContext, p: &mut Page, kind: &str, re: &str| {
        act(&ctx, p, drop_list(p, kind, re, None))
    });
    engine.register_fn("drop_list", |ctx: NativeCallContext, p: &mut Page, kind: &str, re: &str, o: Map| {
        act(&ctx, p, drop_list(p, kind, re, Some(&o)))
    });
    engine.register_fn("drop_text", |ctx: NativeCallContext, p: &mut Page, kind: &str, re: &str| {
        act(&ctx, p, drop_text(p, kind, re, None))
    });
    engine.register_fn("drop_text", |ctx: NativeCallContext, p: &mut Page, kind: &str, re: &str, o: Map| {
        act(&ctx, p, drop_text(p, kind, re, Some(&o)))
    });
    engine.register_fn("drop_paragraph", |ctx: NativeCallContext, p: &mut Page, kind: &str, i: i64| {
        let kind = kind.to_owned();
        act(&ctx, p, Ok(prepared(move |p: &Page| index(p, i).map_or(Ok(0), |i| p.mark_paras(&kind, i, i)))))
    });

    engine.register_fn("drop_menus", |ctx: NativeCallContext, p: &mut Page, kind: &str| {
        act(&ctx, p, drop_menus(p, kind, None))
    });
    engine.register_fn("drop_menus", |ctx: NativeCallContext, p: &mut Page, kind: &str, o: Map| {
        act(&ctx, p, drop_menus(p, kind, Some(&o)))
    });
    engine.register_fn("drop_link_lists", |ctx: NativeCallContext, p: &mut Page, kind: &str| {
        act(&ctx, p, drop_link_lists(p, kind, None))
    });
    engine.register_fn("drop_link_lists", |ctx: NativeCallContext, p: &mut Page, kind: &str, o: Map| {
        act(&ctx, p, drop_link_lists(p, kind, Some(&o)))
    });
    engine.register_fn("drop_repeats", |ctx: NativeCallContext, p: &mut Page, kind: &str| {
        act(&ctx, p, drop_repeats(p, kind, None))
    });
    engine.register_fn("drop_repeats", |ctx: NativeCallContext, p: &mut Page, kind: &str, o: Map| {
        act(&ctx, p, drop_repeats(p, kind, Some(&o)))
    });
    engine.register_fn("drop_residue", |ctx: NativeCallContext, p: &mut Page, kind: &str| {
        act(&ctx, p, drop_residue(p, kind, None))
    });
    engine.register_fn("drop_residue", |ctx: NativeCallContext, p: &mut Page, kind: &str, o: Map| {
        act(&ctx, p, drop_residue(p, kind, Some(&o)))
    });

    engine.register_fn("drop_leftovers", |ctx: NativeCallContext, p: &mut Page, kind: &str| {
        act(&ctx, p, drop_leftovers(p, kind, None))
    });
    engine.register_fn("drop_leftovers", |ctx: NativeCallContext, p: &mut Page, kind: &str, o: Map| {
        act(&ctx, p, drop_leftovers(p, kind, Some(&o)))
    });

    engine.register_fn("words", |p: &mut Page, i: i64| {
        plan::observe();
        index(p, i).map_or(0, |i| to_i64(p.facts.line(i).words))
    });
    engine.register_fn("is_prose", |p: &mut Page, i: i64| {
        plan::observe();
        fact_of(p, i, |f| f.prose)
    });
    engine.register_fn("is_headline", |p: &mut Page, i: i64| {
        plan::observe();
        fact_of(p, i, |f| f.headline)
    });
    engine.register_fn("is_residue", |p: &mut Page, i: i64| {
        plan::observe();
        fact_of(p, i, |f| f.residue)
    });
    engine.register_fn("is_repeat", |p: &mut Page, i: i64| {
        plan::observe();
        fact_of(p, i, |f| f.repeat)
    });
    engine.register_fn("is_title_like", |p: &mut Page, i: i64| {
        plan::observe();
        fact_of(p, i, |f| f.title_like)
    });
    engine.register_get("article_start", |p: &mut Page| {
        plan::observe();
        p.facts.article.map_or(-1, |(a, _)| to_i64(a))
    });
    engine.register_get("article_end", |p: &mut Page| {
        plan::observe();
        p.facts.article.map_or(-1, |(_, b)| to_i64(b))
    });

    engine.register_get("count", |p: &mut Page| {
        plan::observe();
        i64::try_from(p.ctx.paras.len()).unwrap_or(i64::MAX)
    });
    engine.register_fn("paragraph", |p: &mut Page, i: i64| {
        plan::observe();
        index(p, i).map_or_else(String::new, |i| p.para(i).to_owned())
    });
    engine.register_fn("chars", |p: &mut Page, i: i64| {
        plan::observe();
        index(p, i).map_or(0, |i| i64::try_from(p.chars(i)).unwrap_or(i64::MAX))
    });
    engine.register_fn("find", |p: &mut Page, re: &str| {
        plan::observe();
        find(p, re, 0)
    });
    engine.register_fn("find", |p: &mut Page, re: &str, from: i64| {
        plan::observe();
        find(p, re, from)
    });
    engine.register_fn("find_last", |p: &mut Page, re: &str| {
        plan::observe();
        find_last(p, re)
    });
    engine.register_fn("contains", |p: &mut Page, re: &str| -> HelperResult<bool> {
        plan::observe();
        Ok(find(p, re, 0)? >= 0)
    });
    engine.register_get("url", |p: &mut Page| {
        plan::observe();
        p.ctx.url.clone()
    });
    engine.register_get("host", |p: &mut Page| {
        plan::observe();
        p.ctx.host.clone()
    });
    engine.register_get("title", |p: &mut Page| {
        plan::observe();
        p.ctx.title.clone()
    });
    engine.register_get("outlet", |p: &mut Page| {
        plan::observe();
        p.ctx.outlet.clone()
    });
    engine.register_get("metadata", |p: &mut Page| {
        plan::observe();
        p.ctx.metadata.clone()
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::Paragraphs;

    #[test]
    fn a_headline_shares_the_ledes_words_among_buttons() {
        let t = "Skip to main content\nOpen in app\nRussia and Ukraine swap prisoners in UAE-brokered deal\n\
                 Listen to this article · 5 min\nSave\nImage source, Getty Images\n\
                 Image caption, Freed Ukrainian soldiers arrive at the border on Friday\n\
                 Russia and Ukraine exchanged 150 prisoners each on Friday in a deal brokered by the United Arab Emirates, both sides said.\n\
                 Ukraine's coordination headquarters said the freed men included soldiers captured at Mariupol.\n";
        let p = page(t);
        assert!(p.facts.line(2).title_like);
        // Nor is a headline-shaped line that shares no words with the lede.
        assert!(!p.facts.line(3).title_like && !p.facts.line(6).title_like);
        // Nor a caption with its credit, which names the lede's people.
        let t = "Skip to main content\nOpen in app\nSave\n\
                 Russian Foreign Minister Sergei Lavrov Russian Foreign Ministry/TASS\n\
                 Russian Foreign Minister Sergei Lavrov said on Tuesday that the talks had stalled over sanctions.\n";
        assert!(!page(t).facts.line(3).title_like);
    }

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
            rule_ids: ["other.rule".into(), "test.rule".into()].into(),
        });
        p.begin_rule(1, 0);
        p
    }

    #[test]
    fn marks_name_the_rule_begun_last() {
        let p = page("Photo: AP\nText.\nPhoto: Reuters");
        p.mark("caption", Span::new(0, 9)).ok();
        p.begin_rule(0, 3);
        p.mark("caption", Span::new(16, 30)).ok();
        let marks = p.take_marks();
        let named: Vec<(&str, u32)> = marks.iter().map(|m| (&*m.rule, m.order)).collect();
        assert_eq!(named, [("test.rule", 0), ("other.rule", 3)]);
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
        assert_eq!(
            drop_lines(&p, "share_widget", "Share", Some(&map(&[("max_chars", 10.into())]))).and_then(|f| f(&p)).ok(),
            Some(2)
        );
        assert_eq!(marked(&p), ["Share", "Share"]);
        assert_eq!(
            drop_lines(&p, "share_widget", "Share", Some(&map(&[("first", 1.into())]))).and_then(|f| f(&p)).ok(),
            Some(1)
        );
        assert_eq!(marked(&p), ["Share"]);
    }

    #[test]
    fn caption_above_takes_a_caption_sentence_above_a_credit() {
        let text = "Ferry returns after storm\n\
            The ferry between the island and the town ran again on Tuesday, after three weeks of repairs.\n\
            A deckhand ties up the ferry on May 2, 2024 in Port Ellen, Scotland.\nJane Doe—Getty Images\n\
            The council said a permanent pier would be built next spring once the insurers agreed.\n\
            Jane Doe—Getty Images\nEngineers fitted a ramp over the weekend, the council said.\n";
        let p = page(text);
        let o = map(&[("caption_above", r"\bon May \d, \d{4} in \p{Lu}".into())]);
        let credit = r"^Jane Doe—Getty Images$";
        assert_eq!(drop_lines(&p, "caption", credit, Some(&o)).and_then(|f| f(&p)).ok(), Some(3));
        // The caption sentence goes with its credit though it is prose; the story's sentence
        // above the second credit does not match the caption's shape and stays.
        assert_eq!(
            marked(&p),
            [
                "A deckhand ties up the ferry on May 2, 2024 in Port Ellen, Scotland.\nJane Doe—Getty Images",
                "Jane Doe—Getty Images"
            ]
        );
        // with_previous, by contrast, never takes prose.
        let o = map(&[("with_previous", r"\bon May \d, \d{4} in \p{Lu}".into())]);
        assert_eq!(drop_lines(&p, "caption", credit, Some(&o)).and_then(|f| f(&p)).ok(), Some(2));
    }

    #[test]
    fn with_previous_takes_the_line_above_unless_it_is_protected() {
        let text = "Ferry returns after storm\n\
            The ferry between the island and the town ran again on Tuesday, after three weeks.\n\
            Storm hits the pier\nMay 2, 2024 01:10\n\
            The council said a permanent pier would be built next spring once the insurers agreed.\n\
            May 3, 2024 02:20\nEngineers fitted a ramp over the weekend\n";
        let p = page(text);
        let o = map(&[("with_previous", r"^[^.!?]+$".into())]);
        let date = r"^May \d, 2024 \d\d:\d\d$";
        assert_eq!(drop_lines(&p, "caption", date, Some(&o)).and_then(|f| f(&p)).ok(), Some(3));
        // The title above the first date goes with it; the prose sentence above the second stays.
        assert_eq!(marked(&p), ["Storm hits the pier\nMay 2, 2024 01:10", "May 3, 2024 02:20"]);
        let o = map(&[("with_previous", "^Nothing".into())]);
        assert_eq!(drop_lines(&p, "caption", date, Some(&o)).and_then(|f| f(&p)).ok(), Some(2));
        assert!(drop_lines(&p, "x", date, Some(&map(&[("with_previous", 1.into())]))).is_err());
    }

    #[test]
    fn card_above_takes_a_title_and_one_short_line_but_no_prose_above_another_button() {
        let text = "The ferry between the island and the town ran again on Tuesday, after three weeks of repairs.\n\
            Coast Weekly\nThe week's news from the coast.\nSign up\n\
            Pier reopens\nRead more\nThe council met.\nRead more\n\
            The harbour master said the ferry would run twice a day from Monday until the end of the summer.\nRead more";
        let p = page(text);
        let o = map(&[("card_above", true.into())]);
        assert_eq!(drop_lines(&p, "x", "^(Sign up|Read more)$", Some(&o)).and_then(|f| f(&p)).ok(), Some(7));
        assert_eq!(
            marked(&p),
            [
                "Coast Weekly\nThe week's news from the coast.\nSign up",
                "Pier reopens\nRead more",
                // "The council met." ends like a sentence: no title, and the button before
                // bounds the card.
                "Read more",
                // A long sentence is neither a title nor a pitch.
                "Read more",
            ]
        );
        assert!(drop_lines(&p, "x", "^Read more$", Some(&map(&[("card_above", 1.into())]))).is_err());
    }

    #[test]
    fn min_copies_takes_every_copy_of_a_line_printed_that_often() {
        let text = "Give monthly\nThe ferry ran again.\nGive monthly\nThe ferry ran again.\nGive monthly\nThe end.";
        let p = page(text);
        let o = map(&[("min_copies", 3.into())]);
        assert_eq!(drop_repeats(&p, "duplicate", Some(&o)).and_then(|f| f(&p)).ok(), Some(3));
        assert_eq!(marked(&p), ["Give monthly", "Give monthly", "Give monthly"]);
        // Without it, only the later copies; the twice-printed line keeps its first copy.
        assert_eq!(drop_repeats(&p, "duplicate", None).and_then(|f| f(&p)).ok(), Some(3));
        assert_eq!(marked(&p), ["Give monthly", "The ferry ran again.", "Give monthly"]);
        let facts: Vec<u32> = (0..6).map(|i| p.facts.line(i).copies).collect();
        assert_eq!(facts, [3, 2, 3, 2, 3, 1]);
    }

    #[test]
    fn drop_from_runs_continue_iflines_match_or_are_short() {
        let text = "Body one.\nA Message from X:\nDear readers,\nPlease support us monthly.\nOnce\nMonthly\nA long sentence of article prose comes back here.";
        let p = page(text);
        let o = map(&[("continue_if", "support|readers".into()), ("short", 12.into())]);
        assert_eq!(drop_from(&p, "donation_appeal", "^A Message from", Some(&o)).and_then(|f| f(&p)).ok(), Some(5));
        assert_eq!(marked(&p), ["A Message from X:\nDear readers,\nPlease support us monthly.\nOnce\nMonthly"]);
        // Without bounds the block runs to the end; `end_at` ends it inclusively.
        let p = page(text);
        assert_eq!(
            drop_from(&p, "x", "^Dear", Some(&map(&[("end_at", "^Once$".into())]))).and_then(|f| f(&p)).ok(),
            Some(3)
        );
        assert_eq!(marked(&p), ["Dear readers,\nPlease support us monthly.\nOnce"]);
    }

    #[test]
    fn drop_list_takes_the_heading_and_headline_items() {
        let p = page(
            "Body.\n\nRelated posts\n\nRussian FM: West sees Moldova as ‘next Ukraine’\n\nAnother headline\n\nThis is a sentence of prose that ends with a stop.",
        );
        assert_eq!(drop_list(&p, "related_links", "^Related posts$", None).and_then(|f| f(&p)).ok(), Some(3));
        assert_eq!(
            marked(&p),
            ["Related posts\n\nRussian FM: West sees Moldova as ‘next Ukraine’\n\nAnother headline"]
        );
    }

    #[test]
    fn drop_between_needs_its_end() {
        let p = page("a\nSTART\nb\nEND\nc\nSTART\nd");
        assert_eq!(drop_between(&p, "ad", "^START$", "^END$", None).and_then(|f| f(&p)).ok(), Some(3));
        assert_eq!(marked(&p), ["START\nb\nEND"]);
    }

    #[test]
    fn drop_text_marks_pieces_of_lines() {
        let p = page("Caption of a photo (Via AFP)\nPlain.");
        assert_eq!(drop_text(&p, "caption", r"\(Via [^)]*\)", None).and_then(|f| f(&p)).ok(), Some(1));
        assert_eq!(marked(&p), ["(Via AFP)"]);
    }

    #[test]
    fn helpful_errors() {
        let p = page("a");
        let e =
            drop_lines(&p, "caption", "(", None).and_then(|f| f(&p)).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("Runtime error"), "{e}");
        let e = drop_lines(&p, "caption", "a", Some(&map(&[("frist", 1.into())]))).and_then(|f| f(&p));
        assert!(e.is_err());
        assert!(drop_lines(&p, "Bad Kind", "a", None).and_then(|f| f(&p)).is_err());
    }

    const PAGE: &str = "Ferry returns after storm - Coast Courier\nHome\nLocal\nSport\nFerry returns after storm\n\
The ferry between the island and the town ran again on Tuesday, three weeks after the storm hit the pier.\n\
Engineers fitted a temporary ramp over the weekend, and the first crossing carried forty passengers.\n\
[](https://example.org/pier)\n\
The council said a permanent pier would be built next spring once the insurers had agreed on the cost.\n\
Engineers fitted a temporary ramp over the weekend, and the first crossing carried forty passengers.\n\
New bakery opens on the high street\n12:30\nSchool choir wins regional contest\nAbout us\nContact";

    /// Helpers ask only about a pattern's candidate lines: every line the set or the needles
    /// leave open must be one, whichever way the pattern is answered.
    #[test]
    fn candidates_hold_every_line_not_ruled_out() {
        let patterns = Arc::new(Patterns::default());
        patterns.gather(Role::Line);
        let sources = ["^(Home|Local)$", "^Ferry", r"(?i)\bengineers\b", r"(?i)about us", r"\d+:\d+", "^[A-Z][a-z]+$"];
        let res: Vec<Arc<Pattern>> =
            sources.iter().map(|s| patterns.regex_in(Role::Line, s).unwrap_or_else(|e| panic!("{e}"))).collect();
        patterns.seal();
        patterns.index_needles();
        let text = format!("{PAGE}\nÉlan returns\nHome");
        let p = Page::new(PageCtx {
            text: text.clone(),
            paras: Paragraphs::split(&text).spans,
            url: String::new(),
            host: String::new(),
            title: String::new(),
            outlet: String::new(),
            metadata: Map::new(),
            patterns,
            rule_ids: Arc::default(),
        });
        assert!(res.iter().any(|re| re.slot(Role::Line).is_some()) && res.iter().any(|re| re.needle_id().is_some()));
        for (re, src) in res.iter().zip(sources) {
            let c = p.candidates(re);
            let listed: Vec<usize> = std::iter::successors(c.next(0), |&i| c.next(i + 1)).collect();
            let open: Vec<usize> = (0..p.ctx.paras.len()).filter(|&i| !p.ruled_out(re, i)).collect();
            assert!(open.iter().all(|i| listed.contains(i)), "{src}: {open:?} not all in {listed:?}");
            let answered = re.slot(Role::Line).is_some() || re.needle_id().is_some();
            assert_eq!(listed.len() < p.ctx.paras.len(), answered, "{src}: {listed:?}");
        }
    }

    #[test]
    fn facts_describe_each_line_and_find_the_article() {
        let p = page(PAGE);
        let f = |i: usize| p.facts.line(i);
        assert!(f(0).title_like && f(0).headline);
        assert!(f(1).meta && !f(1).headline && f(1).words == 1);
        assert!(f(4).title_like, "the headline resembles the page title on the first line");
        assert!(f(5).prose && !f(5).repeat);
        assert!(f(7).residue && !f(7).prose);
        assert!(f(9).repeat && f(9).prose);
        assert!(f(10).headline && f(11).meta);
        // The repeated sentence does not extend the article.
        assert_eq!(p.facts.article, Some((5, 8)));
        assert!(p.facts.in_zone(2, Zone::Head) && p.facts.in_zone(12, Zone::Tail) && p.facts.in_zone(7, Zone::Article));
        assert!(p.facts.protected(5) && p.facts.protected(4) && !p.facts.protected(1));
    }

    #[test]
    fn broken_sentences_and_dates_are_recognised() {
        let p = page(
            "Officials said the talks held in\nGeneva\nwere useful.\nUpdated: May 3, 2024 10:15 AM EDT\nexample.com/news/a-story",
        );
        assert!(p.facts.line(0).broken && p.facts.line(1).broken, "a line ending in `in` continues on the next");
        assert!(p.facts.line(3).meta, "a dateline is a label, not a headline");
        assert!(p.facts.line(4).residue, "a URL without its scheme is residue");
        assert!(names_a_date("Posted 3 Oct 2021") && !names_a_date("Ferry returns"));
        assert!(domain_path("abc.net.au/news/x") && !domain_path("U.S./Russia") && !domain_path("24/7"));
    }

    /// [`LineFacts::of`] as it was before [`Tally`]: a pass per fact, each plainly what it says.
    fn line_facts_by_passes(line: &str) -> LineFacts {
        let bare = markup_trimmed(line);
        let words = bare.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count();
        let residue = {
            let total = line.chars().count().max(1);
            let rest = without_link_targets(line);
            let (mut kept, mut letters, mut words) = (0, 0, 0);
            for w in rest.split_whitespace().filter(|w| !url_like(w)) {
                words += 1;
                for c in w.chars() {
                    kept += 1;
                    letters += usize::from(c.is_alphabetic());
                }
            }
            kept += words.max(1) - 1;
            letters == 0 || (kept + 1) * 10 < total * 4 && letters * 10 < total * 4
        };
        let prose = !residue && ((words >= 4 && ends_sentence(line)) || words >= LONG_WORDS);
        let last = bare.split_whitespace().last().unwrap_or("");
        let first = bare.split_whitespace().next().unwrap_or("");
        let fragment = bare.ends_with([',', ';', '–', '—', '-', '(', '/'])
            || FUNCTION_WORDS.contains(&last)
            || (first.chars().next().is_some_and(char::is_lowercase) && FUNCTION_WORDS.contains(&first));
        let (mut digits, mut letters) = (0, 0);
        for c in bare.chars() {
            digits += usize::from(c.is_ascii_digit());
            letters += usize::from(c.is_alphabetic());
        }
        let meta = !prose
            && (words <= 3
                || (digits >= letters && words <= 6)
                || (digits > 0 && words <= 16 && names_a_date(bare))
                || (bare.ends_with(':') && words <= 8));
        let headline = !prose && !residue && !meta && !fragment && !bare.starts_with('(') && (3..=40).contains(&words);
        let chars = line.chars().count();
        LineFacts {
            words,
            runs: super::words(line).count(),
            prose,
            headline,
            meta,
            residue,
            stop: ends_sentence(line),
            chars,
            plain: patterns::plain(line),
            plain_key: plain_key_by_chars(line),
            ..LineFacts::default()
        }
    }

    /// Pieces of the lines of scraped news pages: words, markup, links, typography, letters
    /// beyond ASCII, digits, times and months.
    fn line_pieces() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::strategy::Strategy;
        proptest::collection::vec(
            proptest::prop_oneof![
                "[a-zA-Z0-9 .,:;!?()\\[\\]\\-*#>_|/\t\u{a0}\u{2009}\u{85}]{0,6}",
                "[éÉüßøłŁçİıǅѐЖждДΣσ’‘“”–—…•·«»\u{212a}\u{1d400}]{1,3}",
                proptest::sample::select(vec![
                    "**", "# ", "> ", "* ", "- ", "](https://example.org/a)", "[", "]", "(", ")", "http://x.com/a",
                    "https://t.co", "www.example.com", "example.com/news/a-story", "abc.net.au/x", "U.S./Russia",
                    "24/7", "12:30", "10:15 AM", "May", "sept", "December", "Jan.", "2024", " the", " of ", " and",
                    "said.", "...", "…", "”.", "’", " — ", " – ", ",", ":", "Москва", "Київ", "café", "Zürich", " ",
                    "  ", "\n",
                ])
                .prop_map(str::to_owned),
            ],
            0..24,
        )
        .prop_map(|pieces| pieces.concat())
    }

    /// [`norm_key`] as first written: lower-cased, split into words, joined by spaces.
    fn norm_key_by_words(line: &str) -> String {
        let words: Vec<&str> = markup_trimmed(line).split_whitespace().collect();
        let key = words.join(" ").to_lowercase();
        key.trim_end_matches(['.', ':', '!', '?']).to_owned()
    }

    proptest::proptest! {
        #[test]
        fn a_single_spaced_lines_repeat_key_joins_its_words(
            words in proptest::collection::vec(proptest::sample::select(vec![
                "Kyiv", "SAID", "“Yes,”", "Σκ", "ΑΒ", "İstanbul", "\u{212a}", "—", "Москва", "ÉTÉ", "été", "a\u{a0}b", "x\u{2009}",
                "**", "2024.", "-", "",
            ]), 0..12),
        ) {
            // Both ways to the key, whether the tally finds the line plain or not.
            let line = words.join(" ");
            proptest::prop_assert_eq!(norm_key(&line), norm_key_by_words(&line), "{:?}", line);
            proptest::prop_assert_eq!(norm_key_as(&line, false), norm_key_by_words(&line), "{:?}", line);
        }
    }

    proptest::proptest! {
        #[test]
        fn the_repeat_key_joins_words_by_single_spaces(line in "[aB .:!?*#|\\-\t\n\x0b\x0c\r_“”—ÉİΣσΑ\u{a0}\u{2009}\u{212a}]{0,24}") {
            proptest::prop_assert_eq!(norm_key(&line), norm_key_by_words(&line), "{:?}", line);
        }

        #[test]
        fn an_ascii_lines_repeat_key_joins_words_by_single_spaces(line in "[aBz .:!?*#|\\-\t\n\x0b\x0c\r_]{0,24}") {
            proptest::prop_assert_eq!(norm_key(&line), norm_key_by_words(&line), "{:?}", line);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn a_line_repeats_when_its_key_came_before_and_counts_its_copies(picks in proptest::collection::vec(0usize..12, 1..24)) {
            const LINES: [&str; 12] = [
                "Read more", "read  more.", "READ MORE!", "Read more stories", "** ##", "Photo: AFP",
                "photo: afp", "Σίσυφος είπε", "σίσυφος  είπε.", "The minister said the talks ended.",
                "The minister said the talks ended", "Read",
            ];
            let text = picks.iter().map(|&i| LINES[i]).collect::<Vec<_>>().join("\n");
            let p = page(&text);
            // A set of the keys as first written, one string each, and how often each occurs.
            let keys: Vec<String> = p.ctx.paras.iter().map(|s| norm_key_by_words(s.slice(&p.ctx.text))).collect();
            let mut seen = std::collections::HashSet::new();
            for (i, key) in keys.iter().enumerate() {
                let repeat = !key.is_empty() && !seen.insert(key);
                proptest::prop_assert_eq!(p.facts.line(i).repeat, repeat, "line {} of {:?}", i, text);
                let copies = if key.is_empty() { 0 } else { keys.iter().filter(|k| *k == key).count() };
                proptest::prop_assert_eq!(p.facts.line(i).copies as usize, copies, "line {} of {:?}", i, text);
            }
        }
    }

    /// [`resembles`] as first written: every word looked up, then the shares compared.
    fn resembles_by_counting(line: &str, reference: &[String]) -> bool {
        let (mut total, mut shared) = (0usize, 0usize);
        for w in words(line) {
            total += 1;
            shared += usize::from(reference.contains(&w.to_lowercase()));
        }
        !reference.is_empty() && total >= 3 && shared >= 3 && shared * 10 >= total * 8
    }

    #[test]
    fn a_line_resembles_its_reference_in_any_case() {
        let reference = tokens("Kyiv talks: Éire, жд and the 2024 café");
        for line in ["KYIV TALKS ÉIRE ЖД 2024", "kyiv Talks éire Жд the", "Kyiv, talks — CAFÉ, the, AND"] {
            let total = Tally::of(line).runs;
            assert!(resembles(line, total, &reference, &[]), "{line:?}");
            assert!(resembles(line, total, &[], &reference), "{line:?}");
        }
        let line = "Kyiv talks went on in Vienna today";
        assert!(!resembles(line, Tally::of(line).runs, &reference, &reference));
    }

    proptest::proptest! {
        #[test]
        fn resembles_stops_at_the_deciding_miss_with_the_same_answer(
            line in proptest::collection::vec(proptest::sample::select(vec![
                "Kyiv", "kyiv", "KYIV", "talks", "the", "Café", "café", "ЖД", "жд", "new", "2024", " ", ", ", "—", "’s", "٣", "\u{2009}", "\t",
            ]), 0..16),
            reference in proptest::collection::vec(proptest::sample::select(vec!["kyiv", "talks", "the", "café", "жд", "2024"]), 0..5),
        ) {
            let line = line.concat();
            let reference: Vec<String> = reference.into_iter().map(str::to_owned).collect();
            let total = Tally::of(&line).runs;
            proptest::prop_assert_eq!(total, words(&line).count());
            proptest::prop_assert_eq!(resembles(&line, total, &reference, &[]), resembles_by_counting(&line, &reference), "{:?}", line);
            // Two references at once: either resembled.
            let other: Vec<String> = reference.iter().rev().skip(1).chain(["new".to_owned()].iter()).cloned().collect();
            proptest::prop_assert_eq!(
                resembles(&line, total, &reference, &other),
                resembles_by_counting(&line, &reference) || resembles_by_counting(&line, &other),
                "{:?} {:?} {:?}", line, reference, other
            );
            proptest::prop_assert_eq!(resembles(&line, total, &[], &reference), resembles_by_counting(&line, &reference));
        }
    }

    proptest::proptest! {
        #[test]
        fn the_tally_by_masks_is_the_tally_by_characters(
            pieces in proptest::collection::vec(line_pieces(), 1..6),
            any in "(?s).{0,150}",
        ) {
            // Several lines' pieces make lines of a few blocks, with characters across their edges.
            let line = pieces.concat();
            proptest::prop_assert_eq!(Tally::of(&line), Tally::of_any(&line), "{:?}", line);
            proptest::prop_assert_eq!(Tally::of(&any), Tally::of_any(&any), "{:?}", any);
        }
    }

    #[test]
    fn the_tally_carries_words_and_characters_across_blocks() {
        // A word, a letter beyond ASCII and a space beyond ASCII each across the edge at byte 64.
        for line in [
            format!("{}abc def", "x".repeat(61)),
            format!("{}Жx y", "a".repeat(63)),
            format!("{}\u{2009}x y", "- ".repeat(31) + "a"),
            "- ".repeat(32),
            format!("{} www.example.com/a b", "word ".repeat(14)),
            "a".repeat(128),
        ] {
            assert_eq!(Tally::of(&line), Tally::of_any(&line), "{line:?}");
        }
        let t = Tally::of(&format!("{}abc def", "x".repeat(61)));
        assert_eq!((t.words, t.runs, t.chars, t.kept), (2, 2, 68, 68));
    }

    proptest::proptest! {
        #[test]
        fn line_facts_in_one_pass_are_the_facts_pass_by_pass(line in line_pieces()) {
            proptest::prop_assert_eq!(LineFacts::of(&line), line_facts_by_passes(&line), "{:?}", line);
        }
    }

    #[test]
    fn drop_menus_takes_label_runs_outside_the_article() {
        let p = page(PAGE);
        let o = map(&[("zone", "head".into()), ("min_run", 2.into())]);
        assert_eq!(drop_menus(&p, "navigation", Some(&o)).and_then(|f| f(&p)).ok(), Some(3));
        assert_eq!(marked(&p), ["Home", "Local", "Sport"]);
        let o = map(&[("zone", "tail".into()), ("min_run", 2.into())]);
        assert_eq!(drop_menus(&p, "navigation", Some(&o)).and_then(|f| f(&p)).ok(), Some(2));
        assert_eq!(marked(&p), ["About us", "Contact"]);
        assert!(drop_menus(&p, "navigation", Some(&map(&[("zone", "middle".into())]))).and_then(|f| f(&p)).is_err());
    }

    #[test]
    fn a_question_in_the_browser_title_does_not_start_the_article() {
        let text = "Will the Ferry Run Again Before the Winter Storms Return to the Coast?\nLocal\n\
                    Will the Ferry Run Again Before the Winter Storms Return to the Coast?\nMarch 3, 2025\n\
                    The ferry between the island and the town ran again on Tuesday, three weeks after the storm hit the pier.\n\
                    Engineers fitted a temporary ramp over the weekend, and the first crossing carried forty passengers.\n\
                    The council said a permanent pier would be built next spring once the insurers had agreed on the cost.";
        let p = page(text);
        // Before, the question on the first line was the article's first prose line, and the
        // section label under it was inside the article.
        assert_eq!(p.facts.article, Some((4, 6)));
        let o = map(&[("zone", "head".into()), ("min_run", 1.into()), ("max_words", 3.into())]);
        assert_eq!(drop_menus(&p, "navigation", Some(&o)).and_then(|f| f(&p)).ok(), Some(2));
        assert_eq!(marked(&p), ["Local", "March 3, 2025"]);
    }

    #[test]
    fn a_label_over_summary_bullets_is_no_menu_item() {
        let text = "Ferry returns after storm - Coast Courier\nHome\nLocal\nMenu\nKey Points\n\
                    * The ferry between the island and the town ran again on Tuesday, three weeks after the storm.\n\
                    * Engineers fitted a temporary ramp over the weekend, and the first crossing carried forty passengers.\n\
                    Ferry returns after storm\n\
                    The ferry between the island and the town ran again on Tuesday, three weeks after the storm hit the pier.\n\
                    The council said a permanent pier would be built next spring once the insurers had agreed on the cost.\n\
                    Engineers fitted a temporary ramp over the weekend, and the first crossing carried forty passengers.\n\
                    More\n* New bakery opens on the high street after a long wait for its licence.\nAbout us\nContact";
        let p = page(text);
        let o = map(&[("zone", "head".into()), ("min_run", 2.into())]);
        assert_eq!(drop_menus(&p, "navigation", Some(&o)).and_then(|f| f(&p)).ok(), Some(3));
        // Before, "Key Points" ended the run of menu labels above it.
        assert_eq!(marked(&p), ["Home", "Local", "Menu"]);
        // In the tail a label over a bulleted teaser is a menu's, as before.
        let o = map(&[("zone", "tail".into()), ("min_run", 1.into())]);
        assert_eq!(drop_menus(&p, "navigation", Some(&o)).and_then(|f| f(&p)).ok(), Some(3));
        assert_eq!(marked(&p), ["More", "About us", "Contact"]);
    }

    #[test]
    fn drop_link_lists_needs_enough_headlines() {
        let p = page(PAGE);
        let o = map(&[("zone", "tail".into()), ("min_items", 2.into())]);
        assert_eq!(drop_link_lists(&p, "related_links", Some(&o)).and_then(|f| f(&p)).ok(), Some(5));
        assert_eq!(marked(&p)[0], "New bakery opens on the high street");
        let o = map(&[("zone", "tail".into()), ("min_items", 3.into())]);
        assert_eq!(drop_link_lists(&p, "related_links", Some(&o)).and_then(|f| f(&p)).ok(), Some(0));
    }

    #[test]
    fn drop_repeats_residue_and_leftovers() {
        let p = page(PAGE);
        assert_eq!(drop_repeats(&p, "duplicate", None).and_then(|f| f(&p)).ok(), Some(1));
        assert_eq!(
            marked(&p),
            ["Engineers fitted a temporary ramp over the weekend, and the first crossing carried forty passengers."]
        );
        assert_eq!(drop_residue(&p, "markup_residue", None).and_then(|f| f(&p)).ok(), Some(2));
        assert_eq!(marked(&p), ["[](https://example.org/pier)", "12:30"]);
        assert_eq!(drop_leftovers(&p, "other_boilerplate", None).and_then(|f| f(&p)).ok(), Some(5));
        // Structural marks yield to rules that name what they remove.
        let p = page(PAGE);
        let _ = drop_residue(&p, "markup_residue", None).and_then(|f| f(&p));
        assert!(p.take_marks().iter().all(|m| m.order >= FALLBACK_ORDER));
    }

    #[test]
    fn zone_and_keep_prose_options_restrict_pattern_helpers() {
        let p = page(PAGE);
        let o = map(&[("zone", "tail".into())]);
        assert_eq!(drop_lines(&p, "x", "^[A-Z]", Some(&o)).and_then(|f| f(&p)).ok(), Some(5));
        let o = map(&[("keep_prose", true.into()), ("min_words", 2.into())]);
        assert_eq!(drop_lines(&p, "x", "Engineers|About", Some(&o)).and_then(|f| f(&p)).ok(), Some(1));
        assert_eq!(marked(&p).last().map(String::as_str), Some("About us"));
        assert!(drop_lines(&p, "x", "a", Some(&map(&[("keep_prose", 1.into())]))).and_then(|f| f(&p)).is_err());
    }
}
