//! Rule tests: small TOML files that pin what the rules do to a document.
//!
//! ```toml
//! # What this case shows.
//! [document]
//! url = "https://www.themoscowtimes.com/2023/07/14/example"   # optional; also `outlet`, `title`
//! text = """
//! Kyiv insists it is making major strides.
//! A Message from The Moscow Times:
//! Dear readers, ...
//! """
//!
//! [expect]
//! outlet = "the-moscow-times"                     # optional
//! removed = [                                     # each must match one removal
//!   { kind = "donation_appeal", text = "Dear readers," },   # `text`: part of the removed text
//! ]
//! kept = ["Kyiv insists it is making major strides."]         # must survive in clean_text
//! clean_text = "..."                                         # optional, exact
//! not_claims = ["The authorities claim our work"]            # no claim may contain these
//!
//! [[expect.claims]]                               # each must match one claim
//! text = "accused the United States"              # part of the claim's text
//! speaker = "Sergei Lavrov"                       # canonical speaker, optional
//! form = "indirect"                               # direct | indirect | mixed, optional
//! type = "accusation"                             # the statement type label, optional
//! labels = ["sanctions"]                          # labels it must carry, optional
//! ```
//!
//! `thresher test` runs them, and a ruleset whose tests fail is never swapped in.

use serde::Deserialize;

use crate::diag::{Diagnostic, codes};
use crate::document::{Claim, ClaimForm, Document, Outcome};
use crate::pipeline::ProcessOptions;
use crate::ruleset::Ruleset;

/// One rule test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// The file it came from.
    #[serde(skip)]
    pub file: String,
    /// What the case shows (optional; comments work too).
    #[serde(default)]
    pub description: String,
    /// The input.
    pub document: FixtureDocument,
    /// What must come out.
    pub expect: Expect,
}

/// A fixture's input document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureDocument {
    /// Article text.
    pub text: String,
    /// URL, optional.
    #[serde(default)]
    pub url: String,
    /// Outlet hint, optional.
    #[serde(default)]
    pub outlet: String,
    /// Headline, optional.
    #[serde(default)]
    pub title: String,
}

/// A fixture's expectations. Everything is optional; an empty `[expect]` only checks that the
/// rules run without diagnostics.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Expected outlet id.
    pub outlet: Option<String>,
    /// Removals that must exist.
    #[serde(default)]
    pub removed: Vec<ExpectRemoval>,
    /// Texts that must remain in `clean_text`.
    #[serde(default)]
    pub kept: Vec<String>,
    /// Exact expected `clean_text`.
    pub clean_text: Option<String>,
    /// Claims that must exist.
    #[serde(default)]
    pub claims: Vec<ExpectClaim>,
    /// Texts no claim may contain.
    #[serde(default)]
    pub not_claims: Vec<String>,
}

/// One expected claim.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectClaim {
    /// A part of the claim's text.
    pub text: String,
    /// Expected canonical speaker.
    pub speaker: Option<String>,
    /// Expected form: "direct", "indirect" or "mixed".
    pub form: Option<String>,
    /// Expected statement type (the first label).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Labels the claim must carry.
    #[serde(default)]
    pub labels: Vec<String>,
}

/// One expected removal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectRemoval {
    /// A part of the removed text.
    pub text: String,
    /// Expected kind, optional.
    pub kind: Option<String>,
    /// Expected rule id, optional.
    pub rule: Option<String>,
}

impl Fixture {
    /// Parses a fixture file; errors point at the offending line.
    pub fn parse(path: &str, text: &str) -> Result<Self, Diagnostic> {
        match toml::from_str::<Self>(text) {
            Ok(mut f) => {
                f.file = path.to_owned();
                Ok(f)
            }
            Err(e) => {
                let (line, col) = e.span().map_or((0, 0), |s| line_col(text, s.start));
                Err(Diagnostic::error(codes::TEST_INVALID, e.message().to_owned()).in_file(path).at(line, col))
            }
        }
    }

    /// The fixture's input as a document.
    pub fn document(&self) -> Document {
        Document {
            id: self.file.clone(),
            text: self.document.text.clone(),
            url: self.document.url.clone(),
            outlet: self.document.outlet.clone(),
            title: self.document.title.clone(),
            ..Document::default()
        }
    }

    /// Every way `out` falls short of the expectations; empty when the test passes.
    pub fn check(&self, out: &Outcome) -> Vec<String> {
        let text = &self.document.text;
        let e = &self.expect;
        let mut fails = Vec::new();
        if let Some(want) = &e.outlet
            && &out.outlet.id != want
        {
            fails.push(format!("outlet: expected `{want}`, got `{}`", out.outlet.id));
        }
        for want in &e.removed {
            let hit = out.removals.iter().any(|r| {
                r.span.slice(text).contains(&want.text)
                    && want.kind.as_ref().is_none_or(|k| k == &r.kind)
                    && want.rule.as_ref().is_none_or(|id| id == &r.rule)
            });
            if !hit {
                let got: Vec<String> = out
                    .removals
                    .iter()
                    .map(|r| format!("{} by {}: {:?}", r.kind, r.rule, short(r.span.slice(text))))
                    .collect();
                fails.push(format!(
                    "expected a removal{}{} containing {:?}; removals were: [{}]",
                    want.kind.as_ref().map(|k| format!(" of kind {k}")).unwrap_or_default(),
                    want.rule.as_ref().map(|k| format!(" by {k}")).unwrap_or_default(),
                    want.text,
                    got.join("; ")
                ));
            }
        }
        for want in &e.kept {
            if !out.clean_text.contains(want.as_str()) {
                let by = out.removals.iter().find(|r| r.span.slice(text).contains(want.as_str()));
                fails.push(match by {
                    Some(r) => {
                        format!("expected {:?} to be kept, but {} removed it as {}", short(want), r.rule, r.kind)
                    }
                    None => format!("expected {:?} in clean_text, which does not contain it", short(want)),
                });
            }
        }
        if let Some(want) = &e.clean_text
            && want.trim() != out.clean_text.trim()
        {
            fails.push(format!("clean_text differs:\n--- expected\n{}\n--- got\n{}", want.trim(), out.clean_text));
        }
        for want in &e.claims {
            if let Some(f) = claim_failure(want, text, out) {
                fails.push(f);
            }
        }
        for not in &e.not_claims {
            if let Some(c) = out.claims.iter().find(|c| c.span.slice(text).contains(not.as_str())) {
                fails.push(format!(
                    "expected no claim containing {:?}, but found one by {}",
                    short(not),
                    c.speaker.canonical
                ));
            }
        }
        for d in &out.diagnostics {
            fails.push(format!("rule diagnostic: {d}"));
        }
        fails
    }
}

