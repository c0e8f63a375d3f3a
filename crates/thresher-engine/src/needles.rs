//! One pass over a document for the literals every pattern needs.
//!
//! A rule pattern such as `(?i)\b(photo|image)s?:` can only match a text that holds "photo" or
//! "image" (in any case). Most of a ruleset's patterns have such a short list of *needles*,
//! and most lines hold none of a given pattern's needles; yet running the regex on each line
//! to learn that costs a search per line and pattern, thousands per page. So, once a ruleset
//! has loaded, the needles of its patterns go into one Aho-Corasick automaton ([`Needles`]);
//! each document is scanned by it once ([`Needles::scan`]), and a pattern runs only on the
//! lines and claims that hold one of its needles ([`Hits::within`]).
//!
//! Only the patterns that run alone are indexed: a pattern in a
//! [`PatternSet`](crate::patterns::PatternSet) is answered by the set's pass anyway. Indexing
//! those too made an automaton of 826 needles and 1.6 MB, which missed the processor's cache
//! on nearly every byte: the scan took 7% of the engine's time and saved less than it cost.
//!
//! Needles are a necessary condition, never a sufficient one: a text holding one still goes
//! to the regex. They are found without regard to ASCII case, which can only add candidates.

use std::sync::Arc;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Anchored, MatchKind, PatternID, StartKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
use regex_syntax::hir::{Capture, Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Repetition};

use crate::document::Span;
use crate::patterns::Pattern;

/// Needles shorter than this are too common to rule anything out (but see [`rare_enough`]).
const MIN_NEEDLE: usize = 3;
/// Needles are cut to this many bytes: longer ones rule out few more lines and make the
/// automaton larger, shorter ones let more lines through to the pattern (alternating runs:
/// 8 bytes 228 µs per seed document, 12 bytes 224, 16 bytes 238; 5 bytes 7% slower than 8).
const MAX_NEEDLE: usize = 12;
/// Up to this many needles are searched by a DFA, the fastest automaton (and the largest,
/// some hundred bytes per state); more by a contiguous NFA.
const DFA_NEEDLES: usize = 5_000;
/// A pattern needing one of more strings than this has no needles (it runs on every text).
const MAX_NEEDLES: usize = 256;
/// The DFA reads a text as this many streams at once (see [`overlapping`]). Alone with its
/// table in the cache, four are fastest (1.1-1.3 ns a byte, eight 1.9); in the engine, where
/// the table is colder, eight are 2.6-2.7% faster on cold caches and on the dev articles.
const STREAMS: usize = 8;
/// Texts shorter than this are read as one stream.
const MIN_SPLIT: usize = 256;

/// Byte strings one of which (ignoring ASCII case) occurs in every match of `hir`, when there
/// is such a list of strings long enough to be rare (see [`rare_enough`]); lowercased, sorted, deduplicated.
pub fn needles_of(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let seq = required(&folded(hir))?;
    let mut out: Vec<Vec<u8>> = seq.literals()?.iter().map(|l| l.as_bytes().to_ascii_lowercase()).collect();
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// `hir` with ASCII case folded away: every class of a few characters keeps one of each
/// letter's cases (`[Pp]` becomes `p`, `[Kk\u{212A}]` becomes `[k\u{212A}]`). The needles are
/// found regardless of ASCII case, and `(?i)` would otherwise spell each word in all its cases.
fn folded(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) if c.ranges().len() <= 4 => {
            let mut chars: Vec<char> = Vec::new();
            for r in c.ranges() {
                if u32::from(r.end()) - u32::from(r.start()) > 4 {
                    return hir.clone();
                }
                chars.extend((r.start()..=r.end()).map(|ch| ch.to_ascii_lowercase()));
            }
            chars.sort_unstable();
            chars.dedup();
            match chars.as_slice() {
                [one] => Hir::literal(one.encode_utf8(&mut [0; 4]).as_bytes()),
                _ => Hir::class(Class::Unicode(ClassUnicode::new(
                    chars.iter().map(|&ch| ClassUnicodeRange::new(ch, ch)),
                ))),
            }
        }
        HirKind::Repetition(r) => Hir::repetition(Repetition { sub: Box::new(folded(&r.sub)), ..r.clone() }),
        HirKind::Capture(c) => Hir::capture(Capture { sub: Box::new(folded(&c.sub)), ..c.clone() }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(folded).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(folded).collect()),
        _ => hir.clone(),
    }
}

