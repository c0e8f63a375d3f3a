//! Offset conversion agrees with counting code points and UTF-16 units directly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thresher_engine::offsets::{OffsetEncoding, convert, floor_boundary};

fuzz_target!(|input: (&str, Vec<u16>)| {
    let (text, picks) = input;
    let bytes: Vec<usize> = picks.iter().map(|&p| floor_boundary(text, usize::from(p))).collect();
    let mut cps = bytes.clone();
    let mut units = bytes.clone();
    convert(text, OffsetEncoding::CodePoints, &mut cps);
    convert(text, OffsetEncoding::Utf16, &mut units);
    for (k, &b) in bytes.iter().enumerate() {
        assert_eq!(cps[k], text[..b].chars().count());
        assert_eq!(units[k], text[..b].encode_utf16().count());
    }
});
