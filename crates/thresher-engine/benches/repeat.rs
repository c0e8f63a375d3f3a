//! A fixed amount of work for profilers: processes the seed articles (and with `--dev` the
//! dev articles too) round-robin, then prints the time per document and the resident memory
//! before and after. Run under callgrind or perf for counts that a noisy machine cannot blur:
//!
//! ```sh
//! cargo bench -p thresher-engine --bench repeat --no-run   # prints the binary's path
//! valgrind --tool=callgrind target/release/deps/repeat-<hash> 400
//! ```
//!
//! The number is how many documents to process (default 2,000). `cargo bench` runs it once.

mod common;

use std::time::Instant;

use thresher_engine::{Limits, ProcessOptions, Ruleset};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(2000);
    let mb = |b: u64| b as f64 / f64::from(1 << 20);
    let start = common::rss_bytes();
    let Ok(rules) = Ruleset::load_dir(&common::rules_dir(), Limits::default()) else {
        eprintln!("the shipped rules do not load; run `thresher check rules`");
        return;
    };
    let loaded = common::rss_bytes();
    let mut docs = common::seeds();
    if args.iter().any(|a| a == "--dev") {
        docs.extend(common::articles("dev/docs"));
    }
    if docs.is_empty() {
        eprintln!("no documents found: set THRESHER_SHARED");
        return;
    }
    let opts = ProcessOptions::default();
    let started = Instant::now();
    let claims: usize =
        (0..n).filter_map(|i| rules.process(&docs[i % docs.len()], &opts).ok()).map(|o| o.claims.len()).sum();
    let per_doc = started.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64;
    println!(
        "{n} documents ({} distinct, {claims} claims): {per_doc:.0} µs per document; resident memory {:.0} MB at start, {:.0} MB with the rules loaded, {:.0} MB after",
        docs.len(),
        mb(start),
        mb(loaded),
        mb(common::rss_bytes())
    );
}
