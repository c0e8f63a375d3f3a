//! The per-document pipeline: validate, segment, resolve the outlet, run the rules, merge
//! their marks into removals, and build `clean_text`.

use std::sync::Arc;
use std::time::Instant;

use rhai::{Dynamic, Map};

use crate::claim_rules::{ClaimFacts, ClaimHandle};
use crate::claims::{self, Finding, Found};
use crate::diag::{Diagnostic, codes};
use crate::document::{Claim, Document, Outcome, OutletMatch, OutletRef, Piece, Removal, Span, Speaker};
use crate::error::{Error, Result};
use crate::needles::Hits;
use crate::page::{Mark, Page, PageCtx};
use crate::ruleset::{Rule, Ruleset};
use crate::sandbox::DeadlineGuard;
use crate::segment::Paragraphs;

/// Per-request settings that are not part of the document.
#[derive(Debug, Clone)]
pub struct ProcessOptions {
    /// Largest accepted text, in bytes.
    pub max_document_bytes: usize,
    /// Find and label claims (on by default); off, only boilerplate is removed.
    pub find_claims: bool,
    /// The caller's deadline (a gRPC client's): rules stop at the earlier of it and the
    /// ruleset's time budget.
    pub deadline: Option<Instant>,
}

impl Default for ProcessOptions {
    fn default() -> Self {
        Self { max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES, find_claims: true, deadline: None }
    }
}

/// 16 MiB: far above any article, low enough to keep memory bounded.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 16 << 20;