/// The prefixes every match of `hir` starts with, when they are few and rare enough.
fn prefixes(hir: &Hir) -> Option<Seq> {
    let mut seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_literal_len(MAX_NEEDLE)
        .limit_class(4)
        .limit_total(MAX_NEEDLES)
        .extract(hir);
    seq.keep_first_bytes(MAX_NEEDLE);
    seq.dedup();
    seq.literals()?.iter().all(|l| rare_enough(l.as_bytes())).then_some(seq)
}

/// A needle needs at most this many members of a concatenation: each matches at least one
/// character or is empty.
const WINDOW: usize = MAX_NEEDLE;

/// The best list of strings one of which every match of `hir` contains: the prefixes of any
/// run of members of a concatenation, or what the body of a group or of a repetition taken at
/// least once needs, or the union of what each branch of an alternation needs.
fn required(hir: &Hir) -> Option<Seq> {
    let mut best: Option<Seq> = None;
    let mut consider = |c: Option<Seq>| {
        if let Some(c) = c
            && best.as_ref().is_none_or(|b| better(&c, b))
        {
            best = Some(c);
        }
    };
    match hir.kind() {
        HirKind::Concat(subs) => {
            // A run of members starting anywhere: `(?i)sign up` is one member per letter.
            for k in 0..subs.len() {
                if matches!(subs.get(k).map(Hir::kind), Some(HirKind::Look(_))) {
                    continue;
                }
                let run = subs.get(k..subs.len().min(k + WINDOW)).unwrap_or_default();
                consider(prefixes(&Hir::concat(run.to_vec())));
            }
            for sub in subs {
                if matches!(sub.kind(), HirKind::Capture(_) | HirKind::Repetition(_) | HirKind::Alternation(_)) {
                    consider(required(sub));
                }
            }
        }
        HirKind::Capture(c) => consider(required(&c.sub)),
        HirKind::Repetition(r) if r.min >= 1 => consider(required(&r.sub)),
        HirKind::Alternation(alts) => {
            let mut union = Seq::empty();
            for alt in alts {
                let mut s = required(alt)?;
                union.union(&mut s);
                if union.len().is_none_or(|n| n > MAX_NEEDLES) {
                    return None;
                }
            }
            union.dedup();
            consider(Some(union));
        }
        HirKind::Literal(_) | HirKind::Class(_) => consider(prefixes(hir)),
        _ => {}
    }
    best
}

/// Whether a needle rules out enough texts: three bytes, two of a character outside ASCII
/// (`©`, `£`), or any that holds one of the ASCII punctuation that lines of prose seldom hold
/// (a caption's `/` in "Jane Doe / Reuters", a credit's `(`, `[:`). Alternating runs of the repeat driver: with the
/// one-byte needles 222 → 216 µs per seed document, every pair faster.
fn rare_enough(needle: &[u8]) -> bool {
    needle.len() >= MIN_NEEDLE
        || (needle.len() == 2 && needle.first().is_some_and(|&b| b >= 0x80))
        || needle.iter().any(|b| b"/([|@#*_=".contains(b))
}

/// Longer needles rule out more texts; among equally long ones, fewer are cheaper.
fn better(a: &Seq, b: &Seq) -> bool {
    let key = |s: &Seq| (s.min_literal_len().unwrap_or(0).min(MAX_NEEDLE), std::cmp::Reverse(s.len().unwrap_or(0)));
    key(a) > key(b)
}

