//! Runaway rules through the real server: each one fails only the document it runs on, the
//! answer names the rule and the limit it hit, other clients keep being served meanwhile, and
//! the server's memory stays bounded.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use thresher_e2e::{Server, TempRules, request, seeds};

/// Rules that run away, each only on a document carrying its trigger word, so that the
/// shipped rule tests still pass and the ruleset loads.
const RUNAWAY: &str = r#"
fn endless_loop(doc) { if doc.contains("TRIGGER-LOOP") { loop { } } }
fn growing_string(doc) { if doc.contains("TRIGGER-STRING") { let s = "grow"; loop { s += s; } } }
fn growing_array(doc) { if doc.contains("TRIGGER-ARRAY") { let a = []; loop { a.push(a.len()); } } }
fn deep_recursion(doc) { if doc.contains("TRIGGER-RECURSION") { deep(0); } }
private fn deep(n) { deep(n + 1) }
fn pathological_pattern(doc) { if doc.contains("TRIGGER-PATTERN") { doc.drop_lines("x", "(a*)*b{1000}{1000}"); } }
fn slow_helper_loop(doc) { if doc.contains("TRIGGER-SLOW") { loop { doc.find("never-there-[0-9]+"); } } }
"#;

#[tokio::test]
async fn each_runaway_rule_fails_only_its_document_while_others_are_served() {
    let rules = TempRules::new("runaway");
    rules.write("generic/zz_runaway.rhai", RUNAWAY);
    let server = Server::start_with_rules(&rules.dir, &[]).await;

    // Another client sends a seed article over and over, on its own connection.
    let seed = std::fs::read_to_string(&seeds()[0]).unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let background = {
        let mut other = server.client().await;
        let (served, stop) = (served.clone(), stop.clone());
        let seed = seed.clone();
        tokio::spawn(async move {
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match other.process(request("other", &seed)).await {
                    Ok(r) if r.get_ref().diagnostics.iter().all(|d| !d.rule.starts_with("zz_runaway")) => {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => failures.push(format!("{:?}", r.into_inner().diagnostics)),
                    Err(e) => failures.push(e.to_string()),
                }
            }
            failures
        })
    };

    // Many paragraphs make each helper call slow, so that the time budget, not the operation
    // count, stops the slow loop.
    let padding: String = (0..3000).map(|i| format!("Paragraph {i} of the article goes on.\n")).collect();
    // Rhai measures an array's size as it grows, which gets slow near the limit: whichever
    // of the size limit and the time budget comes first stops it.
    for (trigger, rule, limits) in [
        ("TRIGGER-LOOP", "endless_loop", &["operations"][..]),
        ("TRIGGER-STRING", "growing_string", &["grew past"]),
        ("TRIGGER-ARRAY", "growing_array", &["grew past", "time budget"]),
        ("TRIGGER-RECURSION", "deep_recursion", &["deeper than"]),
        ("TRIGGER-PATTERN", "pathological_pattern", &["pattern"]),
        ("TRIGGER-SLOW", "slow_helper_loop", &["time budget"]),
    ] {
        let text = format!("Photo: AFP\n{padding}The talks ended, officials said. {trigger}\n");
        let before = served.load(Ordering::Relaxed);
        let resp = server.client().await.process(request(rule, &text)).await.expect("answered").into_inner();
        let id = format!("zz_runaway.{rule}");
        let d = resp.diagnostics.iter().find(|d| d.rule == id).unwrap_or_else(|| {
            panic!("{rule}: no diagnostic naming the rule in {:?}", resp.diagnostics);
        });
        assert!(limits.iter().any(|l| d.message.contains(l)), "{rule}: the limit is named: {}", d.message);
        // The other rules still did their work on this document.
        assert!(!resp.clean_text.contains("Photo: AFP"), "{rule}: the caption rule still ran");
        assert!(resp.clean_text.contains("The talks ended"), "{rule}");
        if rule == "slow_helper_loop" {
            // Two seconds of a runaway rule, and the other client was served meanwhile.
            assert!(served.load(Ordering::Relaxed) > before, "the other client was stalled");
        }
    }

    stop.store(true, Ordering::Relaxed);
    let failures = background.await.unwrap();
    assert!(failures.is_empty(), "the other client's requests failed: {failures:?}");
    assert!(served.load(Ordering::Relaxed) > 0);
    // Limits on strings (16 MiB) and arrays (100,000 items) keep the growth small.
    if let Some(peak) = server.peak_rss_kib() {
        assert!(peak < 512 * 1024, "peak resident memory {peak} KiB");
    }
}
