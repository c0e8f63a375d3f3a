//! `claim`: the handle claim rules receive, and the helpers they label claims with.
//!
//! A claim rule is a rule function whose parameter is named `claim` (`fn accusation(claim)`).
//! It runs once per claim the finder found and attaches labels through helpers: a statement
//! type (one per claim; the highest score wins, so rules can propose types independently) and
//! any number of topic labels. Patterns and term lists are compiled once per ruleset, so a
//! classifier reads like a short policy and costs a few matcher runs.

use std::sync::{Arc, Mutex, PoisonError};

use aho_corasick::AhoCorasick;
use rhai::{Array, Dynamic, Engine, EvalAltResult, NativeCallContext};

use crate::diag::codes;
use crate::document::{ClaimForm, Label, Span};
use crate::needles::Hits;
use crate::page::fail;
use crate::patterns::{Pattern, Patterns, Role, SetHits, TermList};
use crate::plan;

type HelperResult<T> = Result<T, Box<EvalAltResult>>;

/// The read-only facts about one claim.
#[derive(Debug)]
pub struct ClaimFacts {
    /// The claim's text.
    pub text: String,
    /// Where the text starts in the document.
    pub start: usize,
    /// The cue as written.
    pub cue: String,
    /// Where the cue is in the document.
    pub cue_span: Option<Span>,
    /// "direct", "indirect" or "mixed".
    pub form: ClaimForm,
    /// Canonical speaker.
    pub speaker: String,
    /// The mention as written.
    pub mention: String,
    /// The outlet the document was attributed to.
    pub outlet: String,
    /// The ruleset's pattern cache.
    pub patterns: Arc<Patterns>,
    /// The ruleset's rule ids, by slot: a label names the rule whose slot was last begun.
    pub rule_ids: Arc<[Arc<str>]>,
    /// Where the needles of the ruleset's patterns occur in the document the text is taken
    /// from, at `start` (see [`Page::needle_hits`](crate::page::Page::needle_hits)).
    pub needles: Option<Arc<Hits>>,
}

#[derive(Debug, Default)]
struct LabelLog {
    /// The slot of the rule running (see [`ClaimHandle::begin_rule`]).
    rule: usize,
    kind: Option<Proposal>,
    labels: Vec<Label>,
    /// The statement type before the current rule replaced it, to undo a failed rule.
    kind_before: Option<Option<Proposal>>,
}

/// The statement type proposed so far. Its evidence, when a pattern found it, is searched for
/// only when the claim's labels are taken: most claims see several proposals, and all but the
/// one that wins would have searched for nothing.
#[derive(Debug)]
struct Proposal {
    label: Label,
    /// The pattern whose first match in the claim's text is the evidence, not yet searched.
    pending: Option<Arc<Pattern>>,
}

/// What made a label fire: where, or the pattern whose first match in the claim's text shows
/// where (searched only when the label is kept).
#[derive(Debug, Clone)]
enum Evidence {
    At(Option<Span>),
    FirstMatch(Arc<Pattern>),
}

/// The handle rules see as `claim`. Clones share the same labels.
#[derive(Debug, Clone)]
pub struct ClaimHandle {
    facts: Arc<ClaimFacts>,
    /// The text has no non-ASCII word characters (see [`crate::patterns::plain`]).
    plain: bool,
    /// Which patterns of the ruleset's claim set match the text.
    hits: Option<Arc<SetHits>>,
    log: Arc<Mutex<LabelLog>>,
}

impl ClaimHandle {
    /// A handle over `facts` with no labels yet.
    pub fn new(facts: ClaimFacts) -> Self {
        let plain = crate::patterns::plain(&facts.text);
        let hits = facts.patterns.set(Role::Claim).and_then(|set| set.hits(&facts.text, plain)).map(Arc::new);
        Self { facts: Arc::new(facts), plain, hits, log: Arc::default() }
    }

