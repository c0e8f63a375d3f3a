//! Plans: rules whose helper calls are the same on every document, run without Rhai.
//!
//! Nearly every rule is a list of helper calls with constant arguments
//! (`doc.drop_lines("caption", `...`, #{ max_chars: 250 })`). Evaluating such a rule in Rhai
//! on each document costs more than the helpers' own work: resolving the calls, building the
//! option maps, looking the patterns up. So at load each rule runs once as a probe. Every
//! helper then records its call, with its arguments already parsed and its patterns compiled,
//! as a [`Step`]. A rule whose probe succeeded and never looked at the document keeps the
//! recorded steps as its plan; per document the pipeline runs the steps directly.
//!
//! A plan is only kept when it must equal what Rhai would do on any document:
//! - the probe calls no helper that reads the document (`doc.words(i)`, `claim.text`,
//!   `claim.has(...)`, ...) and prints nothing;
//! - it never uses a helper's answer. During the probe, helpers answer with a [`Pending`]
//!   value, and every operation on one (a comparison, arithmetic, `if`, `&&`, turning it into
//!   a string, passing it to a helper) fails the probe;
//! - its file has no `switch` (which would silently take the default branch on a `Pending`),
//!   no string interpolation (`${...}`, which prints a `Pending` without asking), no `type_of`
//!   and no `timestamp`.
//!
//! Any other rule runs in Rhai as before, so a plan never changes an outcome, only its cost.

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, NativeCallContext, Position};
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use crate::patterns::Pattern;
use crate::sandbox::{self, TIME_BUDGET_TOKEN};

type HelperResult<T> = Result<T, Box<EvalAltResult>>;

/// A helper call with its arguments bound, runnable on any document or claim.
type Call<T> = Box<dyn Fn(&T) -> HelperResult<Dynamic> + Send + Sync>;

/// One recorded helper call: what it does on a document or claim, and where the rule made it.
pub(crate) struct Step<T> {
    run: Call<T>,
    pos: Position,
    /// A pattern the call does nothing without: where the target's pattern set already says it
    /// does not match, the step is passed over without calling `run`.
    guard: Option<Arc<Pattern>>,
}

/// What a plan runs on: a document or a claim.
pub(crate) trait Target {
    /// Whether the target's pattern set already says that `pattern` does not match it.
    fn rules_out(&self, pattern: &Pattern) -> bool;
}

/// The recorded steps of one rule.
pub(crate) struct Plan<T>(Vec<Step<T>>);

impl<T> std::fmt::Debug for Plan<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Plan({} steps)", self.0.len())
    }
}

impl<T: Target> Plan<T> {
    /// Runs every step on `target`. Errors carry the position of the call that failed, as Rhai
    /// would report them. The deadline is checked once, before the first step, against `now`
    /// (the caller's clock reading, taken just before): each step is one helper call, linear in
    /// the document, so a plan overruns it by at most its own run, and reading the clock per
    /// step cost more than the steps of most claim rules.
    pub(crate) fn run(&self, target: &T, now: Instant) -> HelperResult<()> {
        if let Some(first) = self.0.first()
            && sandbox::past_deadline_at(now)
        {
            return Err(EvalAltResult::ErrorTerminated(Dynamic::from(TIME_BUDGET_TOKEN), first.pos).into());
        }
        for step in &self.0 {
            // Most steps of a claim rule look for words the claim does not have, which its
            // pattern set answered when the claim was made: those cost a bit test each.
            if step.guard.as_ref().is_some_and(|g| target.rules_out(g)) {
                continue;
            }
            let _answer = (step.run)(target).map_err(|mut e| {
                if e.position().is_none() {
                    e.set_position(step.pos);
                }
                e
            })?;
        }
        Ok(())
    }
}

/// A helper's answer while a rule is probed: a count or a yes/no nobody may look at.
#[derive(Debug, Clone, Copy)]
pub struct Pending;

struct Probe {
    steps: Vec<Box<dyn std::any::Any>>,
    observed: bool,
}

thread_local! {
    static PROBE: RefCell<Option<Probe>> = const { RefCell::new(None) };
}

fn probing() -> bool {
    PROBE.with(|p| p.borrow().is_some())
}

/// Runs `call` (one rule on an empty document or claim) as a probe. Returns its result and,
/// when every condition of the module documentation holds, the plan it recorded.
pub(crate) fn probe<T: 'static, R>(call: impl FnOnce() -> Result<(), R>) -> (Result<(), R>, Option<Plan<T>>) {
    PROBE.with(|p| *p.borrow_mut() = Some(Probe { steps: Vec::new(), observed: false }));
    let result = call();
    let probe = PROBE.with(|p| p.borrow_mut().take());
    let plan = match (&result, probe) {
        (Ok(()), Some(p)) if !p.observed => {
            let steps: Option<Vec<Step<T>>> =
                p.steps.into_iter().map(|s| s.downcast::<Step<T>>().ok().map(|s| *s)).collect();
            steps.map(Plan)
        }
        _ => None,
    };
    (result, plan)
}

