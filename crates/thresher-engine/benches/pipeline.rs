//! Per-document cost of the pipeline on the seed articles, with the shipped rules: the whole
//! pipeline, the boilerplate stage alone (claims off), and claim finding alone on the kept
//! text with what the rules' speaker files tell it. Run with `cargo bench -p thresher-engine`; BENCHMARKS.md has the figures.
//!
//! `THRESHER_BENCH_RULES=DIR` measures other rules. The seeds are read from `$THRESHER_SHARED/corpus/seeds` (default `../shared` beside the
//! repository).

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use thresher_engine::claims;
use thresher_engine::{Document, Limits, ProcessOptions, Ruleset, Span};

fn bench(c: &mut Criterion) {
    let Ok(rules) = Ruleset::load_dir(&common::rules_dir(), Limits::default()) else {
        eprintln!("the shipped rules do not load; run `thresher check rules`");
        return;
    };
    let docs: Vec<Document> = common::seeds();
    if docs.is_empty() {
        eprintln!("no seed documents found: set THRESHER_SHARED");
        return;
    }
    let whole = ProcessOptions::default();
    let boilerplate = ProcessOptions { find_claims: false, ..ProcessOptions::default() };
    // The kept pieces of each document, as the pipeline hands them to the claim finder.
    let kept: Vec<(String, Vec<(Span, usize)>)> = docs
        .iter()
        .filter_map(|d| {
            let out = rules.process(d, &boilerplate).ok()?;
            Some((d.text.clone(), out.clean_map.iter().enumerate().map(|(i, p)| (p.source, i)).collect()))
        })
        .collect();
    let know = rules.speakers();

    let mut g = c.benchmark_group("seed_document");
    g.bench_function("whole_pipeline", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % docs.len();
            rules.process(&docs[i], &whole).map(|o| o.claims.len()).unwrap_or(0)
        });
    });
    g.bench_function("boilerplate_only", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % docs.len();
            rules.process(&docs[i], &boilerplate).map(|o| o.removals.len()).unwrap_or(0)
        });
    });
    g.bench_function("claim_finding_only", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % kept.len();
            claims::find(&kept[i].0, &kept[i].1, know).found.len()
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
