//! Patterns that rules pass to helpers, compiled once per ruleset.
//!
//! Rules name their patterns inline (`doc.drop_lines("caption", "^Photo:")`), which reads well;
//! the cost of compiling is paid on first use and then shared by every document the ruleset
//! processes. Loading a ruleset runs every rule once on an empty document, which compiles the
//! patterns of every unconditional call up front and reports a bad one as a load error.
//!
//! Patterns are written for all of Unicode: `\p{L}`, `.`, `[^()]` and `\b` (a Unicode word
//! boundary) span every script. Compiled, such classes are large automata, copied again for
//! every step of a bounded repetition such as `{0,120}`, and the regex crate's fast engine (a
//! lazy DFA) cannot evaluate a Unicode `\b` on non-ASCII text at all. Yet most lines and claims
//! hold only ASCII and typographic punctuation (curly quotes, dashes, spaces; see [`plain`]).
//! On such a text a pattern matches exactly where its *narrowed* form does: every class cut
//! down to ASCII and that punctuation, every `\b` made ASCII. So each pattern also gets a
//! narrowed form, compiled on first use, and [`Pattern`] runs it on every plain text; the
//! pattern as written runs on the rest. Authors keep writing for Unicode.
//!
//! Most rules scan every line with their own pattern, so a page of 80 lines meets the generic
//! rules' 70 patterns thousands of times, and each regex search has a fixed cost. Once a
//! ruleset has loaded, the patterns its generic rules use on lines, and those its claim rules
//! use on claim texts, are each gathered into a [`PatternSet`]: one pass over a line answers
//! all of them, and a rule's search becomes a lookup ([`Pattern::slot`]). Patterns seen only
//! later (an outlet's rules, a rule's conditional branch) run on their own as before.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError, RwLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_automata::hybrid::LazyStateID;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::{Anchored, Input, PatternID};
use regex_syntax::hir::{self, Hir, HirKind, Look};

use crate::local::PerThread;
use crate::needles::Needles;

/// Compiled regex size limit: keeps a pathological pattern from taking memory or time.
const REGEX_SIZE_LIMIT: usize = 8 << 20;

/// Compiled size limit of a [`PatternSet`]; a set that would be larger is not built.
const SET_SIZE_LIMIT: usize = 64 << 20;

/// How many texts a [`PatternSet`] reads side by side (see [`streams`]).
const SET_STREAMS: usize = 4;

/// What a pattern is run on, for gathering patterns into sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A line of the page (boilerplate helpers).
    Line,
    /// The text of a claim (claim-rule helpers).
    Claim,
}

impl Role {
    fn index(self) -> usize {
        match self {
            Self::Line => 0,
            Self::Claim => 1,
        }
    }
}

/// A term list and its matcher.
type TermMatcher = (Vec<String>, Arc<TermList>);

/// A term list compiled: its whole-word matcher, and a pattern that matches every text the
/// matcher finds a term in (and more: any case, inside words), which joins `role`'s set so
/// that the set's one pass rules out most texts before the matcher runs.
#[derive(Debug)]
pub struct TermList {
    pub ac: AhoCorasick,
    pub any: Arc<Pattern>,
}

/// The pattern cache of one ruleset.
#[derive(Debug, Default)]
pub struct Patterns {
    regexes: RwLock<HashMap<String, Arc<Pattern>>>,
    terms: RwLock<HashMap<u64, Vec<TermMatcher>>>,
    /// While loading: the role whose patterns are being gathered, and those seen so far.
    recording: Mutex<Option<(Role, Vec<Arc<Pattern>>)>>,
    is_recording: AtomicBool,
    sets: [OnceLock<PatternSet>; 2],
    /// Every pattern gathered for a set, anchored or not: the ones that run on every document.
    everyday: Mutex<Vec<Arc<Pattern>>>,
    needles: OnceLock<Needles>,
}

impl Patterns {
    /// The compiled form of `pattern`, compiling it on first use.
    pub fn regex(&self, pattern: &str) -> Result<Arc<Pattern>, String> {
        if let Some(re) = self.regexes.read().unwrap_or_else(PoisonError::into_inner).get(pattern) {
            return Ok(re.clone());
        }
        let re = Arc::new(Pattern::new(pattern)?);
        self.regexes.write().unwrap_or_else(PoisonError::into_inner).insert(pattern.to_owned(), re.clone());
        Ok(re)
    }

    /// [`Self::regex`] for a pattern run in `role`, noted while that role's set is gathered.
    pub fn regex_in(&self, role: Role, pattern: &str) -> Result<Arc<Pattern>, String> {
        let re = self.regex(pattern)?;
        if self.is_recording.load(Ordering::Relaxed)
            && let Some((r, seen)) = &mut *self.recording.lock().unwrap_or_else(PoisonError::into_inner)
            && *r == role
            && !seen.iter().any(|p| Arc::ptr_eq(p, &re))
        {
            seen.push(re.clone());
        }
        Ok(re)
    }

    /// Starts gathering the patterns run in `role`.
    pub fn gather(&self, role: Role) {
        *self.recording.lock().unwrap_or_else(PoisonError::into_inner) = Some((role, Vec::new()));
        self.is_recording.store(true, Ordering::Relaxed);
    }

    /// Builds the set of the patterns gathered since [`Self::gather`]. Does nothing when the
    /// set is already built, or when it would be too large (its patterns then run one by one).
    pub fn seal(&self) {
        self.is_recording.store(false, Ordering::Relaxed);
        let Some((role, seen)) = self.recording.lock().unwrap_or_else(PoisonError::into_inner).take() else {
            return;
        };
        self.everyday.lock().unwrap_or_else(PoisonError::into_inner).extend(seen.iter().cloned());
        // On lines, only patterns anchored at the start join the set: a set search runs to the
        // end of the text, while alone such a pattern stops after a few bytes, and unanchored
        // patterns alone keep their literal prefilters and reverse searches from `$`.
        // Nor do patterns that count far (`.{0,60}`), on lines or claims: each count is a
        // state of their own, and in a set a state of every combination with the other
        // patterns' states, so that the set's transitions outgrow the cache and most bytes of
        // a line miss it. Alone (and with their needles) they stay small. (The claim rules'
        // one such pattern, `claims?\b.{0,80}\b(lies|false|...)`, made the claim set's lazy
        // DFA 5 MB a thread on the seeds and dev articles; without it, 2.5 MB.)
        let seen: Vec<Arc<Pattern>> = seen
            .into_iter()
            .filter(|p| p.count <= SET_COUNT_LIMIT && (role != Role::Line || p.anchored_start))
            .collect();
        if seen.is_empty() || self.sets[role.index()].get().is_some() {
            return;
        }
        if let Some(set) = PatternSet::build(&seen) {
            for (slot, p) in seen.iter().enumerate() {
                let _ = p.slots[role.index()].set(slot);
            }
            let _ = self.sets[role.index()].set(set);
        }
    }

    /// Gathers the needles of the patterns gathered for the sets (those of the generic and the
    /// claim rules, which run on every document) that did not join a set, into one automaton
    /// (see [`crate::needles`]).
    /// The others run on every line they are asked about, as before: an outlet's patterns meet
    /// only that outlet's documents, and a thousand outlets' needles would slow every scan.
    pub fn index_needles(&self) {
        if self.needles.get().is_some() {
            return;
        }
        let everyday = self.everyday.lock().unwrap_or_else(PoisonError::into_inner);
        // A pattern in a set is answered by the set's one pass on the texts it can answer
        // for; its needles would only make the automaton larger, and a larger automaton
        // misses the cache on every byte of every document.
        let alone: Vec<Arc<Pattern>> =
            everyday.iter().filter(|p| p.slots.iter().all(|s| s.get().is_none())).cloned().collect();
        if let Some(n) = Needles::build(&alone) {
            let _ = self.needles.set(n);
        }
    }