    /// Handles over claims of one ruleset (one [`Patterns`]): the claim set reads their texts
    /// side by side (see [`crate::patterns::PatternSet::hits_each`]).
    pub fn batch(facts: Vec<ClaimFacts>) -> Vec<Self> {
        let Some(first) = facts.first() else { return Vec::new() };
        let (patterns, set) = (first.patterns.clone(), first.patterns.set(Role::Claim));
        let (Some(set), true) = (set, facts.iter().all(|f| Arc::ptr_eq(&f.patterns, &patterns))) else {
            return facts.into_iter().map(Self::new).collect();
        };
        let texts: Vec<(&str, bool)> =
            facts.iter().map(|f| (f.text.as_str(), crate::patterns::plain(&f.text))).collect();
        let hits = set.hits_each(&texts);
        let plain: Vec<bool> = texts.iter().map(|(_, p)| *p).collect();
        facts
            .into_iter()
            .zip(plain)
            .zip(hits)
            .map(|((facts, plain), hits)| Self {
                facts: Arc::new(facts),
                plain,
                hits: hits.map(Arc::new),
                log: Arc::default(),
            })
            .collect()
    }

    /// Attributes the labels that follow to the rule in slot `rule` (its id is
    /// [`ClaimFacts::rule_ids`]`[rule]`), and returns where they start: what
    /// [`ClaimHandle::labelled_since`] and [`ClaimHandle::undo`] take.
    pub fn begin_rule(&self, rule: usize) -> usize {
        let mut log = self.lock();
        log.rule = rule;
        log.kind_before = None;
        log.labels.len()
    }

    /// Whether the current rule added a label or changed the statement type since `mark`.
    pub fn labelled_since(&self, mark: usize) -> bool {
        let log = self.lock();
        log.labels.len() != mark || log.kind_before.is_some()
    }

    /// Undoes the current rule's labels and statement type, back to `mark`.
    pub fn undo(&self, mark: usize) {
        let mut log = self.lock();
        log.labels.truncate(mark);
        if let Some(kind) = log.kind_before.take() {
            log.kind = kind;
        }
    }

    /// The labels: the winning statement type first, then the others in the order made.
    pub fn take_labels(&self) -> Vec<Label> {
        let mut log = self.lock();
        let mut out: Vec<Label> = Vec::with_capacity(1 + log.labels.len());
        if let Some(Proposal { mut label, pending }) = log.kind.take() {
            if let Some(re) = pending {
                label.evidence = self.find(&re);
            }
            out.push(label);
        }
        out.append(&mut log.labels);
        out
    }

