//! The explain view, `thresher process --explain` and `ProcessRequest.explain`: what a rule
//! author reads all day. The document line by line
//! (numbered as in the file, so they match editors and gold files), each marked kept or
//! removed with the kind and the rule, then every claim with its speaker, form, cue and the
//! rules that labelled it, with their evidence. Colour on a terminal, plain when piped or
//! when `NO_COLOR` is set.

use std::fmt::Write as _;
use std::io::IsTerminal;

use crate::document::{ClaimForm, Outcome, OutletMatch, Span};

/// Whether to colour the output.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    /// No colour: for files, pipes and the gRPC answer.
    pub const PLAIN: Self = Self { color: false };

    /// Colour when standard output is a terminal and `NO_COLOR` is unset.
    pub fn detect() -> Self {
        Self { color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() }
    }

    fn paint(self, code: &str, s: &str) -> String {
        if self.color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_owned() }
    }

    fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }

    fn red(self, s: &str) -> String {
        self.paint("31", s)
    }

    fn green(self, s: &str) -> String {
        self.paint("32", s)
    }

    fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }

    fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
}

fn form(f: ClaimForm) -> &'static str {
    match f {
        ClaimForm::Direct => "direct",
        ClaimForm::Indirect => "indirect",
        ClaimForm::Mixed => "mixed",
    }
}

fn matched_by(m: OutletMatch) -> &'static str {
    match m {
        OutletMatch::Hint => "from the request's hint",
        OutletMatch::Url => "from the URL",
        OutletMatch::TextMarker => "from a marker in the text",
        OutletMatch::None => "no outlet recognised: generic rules only",
    }
}

fn clip(s: &str, n: usize) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    if one_line.chars().count() <= n {
        return one_line;
    }
    let mut t: String = one_line.chars().take(n.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// The 1-based line of byte offset `at`.
fn line_of(starts: &[usize], at: usize) -> usize {
    starts.partition_point(|&s| s <= at)
}

/// Renders the account of one document.
pub fn render(text: &str, out: &Outcome, st: Style) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} {}  outlet {} ({})  ruleset {}",
        st.bold("=="),
        st.bold(&out.document_id),
        st.bold(&out.outlet.id),
        matched_by(out.outlet.matched_by),
        out.ruleset_version
    );
    let mut starts = vec![0usize];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(text.len(), |&e| e - 1);
        let line = text.get(start..end).unwrap_or("").trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let span = Span::new(start, start + line.len());
        let hits: Vec<_> = out.removals.iter().filter(|r| r.span.start < span.end && r.span.end > span.start).collect();
        let covered: usize = hits.iter().map(|r| r.span.end.min(span.end) - r.span.start.max(span.start)).sum();
        let no = st.dim(&format!("{:>4}", n + 1));
        if hits.is_empty() {
            let _ = writeln!(o, "{no} {} {}", st.green("+"), clip(line, 110));
        } else if covered >= line.trim().len() {
            let r = hits[0];
            let _ = writeln!(
                o,
                "{no} {} {}  {}",
                st.red("-"),
                st.red(&clip(line, 70)),
                st.dim(&format!("{} · {}", r.kind, r.rule))
            );
        } else {
            let _ = writeln!(o, "{no} {} {}", st.yellow("~"), clip(line, 110));
            for r in hits {
                let piece = r.span.slice(text);
                let _ = writeln!(
                    o,
                    "     {} {}  {}",
                    st.red("-"),
                    st.red(&clip(piece, 60)),
                    st.dim(&format!("{} · {}", r.kind, r.rule))
                );
            }
        }
    }
    let _ = writeln!(o, "{} {} removed, {} claims", st.bold("--"), out.removals.len(), out.claims.len());
    for (i, c) in out.claims.iter().enumerate() {
        let line = line_of(&starts, c.span.start);
        let who = if c.speaker.name.is_empty() {
            format!("{} (continues the previous quotation)", st.bold(&c.speaker.canonical))
        } else {
            format!("{} ← {:?}", st.bold(&c.speaker.canonical), c.speaker.name)
        };
        let cue = if c.cue.is_empty() { String::new() } else { format!("  cue {:?}", c.cue) };
        let _ = writeln!(o, "{} line {line}  {}  {who}{cue}", st.bold(&format!("[{}]", i + 1)), form(c.form));
        if let Some(src) = &c.source {
            let _ = writeln!(o, "     reported by {} ← {:?}", src.canonical, src.name);
        }
        let _ = writeln!(o, "     {}", st.dim(&clip(c.span.slice(text), 110)));
        for l in &c.labels {
            let ev = l.evidence.map(|e| format!("  on {:?}", clip(e.slice(text), 40))).unwrap_or_default();
            let _ = writeln!(o, "     {} {:.2}  {}{ev}", st.green(&l.name), l.score, st.dim(&l.rule));
        }
    }
    for d in &out.diagnostics {
        let _ = writeln!(o, "{} {d}", st.yellow("!!"));
    }
    o.push('\n');
    o
}
