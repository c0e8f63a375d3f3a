//! Cost per KB as a document grows from 1 KB to 1 MB: the whole pipeline on documents made of
//! the seed articles one after another. Each copy of an article gets its own closing sentence
//! on every prose paragraph, so that the copies are not removed as repeated lines and the
//! claim finder reads all of them; short lines (menus, buttons) repeat, as they do on pages.
//!
//! Criterion reports throughput in bytes; the performance target is that the time per KB at
//! 1 MB stays within 1.5 times the time per KB at 4 KB. Run with
//! `cargo bench -p thresher-engine --bench scaling`.

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use thresher_engine::{Document, Limits, ProcessOptions, Ruleset};

/// A document of about `bytes` bytes from the seeds, cut at a paragraph boundary.
fn grown(seeds: &[Document], bytes: usize) -> Document {
    let mut text = String::with_capacity(bytes + 8192);
    let mut copy = 0usize;
    'fill: loop {
        for seed in seeds {
            for para in seed.text.split("\n\n") {
                if text.len() + para.len() > bytes && !text.is_empty() {
                    break 'fill;
                }
                text.push_str(para);
                if para.len() > 80 && para.trim_end().ends_with(['.', '"', '”']) {
                    text.push_str(&format!(" Copy {copy} adds this sentence."));
                }
                text.push_str("\n\n");
            }
            copy += 1;
        }
    }
    Document::new(format!("grown-{bytes}"), text)
}

fn bench(c: &mut Criterion) {
    let Ok(rules) = Ruleset::load_dir(&common::rules_dir(), Limits::default()) else {
        eprintln!("the rules do not load; run `thresher check rules`");
        return;
    };
    let seeds = common::seeds();
    if seeds.is_empty() {
        eprintln!("no seed documents found: set THRESHER_SHARED");
        return;
    }
    let opts = ProcessOptions::default();
    let mut g = c.benchmark_group("document_size");
    for kb in [1usize, 4, 16, 64, 256, 1024] {
        let doc = grown(&seeds, kb * 1024);
        g.throughput(Throughput::Bytes(doc.text.len() as u64));
        if kb >= 256 {
            g.sample_size(10);
        }
        g.bench_with_input(BenchmarkId::new("whole_pipeline", format!("{kb}KB")), &doc, |b, doc| {
            b.iter(|| rules.process(doc, &opts).map(|o| o.claims.len()).unwrap_or(0));
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