    fn rule_id(&self, slot: usize) -> String {
        self.facts.rule_ids.get(slot).map_or_else(String::new, |id| String::from(&**id))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LabelLog> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn label(&self, name: &str, score: f64, evidence: Evidence, is_type: bool) -> HelperResult<()> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(fail(
                codes::RULE_RUNTIME,
                format!("label `{name}` must be a snake_case name such as \"sanctions\""),
            ));
        }
        if !(0.0..=1.0).contains(&score) {
            return Err(fail(codes::RULE_RUNTIME, format!("score {score} of label `{name}` must be between 0 and 1")));
        }
        #[allow(clippy::cast_possible_truncation)]
        let score = score as f32;
        let (evidence, pending) = match evidence {
            Evidence::At(at) => (at, None),
            // A topic label is kept (or a higher one of its name is): its evidence is needed.
            Evidence::FirstMatch(re) if !is_type => (self.find(&re), None),
            Evidence::FirstMatch(re) => (None, Some(re)),
        };
        let mut log = self.lock();
        if is_type {
            if log.kind.as_ref().is_none_or(|k| score > k.label.score) {
                let label = Label { name: name.to_owned(), score, rule: self.rule_id(log.rule), evidence };
                let before = log.kind.replace(Proposal { label, pending });
                log.kind_before.get_or_insert(before);
            }
            return Ok(());
        }
        let label = Label { name: name.to_owned(), score, rule: self.rule_id(log.rule), evidence };
        if let Some(l) = log.labels.iter_mut().find(|l| l.name == name) {
            if label.score > l.score {
                *l = label;
            }
        } else {
            log.labels.push(label);
        }
        Ok(())
    }

    /// The span of the first match of `re` in the claim's text.
    fn find(&self, re: &Pattern) -> Option<Span> {
        // The set says whether it matches; only a match needs the search for where.
        if let (Some(slot), Some(hits)) = (re.slot(Role::Claim), &self.hits)
            && !hits.matched(slot)
        {
            return None;
        }
        let base = self.facts.start;
        let text = &self.facts.text;
        if let (Some(id), Some(needles)) = (re.needle_id(), &self.facts.needles)
            && !needles.within(id, Span::new(base, base + text.len()))
        {
            return None;
        }
        re.to_run(text, Some(self.plain))?.find(text).map(|m| Span::new(base + m.start(), base + m.end()))
    }

    /// Whether `re` matches the claim's text: what [`ClaimHandle::find`] finds a span for.
    fn matches(&self, re: &Pattern) -> bool {
        // The set answers for its patterns.
        if let (Some(slot), Some(hits)) = (re.slot(Role::Claim), &self.hits) {
            return hits.matched(slot);
        }
        let base = self.facts.start;
        let text = &self.facts.text;
        if let (Some(id), Some(needles)) = (re.needle_id(), &self.facts.needles)
            && !needles.within(id, Span::new(base, base + text.len()))
        {
            return false;
        }
        re.to_run(text, Some(self.plain)).is_some_and(|r| r.is_match(text))
    }

    /// The cue's span when `re` matches the cue.
    fn find_cue(&self, re: &Pattern) -> Option<Span> {
        self.facts.cue_span.filter(|_| re.is_match(&self.facts.cue))
    }

    /// The span of the first of the terms `ac` finds in the text, as a whole word.
    fn find_terms(&self, ac: &AhoCorasick) -> Option<Span> {
        let text = &self.facts.text;
        let word = |i: usize, before: bool| {
            let c = if before { text[..i].chars().next_back() } else { text[i..].chars().next() };
            !c.is_some_and(char::is_alphanumeric)
        };
        let base = self.facts.start;
        ac.find_iter(text)
            .find(|m| word(m.start(), true) && word(m.end(), false))
            .map(|m| Span::new(base + m.start(), base + m.end()))
    }
}

impl plan::Target for ClaimHandle {
    fn rules_out(&self, pattern: &Pattern) -> bool {
        // What `matches` answers from the set, without the search it would fall back on.
        matches!((pattern.slot(Role::Claim), &self.hits), (Some(slot), Some(hits)) if !hits.matched(slot))
    }
}

/// A claim helper call with its arguments parsed and its patterns compiled (see [`crate::plan`]),
/// and the pattern it does nothing without, if any.
type Prepared = (Option<Arc<Pattern>>, Box<dyn Fn(&ClaimHandle) -> HelperResult<Dynamic> + Send + Sync>);

/// What a claim helper searches for: a pattern in the text, in the cue, or a term list.
enum Search {
    Text(Arc<Pattern>),
    Cue(Arc<Pattern>),
    Terms(Option<Arc<TermList>>),
}

impl Search {
    fn text(c: &ClaimHandle, pattern: &str) -> HelperResult<Self> {
        c.facts.patterns.regex_in(Role::Claim, pattern).map(Self::Text).map_err(|m| fail(codes::BAD_PATTERN, m))
    }

    fn cue(c: &ClaimHandle, pattern: &str) -> HelperResult<Self> {
        c.facts.patterns.regex(pattern).map(Self::Cue).map_err(|m| fail(codes::BAD_PATTERN, m))
    }

    fn terms(c: &ClaimHandle, terms: &Array) -> HelperResult<Self> {
        let strings: Vec<_> = terms
            .iter()
            .map(|t| {
                t.as_immutable_string_ref().map_err(|_| fail(codes::RULE_RUNTIME, "a term list holds strings only"))
            })
            .collect::<Result<_, _>>()?;
        let list: Vec<&str> = strings.iter().map(|s| s.as_str()).collect();
        if list.is_empty() {
            return Ok(Self::Terms(None));
        }
        c.facts
            .patterns
            .terms(Role::Claim, &list)
            .map(|t| Self::Terms(Some(t)))
            .map_err(|m| fail(codes::BAD_PATTERN, m))
    }

