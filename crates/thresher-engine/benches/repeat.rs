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
//! `--evict 4` writes over 4 MB of memory before each document (untimed), so that every
//! document starts with cold caches, as in the service. `--threads 2` runs that many threads
//! on the one ruleset, each processing the count, as the server's document threads do; the
//! time printed is the mean over the threads.

mod common;

use std::time::Instant;

use thresher_engine::{Limits, ProcessOptions, Ruleset};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    // The count is the number that is not the value of an option.
    let n: usize = args
        .iter()
        .enumerate()
        .filter(|&(i, _)| i == 0 || !args[i - 1].starts_with("--"))
        .find_map(|(_, a)| a.parse().ok())
        .unwrap_or(2000);
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
    // `--evict MB`: write over that much memory before each document, so that it starts with
    // the caches cold, as documents do in the service (between two of them a server thread
    // decodes, encodes and switches tasks). Only the documents are timed.
    let evict_mb: usize =
        args.iter().position(|a| a == "--evict").and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(0);
    let threads: usize =
        args.iter().position(|a| a == "--threads").and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(1).max(1);
    let run = || {
        let mut junk = vec![0u8; evict_mb << 20];
        let mut spent = std::time::Duration::ZERO;
        let mut claims = 0;
        for i in 0..n {
            for k in (0..junk.len()).step_by(64) {
                junk[k] = junk[k].wrapping_add(1);
            }
            let started = Instant::now();
            claims += rules.process(&docs[i % docs.len()], &opts).map_or(0, |o| o.claims.len());
            spent += started.elapsed();
        }
        std::hint::black_box(&junk);
        (spent, claims)
    };
    let runs: Vec<(std::time::Duration, usize)> = std::thread::scope(|s| {
        (0..threads)
            .map(|_| s.spawn(run))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let spent = runs.iter().map(|r| r.0).sum::<std::time::Duration>() / u32::try_from(threads).unwrap_or(1);
    let claims: usize = runs.iter().map(|r| r.1).sum();
    let per_doc = spent.as_secs_f64() * 1e6 / n.max(1) as f64;
    println!(
        "{n} documents ({} distinct, {claims} claims): {per_doc:.1} µs per document; resident memory {:.0} MB at start, {:.0} MB with the rules loaded, {:.0} MB after",
        docs.len(),
        mb(start),
        mb(loaded),
        mb(common::rss_bytes())
    );
}