    /// The needles of the ruleset's patterns, once indexed.
    pub fn needles(&self) -> Option<&Needles> {
        self.needles.get()
    }

    /// The set of `role`'s patterns, once sealed.
    pub fn set(&self, role: Role) -> Option<&PatternSet> {
        self.sets[role.index()].get()
    }

    /// A case-insensitive multi-term matcher for `terms`, with its pattern for `role` (see
    /// [`TermList`]), built on first use. Looked up by a hash of the terms, so that a rule's
    /// term list, rebuilt by Rhai on every call, is not copied on every call too.
    pub fn terms(&self, role: Role, terms: &[&str]) -> Result<Arc<TermList>, String> {
        let key = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            terms.hash(&mut h);
            h.finish()
        };
        let same = |list: &[String]| list.len() == terms.len() && list.iter().zip(terms).all(|(a, b)| a == b);
        if let Some(found) = self.terms.read().unwrap_or_else(PoisonError::into_inner).get(&key)
            && let Some((_, list)) = found.iter().find(|(list, _)| same(list))
        {
            return Ok(list.clone());
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(terms)
            .map_err(|e| format!("invalid term list: {e}"))?;
        let any = terms.iter().map(|t| regex::escape(t)).collect::<Vec<_>>().join("|");
        let list = Arc::new(TermList { ac, any: self.regex_in(role, &format!("(?i:{any})"))? });
        let owned = terms.iter().map(|t| (*t).to_owned()).collect();
        self.terms.write().unwrap_or_else(PoisonError::into_inner).entry(key).or_default().push((owned, list.clone()));
        Ok(list)
    }

    /// How many distinct patterns are compiled.
    pub fn len(&self) -> usize {
        self.regexes.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// True when nothing is compiled yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Patterns searched together: which of them match a text, in one pass.
#[derive(Debug)]
pub struct PatternSet {
    /// The narrowed forms' sources (see [`Pattern`]): the set answers for [`plain`] texts
    /// only; the others (a few lines and claims with accented or non-Latin letters) search
    /// pattern by pattern. A second set for them would cost many times the set's compile time
    /// and memory.
    sources: Vec<String>,
    /// The same patterns as one lazy DFA that [`streams`] reads several texts with at once.
    dfa: Option<SetDfa>,
    /// The regex crate's set of them, which answers when there is no DFA or it gives up;
    /// compiled when first needed (at load when there is no DFA), None when it does not
    /// compile (its texts then search pattern by pattern).
    regex_set: OnceLock<Option<PerThread<RegexSet>>>,
    /// How many patterns the set has.
    width: usize,
}

/// A [`PatternSet`]'s patterns as a lazy DFA, with a cache for each thread.
#[derive(Debug)]
struct SetDfa {
    dfa: DFA,
    caches: PerThread<SetCache>,
    /// Searches start at the start of each text only: every pattern of a line set is anchored
    /// there, and with no unanchored start the DFA dies after a line's first few bytes.
    anchored: Anchored,
}

/// A lazy DFA's cache, locked only by the thread its slot belongs to (see [`PerThread`]).
#[derive(Debug)]
struct SetCache(Mutex<Cache>);

impl Clone for SetCache {
    fn clone(&self) -> Self {
        Self(Mutex::new(self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()))
    }
}

/// Which patterns of a [`PatternSet`] match a text.
#[derive(Debug, Clone)]
pub struct SetHits(regex_automata::PatternSet);

impl SetHits {
    /// Whether the pattern in `slot` matches.
    pub fn matched(&self, slot: usize) -> bool {
        PatternID::new(slot).is_ok_and(|id| self.0.contains(id))
    }

    /// The slots of the patterns that match, in order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().map(|id| id.as_usize())
    }

    /// How many patterns the set has (not how many match).
    pub fn width(&self) -> usize {
        self.0.capacity()
    }
}

impl PatternSet {
    fn build(patterns: &[Arc<Pattern>]) -> Option<Self> {
        let sources: Vec<&str> = patterns.iter().map(|p| p.set_source()).collect();
        let anchored = patterns.iter().all(|p| p.anchored_start);
        let set = Self {
            dfa: SetDfa::build(&sources, anchored),
            sources: sources.iter().map(|s| (*s).to_owned()).collect(),
            regex_set: OnceLock::new(),
            width: sources.len(),
        };
        // Without a DFA the regex crate's set answers every text: it must compile now.
        if set.dfa.is_none() {
            set.regex_set()?;
        }
        Some(set)
    }

    /// The regex crate's set of the patterns, compiled on first use.
    fn regex_set(&self) -> Option<&RegexSet> {
        self.regex_set
            .get_or_init(|| {
                RegexSetBuilder::new(&self.sources)
                    .size_limit(SET_SIZE_LIMIT)
                    .dfa_size_limit(SET_SIZE_LIMIT)
                    .build()
                    .inspect_err(|e| tracing::error!("a pattern set does not compile: {e}"))
                    .ok()
                    .map(PerThread::new)
            })
            .as_ref()
            .map(PerThread::get)
    }

    /// Which patterns match `text`, when it is [`plain`] (`plain_text`); None otherwise.
    pub fn hits(&self, text: &str, plain_text: bool) -> Option<SetHits> {
        self.hits_each(&[(text, plain_text)]).pop().flatten()
    }

    /// [`PatternSet::hits`] for each of `texts`, read side by side.
    pub fn hits_each(&self, texts: &[(&str, bool)]) -> Vec<Option<SetHits>> {
        let plain: Vec<&[u8]> = texts.iter().filter(|(_, p)| *p).map(|(t, _)| t.as_bytes()).collect();
        let mut found = vec![regex_automata::PatternSet::new(self.width); plain.len()];
        if !self.dfa.as_ref().is_some_and(|d| d.which(&plain, &mut found)) {
            // Without the regex crate's set either, the plain texts search pattern by pattern.
            let Some(set) = self.regex_set() else { return vec![None; texts.len()] };
            for (text, f) in texts.iter().filter(|(_, p)| *p).zip(&mut found) {
                f.clear();
                for slot in set.matches(text.0).iter() {
                    if let Ok(id) = PatternID::new(slot) {
                        let _ = f.try_insert(id);
                    }
                }
            }
        }
        let mut found = found.into_iter();
        texts.iter().map(|(_, p)| if *p { found.next().map(SetHits) } else { None }).collect()
    }
}

impl SetDfa {
    fn build(sources: &[&str], anchored: bool) -> Option<Self> {
        let dfa = DFA::builder()
            .configure(DFA::config().match_kind(regex_automata::MatchKind::All).cache_capacity(SET_SIZE_LIMIT))
            .thompson(regex_automata::nfa::thompson::Config::new().nfa_size_limit(Some(SET_SIZE_LIMIT)))
            .build_many(sources)
            .ok()?;
        // An empty match is not reported where it would split a character; where an
        // unanchored pattern can match the empty string, that takes the regex crate's search.
        if !anchored && dfa.get_nfa().has_empty() {
            return None;
        }
        let caches = PerThread::new(SetCache(Mutex::new(dfa.create_cache())));
        Some(Self { dfa, caches, anchored: if anchored { Anchored::Yes } else { Anchored::No } })
    }

