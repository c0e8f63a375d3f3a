//! Runs of capitalised words that the claim finder reads as people's names ("Foreign Minister
//! Sergei Lavrov", "Osama bin Laden", "J. K. Rowling") and as names of organisations
//! ("Institute for the Study of War"), found by hand rather than by a regex.
//!
//! The finder looks for both in every sentence of every document. As regexes they were two
//! lazy-DFA passes over all the kept text, about 14 instructions a byte each and more in time,
//! since the automaton's transitions miss the cache (their ASCII forms were no faster). By
//! hand, a scan stops only at capital letters and reads the words from there: about as many
//! instructions, in half the time (6.6% of the engine's time as regexes, 3.4% by hand, in
//! perf). The regexes stay in the tests as the definition: [`name_runs`] and [`org_runs`]
//! find exactly the matches `find_iter` of [`NAME_RUN`] and [`ORG_RUN`] finds, which the
//! proptests check on generated sentences (names, initials, particles, apostrophes, marks,
//! letters of other scripts, and characters that are uppercase without being `\p{Lu}`).

use std::sync::LazyLock;

use regex::Regex;

use crate::local::PerThread;
use crate::swar;

/// People's names: capitalised words or initials, then particles ("bin", "von der"), then a
/// capitalised word.
pub const NAME_RUN: &str = r"(?:(?:[\p{Lu}][\p{L}\p{M}'’\-]+\.?|(?:\p{Lu}\.){1,3})\s*\s)+(?:(?:bin|al|de|van|von|der|da|di|ibn|el)\s+)*[\p{Lu}][\p{L}\p{M}'’\-]+";

/// Organisations' names: capitalised words that may be joined by "of", "for", "in", "on",
/// "and", "the".
pub const ORG_RUN: &str = r"[\p{Lu}][\p{L}\p{M}'’\-]+(?:\s+(?:(?:of|for|in|on|and|the)\s+)*[\p{Lu}][\p{L}\p{M}'’\-]+)+";

const NAME_PARTICLES: &[&str] = &["bin", "al", "de", "van", "von", "der", "da", "di", "ibn", "el"];
const ORG_PARTICLES: &[&str] = &["of", "for", "in", "on", "and", "the"];

/// What a character is to the patterns above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// `\p{Lu}`.
    Upper,
    /// Another character of `[\p{L}\p{M}'’\-]`.
    Word,
    /// `\s`.
    Space,
    /// `.`
    Dot,
    Other,
}

/// The classes of ASCII characters.
const ASCII: [Class; 128] = {
    let mut table = [Class::Other; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = match b as u8 {
            b'A'..=b'Z' => Class::Upper,
            b'a'..=b'z' | b'\'' | b'-' => Class::Word,
            b'\t'..=b'\r' | b' ' => Class::Space,
            b'.' => Class::Dot,
            _ => Class::Other,
        };
        b += 1;
    }
    table
};

/// The class of the character at `at` (a char boundary) and its length; None at the end.
#[inline]
fn class_at(text: &str, at: usize) -> Option<(Class, usize)> {
    let b = *text.as_bytes().get(at)?;
    match ASCII.get(usize::from(b)) {
        Some(&class) => Some((class, 1)),
        None => wide_class_at(text, at),
    }
}

/// [`class_at`] for a character beyond ASCII.
#[cold]
fn wide_class_at(text: &str, at: usize) -> Option<(Class, usize)> {
    static UPPER: LazyLock<PerThread<Regex>> =
        LazyLock::new(|| PerThread::new(Regex::new(r"^\p{Lu}").unwrap_or_else(|_| unreachable!())));
    static WORD: LazyLock<PerThread<Regex>> =
        LazyLock::new(|| PerThread::new(Regex::new(r"^[\p{L}\p{M}]").unwrap_or_else(|_| unreachable!())));
    let c = text.get(at..)?.chars().next()?;
    let piece = text.get(at..at + c.len_utf8())?;
    // `\s` is Unicode's White_Space, as `char::is_whitespace`; the General Punctuation block
    // (curly quotes, dashes, thin spaces) holds no letters or marks.
    let class = if c == '’' {
        Class::Word
    } else if c.is_whitespace() {
        Class::Space
    } else if ('\u{2000}'..='\u{206f}').contains(&c) {
        Class::Other
    } else if UPPER.get().is_match(piece) {
        Class::Upper
    } else if WORD.get().is_match(piece) {
        Class::Word
    } else {
        Class::Other
    };
    Some((class, c.len_utf8()))
}

fn is_class(text: &str, at: usize, want: Class) -> bool {
    class_at(text, at).is_some_and(|(c, _)| c == want)
}