impl Ruleset {
    /// Processes one document.
    ///
    /// Fails only when the document itself is unacceptable; a rule that fails is reported in
    /// the outcome's diagnostics, its partial work undone, and the other rules still run.
    pub fn process(&self, doc: &Document, opts: &ProcessOptions) -> Result<Outcome> {
        if doc.text.len() > opts.max_document_bytes {
            return Err(Error::DocumentTooLarge { size: doc.text.len(), limit: opts.max_document_bytes });
        }
        let paras = Paragraphs::split(&doc.text);
        let mut diagnostics = Vec::new();
        let host = url_host(&doc.url, &mut diagnostics);
        let (outlet_idx, outlet) = self.resolve_outlet(doc, host.as_deref(), &mut diagnostics);

        let page = Page::new(PageCtx {
            text: doc.text.clone(),
            paras: paras.spans.clone(),
            url: doc.url.clone(),
            host: host.unwrap_or_default(),
            title: doc.title.clone(),
            outlet: outlet.id.clone(),
            metadata: doc.metadata.iter().map(|(k, v)| (k.as_str().into(), Dynamic::from(v.clone()))).collect::<Map>(),
            patterns: self.patterns.clone(),
            rule_ids: self.rule_ids.clone(),
        });
        let budget = Instant::now() + self.limits.time_budget;
        let _deadline = DeadlineGuard::set(opts.deadline.map_or(budget, |d| d.min(budget)));
        let in_time = self.run_rules(outlet_idx, &page, &mut diagnostics);

        let removals = merge(&doc.text, page.take_marks());
        let (clean_text, clean_map) = clean(&doc.text, &paras, &removals);
        // Claims come from the kept text only: boilerplate never speaks.
        let pieces: Vec<(Span, usize)> =
            clean_map.iter().map(|p| (p.source, paras.spans.partition_point(|s| s.end <= p.source.start))).collect();
        // The finder is plain string work that cannot fail; should a bug make it panic, the
        // document still gets its cleaned text and a diagnostic instead of losing everything.
        let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if opts.find_claims { claims::find(&doc.text, &pieces, &self.speakers) } else { Finding::default() }
        }))
        .unwrap_or_else(|_| {
            diagnostics.push(Diagnostic::error(
                codes::CLAIMS_FAILED,
                "claim finding failed on this document, so it has no claims; please report it with the document",
            ));
            Finding::default()
        });
        if found.unread > 0 {
            diagnostics.push(Diagnostic::error(
                codes::RULE_LIMIT,
                format!(
                    "the document's time budget of {:?} ran out while finding claims; the last {} of {} sentences \
                     were not read for claims. Split the document",
                    self.limits.time_budget, found.unread, found.sentences
                ),
            ));
        }
        let found = found.found;
        let claims = if in_time {
            self.label_claims(&doc.text, &outlet.id, page.needle_hits(), found, &mut diagnostics)
        } else {
            Vec::new()
        };
        Ok(Outcome {
            document_id: doc.id.clone(),
            outlet,
            clean_text,
            clean_map,
            removals,
            claims,
            ruleset_version: self.version.clone(),
            diagnostics,
        })
    }

    /// Runs the boilerplate rules; false when the time budget ran out.
    fn run_rules(&self, outlet: Option<usize>, page: &Page, diagnostics: &mut Vec<Diagnostic>) -> bool {
        let outlet_rules = outlet.and_then(|i| self.outlets.get(i)).map(|o| o.rules.as_slice()).unwrap_or_default();
        let rules: Vec<_> = outlet_rules.iter().chain(&self.generic).collect();
        // One clock reading per rule: each rule's time runs from the previous reading.
        let mut clock = Instant::now();
        for (order, rule) in rules.iter().enumerate() {
            page.begin_rule(rule.slot, u32::try_from(order).unwrap_or(u32::MAX));
            let before = page.mark_count();
            let result = self.call_rule(rule, page, clock);
            let hit = result.is_ok() && page.mark_count() > before;
            let now = Instant::now();
            self.counters.record(rule.slot, now - clock, hit, result.is_err());
            clock = now;
            if let Err(d) = result {
                page.truncate_marks(before);
                let out_of_time = d.code == codes::RULE_LIMIT && d.message.contains("time budget");
                diagnostics.push(d);
                if out_of_time {
                    let skipped: Vec<&str> = rules[order + 1..].iter().map(|r| &*r.id).collect();
                    if !skipped.is_empty() {
                        diagnostics.push(Diagnostic::error(
                            codes::RULE_LIMIT,
                            format!("time budget exhausted: rules not run on this document: {}", skipped.join(", ")),
                        ));
                    }
                    return false;
                }
            }
        }
        true
    }

    /// Runs the claim rules on every claim found and builds the claims.
    fn label_claims(
        &self,
        text: &str,
        outlet: &str,
        needles: Option<Arc<Hits>>,
        found: Vec<Found>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<Claim> {
        // Rule by rule over a batch of claims rather than claim by claim: a rule's patterns stay
        // warm in the cache across the claims, and the clock is read and the counters counted
        // once per rule and batch instead of once per rule and claim. The batches bound the
        // handles alive at once (a 2 MB document can hold 25,000 claims).
        let total = found.len();
        let mut out = Vec::with_capacity(total);
        let mut failed: Vec<&str> = Vec::new();
        let mut out_of_time = false;
        let mut clock = Instant::now();
        let mut found = found.into_iter().peekable();
        while found.peek().is_some() {
            let batch: Vec<Found> = found.by_ref().take(CLAIM_BATCH).collect();
            let handles = ClaimHandle::batch(
                batch
                    .iter()
                    .map(|f| ClaimFacts {
                        text: f.span.slice(text).to_owned(),
                        start: f.span.start,
                        cue: f.cue.clone(),
                        cue_span: f.cue_span,
                        form: f.form,
                        speaker: f.canonical.clone(),
                        mention: f.mention.map(|m| m.slice(text).to_owned()).unwrap_or_default(),
                        outlet: outlet.to_owned(),
                        patterns: self.patterns.clone(),
                        rule_ids: self.rule_ids.clone(),
                        needles: needles.clone(),
                    })
                    .collect(),
            );
            for (order, rule) in self.claim_rules.iter().enumerate() {
                if out_of_time || failed.contains(&&*rule.id) {
                    continue;
                }
                // Rules past the time budget do not run; the claims are still reported, with
                // the labels of the rules that ran.
                if crate::sandbox::past_deadline_at(clock) {
                    out_of_time = true;
                    diagnostics.push(self.labelling_out_of_time(
                        out.len(),
                        batch.len(),
                        total,
                        &self.claim_rules[order..],
                    ));
                    continue;
                }
                let (mut calls, mut hits, mut failure) = (0u64, 0u64, None);
                for handle in &handles {
                    let mark = handle.begin_rule(rule.slot);
                    let result = self.call_claim_rule(rule, handle, clock);
                    calls += 1;
                    if let Err(d) = result {
                        // One diagnostic per rule and document, not one per claim; the claims
                        // after this one are not asked.
                        handle.undo(mark);
                        failure = Some(d);
                        break;
                    }
                    hits += u64::from(handle.labelled_since(mark));
                }
                let now = Instant::now();
                self.counters.record_many(rule.slot, now - clock, calls, hits, u64::from(failure.is_some()));
                clock = now;
                if let Some(d) = failure {
                    failed.push(&rule.id);
                    diagnostics.push(d);
                }
            }
            out.extend(batch.into_iter().zip(handles).map(|(f, handle)| Claim {
                span: f.span,
                speaker: Speaker {
                    name: f.mention.map(|m| m.slice(text).to_owned()).unwrap_or_default(),
                    canonical: f.canonical,
                    span: f.mention,
                },
                form: f.form,
                cue: f.cue,
                cue_span: f.cue_span,
                labels: handle.take_labels(),
                source: f.source.map(|(span, canonical)| Speaker {
                    name: span.slice(text).to_owned(),
                    canonical,
                    span: Some(span),
                }),
            }));
        }
        out
    }

    /// The diagnostic for a time budget that ran out while the claims `done..done + batch` of
    /// `total` were being labelled, before the rules `not_run`.
    fn labelling_out_of_time(&self, done: usize, batch: usize, total: usize, not_run: &[Rule]) -> Diagnostic {
        let rules: Vec<&str> = not_run.iter().map(|r| &*r.id).collect();
        let rest = if done + batch < total {
            format!("; claims {} to {total} have no labels", done + batch + 1)
        } else {
            String::new()
        };
        Diagnostic::error(
            codes::RULE_LIMIT,
            format!(
                "the document's time budget of {:?} ran out while labelling its {total} claims: claim rules not run \
                 on claims {} to {}: {}{rest}. Every claim is still reported; split the document or make the claim \
                 rules cheaper",
                self.limits.time_budget,
                done + 1,
                done + batch,
                rules.join(", ")
            ),
        )
    }

    /// The request's hint, else the URL's host, else text markers, else unknown.
    fn resolve_outlet(
        &self,
        doc: &Document,
        host: Option<&str>,
        diags: &mut Vec<Diagnostic>,
    ) -> (Option<usize>, OutletRef) {
        let pick = |i: usize, how: OutletMatch| {
            let o = &self.outlets[i];
            (Some(i), OutletRef { id: o.id.clone(), name: o.name.clone(), matched_by: how })
        };
        let hint = doc.outlet.trim();
        if !hint.is_empty() {
            let key = slug_key(hint);
            if let Some(i) = self.outlets.iter().position(|o| slug_key(&o.id) == key || slug_key(&o.name) == key) {
                return pick(i, OutletMatch::Hint);
            }
            let known: Vec<&str> = self.outlets.iter().take(20).map(|o| o.id.as_str()).collect();
            diags.push(Diagnostic::warning(
                codes::UNKNOWN_OUTLET_HINT,
                format!("outlet hint `{hint}` matches no outlet; it was ignored. Known outlets: {}", known.join(", ")),
            ));
        }
        if let Some(host) = host {
            let mut h = host;
            loop {
                if let Some(&i) = self.hosts.get(h) {
                    return pick(i, OutletMatch::Url);
                }
                match h.split_once('.') {
                    Some((_, rest)) if rest.contains('.') => h = rest,
                    _ => break,
                }
            }
        }
        if let Some(markers) = &self.markers {
            let mut hits = vec![0usize; self.outlets.len()];
            let mut seen = vec![false; markers.len()];
            for (p, outlet) in markers.found(&doc.text) {
                if let (Some(seen @ false), Some(n)) = (seen.get_mut(p), hits.get_mut(outlet)) {
                    *seen = true;
                    *n += 1;
                }
            }
            let best =
                hits.iter().enumerate().filter(|(_, n)| **n > 0).max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)));
            if let Some((i, _)) = best {
                return pick(i, OutletMatch::TextMarker);
            }
        }
        (None, OutletRef::unknown())
    }
}