/// Whether rules of a file with this source may be planned at all (see the module docs).
pub(crate) fn plannable_source(text: &str) -> bool {
    !text.contains("${")
        && !text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|word| matches!(word, "switch" | "type_of" | "timestamp"))
}

/// Notes that the rule being probed read the document, so it cannot be planned. Every helper
/// that answers from the document's content calls this.
pub(crate) fn observe() {
    if probing() {
        PROBE.with(|p| {
            if let Some(p) = p.borrow_mut().as_mut() {
                p.observed = true;
            }
        });
    }
}

/// Runs a prepared helper call on `target`. Outside a probe that is all it does; during a probe
/// the call is also recorded as a step, and the rule gets a [`Pending`] answer.
pub(crate) fn act<T: 'static>(
    ctx: &NativeCallContext,
    target: &T,
    run: impl Fn(&T) -> HelperResult<Dynamic> + Send + Sync + 'static,
) -> HelperResult<Dynamic> {
    act_guarded(ctx, target, None, Box::new(run))
}

/// [`act`] for a call that does nothing (and answers `false`) unless `guard` matches the
/// target: its plan step is passed over where the target's pattern set rules `guard` out.
pub(crate) fn act_guarded<T: 'static>(
    ctx: &NativeCallContext,
    target: &T,
    guard: Option<Arc<Pattern>>,
    run: Call<T>,
) -> HelperResult<Dynamic> {
    let answer = run(target)?;
    if !probing() {
        return Ok(answer);
    }
    let step = Step { run, pos: ctx.call_position(), guard };
    PROBE.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut() {
            p.steps.push(Box::new(step));
        }
    });
    Ok(Dynamic::from(Pending))
}

fn used() -> Box<EvalAltResult> {
    crate::page::fail(crate::diag::codes::RULE_RUNTIME, "a helper's answer was used while the rule was being planned")
}

/// Makes every operation on a [`Pending`] fail, and printing during a probe mark the rule as
/// reading the document.
pub(crate) fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Pending>("Pending");
    const BINARY: &[&str] =
        &["==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "**", "&", "|", "^", "<<", ">>"];
    for &op in BINARY {
        engine.register_fn(op, |_: Pending, _: Dynamic| -> HelperResult<Dynamic> { Err(used()) });
        engine.register_fn(op, |_: Dynamic, _: Pending| -> HelperResult<Dynamic> { Err(used()) });
        engine.register_fn(op, |_: Pending, _: Pending| -> HelperResult<Dynamic> { Err(used()) });
    }
    // Strings take anything, so their own overloads come first.
    engine.register_fn("+", |_: ImmutableString, _: Pending| -> HelperResult<Dynamic> { Err(used()) });
    engine.register_fn("+", |_: Pending, _: ImmutableString| -> HelperResult<Dynamic> { Err(used()) });
    engine.register_fn("+=", |_: &mut ImmutableString, _: Pending| -> HelperResult<()> { Err(used()) });
    engine.register_fn("append", |_: &mut ImmutableString, _: Pending| -> HelperResult<()> { Err(used()) });
    for op in ["-", "!", "to_string", "to_debug", "to_int", "to_float", "is_zero", "abs", "sign"] {
        engine.register_fn(op, |_: Pending| -> HelperResult<Dynamic> { Err(used()) });
    }
}

/// Called from the engine's print and debug callbacks.
pub(crate) fn printed() {
    observe();
}

#[cfg(test)]
mod tests {
    use crate::{Document, Limits, ProcessOptions, RuleSources, Ruleset};