fn form_name(f: ClaimForm) -> &'static str {
    match f {
        ClaimForm::Direct => "direct",
        ClaimForm::Indirect => "indirect",
        ClaimForm::Mixed => "mixed",
    }
}

/// Why no claim of `out` meets `want`, or None when one does.
fn claim_failure(want: &ExpectClaim, text: &str, out: &Outcome) -> Option<String> {
    let candidates: Vec<&Claim> =
        out.claims.iter().filter(|c| c.span.slice(text).contains(want.text.as_str())).collect();
    if candidates.is_empty() {
        let got: Vec<String> = out.claims.iter().map(|c| format!("{:?}", short(c.span.slice(text)))).collect();
        return Some(format!("expected a claim containing {:?}; claims were: [{}]", short(&want.text), got.join(", ")));
    }
    let mut why = Vec::new();
    for c in &candidates {
        let mut wrong = Vec::new();
        if let Some(s) = &want.speaker
            && &c.speaker.canonical != s
        {
            wrong.push(format!("speaker `{}` (from {:?}), not `{s}`", c.speaker.canonical, c.speaker.name));
        }
        if let Some(f) = &want.form
            && form_name(c.form) != f
        {
            wrong.push(format!("form {}, not {f}", form_name(c.form)));
        }
        let first = c.labels.first().map(|l| l.name.as_str()).unwrap_or("");
        if let Some(k) = &want.kind
            && first != k
        {
            let by = c.labels.first().map(|l| format!(" by {}", l.rule)).unwrap_or_default();
            wrong.push(format!("type `{first}`{by}, not `{k}`"));
        }
        for l in &want.labels {
            if !c.labels.iter().any(|x| &x.name == l) {
                wrong.push(format!("no label `{l}`"));
            }
        }
        if wrong.is_empty() {
            return None;
        }
        why.push(wrong.join(", "));
    }
    Some(format!("the claim containing {:?} has {}", short(&want.text), why.join("; or ")))
}

fn short(s: &str) -> String {
    let mut t: String = s.chars().take(60).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

fn line_col(text: &str, at: usize) -> (u32, u32) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (u32::try_from(line).unwrap_or(0), u32::try_from(col).unwrap_or(0))
}

/// The result of one rule test.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// Fixture file.
    pub file: String,
    /// Failures; empty when it passed.
    pub failures: Vec<String>,
}

impl TestResult {
    /// True when the test passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The failures as diagnostics.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.failures
            .iter()
            .map(|f| Diagnostic::error(codes::TEST_FAILED, f.clone()).in_file(self.file.clone()))
            .collect()
    }
}

impl Ruleset {
    /// Runs every rule test.
    pub fn run_tests(&self) -> Vec<TestResult> {
        let opts = ProcessOptions::default();
        self.fixtures
            .iter()
            .map(|f| TestResult {
                file: f.file.clone(),
                failures: match self.process(&f.document(), &opts) {
                    Ok(out) => f.check(&out),
                    Err(e) => vec![e.to_string()],
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::RuleSources;
    use crate::sandbox::Limits;

    const RULE: &str = "fn captions(doc) { doc.drop_lines(\"caption\", \"^Photo:\") }";

    fn results(fixture: &str) -> Vec<TestResult> {
        let src = RuleSources::from_pairs([
            ("generic/captions.rhai".to_owned(), RULE.to_owned()),
            ("tests/captions.toml".to_owned(), fixture.to_owned()),
        ]);
        Ruleset::compile(&src, Limits::default()).map(|r| r.run_tests()).unwrap_or_default()
    }

    #[test]
    fn passing_and_failing_fixtures() {
        let ok = results(
            "[document]\ntext = \"Photo: AFP\\nBody.\"\n[expect]\noutlet = \"unknown\"\nremoved = [{ kind = \"caption\", text = \"Photo: AFP\", rule = \"captions.captions\" }]\nkept = [\"Body.\"]\nclean_text = \"Body.\"\n",
        );
        assert!(ok.len() == 1 && ok[0].passed(), "{ok:?}");
        let bad = results(
            "[document]\ntext = \"Photo: AFP\\nBody.\"\n[expect]\nremoved = [{ kind = \"credits\", text = \"Photo\" }]\nkept = [\"Photo: AFP\"]\n",
        );
        assert_eq!(bad[0].failures.len(), 2, "{bad:?}");
        assert!(bad[0].failures[1].contains("captions.captions removed it as caption"), "{bad:?}");
    }

    #[test]
    fn invalid_fixture_points_at_the_line() {
        let d = Fixture::parse("tests/x.toml", "[document]\ntext = \"a\"\n[expect]\nremovd = []\n").err();
        let d = d.map(|d| d.to_string()).unwrap_or_default();
        assert!(d.starts_with("tests/x.toml:4:1: error[T3002]"), "{d}");
    }
}