/// How many claims the claim rules label together (see `label_claims`).
const CLAIM_BATCH: usize = 64;

/// Lowercase letters and digits only, so "The Moscow Times" = "the-moscow-times".
fn slug_key(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// The URL's host, lowercased and without "www."; a URL without a scheme is read as http.
fn url_host(raw: &str, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let parsed = url::Url::parse(raw).or_else(|_| url::Url::parse(&format!("http://{raw}")));
    match parsed.ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase)) {
        Some(h) => Some(h.strip_prefix("www.").map(str::to_owned).unwrap_or(h)),
        None => {
            diags.push(Diagnostic::warning(
                codes::MALFORMED_URL,
                "the document's url could not be parsed; the outlet was decided without it",
            ));
            None
        }
    }
}

/// Merges marks into non-overlapping removals in text order.
///
/// Where marks overlap, the one that starts first keeps the overlap; at the same start, the
/// rule that ran first (outlet rules before generic ones). Neighbouring removals of the same
/// rule and kind separated only by whitespace become one.
pub(crate) fn merge(text: &str, mut marks: Vec<Mark>) -> Vec<Removal> {
    marks.sort_by_key(|m| (m.span.start, m.order, m.seq));
    let mut out: Vec<(Span, Arc<str>, Arc<str>)> = Vec::new();
    let mut covered = 0usize;
    for m in marks {
        let mut start = m.span.start.max(covered);
        if start >= m.span.end {
            continue;
        }
        // A piece trimmed by an earlier removal should not start with the whitespace between.
        while start < m.span.end && text[start..].starts_with(char::is_whitespace) {
            start += text[start..].chars().next().map_or(1, char::len_utf8);
        }
        if start >= m.span.end {
            continue;
        }
        covered = m.span.end;
        if let Some(last) = out.last_mut() {
            let gap = text.get(last.0.end..start).unwrap_or("x");
            if last.1 == m.kind && last.2 == m.rule && gap.trim().is_empty() {
                last.0.end = m.span.end;
                continue;
            }
        }
        out.push((Span::new(start, m.span.end), m.kind, m.rule));
    }
    out.into_iter()
        .map(|(span, kind, rule)| Removal { span, kind: String::from(&*kind), rule: String::from(&*rule) })
        .collect()
}

