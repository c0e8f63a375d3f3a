//! Paragraph segmentation.
//!
//! A paragraph is a line with something other than whitespace on it. Inputs separate
//! paragraphs with single line breaks or with blank lines ("\n", "\r\n" and lone "\r" all end a
//! line); both come out the same. Each paragraph's span excludes the whitespace around it, so a
//! rule that drops a paragraph never leaves half a line behind.

use crate::document::Span;

/// The paragraphs of a text, and how the input separated them.
#[derive(Debug, Clone, Default)]
pub struct Paragraphs {
    /// Each paragraph's span, in text order.
    pub spans: Vec<Span>,
    /// True when most paragraphs are separated by blank lines; `clean_text` then keeps a
    /// blank line between paragraphs, otherwise a single line break.
    pub blank_line_separated: bool,
}

impl Paragraphs {
    /// Splits `text` into paragraphs.
    pub fn split(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut spans = Vec::new();
        let (mut blank_gaps, mut gaps) = (0usize, 0usize);
        let mut newlines_since_last = 0usize;
        let mut line_start = 0usize;
        let mut push_line = |start: usize, end: usize, newlines: &mut usize| {
            let line = &text[start..end];
            let trimmed = line.trim();
            if trimmed.is_empty() {
                return;
            }
            let lead = line.len() - line.trim_start().len();
            let s = start + lead;
            if !spans.is_empty() {
                gaps += 1;
                if *newlines >= 2 {
                    blank_gaps += 1;
                }
            }
            *newlines = 0;
            spans.push(Span::new(s, s + trimmed.len()));
        };
        // Line ends found by `memchr`, many bytes at a time; the `\n` of a `\r\n` is skipped.
        for at in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if at < line_start {
                continue;
            }
            push_line(line_start, at, &mut newlines_since_last);
            let crlf = bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n');
            newlines_since_last += 1;
            line_start = at + 1 + usize::from(crlf);
        }
        push_line(line_start, bytes.len(), &mut newlines_since_last);
        Self { spans, blank_line_separated: gaps > 0 && blank_gaps * 2 >= gaps }
    }

    /// The separator `clean_text` puts between paragraphs.
    pub fn separator(&self) -> &'static str {
        if self.blank_line_separated { "\n\n" } else { "\n" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'t>(text: &'t str, p: &Paragraphs) -> Vec<&'t str> {
        p.spans.iter().map(|s| s.slice(text)).collect()
    }

    #[test]
    fn single_newlines_and_blank_lines_give_the_same_paragraphs() {
        let a = "One.\nTwo two.\n  Three \n";
        let b = "One.\n\nTwo two.\n\n\n  Three \n\n";
        let pa = Paragraphs::split(a);
        let pb = Paragraphs::split(b);
        assert_eq!(texts(a, &pa), ["One.", "Two two.", "Three"]);
        assert_eq!(texts(b, &pb), ["One.", "Two two.", "Three"]);
        assert!(!pa.blank_line_separated);
        assert!(pb.blank_line_separated);
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        let t = "a\r\nb\rc\r\n\r\nd";
        let p = Paragraphs::split(t);
        assert_eq!(texts(t, &p), ["a", "b", "c", "d"]);
    }

    /// [`Paragraphs::split`] as first written, byte by byte.
    fn split_by_bytes(text: &str) -> (Vec<Span>, bool) {
        let bytes = text.as_bytes();
        let (mut spans, mut gaps, mut blank_gaps, mut newlines) = (Vec::new(), 0usize, 0usize, 0usize);
        let mut push_line = |start: usize, end: usize, newlines: &mut usize| {
            let line = &text[start..end];
            if line.trim().is_empty() {
                return;
            }
            let s = start + line.len() - line.trim_start().len();
            if !spans.is_empty() {
                gaps += 1;
                blank_gaps += usize::from(*newlines >= 2);
            }
            *newlines = 0;
            spans.push(Span::new(s, s + line.trim().len()));
        };
        let (mut i, mut line_start) = (0, 0);
        while i < bytes.len() {
            if matches!(bytes[i], b'\n' | b'\r') {
                push_line(line_start, i, &mut newlines);
                if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                newlines += 1;
                line_start = i + 1;
            }
            i += 1;
        }
        push_line(line_start, bytes.len(), &mut newlines);
        (spans, gaps > 0 && blank_gaps * 2 >= gaps)
    }

    proptest::proptest! {
        #[test]
        fn line_ends_found_by_memchr_split_as_byte_by_byte(text in "[ab \t\r\n\u{a0}\u{2028}é]{0,40}") {
            let p = Paragraphs::split(&text);
            proptest::prop_assert_eq!((p.spans, p.blank_line_separated), split_by_bytes(&text));
        }
    }

    #[test]
    fn empty_and_whitespace_only() {
        assert!(Paragraphs::split("").spans.is_empty());
        assert!(Paragraphs::split(" \n\t\n ").spans.is_empty());
    }
}