    /// Fills `out` with the patterns that match each of `texts`; false when it gave up.
    fn which(&self, texts: &[&[u8]], out: &mut [regex_automata::PatternSet]) -> bool {
        let mut cache = self.caches.get().0.lock().unwrap_or_else(PoisonError::into_inner);
        streams::<SET_STREAMS>(&self.dfa, &mut cache, self.anchored, texts, out).is_some()
    }
}

/// Fills `out[i]` with the patterns of `dfa` that match `texts[i]`, reading `K` texts side by
/// side; None when it gives up (the DFA met a byte it cannot read, or its cache filled up
/// and was cleared, which leaves the other texts' states behind: every call that may add a
/// state, a start state too, is followed by the check).
///
/// Each byte's state depends on the state before it, so one search waits on a table lookup
/// per byte; `K` independent searches overlap those waits. A text whose search dies, or
/// ends, makes way for the next.
fn streams<const K: usize>(
    dfa: &DFA,
    cache: &mut Cache,
    anchored: Anchored,
    texts: &[&[u8]],
    out: &mut [regex_automata::PatternSet],
) -> Option<()> {
    let clears = cache.clear_count();
    let mut queue = texts.iter().copied().enumerate();
    // Stream k reads text[at[k]..] of texts[which[k]] when live[k].
    let mut live = [false; K];
    let mut which = [0; K];
    let mut text: [&[u8]; K] = [&[]; K];
    let mut at = [0; K];
    let mut sid = [LazyStateID::default(); K];
    let mut record = |cache: &Cache, i: usize, s: LazyStateID| {
        for m in 0..dfa.match_len(cache, s) {
            if let Some(o) = out.get_mut(i) {
                let _ = o.try_insert(dfa.match_pattern(cache, s, m));
            }
        }
    };
    loop {
        for k in 0..K {
            if !live[k]
                && let Some((i, t)) = queue.next()
            {
                sid[k] = dfa.start_state_forward(cache, &Input::new(t).anchored(anchored)).ok()?;
                if cache.clear_count() != clears {
                    return None;
                }
                (live[k], which[k], text[k], at[k]) = (true, i, t, 0);
            }
        }
        if !live.contains(&true) {
            return Some(());
        }
        // Side by side until a live text ends or dies.
        let steps = (0..K).filter(|&k| live[k]).map(|k| text[k].len() - at[k]).min().unwrap_or(0);
        let mut dead = [false; K];
        for _ in 0..steps {
            for k in 0..K {
                if !live[k] {
                    continue;
                }
                let byte = text[k].get(at[k]).copied().unwrap_or_default();
                // From an untagged state, a transition already computed is one table lookup;
                // only from a tagged state (a match), or to a state not computed yet, does the
                // full step run, which may add a state and so clear the cache.
                let cur = sid[k];
                let quick =
                    (!cur.is_tagged()).then(|| dfa.next_state_untagged(cache, cur, byte)).filter(|s| !s.is_unknown());
                let s = match quick {
                    Some(s) => s,
                    None => {
                        let s = dfa.next_state(cache, cur, byte).ok()?;
                        if cache.clear_count() != clears {
                            return None;
                        }
                        s
                    }
                };
                (sid[k], at[k]) = (s, at[k] + 1);
                if s.is_tagged() {
                    if s.is_match() {
                        record(cache, which[k], s);
                    } else if s.is_dead() {
                        dead[k] = true;
                    } else if s.is_quit() {
                        return None;
                    }
                }
            }
            if dead.contains(&true) {
                break;
            }
        }
        for k in 0..K {
            if live[k] && (dead[k] || at[k] == text[k].len()) {
                if !dead[k] {
                    let s = dfa.next_eoi_state(cache, sid[k]).ok()?;
                    if cache.clear_count() != clears {
                        return None;
                    }
                    if s.is_match() {
                        record(cache, which[k], s);
                    }
                }
                live[k] = false;
            }
        }
    }
}

/// A pattern form, compiled when first used.
fn compiled<'a>(form: &'a OnceLock<Option<PerThread<Regex>>>, source: &str) -> Option<&'a Regex> {
    form.get_or_init(|| {
        build(source)
            .inspect_err(|e| tracing::error!(pattern = %source, "pattern does not compile: {e}"))
            .ok()
            .map(PerThread::new)
    })
    .as_ref()
    .map(PerThread::get)
}

/// A compiled rule pattern: its narrowed form for the [`plain`] texts, where the two cannot
/// differ, and the regex as written for the others.
///
/// The narrowed form is compiled at load, which also checks the pattern. The pattern as
/// written, many times larger, is compiled at load only when nothing narrows it, and otherwise
/// on the first text that is not plain: rules that never meet one never pay for it.
#[derive(Debug)]
pub struct Pattern {
    source: String,
    forms: Forms,
    /// Its index in each role's [`PatternSet`], when it is in one.
    slots: [OnceLock<usize>; 2],
    /// Every match starts at the start of the text (`^...`).
    anchored_start: bool,
    /// The largest bound of a counted repetition in it (`{2,40}` counts to 40).
    count: u32,
    /// Strings one of which every match holds (see [`crate::needles`]).
    needles: Option<Vec<Vec<u8>>>,
    /// Its index in the ruleset's [`Needles`], once they are built.
    needle_id: OnceLock<u32>,
    /// When every match starts at the start of the text and holds a character: the bytes it
    /// can start with; likewise at the end (see [`Edges`]).
    edges: Edges,
}

/// What the first and last bytes of a text must be for a pattern anchored there to match it.
///
/// Rules mostly test lines against patterns such as `^support the moscow times!?$` or a
/// credit line `^...(Getty Images|AFP|Reuters)$`, and most lines fail them at their first or
/// last byte; yet each search costs a few hundred instructions before it gets there, and an
/// outlet's patterns (and those that count far) are not in a set. One bit per byte answers
/// most of them, from the pattern as written, so for every form and every text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Edges {
    first: Option<ByteSet>,
    last: Option<ByteSet>,
}

impl Edges {
    fn of(hir: &Hir) -> Self {
        let props = hir.properties();
        let at = |anchored: bool, last: bool| {
            let (bytes, may_be_empty) = edge_bytes(hir, last);
            (anchored && !may_be_empty).then_some(bytes)
        };
        Self {
            first: at(props.look_set_prefix().contains(Look::Start), false),
            last: at(props.look_set_suffix().contains(Look::End), true),
        }
    }

    /// False when `text` cannot match: its first or last byte is not one a match has there.
    fn allow(&self, text: &str) -> bool {
        let b = text.as_bytes();
        let ok = |set: Option<ByteSet>, byte: Option<&u8>| set.is_none_or(|s| byte.is_some_and(|&x| s.has(x)));
        ok(self.first, b.first()) && ok(self.last, b.last())
    }
}

/// A set of bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn has(self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }

    fn add_range(&mut self, from: u8, to: u8) {
        for b in from..=to {
            self.0[usize::from(b >> 6)] |= 1 << (b & 63);
        }
    }

    fn union(self, other: Self) -> Self {
        Self(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }
}