/// Builds `clean_text`: each paragraph without its removed parts, empty ones dropped, joined
/// with the input's paragraph separator. Returns where every kept piece came from.
pub(crate) fn clean(text: &str, paras: &Paragraphs, removals: &[Removal]) -> (String, Vec<Piece>) {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::new();
    let mut r = 0usize;
    for p in &paras.spans {
        while r < removals.len() && removals[r].span.end <= p.start {
            r += 1;
        }
        let mut pieces: Vec<Span> = Vec::new();
        let mut at = p.start;
        let mut k = r;
        while k < removals.len() && removals[k].span.start < p.end {
            let s = removals[k].span;
            if s.start > at {
                pieces.push(Span::new(at, s.start));
            }
            at = at.max(s.end);
            k += 1;
        }
        if at < p.end {
            pieces.push(Span::new(at, p.end));
        }
        let pieces: Vec<Span> = pieces.into_iter().filter_map(|s| trim(text, s)).collect();
        if pieces.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(paras.separator());
        }
        for (i, s) in pieces.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            map.push(Piece { clean: out.len(), source: *s });
            out.push_str(s.slice(text));
        }
    }
    (out, map)
}

fn trim(text: &str, s: Span) -> Option<Span> {
    let t = s.slice(text);
    let lead = t.len() - t.trim_start().len();
    let body = t.trim();
    (!body.is_empty()).then(|| Span::new(s.start + lead, s.start + lead + body.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::RuleSources;
    use crate::sandbox::Limits;

    fn ruleset(files: &[(&str, &str)]) -> Ruleset {
        let src = RuleSources::from_pairs(files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())));
        match Ruleset::compile(&src, Limits::default()) {
            Ok(r) => r,
            Err(e) => unreachable!("rules must compile: {e}"),
        }
    }

    const SITE: &str = r#"
const OUTLET = #{ id: "the-site", name: "The Site", hosts: ["site.com"], markers: ["Support The Site today"] };
fn appeal(doc) { doc.drop_from("donation_appeal", "^Support The Site today", #{ continue_if: "support|donat", short: 20 }) }
"#;
    const GENERIC: &str = r#"
fn captions(doc) { doc.drop_lines("caption", "^Photo:") }
fn via(doc) { doc.drop_text("caption", "\\(Via [A-Z]+\\)$") }
fn broken(doc) { doc.drop_lines("x", "a"); throw "boom"; }
"#;

    fn run(rs: &Ruleset, doc: &Document) -> Outcome {
        match rs.process(doc, &ProcessOptions::default()) {
            Ok(o) => o,
            Err(e) => unreachable!("{e}"),
        }
    }

    #[test]
    fn removes_marks_and_keeps_the_rest_in_order() {
        let rs = ruleset(&[("outlets/site.rhai", SITE), ("generic/g.rhai", GENERIC)]);
        let text = "Photo: Someone\n\nLavrov spoke (Via AFP)\n\nBody.\n\nSupport The Site today\n\nPlease support us\n\nOnce\n";
        let out = run(&rs, &Document::new("d", text));
        assert_eq!(out.outlet.id, "the-site");
        assert_eq!(out.outlet.matched_by, OutletMatch::TextMarker);
        assert_eq!(out.clean_text, "Lavrov spoke\n\nBody.");
        let got: Vec<(&str, &str, &str)> =
            out.removals.iter().map(|r| (r.span.slice(text), r.kind.as_str(), r.rule.as_str())).collect();
        assert_eq!(
            got,
            [
                ("Photo: Someone", "caption", "g.captions"),
                ("(Via AFP)", "caption", "g.via"),
                ("Support The Site today\n\nPlease support us\n\nOnce", "donation_appeal", "site.appeal"),
            ]
        );
        // The failing rule is reported, and its partial marks are undone.
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(out.diagnostics[0].rule.as_deref(), Some("g.broken"));
        assert!(out.diagnostics[0].message.contains("boom"));
        // The clean map points back into the original text.
        for p in &out.clean_map {
            let len = p.source.len();
            assert_eq!(&out.clean_text[p.clean..p.clean + len], p.source.slice(text));
        }
    }

    #[test]
    fn hint_then_url_then_markers() {
        let rs = ruleset(&[("outlets/site.rhai", SITE)]);
        let mut doc = Document::new("d", "Support The Site today");
        doc.url = "https://news.site.com/a".into();
        assert_eq!(run(&rs, &doc).outlet.matched_by, OutletMatch::Url);
        doc.outlet = "The Site".into();
        assert_eq!(run(&rs, &doc).outlet.matched_by, OutletMatch::Hint);
        doc.outlet = "nope".into();
        doc.url = "::::".into();
        let out = run(&rs, &doc);
        assert_eq!(out.outlet.matched_by, OutletMatch::TextMarker);
        let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [codes::MALFORMED_URL, codes::UNKNOWN_OUTLET_HINT]);
        let out = run(&rs, &Document::new("d", "Nothing to see"));
        assert_eq!((out.outlet.id.as_str(), out.outlet.matched_by), ("unknown", OutletMatch::None));
    }

    #[test]
    fn too_large_is_an_error_and_empty_is_fine() {
        let rs = ruleset(&[("generic/g.rhai", GENERIC)]);
        let opts = ProcessOptions { max_document_bytes: 4, ..ProcessOptions::default() };
        assert!(matches!(
            rs.process(&Document::new("d", "12345"), &opts),
            Err(Error::DocumentTooLarge { size: 5, limit: 4 })
        ));
        let out = run(&rs, &Document::new("d", ""));
        assert!(out.clean_text.is_empty() && out.removals.is_empty());
    }

    const SPEECH: &str = "The minister said the first talks had failed.\n\nThe envoy said the second round \
                          would start soon.\n\nThe mayor said the third plan was fine.\n";

    fn labels(out: &Outcome) -> Vec<Vec<&str>> {
        out.claims.iter().map(|c| c.labels.iter().map(|l| l.name.as_str()).collect()).collect()
    }

    #[test]
    fn a_failing_claim_rule_keeps_the_labels_it_gave_and_stops_for_the_document() {
        let rs = ruleset(&[
            ("claims/a.rhai", r#"fn kind(claim) { claim.set_type("warning", 0.5) }"#),
            (
                "claims/b.rhai",
                r#"fn picky(claim) { if claim.text.contains("second") { claim.label("x", 0.5); throw "no" } claim.label("picked", 0.5) }"#,
            ),
        ]);
        let out = run(&rs, &Document::new("d", SPEECH));
        assert_eq!(labels(&out), [vec!["warning", "picked"], vec!["warning"], vec!["warning"]]);
        let failed: Vec<_> = out.diagnostics.iter().filter(|d| d.rule.as_deref() == Some("b.picky")).collect();
        assert_eq!(failed.len(), 1, "one diagnostic per rule and document: {:?}", out.diagnostics);
        let stats = rs.rule_stats();
        let picky = stats.iter().find(|s| s.id == "b.picky").unwrap_or_else(|| panic!("{stats:?}"));
        assert_eq!((picky.calls, picky.hits, picky.errors), (2, 1, 1));
        let kind = stats.iter().find(|s| s.id == "a.kind").unwrap_or_else(|| panic!("{stats:?}"));
        assert_eq!((kind.calls, kind.hits, kind.errors), (3, 3, 0));
    }

    #[test]
    fn claims_are_labelled_in_batches_and_a_failed_rule_stays_off_for_later_batches() {
        let rs = ruleset(&[
            ("claims/a.rhai", r#"fn kind(claim) { claim.set_type("warning", 0.5) }"#),
            (
                "claims/b.rhai",
                r#"fn picky(claim) { if claim.text.contains("Envoy 70 ") { throw "no" } claim.label("picked", 0.5) }"#,
            ),
        ]);
        let text: String = (0..150).map(|i| format!("Envoy {i} said the talks had failed.\n\n")).collect();
        let out = run(&rs, &Document::new("d", &text));
        assert_eq!(out.claims.len(), 150, "{:?}", out.diagnostics);
        let got = labels(&out);
        assert!(got[..70].iter().all(|l| l == &["warning", "picked"]), "{:?}", &got[..70]);
        assert!(got[70..].iter().all(|l| l == &["warning"]), "{:?}", &got[70..]);
        let stats = rs.rule_stats();
        let picky = stats.iter().find(|s| s.id == "b.picky").unwrap_or_else(|| panic!("{stats:?}"));
        assert_eq!((picky.calls, picky.hits, picky.errors), (71, 70, 1));
        let kind = stats.iter().find(|s| s.id == "a.kind").unwrap_or_else(|| panic!("{stats:?}"));
        assert_eq!(kind.calls, 150);
    }

    #[test]
    fn claim_rules_past_the_time_budget_do_not_run_and_the_claims_are_kept() {
        let src = RuleSources::from_pairs(
            [
                ("claims/a.rhai", r#"fn kind(claim) { claim.set_type("warning", 0.5) }"#),
                ("claims/b.rhai", "fn slow(claim) { let n = 0; loop { n += 1; } }"),
                ("claims/c.rhai", r#"fn late(claim) { claim.label("late", 0.5) }"#),
            ]
            .map(|(p, t)| (p.to_owned(), t.to_owned())),
        );
        let limits =
            Limits { max_operations: u64::MAX, time_budget: std::time::Duration::from_millis(50), ..Limits::default() };
        let rs = Ruleset::compile(&src, limits).unwrap_or_else(|e| unreachable!("rules must compile: {e}"));
        let out = run(&rs, &Document::new("d", SPEECH));
        assert_eq!(labels(&out), [vec!["warning"], vec!["warning"], vec!["warning"]]);
        let messages: Vec<&str> = out.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("time budget") && m.contains("not run on claims 1 to 3: c.late")),
            "{messages:?}"
        );
    }

    #[test]
    fn overlapping_marks_go_to_the_earliest_then_first_rule() {
        let text = "aaa bbb ccc";
        let mk = |s, e, order, rule: &str| Mark {
            span: Span::new(s, e),
            kind: "k".into(),
            rule: rule.into(),
            order,
            seq: 0,
        };
        let rem = merge(text, vec![mk(4, 11, 0, "outlet"), mk(0, 7, 1, "generic"), mk(4, 7, 0, "outlet2")]);
        let got: Vec<(&str, &str)> = rem.iter().map(|r| (r.span.slice(text), r.rule.as_str())).collect();
        assert_eq!(got, [("aaa bbb", "generic"), ("ccc", "outlet")]);
    }
}