/// The needles of a ruleset's patterns, searched together.
#[derive(Debug)]
pub struct Needles {
    scanner: Scanner,
    /// For each needle, the patterns (by [`Pattern::needle_id`]) that need it.
    owners: Vec<Vec<u32>>,
    /// How many patterns have an id.
    patterns: usize,
}

impl Needles {
    /// The automaton of the needles of `patterns`; gives each pattern with needles its id.
    /// None when no pattern has needles or the automaton cannot be built.
    pub fn build(patterns: &[Arc<Pattern>]) -> Option<Self> {
        let mut needles: Vec<&[u8]> = Vec::new();
        let mut owners: Vec<Vec<u32>> = Vec::new();
        let mut index: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
        let mut with_needles = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for p in patterns {
            let Some(list) = p.needles().filter(|_| seen.insert(Arc::as_ptr(p))) else { continue };
            let Ok(id) = u32::try_from(with_needles.len()) else { break };
            for n in list {
                let at = *index.entry(n.as_slice()).or_insert_with(|| {
                    needles.push(n);
                    owners.push(Vec::new());
                    needles.len() - 1
                });
                if let Some(o) = owners.get_mut(at) {
                    o.push(id);
                }
            }
            with_needles.push((p, id));
        }
        if needles.is_empty() {
            return None;
        }
        let scanner = Scanner::build(&needles)?;
        let patterns = with_needles.len();
        for (p, id) in with_needles {
            p.set_needle_id(id);
        }
        Some(Self { scanner, owners, patterns })
    }

    /// Where the needles occur in `text`, overlaps included.
    pub fn scan(&self, text: &str) -> Hits {
        let mut hits = Vec::new();
        self.scanner.overlapping(text.as_bytes(), |needle, start, end| {
            for &owner in self.owners.get(needle.as_usize()).into_iter().flatten() {
                hits.push(Hit { owner, start, end });
            }
        });
        hits.sort_unstable_by_key(|h| (h.owner, h.start, h.end));
        hits.dedup_by_key(|h| (h.owner, h.start));
        // Where each pattern's hits start: a line helper asks about every line for one
        // pattern, and most patterns have no hits in a document at all.
        let mut starts = Vec::with_capacity(self.patterns + 1);
        let mut at = 0;
        for owner in 0..=self.patterns {
            while hits.get(at).is_some_and(|h: &Hit| (h.owner as usize) < owner) {
                at += 1;
            }
            starts.push(at);
        }
        Hits { hits, starts }
    }
}

/// The automaton the needles are searched with.
#[derive(Debug)]
enum Scanner {
    /// Up to [`DFA_NEEDLES`] needles: a DFA, read by [`overlapping`].
    Dfa { dfa: Box<DFA>, start: StateID },
    /// More: a contiguous NFA, smaller than their DFA.
    Nfa(AhoCorasick),
}

impl Scanner {
    fn build(needles: &[&[u8]]) -> Option<Self> {
        if needles.len() <= DFA_NEEDLES {
            let dfa = aho_corasick::dfa::Builder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .start_kind(StartKind::Unanchored)
                // `overlapping` reads every byte itself; without a prefilter the start state
                // is not a special state it would have to test for.
                .prefilter(false)
                .build(needles)
                .inspect_err(|e| tracing::error!("the patterns' needles do not build as a DFA: {e}"));
            if let Ok(dfa) = dfa
                && let Ok(start) = dfa.start_state(Anchored::No)
            {
                return Some(Self::Dfa { dfa: Box::new(dfa), start });
            }
        }
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(needles)
            .inspect_err(|e| tracing::error!("the patterns' needles do not build: {e}"))
            .ok()
            .map(Self::Nfa)
    }