/// The high bit of each ASCII byte of `[\p{L}\p{M}'’\-]` in `x`: letters, `'` and `-`.
const fn ascii_word(x: u64) -> u64 {
    swar::ascii_letters(x) | swar::ascii_in(x, b'\'', b'\'') | swar::ascii_in(x, b'-', b'-')
}

/// The high bit of each ASCII capital in `x` and of each first byte of a wider character
/// (which may be a capital): where a name or an organisation may start.
const fn capital_or_lead(x: u64) -> u64 {
    swar::ascii_capitals(x) | swar::leads(x)
}

/// The ASCII bytes of `[\p{L}\p{M}'’\-]`, byte by byte: what [`ascii_word`] stands for.
#[cfg(test)]
const ASCII_WORD: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = matches!(ASCII[b], Class::Upper | Class::Word);
        b += 1;
    }
    table
};

/// `[\p{Lu}][\p{L}\p{M}'’\-]+` at `at`: where it ends. Runs of ASCII are passed over eight
/// bytes at a time (see `swar`); a character beyond ASCII is asked its class.
fn cap_word(text: &str, at: usize) -> Option<usize> {
    let (Class::Upper, n) = class_at(text, at)? else { return None };
    let bytes = text.as_bytes();
    let mut end = at + n;
    loop {
        let rest = bytes.get(end..).unwrap_or_default();
        end += swar::position(rest, |x| swar::HIGH & !ascii_word(x)).unwrap_or(rest.len());
        match bytes.get(end) {
            Some(&b) if !b.is_ascii() => match class_at(text, end) {
                Some((Class::Upper | Class::Word, n)) => end += n,
                _ => break,
            },
            _ => break,
        }
    }
    (end > at + n).then_some(end)
}

/// `\s+` at `at`: where it ends.
fn spaces(text: &str, at: usize) -> Option<usize> {
    let mut end = at;
    while let Some((Class::Space, n)) = class_at(text, end) {
        end += n;
    }
    (end > at).then_some(end)
}

/// The first letters of `particles` (all lower-case ASCII), as bits of a mask.
const fn first_letters(particles: &[&str]) -> u32 {
    let mut mask = 0;
    let mut i = 0;
    while i < particles.len() {
        mask |= 1 << (particles[i].as_bytes()[0] - b'a');
        i += 1;
    }
    mask
}

const NAME_FIRSTS: u32 = first_letters(NAME_PARTICLES);
const ORG_FIRSTS: u32 = first_letters(ORG_PARTICLES);

/// `(?:p1|p2|...)\s+` at `at` for the `particles`, whose first letters are `firsts`: where the
/// spaces after it end. Most words start with a letter no particle does and are passed at once.
fn particle(text: &str, at: usize, particles: &[&str], firsts: u32) -> Option<usize> {
    let rest = text.get(at..)?;
    let first = rest.as_bytes().first()?.wrapping_sub(b'a');
    if first >= 26 || firsts & 1 << first == 0 {
        return None;
    }
    particles.iter().filter(|p| rest.starts_with(*p)).find_map(|p| spaces(text, at + p.len()))
}

/// `[\p{Lu}][\p{L}\p{M}'’\-]+\.?|(?:\p{Lu}\.){1,3}` at `at`: where it ends, and where the
/// capitalised word of the first branch ends (before its full stop). The two branches cannot
/// both start at one place (a capital followed by a word character, or by a full stop), and
/// neither can end earlier and still be followed by a space, so no choice made here is ever
/// undone by the regex.
fn name_word(text: &str, at: usize) -> Option<(usize, Option<usize>)> {
    name_word_after(text, at, cap_word(text, at))
}

/// [`name_word`] given `cap_word(text, at)`.
fn name_word_after(text: &str, at: usize, cap: Option<usize>) -> Option<(usize, Option<usize>)> {
    if let Some(end) = cap {
        return Some((if is_class(text, end, Class::Dot) { end + 1 } else { end }, Some(end)));
    }
    let mut end = at;
    for _ in 0..3 {
        match class_at(text, end) {
            Some((Class::Upper, n)) if is_class(text, end + n, Class::Dot) => end += n + 1,
            _ => break,
        }
    }
    (end > at).then_some((end, None))
}

