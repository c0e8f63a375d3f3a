//! Sentences and quotations in news prose, with byte offsets into the original text.
//!
//! Claims are found per sentence, so the splitter is tuned for what breaks naive splitting in
//! news: abbreviations and initials ("U.S.", "Mr.", "Gen.", "J. Smith"), ellipses, straight
//! and curly quotes, and quotations of several sentences, which stay one unit ("A. B," he
//! said.). A paragraph that opens a quotation and never closes it is the news convention for a
//! quotation that goes on in the next paragraph: the quotation runs to the paragraph's end.
//! Headlines and subheadings without final punctuation are simply one sentence.

use std::sync::LazyLock;

use crate::document::Span;

/// A sentence (or a run of sentences held together by one quotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// Where it is in the original text, trimmed.
    pub span: Span,
    /// Quotations inside it, marks included, in text order.
    pub quotes: Vec<Span>,
}

/// Words that end with a full stop without ending a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "cmdr", "adm", "sgt", "gov", "sen", "rep",
    "rev", "st", "jr", "sr", "no", "nos", "inc", "corp", "ltd", "co", "vs", "etc", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "est", "dept", "univ", "pres", "vol", "fig", "op",
    "ft", "mt",
];

fn is_open_quote(c: char) -> bool {
    matches!(c, '“' | '«' | '„')
}

fn is_close_quote(c: char) -> bool {
    matches!(c, '”' | '»')
}

/// The quotations in `text` (byte spans relative to `text`).
///
/// Curly quotes and guillemets pair by direction; straight double quotes pair in order. An
/// opening mark left unclosed at the end makes a quotation that runs to the end of `text` when
/// it opens the paragraph (a quotation continued in the next paragraph), and is ignored
/// otherwise (a stray mark).
pub fn quotes(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut open: Option<(usize, bool)> = None; // (start, straight)
    // Only the bytes that start a quotation mark: `"` and the lead bytes of `“”„` (E2) and
    // `«»` (C2), found by `memchr` (many bytes at a time); only those are decoded.
    let marks = memchr::memchr3_iter(b'"', 0xC2, 0xE2, text.as_bytes());
    for (i, c) in marks.filter_map(|i| Some((i, text.get(i..)?.chars().next()?))) {
        match open {
            None => {
                if is_open_quote(c) || c == '"' {
                    open = Some((i, c == '"'));
                }
            }
            Some((start, straight)) => {
                if c == '"' || (!straight && is_close_quote(c)) {
                    out.push(Span::new(start, i + c.len_utf8()));
                    open = None;
                } else if !straight && is_open_quote(c) {
                    // A new opening mark before a close: the earlier one was stray.
                    open = Some((i, false));
                }
            }
        }
    }
    if let Some((start, _)) = open
        && text[..start].trim().is_empty()
    {
        out.push(Span::new(start, text.len()));
    }
    out
}

/// Splits `text` (one paragraph, or a kept piece of one) into sentences; spans are relative
/// to `text` plus `base`.
pub fn split(text: &str, base: usize) -> Vec<Sentence> {
    let quotes = quotes(text);
    // Quotations are sorted and disjoint, so one cursor walks them with the text: linear in
    // the paragraph however many quotations it holds.
    let mut cursor = 0usize;
    let mut inside = |at: usize| {
        while quotes.get(cursor).is_some_and(|q| q.end <= at) {
            cursor += 1;
        }
        quotes.get(cursor).is_some_and(|q| q.start < at && at < q.end)
    };
    let mut first_quote = 0usize;
    let mut out = Vec::new();
    let mut start = 0usize;
    let is_stop = |c: char| matches!(c, '.' | '!' | '?' | '…');
    let mut from = 0usize;
    while let Some(i) = next_stop(text, from) {
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or('.');
        let ellipsis = c == '…' || rest.starts_with("...");
        // Take the whole run of terminators ("?!", "...") and closing marks after it.
        let mut end = i;
        let mut after = rest.chars().peekable();
        while let Some(d) = after.next_if(|&d| is_stop(d)) {
            end += d.len_utf8();
        }
        while let Some(d) = after.next_if(|&d| matches!(d, '"' | '”' | '’' | '\'' | ')' | ']' | '»')) {
            end += d.len_utf8();
        }
        let next_ok = match after.next() {
            None => true,
            Some(w) if w.is_whitespace() => {
                let next = after.find(|ch| !ch.is_whitespace());
                next.is_some_and(|n| n.is_uppercase() || n.is_ascii_digit() || is_open_quote(n) || n == '"' || n == '‘')
            }
            Some(_) => false,
        };
        let boundary = next_ok && !inside(i) && !(c == '.' && !ellipsis && abbreviation_before(text, i));
        if boundary {
            push(text, base, start, end, &quotes, &mut first_quote, &mut out);
            start = end;
        }
        from = end;
    }
    push(text, base, start, text.len(), &quotes, &mut first_quote, &mut out);
    out
}

/// Where the first `.`, `!`, `?` or `…` at or after `from` is: the first of the three ASCII
/// stops by `memchr`, then an ellipsis searched for only before it.
fn next_stop(text: &str, from: usize) -> Option<usize> {
    static ELLIPSIS: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new("…".as_bytes()));
    let bytes = text.as_bytes().get(from..)?;
    let ascii = memchr::memchr3(b'.', b'!', b'?', bytes);
    let before = bytes.get(..ascii.unwrap_or(bytes.len())).unwrap_or_default();
    ELLIPSIS.find(before).or(ascii).map(|off| from + off)
}