    /// Calls `found(needle, start, end)` for every occurrence of a needle in `text`,
    /// overlapping ones included, in no particular order.
    fn overlapping(&self, text: &[u8], mut found: impl FnMut(PatternID, usize, usize)) {
        match self {
            Self::Dfa { dfa, start } => {
                let mut at_end = |needle, end: usize| found(needle, end - dfa.pattern_len(needle), end);
                if text.len() < MIN_SPLIT {
                    overlapping::<1>(dfa, *start, text, &mut at_end);
                } else {
                    overlapping::<STREAMS>(dfa, *start, text, &mut at_end);
                }
            }
            Self::Nfa(ac) => {
                for m in ac.find_overlapping_iter(text) {
                    found(m.pattern(), m.start(), m.end());
                }
            }
        }
    }
}

/// Calls `found(needle, end)` for every occurrence of a needle of `dfa` in `text`.
///
/// Each byte's state depends on the state before it, so a search from start to end waits on
/// one table lookup per byte, and the table (a megabyte for a few hundred needles) is mostly
/// out of the nearest cache. Here the text is cut into `K` pieces read side by side, so that
/// their lookups overlap. The state after a byte depends only on the last
/// [`Automaton::max_pattern_len`] bytes, so each piece after the first is entered that many
/// bytes early from the start state; what it finds before its own start, the piece before
/// has found.
fn overlapping<const K: usize>(dfa: &DFA, start: StateID, text: &[u8], found: &mut impl FnMut(PatternID, usize)) {
    let n = text.len();
    let warm = dfa.max_pattern_len();
    // Piece k is text[from[k]..to[k]], read from at[k].
    let from: [usize; K] = std::array::from_fn(|k| n * k / K);
    let to: [usize; K] = std::array::from_fn(|k| n * (k + 1) / K);
    let mut at: [usize; K] = std::array::from_fn(|k| from[k].saturating_sub(warm));
    let mut sid = [start; K];
    let mut report = |sid: StateID, end: usize| {
        for i in 0..dfa.match_len(sid) {
            found(dfa.match_pattern(sid, i), end);
        }
    };
    let side_by_side = (0..K).map(|k| to[k] - at[k]).min().unwrap_or(0);
    for _ in 0..side_by_side {
        let mut special = false;
        for k in 0..K {
            let byte = text.get(at[k]).copied().unwrap_or_default();
            sid[k] = dfa.next_state(Anchored::No, sid[k], byte);
            at[k] += 1;
            special |= dfa.is_special(sid[k]);
        }
        if special {
            for k in 0..K {
                if dfa.is_match(sid[k]) && at[k] > from[k] {
                    report(sid[k], at[k]);
                }
            }
        }
    }
    for k in 0..K {
        for &byte in text.get(at[k]..to[k]).unwrap_or_default() {
            sid[k] = dfa.next_state(Anchored::No, sid[k], byte);
            at[k] += 1;
            if dfa.is_match(sid[k]) && at[k] > from[k] {
                report(sid[k], at[k]);
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    owner: u32,
    start: usize,
    end: usize,
}

/// Where the needles of a ruleset's patterns occur in one document.
#[derive(Debug, Default)]
pub struct Hits {
    /// By pattern, then position.
    hits: Vec<Hit>,
    /// Pattern `p`'s hits are `hits[starts[p]..starts[p + 1]]`.
    starts: Vec<usize>,
}

impl Hits {
    /// The indexes of the `lines` (in text order, not overlapping) that a needle of pattern
    /// `owner` lies wholly within: the lines for which [`Hits::within`] holds, found from the
    /// pattern's hits instead of by asking about every line.
    pub fn lines(&self, owner: u32, lines: &[Span]) -> Vec<usize> {
        let o = owner as usize;
        let (Some(&a), Some(&b)) = (self.starts.get(o), self.starts.get(o + 1)) else { return Vec::new() };
        let mut out: Vec<usize> = Vec::new();
        for h in self.hits.get(a..b).unwrap_or_default() {
            // The line the hit starts in, if any.
            let i = lines.partition_point(|l| l.end <= h.start);
            if out.last() == Some(&i) {
                continue;
            }
            if lines.get(i).is_some_and(|l| l.start <= h.start && h.end <= l.end) {
                out.push(i);
            }
        }
        out
    }

    /// Whether a needle of pattern `owner` lies wholly within `span`.
    pub fn within(&self, owner: u32, span: Span) -> bool {
        let o = owner as usize;
        let (Some(&a), Some(&b)) = (self.starts.get(o), self.starts.get(o + 1)) else { return false };
        let mine = self.hits.get(a..b).unwrap_or_default();
        let from = mine.partition_point(|h| h.start < span.start);
        mine.get(from..).unwrap_or_default().iter().take_while(|h| h.start < span.end).any(|h| h.end <= span.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    fn needles(pattern: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::Parser::new().parse(pattern).unwrap_or_else(|e| panic!("{e}"));
        needles_of(&hir).map(|l| l.into_iter().map(|n| String::from_utf8_lossy(&n).into_owned()).collect())
    }

    #[test]
    fn needles_come_from_the_part_every_match_needs() {
        assert_eq!(
            needles(r"(?i)\b(photo|image|credit)s?\s*:"),
            Some(vec!["credit".into(), "image".into(), "photo".into()])
        );
        assert_eq!(needles(r"^.{0,80}\b(?i:credit)\b"), Some(vec!["credit".into()]));
        // Needles are cut to twelve bytes.
        assert_eq!(needles(r"(Read more stories|Related):?$"), Some(vec!["read more st".into(), "related".into()]));
        assert_eq!(needles(r"^[A-Z ]+$"), None);
        assert_eq!(needles(r"\bby\b"), None);
        // Each branch needs its own needles, or the alternation has none.
        assert_eq!(needles(r"(Getty Images|\d+)"), None);
        // A short branch is long enough with what comes before and after it.
        assert_eq!(needles(r"\((Getty|\bAP\b)\)"), Some(vec!["(ap)".into(), "(getty)".into()]));
        // Case is folded, except for the letters with a case outside ASCII (the Kelvin sign).
        assert_eq!(
            needles(r"(?i)\bkremlin\b|\bmoscow\b"),
            Some(vec!["kremlin".into(), "moscow".into(), "moſcow".into(), "\u{212a}remlin".into()])
        );
        // So is punctuation that prose seldom holds, where nothing longer is needed: a
        // slash or a parenthesis rules out most lines of an article.
        assert_eq!(
            needles(r"[.!?]\s+(\p{Lu}\w+ for \p{Lu}\w+|\p{Lu}\w+\s?/\s?\p{Lu}\w+)$"),
            Some(vec![" for ".into(), "/".into()])
        );
        assert_eq!(needles(r"\p{L}\.?\s?/\s?\p{Lu}"), Some(vec!["/".into()]));
        assert_eq!(needles(r"\w+:\s"), None);
        assert_eq!(needles(r"\[:?\d"), Some(vec!["[".into(), "[:".into()]));
        // A character outside ASCII is rare enough on its own.
        assert_eq!(needles(r"^(©|\(c\))$"), Some(vec!["(c)".into(), "©".into()]));
    }

    /// Patterns of the shapes rules use.
    const PATTERNS: &[&str] = &[
        r"(?i)\b(photo|image|credit)s?\s*:",
        r"(?i)^\W*(read more|see also|related)\b",
        r"\([^()]{0,20}(Getty|\bEPA\b|Reuters)[^()]{0,20}\)\.?$",
        r"(?i)(sign up|subscribe)( now| today)? (for|to) (our|the) \w+",
        r"^.{0,40}\b(said|says|told)\b",
        r"(?i)donat(e|ion)s?",
        r"[\x22“]([^\x22”]{3,}|Ünïcödé)[\x22”] (said|told)",
        r"(?i)\bkremlin\b|\bmoscow\b",
    ];

    proptest::proptest! {
        #[test]
        fn a_text_a_pattern_matches_holds_one_of_its_needles(
            which in 0..PATTERNS.len(),
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    "[a-zA-Z .,:()\u{201c}\u{201d}\\x22Üï]{0,6}",
                    proptest::sample::select(vec![
                        "Photo", "IMAGE", "credits", "Read More", "see also", "(Getty)", "(EPA Photo)", "Reuters",
                        "sign up", "Subscribe", " for ", " to ", "our", " now", "said", "TOLD", "Donation", "“",
                        "”", "Kremlin", "MOSCOW", "Ünïcödé",
                    ]).prop_map(str::to_owned),
                ],
                0..8,
            ),
        ) {
            let text: String = pieces.concat();
            let p = Arc::new(Pattern::new(PATTERNS[which]).unwrap_or_else(|e| panic!("{e}")));
            let Some(needles) = Needles::build(std::slice::from_ref(&p)) else {
                return Err(proptest::test_runner::TestCaseError::fail("every pattern here has needles"));
            };
            let id = p.needle_id().unwrap_or(u32::MAX);
            let hits = needles.scan(&text);
            let span = Span::new(0, text.len());
            proptest::prop_assert!(!p.is_match(&text) || hits.within(id, span), "{:?} on {:?}", PATTERNS[which], text);
        }
    }

    /// Texts of pieces of the shapes the patterns look for, and `extra` characters.
    fn texts(extra: &'static str, pieces: usize) -> impl Strategy<Value = String> {
        let mut words = vec![
            "Photo", "IMAGE", "credit", "Read More", "sign up", "Subscribe", "said", "TOLD", "Donat", "Kremlin",
            "moscow",
        ];
        words.extend(extra.split(' ').filter(|w| !w.is_empty()));
        proptest::collection::vec(
            proptest::prop_oneof![
                proptest::string::string_regex(&format!("[a-zA-Z .:(){extra}]{{0,4}}"))
                    .unwrap_or_else(|e| panic!("{e}")),
                proptest::sample::select(words).prop_map(str::to_owned),
            ],
            0..pieces,
        )
        .prop_map(|pieces| pieces.concat())
    }

    /// The automaton of the needles of every pattern of [`PATTERNS`], and the patterns.
    fn all_needles() -> (Needles, Vec<Arc<Pattern>>) {
        let patterns: Vec<Arc<Pattern>> =
            PATTERNS.iter().map(|p| Arc::new(Pattern::new(p).unwrap_or_else(|e| panic!("{e}")))).collect();
        let needles = Needles::build(&patterns).unwrap_or_else(|| panic!("every pattern here has needles"));
        (needles, patterns)
    }

    proptest::proptest! {
        /// With many patterns' needles in one automaton, a lookup finds what a search of the
        /// span for each of the pattern's needles finds.
        #[test]
        fn a_lookup_is_a_search_of_the_span_for_the_patterns_needles(
            text in texts("", 10),
            a in 0usize..80,
            len in 0usize..80,
        ) {
            let (a, b) = (a.min(text.len()), (a + len).min(text.len()));
            let (needles, patterns) = all_needles();
            let hits = needles.scan(&text);
            for p in &patterns {
                let (Some(id), Some(list)) = (p.needle_id(), p.needles()) else { continue };
                let want = list.iter().any(|n| {
                    (a..b).any(|s| s + n.len() <= b && text.as_bytes().get(s..s + n.len()).is_some_and(|w| w.eq_ignore_ascii_case(n)))
                });
                proptest::prop_assert_eq!(hits.within(id, Span::new(a, b)), want, "{:?} in {:?}", p, &text[a..b]);
            }
        }
    }

    proptest::proptest! {
        /// The lines a pattern's needles lie in are the lines a lookup finds them in.
        #[test]
        fn a_patterns_lines_are_those_its_needles_lie_within(text in texts("\n", 14)) {
            let lines = crate::segment::Paragraphs::split(&text).spans;
            let (needles, patterns) = all_needles();
            let hits = needles.scan(&text);
            for p in &patterns {
                let Some(id) = p.needle_id() else { continue };
                let want: Vec<usize> = (0..lines.len()).filter(|&i| hits.within(id, lines[i])).collect();
                proptest::prop_assert_eq!(hits.lines(id, &lines), want, "{:?} in {:?}", p, &text);
            }
        }
    }

    #[test]
    fn hits_are_looked_up_by_pattern_and_span() {
        let photo = Arc::new(Pattern::new(r"(?i)\bphoto:").unwrap_or_else(|e| panic!("{e}")));
        let said = Arc::new(Pattern::new(r"\bsaid\b").unwrap_or_else(|e| panic!("{e}")));
        let bare = Arc::new(Pattern::new(r"^\w+$").unwrap_or_else(|e| panic!("{e}")));
        let needles = Needles::build(&[photo.clone(), bare.clone(), said.clone()]).unwrap_or_else(|| panic!("built"));
        assert_eq!((photo.needle_id(), said.needle_id(), bare.needle_id()), (Some(0), Some(1), None));
        let text = "PHOTO: AP\nHe said so.\nphoto: x";
        let hits = needles.scan(text);
        let (l1, l2, l3) = (Span::new(0, 9), Span::new(10, 21), Span::new(22, 30));
        assert!(hits.within(0, l1) && !hits.within(0, l2) && hits.within(0, l3));
        assert!(!hits.within(1, l1) && hits.within(1, l2) && !hits.within(1, l3));
        // A needle cut by the span's end is not within it.
        assert!(!hits.within(1, Span::new(10, 15)));
    }

    /// Every occurrence the scanner reports, as (needle, start, end), sorted.
    fn occurrences(scanner: &Scanner, text: &str) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        scanner.overlapping(text.as_bytes(), |n, s, e| out.push((n.as_usize(), s, e)));
        out.sort_unstable();
        out
    }

    #[test]
    fn a_needle_across_the_seam_of_two_streams_is_found_once() {
        let scanner = Scanner::build(&[b"seam".as_slice(), b"m"]).unwrap_or_else(|| panic!("built"));
        assert!(matches!(scanner, Scanner::Dfa { .. }));
        // Eight streams of 125 bytes: 250, 500 and 750 are seams; one needle ends at a seam,
        // one starts there, two cross one.
        let mut text = "x".repeat(1000);
        for at in [248, 496, 500, 747] {
            text.replace_range(at..at + 4, "SEAM");
        }
        let want: Vec<(usize, usize, usize)> =
            [248, 496, 500, 747].iter().flat_map(|&a| [(0, a, a + 4), (1, a + 3, a + 4)]).collect();
        let mut want = want;
        want.sort_unstable();
        assert_eq!(occurrences(&scanner, &text), want);
    }

    proptest::proptest! {
        /// Read as streams side by side, the DFA finds every occurrence a search from start to
        /// end finds, once: at the seams between the streams too, and for texts too short to
        /// be cut.
        #[test]
        fn the_streams_find_what_one_search_finds(
            needles in proptest::collection::btree_set("[abAB \u{17f}]{1,6}", 1..10),
            text in "[abAB \u{17f}]{0,700}",
        ) {
            let list: Vec<&[u8]> = needles.iter().map(|n| n.as_bytes()).collect();
            let scanner = Scanner::build(&list).unwrap_or_else(|| panic!("built"));
            let is_dfa = matches!(scanner, Scanner::Dfa { .. });
            proptest::prop_assert!(is_dfa);
            let one = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&list)
                .unwrap_or_else(|e| panic!("{e}"));
            let mut want: Vec<(usize, usize, usize)> =
                one.find_overlapping_iter(&text).map(|m| (m.pattern().as_usize(), m.start(), m.end())).collect();
            want.sort_unstable();
            proptest::prop_assert_eq!(occurrences(&scanner, &text), want);
        }
    }
}