/// The bytes a match of `hir` can start with (its last bytes when `last`), and whether it can
/// match the empty string (then a match need not start with any of them). Look-arounds match
/// the empty string: taking them so only lets more bytes in.
fn edge_bytes(hir: &Hir, last: bool) -> (ByteSet, bool) {
    let mut set = ByteSet::default();
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => (set, true),
        HirKind::Literal(hir::Literal(bytes)) => {
            if let Some(&b) = if last { bytes.last() } else { bytes.first() } {
                set.add_range(b, b);
            }
            (set, bytes.is_empty())
        }
        HirKind::Class(hir::Class::Bytes(class)) => {
            for r in class.ranges() {
                set.add_range(r.start(), r.end());
            }
            (set, false)
        }
        HirKind::Class(hir::Class::Unicode(class)) => {
            for r in class.ranges() {
                for seq in regex_syntax::utf8::Utf8Sequences::new(r.start(), r.end()) {
                    let seq = seq.as_slice();
                    if let Some(b) = if last { seq.last() } else { seq.first() } {
                        set.add_range(b.start, b.end);
                    }
                }
            }
            (set, false)
        }
        HirKind::Repetition(r) => {
            let (bytes, empty) = edge_bytes(&r.sub, last);
            (bytes, empty || r.min == 0)
        }
        HirKind::Capture(c) => edge_bytes(&c.sub, last),
        HirKind::Concat(subs) => {
            let mut walk = |sub: &Hir| {
                let (bytes, empty) = edge_bytes(sub, last);
                set = set.union(bytes);
                empty
            };
            // The edge byte comes from the first part (the last, at the end) that cannot be empty.
            let empty = if last { subs.iter().rev().all(&mut walk) } else { subs.iter().all(&mut walk) };
            (set, empty)
        }
        HirKind::Alternation(subs) => subs.iter().fold((set, false), |(set, empty), sub| {
            let (bytes, e) = edge_bytes(sub, last);
            (set.union(bytes), empty || e)
        }),
    }
}

#[derive(Debug)]
enum Forms {
    /// Nothing narrows the pattern: one regex serves every text.
    One(PerThread<Regex>),
    /// The narrowed form's source (which the sets compile), the widened form's when it differs
    /// from the pattern as written, and each form once a text needed it.
    Narrowed {
        src: String,
        narrow: OnceLock<Option<PerThread<Regex>>>,
        wide_src: Option<String>,
        wide: OnceLock<Option<PerThread<Regex>>>,
        full: OnceLock<Option<PerThread<Regex>>>,
        /// The widened form without its Unicode word boundaries, when it has any (see
        /// [`Pattern::to_run`]).
        relaxed: Option<Box<Relaxed>>,
    },
}

/// A form of a pattern without its Unicode word boundaries: its source, and the regex once a
/// text needed it.
#[derive(Debug)]
struct Relaxed {
    src: String,
    re: OnceLock<Option<PerThread<Regex>>>,
}

/// The largest count of a repetition (`{0,8}`) with which a line pattern joins the line set.
const SET_COUNT_LIMIT: u32 = 8;

/// The largest bound of a counted repetition in `hir`: 40 for `{2,40}`, 3 for `{3,}`; 0 with
/// none (`*`, `+` and `?` loop or choose; they do not count).
fn longest_count(hir: &Hir) -> u32 {
    match hir.kind() {
        HirKind::Repetition(r) => {
            let own = match r.max {
                Some(max) if max > 1 => max,
                None if r.min > 1 => r.min,
                _ => 0,
            };
            own.max(longest_count(&r.sub))
        }
        HirKind::Capture(c) => longest_count(&c.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().map(longest_count).max().unwrap_or(0),
        _ => 0,
    }
}

/// Matches nothing: what a pattern runs as should it not compile again (see [`Pattern::on`]).
static FAIL: LazyLock<Regex> = LazyLock::new(|| build("[^\\s\\S]").unwrap_or_else(|_| unreachable!()));

fn build(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).dfa_size_limit(REGEX_SIZE_LIMIT).build()
}

impl Pattern {
    /// Compiles `pattern`; the error names the pattern.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let invalid = |e: &dyn std::fmt::Display| format!("invalid pattern `{pattern}`: {e}");
        let hir = regex_syntax::Parser::new().parse(pattern).map_err(|e| invalid(&e))?;
        let anchored_start = hir.properties().look_set_prefix().contains(Look::Start);
        let forms = match narrowed(&hir).map(|h| h.to_string()) {
            Some(src) => {
                // Compiled here to check it, then again when first used: most patterns end up in
                // a set and are rarely run alone.
                build(&src).map_err(|e| invalid(&e))?;
                let wide_src = widened(&hir).map(|h| h.to_string());
                Forms::Narrowed {
                    src,
                    narrow: OnceLock::new(),
                    wide_src,
                    wide: OnceLock::new(),
                    full: OnceLock::new(),
                    // (Where nothing widens, the widened form is the pattern as written.)
                    relaxed: relaxed(&widened(&hir).unwrap_or_else(|| hir.clone()))
                        .map(|h| Box::new(Relaxed { src: h.to_string(), re: OnceLock::new() })),
                }
            }
            None => Forms::One(PerThread::new(build(pattern).map_err(|e| invalid(&e))?)),
        };
        let needles = crate::needles::needles_of(&hir);
        Ok(Self {
            source: pattern.to_owned(),
            forms,
            slots: Default::default(),
            anchored_start,
            count: longest_count(&hir),
            needles,
            needle_id: OnceLock::new(),
            edges: Edges::of(&hir),
        })
    }

    /// Strings one of which (ignoring ASCII case) every match holds, if the pattern has them.
    pub fn needles(&self) -> Option<&[Vec<u8>]> {
        self.needles.as_deref()
    }

    /// Its index in the ruleset's [`Needles`], when they hold its needles.
    pub fn needle_id(&self) -> Option<u32> {
        self.needle_id.get().copied()
    }

    pub(crate) fn set_needle_id(&self, id: u32) {
        let _ = self.needle_id.set(id);
    }

    /// Its index in `role`'s [`PatternSet`], if it is in it.
    pub fn slot(&self, role: Role) -> Option<usize> {
        self.slots[role.index()].get().copied()
    }

    /// The source the sets compile: the narrowed form's.
    fn set_source(&self) -> &str {
        match &self.forms {
            Forms::One(_) => &self.source,
            Forms::Narrowed { src, .. } => src,
        }
    }

    /// The regex to run on `text`, whose [`plain`] flag the caller may know already; None when
    /// `text` cannot match.
    ///
    /// A [`wide`] text runs the widened form. When that has Unicode word boundaries, the lazy
    /// DFA gives up at the text's first byte beyond ASCII and the search starts again in the
    /// PikeVM, many times slower. So such a text is first asked of the widened form without its
    /// word boundaries, which matches wherever the pattern does there (the lazy DFA runs it
    /// through): when it does not match, neither does the pattern.
    pub fn to_run(&self, text: &str, plain_text: Option<bool>) -> Option<&Regex> {
        if !self.edges.allow(text) {
            return None;
        }
        let plain_text = plain_text.unwrap_or_else(|| plain(text));
        let mut wide_text = None;
        if !plain_text && let Forms::Narrowed { relaxed: Some(r), .. } = &self.forms {
            let is_wide = wide(text);
            if is_wide && compiled(&r.re, &r.src).is_some_and(|re| !re.is_match(text)) {
                return None;
            }
            wide_text = Some(is_wide);
        }
        Some(self.form(text, plain_text, wide_text))
    }

    /// The regex to run on `text`, to search it whether or not it can match (see
    /// [`Pattern::to_run`]).
    pub fn on(&self, text: &str, plain_text: Option<bool>) -> &Regex {
        self.form(text, plain_text.unwrap_or_else(|| plain(text)), None)
    }

    /// The form for `text`, given whether it is [`plain`] and, when known, [`wide`].
    fn form(&self, text: &str, plain_text: bool, wide_text: Option<bool>) -> &Regex {
        let (src, narrow, wide_src, wide_form, full) = match &self.forms {
            Forms::One(re) => return re.get(),
            Forms::Narrowed { src, narrow, wide_src, wide, full, .. } => (src, narrow, wide_src, wide, full),
        };
        // The narrowed form compiled when the pattern was created, so it compiles again; the
        // pattern as written may exceed the size limit its narrowed form fit, and then the
        // narrowed form is the nearest there is (and an error is logged).
        let first = match wide_src {
            _ if plain_text => compiled(narrow, src),
            Some(wide_src) if wide_text.unwrap_or_else(|| wide(text)) => compiled(wide_form, wide_src),
            _ => compiled(full, &self.source),
        };
        first.or_else(|| compiled(narrow, src)).unwrap_or(&FAIL)
    }

    /// Whether the pattern matches somewhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.to_run(text, None).is_some_and(|re| re.is_match(text))
    }

    /// The first match in `text`.
    pub fn find<'t>(&self, text: &'t str) -> Option<regex::Match<'t>> {
        self.to_run(text, None)?.find(text)
    }

    /// Every match in `text`.
    pub fn find_iter<'r, 't>(&'r self, text: &'t str) -> regex::Matches<'r, 't> {
        self.to_run(text, None).unwrap_or(&FAIL).find_iter(text)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

/// The characters outside ASCII that news text is full of and that are no word characters:
/// spaces, dashes, quotes, bullets, ellipses, currency and a few signs. Sorted.
const TYPOGRAPHY: &[char] = &[
    '\u{a0}', '£', '©', '«', '®', '°', '·', '»', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}', '\u{2006}',
    '\u{2007}', '\u{2008}', '\u{2009}', '\u{200a}', '\u{200b}', '‐', '‑', '‒', '–', '—', '―', '‘', '’', '‚', '‛', '“',
    '”', '„', '‟', '†', '•', '…', '\u{202f}', '′', '″', '‹', '›', '\u{2060}', '€', '™', '\u{feff}',
];