/// Adds the sentence `[start, end)`, with the quotations from `*first` on that overlap it;
/// sentences come in order, so `*first` only moves forward.
fn push(
    text: &str,
    base: usize,
    start: usize,
    end: usize,
    quotes: &[Span],
    first: &mut usize,
    out: &mut Vec<Sentence>,
) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let body = piece.trim();
    if body.is_empty() {
        return;
    }
    let (s, e) = (start + lead, start + lead + body.len());
    while quotes.get(*first).is_some_and(|q| q.end <= s) {
        *first += 1;
    }
    let qs = quotes[(*first).min(quotes.len())..]
        .iter()
        .take_while(|q| q.start < e)
        .filter(|q| q.end > s)
        .map(|q| Span::new(base + q.start.max(s), base + q.end.min(e)))
        .collect();
    out.push(Sentence { span: Span::new(base + s, base + e), quotes: qs });
}

/// True when the full stop at `dot` ends an abbreviation or an initial rather than a sentence.
fn abbreviation_before(text: &str, dot: usize) -> bool {
    let word_start = text[..dot]
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_whitespace() || c == '(' || c == '"' || c == '“')
        .map_or(0, |(p, c)| p + c.len_utf8());
    let word = &text[word_start..dot];
    if word.is_empty() {
        return false;
    }
    // "U.S", "U.N", "a.m", "e.g": a dotted abbreviation.
    if word.contains('.') && word.chars().filter(|c| c.is_alphabetic()).count() <= 4 {
        return true;
    }
    let mut letters = word.chars();
    // A single capital: an initial ("J. Smith").
    if let (Some(c), None) = (letters.next(), letters.next())
        && c.is_uppercase()
    {
        return true;
    }
    // The abbreviations are ASCII without a "k", and only the Kelvin sign lower-cases to an
    // ASCII letter: a word outside ASCII is none of them.
    word.is_ascii() && ABBREVIATIONS.iter().any(|a| word.eq_ignore_ascii_case(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        split(text, 0).iter().map(|s| s.span.slice(text)).collect()
    }

    /// [`quotes`] as first written, decoding every character.
    fn quotes_by_chars(text: &str) -> Vec<Span> {
        let mut out = Vec::new();
        let mut open: Option<(usize, bool)> = None;
        for (i, c) in text.char_indices() {
            match open {
                None if is_open_quote(c) || c == '"' => open = Some((i, c == '"')),
                None => {}
                Some((start, straight)) => {
                    if c == '"' || (!straight && is_close_quote(c)) {
                        out.push(Span::new(start, i + c.len_utf8()));
                        open = None;
                    } else if !straight && is_open_quote(c) {
                        open = Some((i, false));
                    }
                }
            }
        }
        if let Some((start, _)) = open
            && text[..start].trim().is_empty()
        {
            out.push(Span::new(start, text.len()));
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn byte_scans_find_what_the_character_scans_find(text in "[a-zA-Z .!?\"“”„«»’‘…—–€\u{2009}\u{a0}]{0,40}") {
            proptest::prop_assert_eq!(quotes(&text), quotes_by_chars(&text));
            for (from, _) in text.char_indices() {
                let want = text[from..].find(['.', '!', '?', '…']).map(|p| from + p);
                proptest::prop_assert_eq!(next_stop(&text, from), want);
            }
        }
    }

    #[test]
    fn abbreviations_initials_and_ellipses() {
        let t = "Mr. Blinken met Gen. Milley in the U.S. capital. J. Smith said so... Then he left! Did he?";
        assert_eq!(
            texts(t),
            ["Mr. Blinken met Gen. Milley in the U.S. capital.", "J. Smith said so...", "Then he left!", "Did he?"]
        );
    }

    #[test]
    fn a_quotation_of_several_sentences_is_one_unit() {
        let t = "“We saw no signs. None at all,” Blinken said. He left. \"It ends. Now,\" he added.";
        let s = split(t, 0);
        let got: Vec<&str> = s.iter().map(|x| x.span.slice(t)).collect();
        assert_eq!(got, ["“We saw no signs. None at all,” Blinken said.", "He left.", "\"It ends. Now,\" he added."]);
        assert_eq!(s[0].quotes.iter().map(|q| q.slice(t)).collect::<Vec<_>>(), ["“We saw no signs. None at all,”"]);
        assert!(s[1].quotes.is_empty());
    }

    #[test]
    fn an_unclosed_quotation_opening_a_paragraph_runs_to_its_end() {
        let t = "“The talks are tough. We go on.";
        assert_eq!(texts(t), [t]);
        assert_eq!(quotes(t), [Span::new(0, t.len())]);
        // A stray mark in the middle is ignored.
        let t = "He said 12\" pipes were used. Then it rained.";
        assert_eq!(texts(t), ["He said 12\" pipes were used.", "Then it rained."]);
    }

    #[test]
    fn headlines_and_offsets() {
        let t = "Lavrov Tells Blinken West Seeking to Provoke Ukraine Conflict";
        assert_eq!(texts(t), [t]);
        let s = split("Hi there. Bye.", 100);
        assert_eq!(s[1].span, Span::new(110, 114));
        assert!(split("   ", 0).is_empty());
    }
}
