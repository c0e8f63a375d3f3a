//! Bytes tested eight at a time in a `u64` (SIMD within a register).
//!
//! A loop that tests one byte at a time ends with a branch on data (the end of a word, the
//! next capital) that the processor mispredicts at most stops, and the engine runs such loops
//! over every word of a document. Here eight bytes are tested with a few arithmetic steps and
//! the first that stops the loop is a count of zero bits.

/// Eight copies of `b`.
pub(crate) const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// The high bit of every byte.
pub(crate) const HIGH: u64 = splat(0x80);

/// The high bit of each byte of `y` (bytes below 0x80) that lies in `lo..=hi` (`hi` below
/// 0x80). Adding `0x80 - lo` sets a byte's high bit when it is at least `lo`, adding
/// `0x7f - hi` when it is above `hi`; neither sum carries into the next byte.
pub(crate) const fn in_range(y: u64, lo: u8, hi: u8) -> u64 {
    (y + splat(0x80 - lo)) & !(y + splat(0x7f - hi)) & HIGH
}

/// The high bits of the eight bytes of `h` (nothing else set in it) as its low eight bits.
pub(crate) const fn gather(h: u64) -> u64 {
    (h >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// The high bit of each ASCII letter of `x`, either case.
pub(crate) const fn ascii_letters(x: u64) -> u64 {
    in_range((x & !HIGH) | splat(0x20), b'a', b'z') & !x
}

/// The high bit of each ASCII capital of `x`.
pub(crate) const fn ascii_capitals(x: u64) -> u64 {
    in_range(x & !HIGH, b'A', b'Z') & !x
}

/// The high bit of each byte of `x` in `lo..=hi` (`hi` below 0x80).
pub(crate) const fn ascii_in(x: u64, lo: u8, hi: u8) -> u64 {
    in_range(x & !HIGH, lo, hi) & !x
}

/// The high bit of each byte of `x` that starts a character of two or more bytes (11xxxxxx).
pub(crate) const fn leads(x: u64) -> u64 {
    x & (x << 1) & HIGH
}

/// Bit `i` set for byte `i` of `block` that is an ASCII word byte, `[0-9A-Za-z_]` (what an
/// ASCII `\b` stands between).
pub(crate) fn word_mask(block: &[u8; 64]) -> u64 {
    let mut mask = 0;
    for (i, chunk) in block.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        mask |= gather(ascii_letters(x) | ascii_in(x, b'0', b'9') | ascii_in(x, b'_', b'_')) << (8 * i);
    }
    mask
}

/// Where the first byte of `bytes` is whose high bit `stop` sets in the `u64` of its eight
/// (little-endian).
#[inline]
pub(crate) fn position(bytes: &[u8], stop: impl Fn(u64) -> u64) -> Option<usize> {
    let load = |at: usize| bytes.get(at..at + 8).and_then(|w| w.try_into().ok()).map(u64::from_le_bytes);
    let mut at = 0;
    while let Some(x) = load(at) {
        let m = stop(x);
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    if at == bytes.len() {
        return None;
    }
    // The last few bytes: the last eight, without the ones already read; or, in fewer than
    // eight, the bytes with zeros after them, which are ignored.
    let (from, m) = match bytes.len().checked_sub(8) {
        Some(from) => (from, stop(load(from)?) & (u64::MAX << (8 * (at - from)))),
        None => {
            let mut x = 0u64;
            for (i, &b) in bytes.iter().enumerate() {
                x |= u64::from(b) << (8 * i);
            }
            (0, stop(x) & (u64::MAX >> (8 * (8 - bytes.len()))))
        }
    };
    (m != 0).then(|| from + (m.trailing_zeros() / 8) as usize)
}

/// Holds `test` to `byte` for every byte in every one of the eight places among the bytes of
/// `around` (which should pass and fail the test on both sides): the high bits `test` sets are
/// those of the bytes `byte` takes.
#[cfg(test)]
pub(crate) fn assert_same_as_bytes(name: &str, around: [u8; 8], test: impl Fn(u64) -> u64, byte: impl Fn(u8) -> bool) {
    for b in 0..=255u8 {
        for at in 0..8 {
            let mut x = around;
            x[at] = b;
            let want: u64 = x.iter().enumerate().filter(|(_, c)| byte(**c)).map(|(i, _)| 0x80 << (8 * i)).sum();
            assert_eq!(test(u64::from_le_bytes(x)), want, "{name}: {b:#x} at {at}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_test_is_its_byte_test_for_every_byte_in_every_place() {
        let around = *b"aZ9\xc3\x80 .\xff";
        assert_same_as_bytes("letters", around, ascii_letters, |b| b.is_ascii_alphabetic());
        assert_same_as_bytes("capitals", around, ascii_capitals, |b| b.is_ascii_uppercase());
        assert_same_as_bytes("digits", around, |x| ascii_in(x, b'0', b'9'), |b| b.is_ascii_digit());
        assert_same_as_bytes("leads", around, leads, |b| b >= 0xc0);
        assert_same_as_bytes("not ASCII", around, |x| x & HIGH, |b| !b.is_ascii());
    }

    #[test]
    fn the_word_mask_has_the_ascii_word_bytes() {
        // Every byte value, in four blocks.
        for k in 0..4u8 {
            let block: [u8; 64] = std::array::from_fn(|i| k * 64 + i as u8);
            let want = (0..64)
                .filter(|&i| block[i].is_ascii_alphanumeric() || block[i] == b'_')
                .map(|i| 1u64 << i)
                .sum::<u64>();
            assert_eq!(word_mask(&block), want, "block {k}");
        }
    }

    proptest::proptest! {
        #[test]
        fn position_is_the_first_byte_that_stops(bytes in proptest::collection::vec(proptest::sample::select(vec![b'a', b'Z', b' ', 0xc3, 0x80]), 0..40)) {
            let want = bytes.iter().position(|b| b.is_ascii_uppercase() || *b >= 0xc0);
            proptest::prop_assert_eq!(position(&bytes, |x| ascii_capitals(x) | leads(x)), want);
            let want = bytes.iter().position(|b| !b.is_ascii_lowercase());
            proptest::prop_assert_eq!(position(&bytes, |x| HIGH & !ascii_in(x, b'a', b'z')), want);
        }
    }
}