/// The match of [`NAME_RUN`] that starts at `at`, if one does: where it ends. If none does, where
/// the search may go on: no match starts before it either.
///
/// `(?:W\s*\s)+` goes as far as it can, then the regex tries the rest (particles, then a
/// capitalised word) after each repetition, last first. After the last it is tried as
/// written; after an earlier one the next word is a repetition's word, which starts with a
/// capital (so no particle) and is the capitalised word when it is of the first branch.
///
/// When nothing matches, nothing matches from a capital inside those repetitions either: from
/// there the same words follow, to the same place, with fewer of them to fall back on. The
/// search skips them, which keeps it linear on a run of initials ("A. B. C. ...") where the
/// regex's automaton was.
fn name_at(text: &str, at: usize, first_cap: Option<usize>) -> Result<usize, usize> {
    let mut pos = at;
    let (mut words, mut fallback) = (0, None);
    let mut word = name_word_after(text, at, first_cap);
    while let Some((end, cap)) = word {
        let Some(next) = spaces(text, end) else { break };
        if words > 0 && cap.is_some() {
            fallback = cap;
        }
        words += 1;
        pos = next;
        word = name_word(text, pos);
    }
    if words == 0 {
        return Err(at);
    }
    // Particles are lower-case, so fewer of them never lets the capitalised word match.
    let mut p = pos;
    while let Some(next) = particle(text, p, NAME_PARTICLES, NAME_FIRSTS) {
        p = next;
    }
    cap_word(text, p).or(fallback).ok_or(pos)
}

/// The match of [`ORG_RUN`] that starts at `at`, if one does: where it ends. If none does, where
/// the search may go on: the end of the first word, since from a capital inside it the same
/// words follow.
fn org_at(text: &str, at: usize, first_cap: Option<usize>) -> Result<usize, usize> {
    let Some(mut pos) = first_cap else { return Err(at) };
    let first = pos;
    let mut end = None;
    while let Some(mut p) = spaces(text, pos) {
        while let Some(next) = particle(text, p, ORG_PARTICLES, ORG_FIRSTS) {
            p = next;
        }
        let Some(e) = cap_word(text, p) else { break };
        end = Some(e);
        pos = e;
    }
    end.ok_or(first)
}

/// The leftmost-first matches of a pattern whose matches all start at a `\p{Lu}`, given the
/// match that starts at a position (or where to look on when none does), as `find_iter` has
/// them: each search goes on from the end of the last match.
#[cfg(test)]
fn runs(text: &str, match_at: impl Fn(&str, usize, Option<usize>) -> Result<usize, usize>) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(off) = bytes.get(at..).and_then(|rest| swar::position(rest, capital_or_lead)) {
        let i = at + off;
        match class_at(text, i) {
            Some((Class::Upper, n)) => match match_at(text, i, cap_word(text, i)) {
                Ok(end) => {
                    out.push((i, end));
                    at = end;
                }
                Err(on) => at = on.max(i + n),
            },
            Some((_, n)) => at = i + n,
            None => break,
        }
    }
    out
}

/// Byte spans of runs of capitalised words in a text.
pub type Runs = Vec<(usize, usize)>;

/// The matches of [`NAME_RUN`] in `text`, as byte spans.
#[cfg(test)]
pub fn name_runs(text: &str) -> Vec<(usize, usize)> {
    runs(text, name_at)
}

/// The matches of [`ORG_RUN`] in `text`, as byte spans.
#[cfg(test)]
pub fn org_runs(text: &str) -> Vec<(usize, usize)> {
    runs(text, org_at)
}

/// [`name_runs`] and [`org_runs`] of `text` from one pass over its capitals: each capital at
/// which either search would try a match is found once, and its capitalised word, where both
/// start, is read once. The finder reads both in every sentence.
pub fn name_and_org_runs(text: &str) -> (Runs, Runs) {
    let bytes = text.as_bytes();
    let (mut names, mut orgs) = (Vec::new(), Vec::new());
    // Where each search goes on from; a capital before one of them lies in that search's last
    // match (or in what its last failed match read) and is not tried by it.
    let (mut name_from, mut org_from) = (0, 0);
    loop {
        let at = name_from.min(org_from);
        let Some(off) = bytes.get(at..).and_then(|rest| swar::position(rest, capital_or_lead)) else {
            break;
        };
        let i = at + off;
        match class_at(text, i) {
            Some((Class::Upper, n)) => {
                let cap = cap_word(text, i);
                try_at(text, (i, n), cap, name_at, &mut name_from, &mut names);
                try_at(text, (i, n), cap, org_at, &mut org_from, &mut orgs);
            }
            Some((_, n)) => {
                name_from = name_from.max(i + n);
                org_from = org_from.max(i + n);
            }
            None => break,
        }
    }
    (names, orgs)
}