/// Beyond ASCII and [`TYPOGRAPHY`], the letters of most names in the news: Latin with its
/// accents (Latin-1, Extended-A and -B, combining accents, Extended Additional) and Cyrillic.
const WIDE: &[(char, char)] =
    &[('\u{a0}', '\u{24f}'), ('\u{300}', '\u{36f}'), ('\u{400}', '\u{4ff}'), ('\u{1e00}', '\u{1eff}')];

/// True when every character of `text` is ASCII, in [`TYPOGRAPHY`] or in [`WIDE`]: there a
/// pattern and its widened form (see [`widened`]) match in the same places.
pub fn wide(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_ascii() || TYPOGRAPHY.binary_search(&c).is_ok() || WIDE.iter().any(|&(a, b)| (a..=b).contains(&c))
    })
}

/// True when every character of `text` is ASCII or in [`TYPOGRAPHY`]: there a pattern and its
/// narrowed form (see [`narrowed`]) match in the same places.
pub fn plain(text: &str) -> bool {
    text.is_ascii() || text.chars().all(|c| c.is_ascii() || TYPOGRAPHY.binary_search(&c).is_ok())
}

/// `hir` without its Unicode word boundaries (each an empty match instead): it matches
/// wherever `hir` does. None when it has none.
fn relaxed(hir: &Hir) -> Option<Hir> {
    fn walk(h: &Hir, changed: &mut bool) -> Hir {
        match h.kind() {
            HirKind::Look(
                Look::WordUnicode
                | Look::WordUnicodeNegate
                | Look::WordStartUnicode
                | Look::WordEndUnicode
                | Look::WordStartHalfUnicode
                | Look::WordEndHalfUnicode,
            ) => {
                *changed = true;
                Hir::empty()
            }
            HirKind::Repetition(r) => {
                Hir::repetition(hir::Repetition { sub: Box::new(walk(&r.sub, changed)), ..r.clone() })
            }
            HirKind::Capture(c) => Hir::capture(hir::Capture { sub: Box::new(walk(&c.sub, changed)), ..c.clone() }),
            HirKind::Concat(subs) => Hir::concat(subs.iter().map(|s| walk(s, changed)).collect()),
            HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(|s| walk(s, changed)).collect()),
            HirKind::Empty | HirKind::Look(_) | HirKind::Literal(_) | HirKind::Class(_) => h.clone(),
        }
    }
    let mut changed = false;
    let out = walk(hir, &mut changed);
    changed.then_some(out)
}

/// `hir` for [`plain`] texts only: every class keeps only ASCII and [`TYPOGRAPHY`], and every
/// Unicode word boundary becomes an ASCII one (the two agree where the only word characters
/// are ASCII). Classes such as `\p{L}`, `.` or `[^()]` otherwise compile to automata for all of
/// Unicode, many times over under a bounded repetition such as `{0,120}`: most of a ruleset's
/// memory and compile time. None when nothing changes.
fn narrowed(hir: &Hir) -> Option<Hir> {
    static ALLOWED: OnceLock<hir::ClassUnicode> = OnceLock::new();
    let allowed = ALLOWED.get_or_init(|| {
        let mut ranges = vec![hir::ClassUnicodeRange::new('\0', '\u{7f}')];
        ranges.extend(TYPOGRAPHY.iter().map(|&c| hir::ClassUnicodeRange::new(c, c)));
        hir::ClassUnicode::new(ranges)
    });
    cut(hir, allowed, true)
}

/// `hir` for [`wide`] texts only: every class keeps only the wide alphabet. Word boundaries stay
/// Unicode, since the alphabet has letters outside ASCII. None when nothing changes.
fn widened(hir: &Hir) -> Option<Hir> {
    static ALLOWED: OnceLock<hir::ClassUnicode> = OnceLock::new();
    let allowed = ALLOWED.get_or_init(|| {
        let mut ranges = vec![hir::ClassUnicodeRange::new('\0', '\u{7f}')];
        ranges.extend(TYPOGRAPHY.iter().map(|&c| hir::ClassUnicodeRange::new(c, c)));
        ranges.extend(WIDE.iter().map(|&(a, b)| hir::ClassUnicodeRange::new(a, b)));
        hir::ClassUnicode::new(ranges)
    });
    cut(hir, allowed, false)
}