    /// The pattern that must match the claim for the search to find anything (in the claim
    /// set when it has a slot there).
    fn guard(&self) -> Option<Arc<Pattern>> {
        match self {
            Self::Text(re) => Some(re.clone()),
            Self::Terms(Some(list)) => Some(list.any.clone()),
            Self::Cue(_) | Self::Terms(None) => None,
        }
    }

    /// The evidence when the search finds something in `c`; a text pattern's span is left
    /// to be searched for when it is needed.
    fn found(&self, c: &ClaimHandle) -> Option<Evidence> {
        match self {
            Self::Text(re) => c.matches(re).then(|| Evidence::FirstMatch(re.clone())),
            Self::Cue(re) => c.find_cue(re).map(|at| Evidence::At(Some(at))),
            Self::Terms(None) => None,
            Self::Terms(Some(list)) => {
                c.matches(&list.any).then(|| c.find_terms(&list.ac)).flatten().map(|at| Evidence::At(Some(at)))
            }
        }
    }

    /// Where the search finds something in `c`.
    #[cfg(test)]
    fn find(&self, c: &ClaimHandle) -> Option<Span> {
        match self.found(c)? {
            Evidence::At(at) => at,
            Evidence::FirstMatch(re) => c.find(&re),
        }
    }
}

/// Prepares a label (a type proposal when `is_type`) that is attached when `search` finds its
/// evidence; the rule is told whether it was.
fn attach_if(name: &str, score: f64, search: HelperResult<Search>, is_type: bool) -> HelperResult<Prepared> {
    attach(name, score, search, None, is_type)
}

/// Like [`attach_if`], but only when `unless` finds nothing in the claim: a condition on the
/// claim that a plan can hold, where an `if` on `claim.has(...)` would need Rhai per claim.
fn attach_unless(
    name: &str,
    score: f64,
    search: HelperResult<Search>,
    unless: HelperResult<Search>,
    is_type: bool,
) -> HelperResult<Prepared> {
    attach(name, score, search, Some(unless?), is_type)
}

fn attach(
    name: &str,
    score: f64,
    search: HelperResult<Search>,
    unless: Option<Search>,
    is_type: bool,
) -> HelperResult<Prepared> {
    let search = search?;
    let name = name.to_owned();
    let guard = search.guard();
    let run = move |c: &ClaimHandle| {
        let hit = search.found(c).filter(|_| unless.as_ref().is_none_or(|u| u.found(c).is_none()));
        let fired = hit.is_some();
        if let Some(evidence) = hit {
            c.label(&name, score, evidence, is_type)?;
        }
        Ok(Dynamic::from(fired))
    };
    Ok((guard, Box::new(run)))
}

/// Prepares an unconditional label (a type proposal when `is_type`), with the cue as evidence
/// for a type.
fn always(name: &str, score: f64, is_type: bool) -> Prepared {
    let name = name.to_owned();
    let run = move |c: &ClaimHandle| {
        c.label(&name, score, Evidence::At(if is_type { c.facts.cue_span } else { None }), is_type)
            .map(|()| Dynamic::UNIT)
    };
    (None, Box::new(run))
}

/// Runs a prepared call on `claim` (recording it when the rule is being planned).
fn act(ctx: &NativeCallContext, claim: &ClaimHandle, call: HelperResult<Prepared>) -> HelperResult<Dynamic> {
    let (guard, call) = call?;
    plan::act_guarded(ctx, claim, guard, call)
}

fn form_name(f: ClaimForm) -> &'static str {
    match f {
        ClaimForm::Direct => "direct",
        ClaimForm::Indirect => "indirect",
        ClaimForm::Mixed => "mixed",
    }
}