    fn rules(files: &[(&str, &str)]) -> Ruleset {
        let sources = RuleSources::from_pairs(files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())));
        Ruleset::compile(&sources, Limits::default()).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn planned(rs: &Ruleset) -> Vec<(String, bool)> {
        rs.generic_rules().iter().chain(rs.claim_rules()).map(|r| (r.id.to_string(), r.is_planned())).collect()
    }

    fn kept(rs: &Ruleset, text: &str) -> String {
        let doc = Document { id: "d".into(), text: text.into(), ..Document::default() };
        rs.process(&doc, &ProcessOptions::default()).map(|o| o.clean_text).unwrap_or_default()
    }

    const BODY: &str = "ALPHA\nBETA\nThe minister said on Monday that the talks would resume next week in Geneva.";

    #[test]
    fn constant_calls_are_planned_and_answers_that_are_used_are_not() {
        let rs = rules(&[(
            "generic/g.rhai",
            r#"
            private fn pattern() { `^ALPHA$` }
            fn constant(doc) {
                for kind in ["ad", "caption"] { doc.drop_lines(kind, pattern(), #{ max_words: 3 }); }
                let n = doc.drop_lines("ad", `^GAMMA$`);
                n
            }
            fn branches_on_count(doc) { if doc.drop_lines("ad", `^ALPHA$`) > 0 { doc.drop_lines("ad", `^BETA$`); } }
            fn compares(doc) { let n = doc.drop_lines("ad", `^DELTA$`); if n == 0 { doc.drop_lines("ad", `^BETA$`); } }
            fn reads_the_page(doc) { if doc.count > 100 { doc.drop_lines("ad", `^BETA$`); } }
            fn prints(doc) { print("running"); doc.drop_lines("ad", `^ALPHA$`); }
            fn switches(doc) { doc.drop_lines("ad", `^ALPHA$`); }
            fn concatenates(doc) { let s = "" + doc.drop_lines("ad", `^ALPHA$`); }
            fn appends(doc) { let s = "n="; s += doc.drop_lines("ad", `^ALPHA$`); }
            fn looks_it_up(doc) { let n = doc.drop_lines("ad", `^ALPHA$`); if n in [0, 1] { doc.drop_lines("ad", `^BETA$`); } }
            "#,
        )]);
        let got = planned(&rs);
        let want = [
            ("g.constant", true),
            ("g.branches_on_count", false),
            ("g.compares", false),
            ("g.reads_the_page", false),
            ("g.prints", false),
            ("g.switches", true),
            ("g.concatenates", false),
            ("g.appends", false),
            ("g.looks_it_up", false),
        ];
        assert_eq!(got, want.map(|(id, p)| (id.to_owned(), p)));
        // The rules that were not planned still run, with real answers: ALPHA is dropped, so
        // `branches_on_count` drops BETA too, and so does `compares` (DELTA is absent).
        assert!(kept(&rs, BODY).starts_with("The minister"), "{:?}", kept(&rs, BODY));
        assert_eq!(
            kept(&rs, "BETA\nPlain prose that stays on the page, as it should."),
            "BETA\nPlain prose that stays on the page, as it should.".replace("BETA\n", "")
        );
    }

    #[test]
    fn a_file_with_switch_or_interpolation_is_not_planned() {
        let switch =
            "fn a(doc) { switch doc.drop_lines(\"ad\", `^ALPHA$`) { 0 => doc.drop_lines(\"ad\", `^BETA$`), _ => () } }";
        let rs = rules(&[("generic/s.rhai", switch)]);
        assert_eq!(planned(&rs), [("s.a".to_owned(), false)]);
        assert_eq!(kept(&rs, "BETA\nProse."), "Prose.");
        let interpolation =
            "fn a(doc) { if `${doc.drop_lines(\"ad\", `^ALPHA$`)}` == \"0\" { doc.drop_lines(\"ad\", `^BETA$`); } }";
        let rs = rules(&[("generic/i.rhai", interpolation)]);
        assert_eq!(planned(&rs), [("i.a".to_owned(), false)]);
        assert_eq!(kept(&rs, "BETA\nProse."), "Prose.");
    }

    #[test]
    fn claim_rules_are_planned_unless_they_branch() {
        let rs = rules(&[(
            "claims/t.rhai",
            r#"
            fn warning(claim) { claim.type_if("warning", 0.9, `(?i)\brisk`); claim.label_if_terms("talks", 0.8, ["talks"]); }
            fn chained(claim) { if claim.type_if("denial", 0.95, `(?i)\bnot true\b`) { claim.label("rebuttal", 0.5); } }
            fn by_speaker(claim) { if claim.speaker == "Nobody" { claim.label("nobody", 0.5); } }
            "#,
        )]);
        assert_eq!(
            planned(&rs),
            [("t.warning".to_owned(), true), ("t.chained".to_owned(), false), ("t.by_speaker".to_owned(), false)]
        );
        let doc = Document {
            id: "d".into(),
            text: "\"That is not true, and the talks carry a risk,\" the minister said on Monday.".into(),
            ..Document::default()
        };
        let out = rs.process(&doc, &ProcessOptions::default()).unwrap_or_else(|e| unreachable!("{e}"));
        let labels: Vec<&str> = out.claims.iter().flat_map(|c| c.labels.iter().map(|l| l.name.as_str())).collect();
        assert_eq!(labels, ["denial", "talks", "rebuttal"], "{:?}", out.claims);
    }

    #[test]
    fn a_planned_rule_fails_where_rhai_would_and_says_where() {
        let text = "ALPHA\nProse that stays on the page for the test.";
        let plain = "fn a(doc) {\n    doc.drop_lines(\"Bad Kind\", `^ALPHA$`);\n}\n";
        let dynamic = "fn a(doc) {\n    doc.drop_lines(\"Bad Kind\", `^ALPHA$`);\n    let u = doc.url;\n}\n";
        let mut diags = Vec::new();
        for src in [plain, dynamic] {
            let rs = rules(&[("generic/k.rhai", src)]);
            let doc = Document { id: "d".into(), text: text.into(), ..Document::default() };
            let out = rs.process(&doc, &ProcessOptions::default()).unwrap_or_else(|e| unreachable!("{e}"));
            diags.push(out.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>());
        }
        assert_eq!(diags[0], diags[1]);
        assert!(
            diags[0].len() == 1 && diags[0][0].contains("k.rhai:2:") && diags[0][0].contains("snake_case"),
            "{diags:?}"
        );
    }
}