/// `hir` with every class intersected with `allowed` and, when `ascii_words`, every Unicode
/// word boundary made ASCII. None when nothing changes.
fn cut(hir: &Hir, allowed: &hir::ClassUnicode, ascii_words: bool) -> Option<Hir> {
    fn walk(h: &Hir, allowed: &hir::ClassUnicode, ascii_words: bool, changed: &mut bool) -> Hir {
        match h.kind() {
            HirKind::Look(look) if ascii_words => {
                let ascii = match look {
                    Look::WordUnicode => Look::WordAscii,
                    Look::WordUnicodeNegate => Look::WordAsciiNegate,
                    Look::WordStartUnicode => Look::WordStartAscii,
                    Look::WordEndUnicode => Look::WordEndAscii,
                    Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
                    Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
                    other => *other,
                };
                *changed |= ascii != *look;
                Hir::look(ascii)
            }
            HirKind::Class(hir::Class::Unicode(class)) => {
                let mut narrow = class.clone();
                narrow.intersect(allowed);
                *changed |= narrow != *class;
                Hir::class(hir::Class::Unicode(narrow))
            }
            HirKind::Repetition(r) => Hir::repetition(hir::Repetition {
                sub: Box::new(walk(&r.sub, allowed, ascii_words, changed)),
                ..r.clone()
            }),
            HirKind::Capture(c) => {
                Hir::capture(hir::Capture { sub: Box::new(walk(&c.sub, allowed, ascii_words, changed)), ..c.clone() })
            }
            HirKind::Concat(subs) => Hir::concat(subs.iter().map(|s| walk(s, allowed, ascii_words, changed)).collect()),
            HirKind::Alternation(subs) => {
                Hir::alternation(subs.iter().map(|s| walk(s, allowed, ascii_words, changed)).collect())
            }
            HirKind::Empty | HirKind::Look(_) | HirKind::Literal(_) | HirKind::Class(hir::Class::Bytes(_)) => h.clone(),
        }
    }
    let mut changed = false;
    let out = walk(hir, allowed, ascii_words, &mut changed);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_once_and_reports_bad_patterns() {
        let p = Patterns::default();
        let a = p.regex("^Photo:").ok();
        let b = p.regex("^Photo:").ok();
        assert!(matches!((a, b), (Some(a), Some(b)) if Arc::ptr_eq(&a, &b)));
        assert_eq!(p.len(), 1);
        let err = p.regex("(unclosed").err().unwrap_or_default();
        assert!(err.contains("invalid pattern `(unclosed`"), "{err}");
    }

    /// Patterns with every kind of class the narrowing cuts down.
    const NARROWED: &[&str] = &[
        r"(?i)\b(accus\w*|blam\w*|war crimes?)\b",
        r"^[\W_]*(\p{Lu}[\p{L}'’.-]+[\W_]{0,3}\s){1,3}(is|was)\b",
        r"\p{L}\.?\s?/\s?\p{Lu}[\p{L}.\-]*(\s\p{Lu}[\p{L}.\-]*){0,3}$",
        r"\([^()]{0,20}(Getty|\bAP\b)[^()]{0,20}\)\.?$",
        r"(?i)^\W*(join us at .{0,20}summit|dear readers[,!]?)$",
        r"[.!?][\x22”’]?\s+\p{Lu}\w+ \S+$",
        r"\B\d+\B|\d{2}:\d{2}",
    ];

    proptest::proptest! {
        #[test]
        fn the_narrowed_form_matches_where_the_pattern_does_on_plain_texts(
            which in 0..NARROWED.len(),
            text in "[a-zA-Z0-9 .,!?:/()'_\\-\u{a0}“”‘’–—…•€]{0,40}",
        ) {
            let p = Pattern::new(NARROWED[which]).unwrap_or_else(|e| panic!("{e}"));
            let narrowed = matches!(p.forms, Forms::Narrowed { .. });
            proptest::prop_assert!(narrowed && plain(&text));
            let written = build(NARROWED[which]).unwrap_or_else(|e| panic!("{e}"));
            let full: Vec<_> = written.find_iter(&text).map(|m| m.range()).collect();
            let used: Vec<_> = p.find_iter(&text).map(|m| m.range()).collect();
            proptest::prop_assert_eq!(full, used);
        }
    }

    proptest::proptest! {
        #[test]
        fn the_widened_form_matches_where_the_pattern_does_on_wide_texts(
            which in 0..NARROWED.len(),
            text in "[a-zA-Z0-9 .,!?:/()'_\\-“”’–—éÉñăşșțğçüöÜ\u{301}жЖяЁ]{0,40}",
        ) {
            let p = Pattern::new(NARROWED[which]).unwrap_or_else(|e| panic!("{e}"));
            proptest::prop_assert!(wide(&text));
            let written = build(NARROWED[which]).unwrap_or_else(|e| panic!("{e}"));
            let full: Vec<_> = written.find_iter(&text).map(|m| m.range()).collect();
            let used: Vec<_> = p.find_iter(&text).map(|m| m.range()).collect();
            proptest::prop_assert_eq!(full, used);
        }
    }

    proptest::proptest! {
        /// A text the pattern without its word boundaries rules out is one the pattern does not
        /// match; texts of words that make the patterns match, next to letters beyond ASCII.
        #[test]
        fn a_text_the_relaxed_form_rules_out_does_not_match(
            which in 0..NARROWED.len(),
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "accused", "Accusé", "blamé", "war crime", "Jean", "Élise", "Şahin", "is", "was", " ", " ", ". ", "(", ")",
                "Getty", "AP", "éAP", "APé", "/", "Reuters", "12", "٣", "é", "ж", "Ж", "12:30", "’", "”", "x",
            ]), 0..12),
        ) {
            let text = pieces.concat();
            let p = Pattern::new(NARROWED[which]).unwrap_or_else(|e| panic!("{e}"));
            let written = build(NARROWED[which]).unwrap_or_else(|e| panic!("{e}"));
            proptest::prop_assert!(p.to_run(&text, None).is_some() || !written.is_match(&text), "{:?} on {:?}", NARROWED[which], text);
            proptest::prop_assert_eq!(p.is_match(&text), written.is_match(&text));
            proptest::prop_assert_eq!(p.find(&text).map(|m| m.range()), written.find(&text).map(|m| m.range()));
        }
    }

    #[test]
    fn the_relaxed_form_rules_out_texts_beyond_ascii_that_lack_what_the_pattern_needs() {
        let p = Pattern::new(r"(?i)\b(accus\w*|blam\w*)\b").unwrap_or_else(|e| panic!("{e}"));
        // Letters beyond ASCII and no accusation: ruled out without the pattern's own search.
        assert!(p.to_run("Şahin a déclaré", None).is_none());
        // The words are there: the pattern decides (here, "accusé" is one word, and matches).
        assert!(p.to_run("Şahin accusé", None).is_some() && p.is_match("Şahin accusé"));
        // Plain texts run the narrowed form and are never ruled out this way.
        assert!(p.to_run("nothing here", None).is_some());
        // A pattern that nothing widens has its word boundaries taken out as written.
        let ap = Pattern::new(r"\bAP\b").unwrap_or_else(|e| panic!("{e}"));
        assert!(ap.to_run("Şahin a déclaré", None).is_none() && ap.to_run("Şahin, AP", None).is_some());
    }

    #[test]
    fn texts_with_letters_outside_ascii_take_a_wider_form_or_the_pattern_as_written() {
        let p = Pattern::new(NARROWED[0]).unwrap_or_else(|e| panic!("{e}"));
        for t in ["Überaccused is one word; so is accusé.", "naïve blamé", "Erdoğan blamed them", "Ο Ερντογάν blamed"]
        {
            assert!(!plain(t));
            let written = build(NARROWED[0]).unwrap_or_else(|e| panic!("{e}"));
            let full: Vec<_> = written.find_iter(t).map(|m| m.range()).collect();
            let used: Vec<_> = p.find_iter(t).map(|m| m.range()).collect();
            assert_eq!(full, used, "{t:?}");
        }
        assert!(plain("“accused” — 10 € … • ‘x’"));
        assert!(wide("Erdoğan, Șoșoacă, Зеленський") && !wide("Ο Ερντογάν"));
        // The typography is sorted (it is searched) and holds no word character.
        assert!(TYPOGRAPHY.windows(2).all(|w| w[0] < w[1]));
        assert!(!TYPOGRAPHY.iter().any(|&c| regex_syntax::is_word_character(c)));
        // A pattern of ASCII literals needs no narrowed form; capture groups keep their numbers.
        assert!(Pattern::new("^Photo:").is_ok_and(|p| matches!(p.forms, Forms::One(_))));
        let c = Pattern::new(r"\b(?P<w>\w+)\b").unwrap_or_else(|e| panic!("{e}"));
        let names = |t, plain_text| c.on(t, Some(plain_text)).capture_names().collect::<Vec<_>>();
        assert_eq!(names("plain", true), vec![None, Some("w")]);
        // Each form is compiled only once a text needs it.
        assert_eq!(names("Erdoğan", false), vec![None, Some("w")]);
        assert!(matches!(&c.forms, Forms::Narrowed { wide, full, .. } if wide.get().is_some() && full.get().is_none()));
        assert_eq!(names("Ο Ερντογάν", false), vec![None, Some("w")]);
        assert!(matches!(&c.forms, Forms::Narrowed { full, .. } if full.get().is_some()));
        let d = Pattern::new(r"\bphoto\b").unwrap_or_else(|e| panic!("{e}"));
        assert!(d.is_match("a photo, “taken”") && !d.is_match("photos"));
        assert!(matches!(&d.forms, Forms::Narrowed { full, .. } if full.get().is_none()));
        assert!(d.is_match("a photo of Erdoğan"));
        assert!(matches!(&d.forms, Forms::Narrowed { full, .. } if full.get().is_some()));
    }

    /// Patterns anchored at either end, with parts that may be empty, alternatives, case
    /// folding beyond ASCII (`(?i)k` is also the Kelvin sign) and classes of wide characters.
    const ANCHORED: &[&str] = &[
        r"(?i)^support the moscow times!?$",
        r"^(\(?(AP|AFP|Reuters)\)?|[\p{L}'’.\- ]{2,12}\s?[—/]\s?(Getty Images|AP|TASS)( via [\p{L} ]+)?)$",
        r"(?i)^\W*(donate( now)?|support us)\b",
        r"^(?:\d{1,2}[.)]\s)?[«“]?\p{Lu}",
        r"(?i)^#*\s*read next$",
        r"^$|^x?$",
        r"(?i)^(a|)k",
        r"\bphoto\b.*[.!?]$",
        r"^[^a-z]",
        r"(?m)^ok$",
        r"^Photo: [^.]*(AP|TASS)$",
    ];

    proptest::proptest! {
        /// The edge bytes never rule out a text the pattern matches.
        #[test]
        fn texts_ruled_out_by_their_edges_do_not_match(
            which in 0..ANCHORED.len(),
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "Support", "the", "Moscow", "Times", "!", " ", "SUPPORT THE MOSCOW TIMES", "ſupport the moſcow timeſ",
                "(AP)", "AP", "Jane Doe", "—", "/", "Getty Images", " via ", "Élise", "TASS", "donate", " now",
                "“", "«", "12.", "1)", "read next", "#", "\u{212a}", "k", "a", "x", "photo", ".", "é", "ж", "\n", "ok", "Photo: ",
            ]), 0..8),
        ) {
            let text = pieces.concat();
            let p = Pattern::new(ANCHORED[which]).unwrap_or_else(|e| panic!("{e}"));
            let written = build(ANCHORED[which]).unwrap_or_else(|e| panic!("{e}"));
            proptest::prop_assert!(p.edges.allow(&text) || !written.is_match(&text), "{:?} on {:?}", ANCHORED[which], text);
            proptest::prop_assert_eq!(p.is_match(&text), written.is_match(&text));
            proptest::prop_assert_eq!(p.find(&text).map(|m| m.range()), written.find(&text).map(|m| m.range()));
        }
    }

    #[test]
    fn anchored_patterns_rule_out_texts_by_their_first_and_last_bytes() {
        let edges = |p: &str| Pattern::new(p).map(|p| p.edges).unwrap_or_else(|e| panic!("{e}"));
        let tmt = edges(r"(?i)^support the moscow times!?$");
        assert!(tmt.allow("Support The Moscow Times!") && tmt.allow("support the moscow times"));
        assert!(!tmt.allow("The Moscow Times") && !tmt.allow("Support The Moscow Times.") && !tmt.allow(""));
        let photo = edges(r"^Photo: \w+ AP$");
        assert!(photo.allow("Photo: Jane AP") && !photo.allow(" Photo: Jane AP") && !photo.allow("Photo: Jane AP."));
        // Case folding goes beyond ASCII: `(?i)s` is also the long s, `(?i)k` the Kelvin sign.
        assert!(tmt.allow("ſupport the moſcow timeſ") && edges("(?i)^k").allow("\u{212a}elvin"));
        let credit = edges(r"^[\p{L} ]{2,40}\s?[—/]\s?(Getty Images|AFP|Reuters)( via [\p{L} ]+)?$");
        assert!(credit.allow("Jane Doe / Getty Images") && credit.allow("Жанна — AFP via Гетти"));
        assert!(!credit.allow("Jane Doe said the AFP.") && !credit.allow("2024 / Reuters"));
        // Nothing is ruled out where a match may be empty at that end, or is not anchored there.
        let open = |e: Edges| e.first.is_none() && e.last.is_none();
        assert!(
            open(edges(r"(?i)^\W*$")) && open(edges(r"photo")) && open(edges(r"(?m)^ok$")) && open(edges("^(a|)$"))
        );
        assert!(edges(r"^\W*donate").first.is_some() && edges(r"^\W*donate").last.is_none());
        // Patterns ruled out by their edges never run: none of them could have matched.
        let p = Pattern::new(r"(?i)^read next$").unwrap_or_else(|e| panic!("{e}"));
        assert!(p.to_run("Read next", None).is_some() && p.to_run("Read next.", None).is_none());
    }

    #[test]
    fn counts_are_the_largest_bounds_of_counted_repetitions() {
        let count = |p: &str| regex_syntax::Parser::new().parse(p).map(|h| longest_count(&h)).unwrap_or(u32::MAX);
        assert_eq!(count(r"^(photo|image)s?\s*:\s*\S+"), 0);
        assert_eq!(count(r"^(\W*(facebook|x)\W*){2,}$"), 2);
        assert_eq!(count(r"^\d{1,2}[.)]\s"), 2);
        assert_eq!(count(r"^(?i)(join us (at|for) .{0,60}(summit|forum))"), 60);
        assert_eq!(count(r"^([^.!?]{10,120} [–—-] (Jan|Feb)\.? \d{1,2})$"), 120);
    }

    #[test]
    fn a_sealed_set_answers_for_the_gathered_patterns_only() {
        let p = Patterns::default();
        p.gather(Role::Line);
        let photo = p.regex_in(Role::Line, "^Photo:").unwrap_or_else(|e| panic!("{e}"));
        let word = p.regex_in(Role::Line, r"(?i)^\W*\bdonate\b").unwrap_or_else(|e| panic!("{e}"));
        let inside = p.regex_in(Role::Line, "Photo:").unwrap_or_else(|e| panic!("{e}"));
        let counting = p.regex_in(Role::Line, "^.{0,60} newsletter").unwrap_or_else(|e| panic!("{e}"));
        let other = p.regex_in(Role::Claim, "denied").unwrap_or_else(|e| panic!("{e}"));
        p.seal();
        let late = p.regex_in(Role::Line, "late").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((photo.slot(Role::Line), word.slot(Role::Line)), (Some(0), Some(1)));
        // Unanchored line patterns search on their own.
        assert_eq!(inside.slot(Role::Line), None);
        // So do patterns that count far.
        assert_eq!(counting.slot(Role::Line), None);
        assert_eq!((other.slot(Role::Line), other.slot(Role::Claim), late.slot(Role::Line)), (None, None, None));
        // A claim set takes unanchored patterns, but not those that count far either.
        p.gather(Role::Claim);
        let denied = p.regex_in(Role::Claim, r"(?i)\bdenied\b").unwrap_or_else(|e| panic!("{e}"));
        let far = p.regex_in(Role::Claim, r"(?i)\bclaims?\b.{0,80}\b(lies|false)\b").unwrap_or_else(|e| panic!("{e}"));
        let near = p
            .regex_in(Role::Claim, r"(?i)\binsist\w* (?:[\w']+ ){1,4}(?:was|is) not\b")
            .unwrap_or_else(|e| panic!("{e}"));
        p.seal();
        assert_eq!((denied.slot(Role::Claim), far.slot(Role::Claim), near.slot(Role::Claim)), (Some(0), None, Some(1)));
        let set = p.set(Role::Line).unwrap_or_else(|| panic!("sealed"));
        for text in ["Photo: AP", "“Donate” now", "nothing"] {
            let hits = set.hits(text, plain(text)).unwrap_or_else(|| panic!("plain"));
            assert_eq!(hits.matched(0), photo.is_match(text), "{text}");
            assert_eq!(hits.matched(1), word.is_match(text), "{text}");
        }
        assert!(set.hits("donateé", plain("donateé")).is_none());
        // Needles are indexed for the gathered patterns that search on their own, and for no
        // others: the set answers for its members.
        p.index_needles();
        assert!(p.needles().is_some());
        assert!(inside.needle_id().is_some());
        assert_eq!((photo.needle_id(), other.needle_id(), late.needle_id()), (None, None, None));
    }

    /// Line patterns (anchored at the start, as in a line set) and claim patterns (anywhere).
    const SET_LINES: &[&str] = &[
        r"^(?i)(photo|image)s?\s*:", r"^\W*(read more|related)\b", r"^[A-Z][a-z]+ [A-Z][a-z]+$", r"^\d{1,2}[.)]\s",
        r"^(?i)share( this)?$", r"^\W*$",
    ];
    const SET_CLAIMS: &[&str] =
        &[r"(?i)\b(accus|blam)\w*", r"(?i)\bnot true\b|\bdenied\b", r"[0-9]", r#"["“”]"#, r"(?i)\bwill\b", r"ed\.$"];

    /// A set of `sources`, as sealing builds it.
    fn set_of(sources: &[&str]) -> PatternSet {
        let patterns: Vec<Arc<Pattern>> =
            sources.iter().map(|s| Arc::new(Pattern::new(s).unwrap_or_else(|e| panic!("{e}")))).collect();
        PatternSet::build(&patterns).unwrap_or_else(|| panic!("built"))
    }

    fn texts_for_sets() -> impl proptest::strategy::Strategy<Value = Vec<String>> {
        use proptest::strategy::Strategy;
        let piece = proptest::prop_oneof![
            "[a-zA-Z0-9 .:)“”\"]{0,8}",
            proptest::sample::select(vec![
                "Photo", "images:", "Read more", "related", "Share this", "accused", "BLAMES", "not true", "denied",
                "will", "said.", "John Smith", "12) ", "é",
            ])
            .prop_map(str::to_owned),
        ];
        proptest::collection::vec(proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat()), 0..10)
    }

    proptest::proptest! {
        /// Read side by side, a set's lazy DFA finds for each text the patterns the regex
        /// crate's set finds, on the texts it answers for (plain ones), in any batch.
        #[test]
        fn a_set_read_side_by_side_answers_as_the_regex_set_does(texts in texts_for_sets(), lines in proptest::bool::ANY) {
            let set = set_of(if lines { SET_LINES } else { SET_CLAIMS });
            proptest::prop_assert!(set.dfa.is_some());
            let batch: Vec<(&str, bool)> = texts.iter().map(|t| (t.as_str(), plain(t))).collect();
            let got = set.hits_each(&batch);
            proptest::prop_assert_eq!(got.len(), texts.len());
            let regex_set = set.regex_set().unwrap_or_else(|| panic!("compiles"));
            for ((text, is_plain), hits) in batch.iter().zip(&got) {
                proptest::prop_assert_eq!(hits.is_some(), *is_plain);
                if let Some(hits) = hits {
                    let want: Vec<usize> = regex_set.matches(text).iter().collect();
                    proptest::prop_assert_eq!(hits.iter().collect::<Vec<_>>(), want, "{:?}", text);
                }
            }
        }
    }

    /// A lazy DFA over `sources` (narrowed) whose cache holds only a handful of states.
    fn cramped_dfa(sources: &[&str]) -> DFA {
        let narrowed: Vec<String> =
            sources.iter().map(|s| Pattern::new(s).unwrap_or_else(|e| panic!("{e}")).set_source().to_owned()).collect();
        DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(regex_automata::MatchKind::All)
                    .cache_capacity(0)
                    .skip_cache_capacity_check(true),
            )
            .build_many(&narrowed)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    proptest::proptest! {
        /// However the cache fills up, a starting text's state included, the streams give up
        /// or answer right, never wrong.
        #[test]
        fn streams_in_a_cramped_cache_give_up_or_answer_right(texts in texts_for_sets(), lines in proptest::bool::ANY) {
            let sources = if lines { SET_LINES } else { SET_CLAIMS };
            let dfa = cramped_dfa(sources);
            let mut cache = dfa.create_cache();
            let plain_texts: Vec<&[u8]> = texts.iter().filter(|t| plain(t)).map(|t| t.as_bytes()).collect();
            let mut out = vec![regex_automata::PatternSet::new(sources.len()); plain_texts.len()];
            let anchored = if lines { Anchored::Yes } else { Anchored::No };
            if streams::<4>(&dfa, &mut cache, anchored, &plain_texts, &mut out).is_some() {
                let set = set_of(sources);
                let regex_set = set.regex_set().unwrap_or_else(|| panic!("compiles"));
                for (text, o) in plain_texts.iter().zip(&out) {
                    let text = std::str::from_utf8(text).unwrap_or_default();
                    let want: Vec<usize> = regex_set.matches(text).iter().collect();
                    proptest::prop_assert_eq!(o.iter().map(|p| p.as_usize()).collect::<Vec<_>>(), want, "{:?}", text);
                }
            }
        }
    }

    #[test]
    fn streams_give_up_when_the_cache_is_cleared_under_them() {
        // A cache with room for a handful of states: reading a few texts fills it.
        let dfa = cramped_dfa(SET_CLAIMS);
        let mut cache = dfa.create_cache();
        let texts: Vec<&[u8]> = vec![b"He was accused of it, 12 times.", b"\"Not true,\" she denied.", b"We will."];
        let mut out = vec![regex_automata::PatternSet::new(SET_CLAIMS.len()); texts.len()];
        assert!(streams::<4>(&dfa, &mut cache, Anchored::No, &texts, &mut out).is_none());
        assert!(cache.clear_count() > 0);
        // With room, the same texts are read through.
        let set = set_of(SET_CLAIMS);
        let dfa = &set.dfa.as_ref().unwrap_or_else(|| panic!("built")).dfa;
        let mut cache = dfa.create_cache();
        let mut out = vec![regex_automata::PatternSet::new(SET_CLAIMS.len()); texts.len()];
        assert!(streams::<4>(dfa, &mut cache, Anchored::No, &texts, &mut out).is_some());
        let found: Vec<Vec<usize>> = out.iter().map(|o| o.iter().map(|p| p.as_usize()).collect()).collect();
        assert_eq!(found, vec![vec![0, 2], vec![1, 3, 5], vec![4]]);
    }

    #[test]
    fn an_unanchored_set_that_can_match_nothing_is_left_to_the_regex_set() {
        // An empty match may not split a character, which the streams do not check.
        let set = set_of(&[r"\b", "said"]);
        assert!(set.dfa.is_none());
        let hits = set.hits("“said”", true).unwrap_or_else(|| panic!("plain"));
        assert!(hits.matched(0) && hits.matched(1));
        // Anchored at the start, an empty match is at the start: the streams answer.
        assert!(set_of(SET_LINES).dfa.is_some());
    }

    #[test]
    fn the_regex_set_is_compiled_only_when_the_dfa_cannot_answer() {
        let set = set_of(SET_CLAIMS);
        let hits = set.hits("He denied it.", true).unwrap_or_else(|| panic!("plain"));
        assert!(hits.matched(1) && !hits.matched(0));
        assert!(set.regex_set.get().is_none(), "the DFA answered");
        // A set with no DFA has its regex set from the start.
        assert!(set_of(&[r"\b", "said"]).regex_set.get().is_some());
    }
}
