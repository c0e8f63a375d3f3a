//! Converting the engine's UTF-8 byte offsets into the unit a client counts in.
//!
//! Python slices by code point, JavaScript and Java by UTF-16 code unit, Go and Rust by byte.
//! Conversion is one forward pass over the text for all offsets of a response, so its cost is
//! linear in the text whatever the number of spans.

/// The unit offsets are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OffsetEncoding {
    /// UTF-8 bytes.
    #[default]
    Utf8,
    /// UTF-16 code units.
    Utf16,
    /// Unicode code points.
    CodePoints,
}

/// Converts many byte offsets of one text to `encoding` in one pass.
///
/// `offsets` may come in any order and may repeat; each is replaced by its converted value.
/// An offset that is not on a char boundary is first moved back to the boundary before it, and
/// one past the end of the text is clamped to the end.
pub fn convert(text: &str, encoding: OffsetEncoding, offsets: &mut [usize]) {
    if encoding == OffsetEncoding::Utf8 {
        for o in offsets.iter_mut() {
            *o = floor_boundary(text, *o);
        }
        return;
    }
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_unstable_by_key(|&i| offsets[i]);
    let mut chars = text.char_indices().peekable();
    let mut units = 0usize;
    for i in order {
        let target = floor_boundary(text, offsets[i]);
        while let Some(&(at, c)) = chars.peek() {
            if at >= target {
                break;
            }
            units += match encoding {
                OffsetEncoding::Utf16 => c.len_utf16(),
                _ => 1,
            };
            chars.next();
        }
        offsets[i] = units;
    }
}

/// The largest char boundary at or before `at` (clamped to the text).
pub fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_points_and_utf16_agree_with_slicing() {
        let text = "“Hi” — 😀 said Lavrov’s aide";
        let start = text.find("said").unwrap_or(0);
        let end = start + "said Lavrov’s".len();
        let mut cp = [start, end];
        convert(text, OffsetEncoding::CodePoints, &mut cp);
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(chars[cp[0]..cp[1]].iter().collect::<String>(), "said Lavrov’s");
        let mut u16s = [start, end];
        convert(text, OffsetEncoding::Utf16, &mut u16s);
        let units: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(String::from_utf16_lossy(&units[u16s[0]..u16s[1]]), "said Lavrov’s");
        // The emoji is one code point but two UTF-16 units.
        assert_eq!(u16s[0], cp[0] + 1);
    }

    #[test]
    fn unsorted_and_out_of_range_offsets() {
        let text = "aé😀b";
        let mut offs = [text.len() + 10, 0, 3, 2];
        convert(text, OffsetEncoding::CodePoints, &mut offs);
        assert_eq!(offs, [4, 0, 2, 1]);
        // 2 is inside "é" (bytes 1..3): it floors to 1.
        let mut inside = [2];
        convert(text, OffsetEncoding::Utf8, &mut inside);
        assert_eq!(inside, [1]);
    }
}
