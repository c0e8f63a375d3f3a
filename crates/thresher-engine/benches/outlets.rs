//! Rules for 1, 100 and 1,000 outlets, generated for the benchmark: the shipped generic and
//! claim rules plus N outlet files shaped like the shipped ones (hosts, markers, a donation
//! appeal followed to its end, caption credits, a banner). Measures the ruleset's load and
//! compile time, the resident memory it adds, and the per-document time on the seeds, both
//! attributed by URL to one of the generated outlets and unattributed (found by markers).
//! The target: at 1,000 outlets, per-document time within 10% of one outlet, load under 2 s,
//! resident memory under 200 MB. Run with `cargo bench -p thresher-engine --bench outlets`.

mod common;

use std::path::Path;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use thresher_engine::{Limits, ProcessOptions, Ruleset};

/// One generated outlet's rule file.
fn outlet_file(i: usize) -> String {
    format!(
        r#"// Generated outlet {i} for the outlet-count benchmark.
const OUTLET = #{{
    id: "outlet-{i}",
    name: "Outlet {i}",
    hosts: ["outlet{i}.example", "news{i}.example"],
    markers: ["A message from Outlet {i}", "Subscribe to Outlet {i}"],
}};

fn appeal(doc) {{
    doc.drop_from("donation_appeal", `^(A message from Outlet {i}|Dear Outlet {i} readers,?$)`, #{{
        end_at: `(?i)^(remind me later|maybe later)\.?$`,
        continue_if: `(?i)support|donat|journalis|readers|Outlet {i}`,
        short: 40,
    }});
}}

fn banner(doc) {{
    doc.drop_lines("newsletter", `(?i)^subscribe to outlet {i}!?$`);
}}

fn credits(doc) {{
    doc.drop_lines("caption", `\S (Outlet {i} Photo|outlet{i}\.example|Outlet {i} Archive)$`, #{{ max_chars: 200 }});
}}
"#
    )
}

/// A rules directory with the shipped generic and claim rules and `n` generated outlets.
fn generated(dir: &Path, n: usize) -> std::io::Result<()> {
    let shipped = common::rules_dir();
    for sub in ["generic", "claims"] {
        let to = dir.join(sub);
        std::fs::create_dir_all(&to)?;
        for entry in std::fs::read_dir(shipped.join(sub))? {
            let entry = entry?;
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    let outlets = dir.join("outlets");
    std::fs::create_dir_all(&outlets)?;
    for i in 0..n {
        std::fs::write(outlets.join(format!("outlet_{i:04}.rhai")), outlet_file(i))?;
    }
    Ok(())
}

fn bench(c: &mut Criterion) {
    let seeds = common::seeds();
    if seeds.is_empty() {
        eprintln!("no seed documents found: set THRESHER_SHARED");
        return;
    }
    let opts = ProcessOptions::default();
    let base = std::env::temp_dir().join(format!("thresher-bench-outlets-{}", std::process::id()));
    let mut loaded = Vec::new();
    for n in [1usize, 100, 1000] {
        let dir = base.join(n.to_string());
        if let Err(e) = generated(&dir, n) {
            eprintln!("cannot write the generated rules to {}: {e}", dir.display());
            return;
        }
        let before = common::rss_bytes();
        let started = Instant::now();
        let rules = match Ruleset::load_dir(&dir, Limits::default()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("generated rules for {n} outlets do not load: {e}");
                return;
            }
        };
        let took = started.elapsed();
        // Run every document once so that lazily built caches count in the memory figure.
        for d in &seeds {
            let _ = rules.process(d, &opts);
        }
        let grew = common::rss_bytes().saturating_sub(before);
        eprintln!(
            "{n} outlets: {} outlets loaded in {took:.2?}, resident memory +{:.1} MB",
            rules.outlets().len(),
            grew as f64 / 1e6
        );
        loaded.push((n, dir, rules));
    }

    let mut load = c.benchmark_group("outlets_load");
    load.sample_size(10);
    for (n, dir, _) in &loaded {
        load.bench_with_input(BenchmarkId::new("load_and_compile", n), dir, |b, dir| {
            b.iter(|| Ruleset::load_dir(dir, Limits::default()).map(|r| r.outlets().len()).unwrap_or(0));
        });
    }
    load.finish();

    let mut per_doc = c.benchmark_group("outlets_document");
    for (n, _, rules) in &loaded {
        // The seeds as sent (unattributed: markers are searched) and as if from a generated
        // outlet's site (attributed by URL, so that outlet's rules run too).
        let attributed: Vec<_> = seeds
            .iter()
            .map(|d| {
                let mut d = d.clone();
                d.url = format!("https://outlet{}.example/story", n / 2);
                d
            })
            .collect();
        for (what, docs) in [("unattributed", &seeds), ("attributed", &attributed)] {
            per_doc.bench_with_input(BenchmarkId::new(what, n), docs, |b, docs| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % docs.len();
                    rules.process(&docs[i], &opts).map(|o| o.claims.len()).unwrap_or(0)
                });
            });
        }
    }
    per_doc.finish();
    let _ = std::fs::remove_dir_all(&base);
}

criterion_group!(benches, bench);
criterion_main!(benches);