/// One search's step of [`name_and_org_runs`] at the capital at `i` (`n` bytes; its
/// capitalised word ends at `cap`): unless `i` lies before where the search goes on from,
/// `match_at` is tried there, and the search goes on after the match or after what it read.
fn try_at(
    text: &str,
    (i, n): (usize, usize),
    cap: Option<usize>,
    match_at: fn(&str, usize, Option<usize>) -> Result<usize, usize>,
    from: &mut usize,
    out: &mut Runs,
) {
    if i < *from {
        return;
    }
    *from = match match_at(text, i, cap) {
        Ok(end) => {
            out.push((i, end));
            end
        }
        Err(on) => on.max(i + n),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    fn by_regex(pattern: &str, text: &str) -> Vec<(usize, usize)> {
        let re = Regex::new(pattern).unwrap_or_else(|e| panic!("{e}"));
        re.find_iter(text).map(|m| (m.start(), m.end())).collect()
    }

    #[test]
    fn eight_bytes_at_a_time_are_the_byte_tests() {
        let around = *b"aZ'-.\xc3\x80 ";
        swar::assert_same_as_bytes("word", around, ascii_word, |c| ASCII_WORD[usize::from(c)]);
        swar::assert_same_as_bytes("capital or lead", around, capital_or_lead, |c| c.is_ascii_uppercase() || c >= 0xc0);
    }

    #[test]
    fn names_and_organisations_in_news_sentences() {
        let s =
            "Russian Foreign Minister Sergei Lavrov met Osama bin Laden’s son and J. K. Rowling in the U.S. Capitol.";
        let names: Vec<&str> = name_runs(s).iter().map(|&(a, b)| &s[a..b]).collect();
        assert_eq!(
            names,
            ["Russian Foreign Minister Sergei Lavrov", "Osama bin Laden’s", "J. K. Rowling", "U.S. Capitol"]
        );
        let s = "The Institute for the Study of War and the Kremlin said.";
        let orgs: Vec<&str> = org_runs(s).iter().map(|&(a, b)| &s[a..b]).collect();
        assert_eq!(orgs, ["The Institute for the Study of War and the Kremlin"]);
        // One pass finds both: a capital inside one search's match (or inside what its failed
        // match read) is still tried by the other, and only by it.
        for s in [
            "The Institute for the Study of War and the Kremlin said.",
            "Institute of Sergei Lavrov Said O'Brien, A. B. Jones of the U.S. Capitol Police Élysée Жуков.",
            "A. B. C. D. Lavrov von der Leyen of NATO and the EU",
        ] {
            assert_eq!(name_and_org_runs(s), (by_regex(NAME_RUN, s), by_regex(ORG_RUN, s)), "{s}");
        }
    }

    #[test]
    fn a_long_run_of_initials_is_read_in_linear_time() {
        // Every initial starts a failed match that reads all the initials after it: skipping
        // what a failed match read keeps this to a few million steps instead of billions.
        // (No timing assertion: the quadratic version did not finish within minutes.)
        let t = "A. B. C. ".repeat(60_000) + "x";
        assert!(name_runs(&t).is_empty());
        let t = "Ab of the ".repeat(60_000) + "x";
        assert_eq!(org_runs(&t).len(), 1);
    }

    /// Pieces of news sentences, and characters on the edges of the classes.
    fn sentences() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec![
                "Sergei", "Lavrov", "Mr.", "Dr.", "U.S.", "A.", "B.", "C.", "D.", "AB", "bin", "von", "der", "de",
                "del", "al", "el", "ibn", "of", "the", "and", "for", "in", "on", "inside", "Institute", "McDonald",
                "O'Brien", "Al-Assad", "Lavrov's", "Lavrov’s", "’", "'", "-", "Élysée", "Жуков", "ж", "é", "e\u{301}",
                "\u{301}", "ǅ", "Ⅻ", "Ⓐ", "Σ", "İ", "Ω", "٣", "x", "said", "1", " ", " ", " ", "  ", "\u{a0}",
                "\u{2009}", "\u{85}", "\n", "\x0b", "\x1c", ",", ".", "“", "”", "—",
            ]),
            0..14,
        )
        .prop_map(|pieces| pieces.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn name_runs_are_the_name_pattern(text in sentences()) {
            proptest::prop_assert_eq!(name_runs(&text), by_regex(NAME_RUN, &text), "{:?}", text);
        }

        #[test]
        fn org_runs_are_the_organisation_pattern(text in sentences()) {
            proptest::prop_assert_eq!(org_runs(&text), by_regex(ORG_RUN, &text), "{:?}", text);
        }

        #[test]
        fn one_pass_finds_both_patterns_runs(text in sentences()) {
            let want = (by_regex(NAME_RUN, &text), by_regex(ORG_RUN, &text));
            proptest::prop_assert_eq!(name_and_org_runs(&text), want, "{:?}", text);
        }
    }
}
