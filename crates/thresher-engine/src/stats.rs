//! Per-rule counters (documents run on, hits, errors, time spent) and the check a ruleset
//! passes before it may serve.
//!
//! The counters live inside the immutable [`Ruleset`] as relaxed atomics, one slot per rule
//! fixed at compile time: counting costs two clock reads and four uncontended atomic adds per
//! rule call, no lock and no lookup, and the counts go away with the ruleset they describe.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::ruleset::{RuleSources, Ruleset};
use crate::sandbox::Limits;

/// What one rule has done since its ruleset was built (or its counters were reset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleStats {
    /// Rule id.
    pub id: String,
    /// Documents it ran on.
    pub calls: u64,
    /// Documents on which it marked something.
    pub hits: u64,
    /// Documents on which it failed.
    pub errors: u64,
    /// Time spent in it over all calls.
    pub time: Duration,
}

#[derive(Debug, Default)]
struct Counter {
    calls: AtomicU64,
    hits: AtomicU64,
    errors: AtomicU64,
    nanos: AtomicU64,
}

/// One counter per rule, indexed by the rule's slot.
#[derive(Debug, Default)]
pub(crate) struct Counters(Box<[Counter]>);

impl Counters {
    pub(crate) fn new(rules: usize) -> Self {
        Self((0..rules).map(|_| Counter::default()).collect())
    }

    /// Counts one call of the rule in `slot`.
    pub(crate) fn record(&self, slot: usize, elapsed: Duration, hit: bool, error: bool) {
        self.record_many(slot, elapsed, 1, u64::from(hit), u64::from(error));
    }

    /// Counts `calls` calls of the rule in `slot` (a claim rule's, one per claim) that took
    /// `elapsed` together.
    pub(crate) fn record_many(&self, slot: usize, elapsed: Duration, calls: u64, hits: u64, errors: u64) {
        let Some(c) = self.0.get(slot) else { return };
        c.calls.fetch_add(calls, Ordering::Relaxed);
        c.hits.fetch_add(hits, Ordering::Relaxed);
        c.errors.fetch_add(errors, Ordering::Relaxed);
        c.nanos.fetch_add(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn get(&self, slot: usize) -> (u64, u64, u64, Duration) {
        self.0.get(slot).map_or((0, 0, 0, Duration::ZERO), |c| {
            (
                c.calls.load(Ordering::Relaxed),
                c.hits.load(Ordering::Relaxed),
                c.errors.load(Ordering::Relaxed),
                Duration::from_nanos(c.nanos.load(Ordering::Relaxed)),
            )
        })
    }

    fn reset(&self) {
        for c in &self.0 {
            for a in [&c.calls, &c.hits, &c.errors, &c.nanos] {
                a.store(0, Ordering::Relaxed);
            }
        }
    }
}

impl Ruleset {
    /// The counters of every rule, in [`Ruleset::rule_ids`] order.
    pub fn rule_stats(&self) -> Vec<RuleStats> {
        let rules = self.outlets.iter().flat_map(|o| o.rules.iter()).chain(&self.generic).chain(&self.claim_rules);
        rules
            .map(|r| {
                let (calls, hits, errors, time) = self.counters.get(r.slot);
                RuleStats { id: r.id.to_string(), calls, hits, errors, time }
            })
            .collect()
    }

    /// Sets every rule counter back to zero.
    pub fn reset_stats(&self) {
        self.counters.reset();
    }

    /// Compiles `sources` and runs their rule tests: what a ruleset must pass before the
    /// server swaps it in, and what `thresher test` and `thresher process` check.
    ///
    /// Fails with the compile errors, or else with one diagnostic per failed expectation of
    /// every failing rule test. The counters of the returned ruleset start at zero, so that
    /// they count served documents only.
    pub fn compile_tested(sources: &RuleSources, limits: Limits) -> Result<Self> {
        let rs = Self::compile(sources, limits)?;
        let failures: Vec<_> = rs.run_tests().iter().flat_map(crate::fixtures::TestResult::diagnostics).collect();
        if !failures.is_empty() {
            return Err(Error::Rules(failures));
        }
        rs.reset_stats();
        Ok(rs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;
    use crate::pipeline::ProcessOptions;

    fn sources(files: &[(&str, &str)]) -> RuleSources {
        RuleSources::from_pairs(files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())))
    }

    const RULES: &str = "fn captions(doc) { doc.drop_lines(\"caption\", \"^Photo:\") }\n\
                         fn broken(doc) { throw \"boom\" }\n";

    #[test]
    fn counts_calls_hits_and_errors_per_rule() {
        let rs = Ruleset::compile(&sources(&[("generic/g.rhai", RULES)]), Limits::default()).map_err(|e| e.to_string());
        let rs = rs.unwrap_or_else(|e| unreachable!("{e}"));
        let opts = ProcessOptions::default();
        for text in ["Photo: AFP\nBody.", "Body only."] {
            assert!(rs.process(&Document::new("d", text), &opts).is_ok());
        }
        let stats = rs.rule_stats();
        let got: Vec<(&str, u64, u64, u64)> =
            stats.iter().map(|s| (s.id.as_str(), s.calls, s.hits, s.errors)).collect();
        assert_eq!(got, [("g.captions", 2, 1, 0), ("g.broken", 2, 0, 2)]);
        rs.reset_stats();
        assert!(rs.rule_stats().iter().all(|s| s.calls == 0 && s.time == Duration::ZERO));
    }

    #[test]
    fn a_failing_rule_test_refuses_the_ruleset() {
        let rule = ("generic/c.rhai", "fn captions(doc) { doc.drop_lines(\"caption\", \"^Photo:\") }");
        let pass = ("tests/c.toml", "[document]\ntext = \"Photo: AFP\\nBody.\"\n[expect]\nkept = [\"Body.\"]\n");
        let fail = ("tests/c.toml", "[document]\ntext = \"Photo: AFP\\nBody.\"\n[expect]\nkept = [\"Photo: AFP\"]\n");
        let ok = Ruleset::compile_tested(&sources(&[rule, pass]), Limits::default());
        assert!(ok.is_ok_and(|rs| rs.rule_stats().iter().all(|s| s.calls == 0)));
        match Ruleset::compile_tested(&sources(&[rule, fail]), Limits::default()) {
            Err(Error::Rules(d)) => {
                assert_eq!(d.len(), 1, "{d:?}");
                assert!(d[0].to_string().starts_with("tests/c.toml: error[T3001]"), "{}", d[0]);
            }
            other => unreachable!("expected a refusal, got {other:?}"),
        }
    }
}