/// Registers the `Claim` type and its helpers on `engine`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<ClaimHandle>("Claim");
    type Getter = fn(&ClaimFacts) -> String;
    let facts: [(&str, Getter); 6] = [
        ("text", |f| f.text.clone()),
        ("cue", |f| f.cue.clone()),
        ("form", |f| form_name(f.form).to_owned()),
        ("speaker", |f| f.speaker.clone()),
        ("mention", |f| f.mention.clone()),
        ("outlet", |f| f.outlet.clone()),
    ];
    for (name, get) in facts {
        engine.register_get(name, move |c: &mut ClaimHandle| {
            plan::observe();
            get(&c.facts)
        });
    }

    engine.register_fn("has", |c: &mut ClaimHandle, re: &str| -> HelperResult<bool> {
        plan::observe();
        Ok(Search::text(c, re)?.found(c).is_some())
    });
    engine.register_fn("cue_is", |c: &mut ClaimHandle, re: &str| -> HelperResult<bool> {
        plan::observe();
        Ok(Search::cue(c, re)?.found(c).is_some())
    });
    engine.register_fn("has_terms", |c: &mut ClaimHandle, t: Array| -> HelperResult<bool> {
        plan::observe();
        Ok(Search::terms(c, &t)?.found(c).is_some())
    });
    engine.register_fn("has_label", |c: &mut ClaimHandle, name: &str| {
        plan::observe();
        let log = c.lock();
        log.labels.iter().chain(log.kind.iter().map(|k| &k.label)).any(|l| l.name == name)
    });

    // Statement types (one per claim, the highest score wins) and topic or narrative labels
    // (any number per claim) have the same helpers: `set_type`, `type_if`, ... and `label`,
    // `label_if`, ...
    for (always_name, prefix, is_type) in [("set_type", "type", true), ("label", "label", false)] {
        engine.register_fn(always_name, move |ctx: NativeCallContext, c: &mut ClaimHandle, name: &str, score: f64| {
            act(&ctx, c, Ok(always(name, score, is_type)))
        });
        engine.register_fn(
            format!("{prefix}_if"),
            move |ctx: NativeCallContext, c: &mut ClaimHandle, name: &str, score: f64, re: &str| {
                act(&ctx, c, attach_if(name, score, Search::text(c, re), is_type))
            },
        );
        engine.register_fn(
            format!("{prefix}_if_unless"),
            move |ctx: NativeCallContext, c: &mut ClaimHandle, name: &str, score: f64, re: &str, unless: &str| {
                act(&ctx, c, attach_unless(name, score, Search::text(c, re), Search::text(c, unless), is_type))
            },
        );
        engine.register_fn(
            format!("{prefix}_if_terms"),
            move |ctx: NativeCallContext, c: &mut ClaimHandle, name: &str, score: f64, t: Array| {
                act(&ctx, c, attach_if(name, score, Search::terms(c, &t), is_type))
            },
        );
    }
    engine.register_fn(
        "type_if_cue",
        |ctx: NativeCallContext, c: &mut ClaimHandle, name: &str, score: f64, re: &str| {
            act(&ctx, c, attach_if(name, score, Search::cue(c, re), true))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(text: &str, cue: &str) -> ClaimHandle {
        let at = text.find(cue).unwrap_or(0);
        ClaimHandle::new(ClaimFacts {
            text: text.into(),
            start: 10,
            cue: cue.into(),
            cue_span: Some(Span::new(10 + at, 10 + at + cue.len())),
            form: ClaimForm::Indirect,
            speaker: "Sergei Lavrov".into(),
            mention: "Lavrov".into(),
            needles: None,
            outlet: String::new(),
            patterns: Arc::default(),
            rule_ids: RULES.iter().map(|&r| Arc::from(r)).collect(),
        })
    }

    /// The rule ids the tests' claims know, by slot.
    const RULES: &[&str] = &["types.accusation", "topics.sanctions", "types.reported", "types.denial"];

    /// Begins the rule `id` (one of [`RULES`]) on `c`.
    fn begin(c: &ClaimHandle, id: &str) -> usize {
        c.begin_rule(RULES.iter().position(|&r| r == id).unwrap_or_else(|| panic!("{id} is not in RULES")))
    }

    #[test]
    fn the_highest_type_wins_and_topics_accumulate() {
        let c = handle("Lavrov accused the West of imposing sanctions.", "accused");
        begin(&c, "types.accusation");
        assert!(Search::cue(&c, "^accus").ok().and_then(|s| s.find(&c)).is_some());
        c.label("assessment", 0.2, Evidence::At(None), true).ok();
        c.label("accusation", 0.9, Evidence::At(c.facts.cue_span), true).ok();
        c.label("denial", 0.5, Evidence::At(None), true).ok();
        let terms: Array = vec!["sanction".into(), "embargo".into()];
        assert!(Search::terms(&c, &terms).ok().and_then(|s| s.find(&c)).is_none(), "whole words only");
        let terms: Array = vec!["sanctions".into()];
        let ev = Search::terms(&c, &terms).ok().and_then(|s| s.find(&c));
        c.label("sanctions", 0.8, Evidence::At(ev), false).ok();
        let labels = c.take_labels();
        let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["accusation", "sanctions"]);
        assert_eq!(labels[0].rule, "types.accusation");
        assert_eq!(labels[1].evidence, Some(Span::new(10 + 36, 10 + 45)));
    }

    /// A handle over `text`, a claim with the cue "said", whose patterns are `patterns`.
    fn said_in(text: &str, patterns: &Arc<crate::patterns::Patterns>) -> ClaimHandle {
        let at = text.find("said").unwrap_or(0);
        ClaimHandle::new(ClaimFacts {
            text: text.into(),
            start: 0,
            cue: "said".into(),
            cue_span: Some(Span::new(at, at + 4)),
            form: ClaimForm::Indirect,
            speaker: String::new(),
            mention: String::new(),
            needles: None,
            outlet: String::new(),
            patterns: patterns.clone(),
            rule_ids: Arc::default(),
        })
    }

    #[test]
    fn a_step_is_passed_over_only_where_the_claim_set_rules_its_pattern_out() {
        use crate::plan::Target;
        let patterns = Arc::new(crate::patterns::Patterns::default());
        let on = |text: &str| said_in(text, &patterns);
        patterns.gather(Role::Claim);
        let probe = on("");
        let (in_set, _) =
            attach_if("denial", 0.7, Search::text(&probe, r"(?i)\bdeni\w+"), true).unwrap_or_else(|_| panic!());
        let (cue, _) = attach_if("denial", 0.9, Search::cue(&probe, "^deni"), true).unwrap_or_else(|_| panic!());
        patterns.seal();
        let late = Search::text(&probe, r"\blies\b").unwrap_or_else(|_| panic!()).guard();
        let Some(in_set) = in_set else { panic!("a text search is guarded by its pattern") };
        assert!(cue.is_none(), "a cue search reads the cue, which the set does not");
        let Some(late) = late else { panic!("a text search is guarded by its pattern") };
        assert!(in_set.slot(Role::Claim).is_some() && late.slot(Role::Claim).is_none());
        // The set rules out only what it answers for: a pattern added after the set was made
        // is searched for as before.
        assert!(on("The minister said nothing.").rules_out(&in_set));
        assert!(!on("The minister DENIED it.").rules_out(&in_set));
        assert!(!on("The minister said nothing.").rules_out(&late));
        // Without the set's answer (a text of wide characters) nothing is ruled out.
        let wide = on("Министр said nothing.");
        assert!(wide.hits.is_none() && !wide.rules_out(&in_set));
    }

    #[test]
    fn a_term_list_joins_the_claim_set_and_answers_as_before() {
        let patterns = Arc::new(crate::patterns::Patterns::default());
        let on = |text: &str| said_in(text, &patterns);
        let terms: Array = vec!["peace talks".into(), "truce".into(), "Cease-fire".into()];
        patterns.gather(Role::Claim);
        let search = Search::terms(&on("planning"), &terms).unwrap_or_else(|_| panic!("terms"));
        patterns.seal();
        let Search::Terms(Some(list)) = &search else { panic!("a term list") };
        assert!(list.any.slot(Role::Claim).is_some(), "the term list's pattern is in the claim set");
        for (text, want) in [
            ("He said the PEACE TALKS would resume.", Some("PEACE TALKS")),
            ("He said a cease-fire held.", Some("cease-fire")),
            ("He said nothing of the kind.", None),
            // The set's pattern matches inside words; the terms are whole words only.
            ("He said trucers and peace talkshows.", None),
            ("He said: “Truce”, and then truce.", Some("Truce")),
        ] {
            let c = on(text);
            assert!(c.hits.is_some(), "the set answers for {text:?}");
            let got = search.find(&c).map(|s| &text[s.start..s.end]);
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn undo_takes_back_a_failed_rules_labels_and_type_only() {
        let c = handle("Lavrov accused the West of imposing sanctions.", "accused");
        let first = begin(&c, "types.accusation");
        c.label("accusation", 0.6, Evidence::At(None), true).ok();
        assert!(c.labelled_since(first));
        let second = begin(&c, "topics.sanctions");
        assert!(!c.labelled_since(second), "a rule that labels nothing is no hit");
        c.label("sanctions", 0.8, Evidence::At(None), false).ok();
        c.label("denial", 0.9, Evidence::At(None), true).ok();
        c.label("warning", 0.95, Evidence::At(None), true).ok();
        assert!(c.labelled_since(second));
        c.undo(second);
        let labels = c.take_labels();
        let names: Vec<(&str, &str)> = labels.iter().map(|l| (l.name.as_str(), l.rule.as_str())).collect();
        assert_eq!(names, [("accusation", "types.accusation")]);
    }

    #[test]
    fn a_proposal_with_unless_needs_its_pattern_and_not_the_other() {
        let propose = |text: &str| {
            let c = handle(text, "said");
            begin(&c, "types.reported");
            let call =
                attach_unless("announcement", 0.4, Search::text(&c, r"\d"), Search::text(&c, r"\bcould\b"), true);
            let hit = call.ok().and_then(|(_, f)| f(&c).ok()).and_then(|d| d.as_bool().ok());
            (hit, c.take_labels().len())
        };
        assert_eq!(propose("The chief said 21 people were hurt."), (Some(true), 1));
        assert_eq!(propose("The chief said 21 people could be hurt."), (Some(false), 0));
        assert_eq!(propose("The chief said people were hurt."), (Some(false), 0));
    }

    #[test]
    fn the_winning_type_gets_its_patterns_first_match_as_evidence() {
        let text = "Lavrov denied the claims, calling them lies and more lies.";
        let run = |proposals: &[(&str, f64, &str)]| {
            let c = handle(text, "denied");
            for &(name, score, re) in proposals {
                begin(&c, &format!("types.{name}"));
                let call = attach_if(name, score, Search::text(&c, re), true);
                assert_eq!(call.ok().and_then(|(_, f)| f(&c).ok()).and_then(|d| d.as_bool().ok()), Some(true));
            }
            let labels = c.take_labels();
            let l = labels.first().unwrap_or_else(|| panic!("a type"));
            (l.name.clone(), l.rule.clone(), l.evidence.map(|s| &text[s.start - 10..s.end - 10]))
        };
        let denial = ("denial".to_owned(), "types.denial".to_owned(), Some("denied"));
        // A later, higher proposal replaces an earlier one; a later, lower one does not.
        assert_eq!(run(&[("accusation", 0.6, r"\blies\b"), ("denial", 0.7, r"\bdeni\w+")]), denial);
        assert_eq!(run(&[("denial", 0.7, r"\bdeni\w+"), ("accusation", 0.6, r"\blies\b")]), denial);
        let lies = run(&[("denial", 0.5, r"\bdeni\w+"), ("accusation", 0.6, r"lies|calling")]);
        assert_eq!(lies.2, Some("calling"), "the first match, not the first alternative");
    }

    #[test]
    fn bad_names_and_scores_are_errors() {
        let c = handle("x said y", "said");
        assert!(c.label("Bad Name", 0.5, Evidence::At(None), false).is_err());
        assert!(c.label("ok", 1.5, Evidence::At(None), false).is_err());
        assert!(Search::text(&c, "(").is_err());
    }
}
