//! The load generator against the real server, for a few seconds per mode: it runs, reports
//! every figure, and the server answers every document. (No timing assertions: CI machines are
//! shared; the figures go to BENCHMARKS.md from release builds.)
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use thresher_e2e::{Server, built_bin, shared};

fn load(server: &Server, extra: &[&str]) -> serde_json::Value {
    let corpus = shared().join("corpus/seeds");
    let pid = server.pid().to_string();
    let addr = server.addr.to_string();
    let out = Command::new(built_bin("thresher-load", "thresher-load"))
        .args(["--addr", &addr, "--corpus"])
        .arg(&corpus)
        .args(["--duration", "2s", "--warmup", "200ms", "--server-pid", &pid, "--json"])
        .args(extra)
        .output()
        .expect("thresher-load runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn check(report: &serde_json::Value) {
    assert!(report["documents"].as_u64().unwrap() > 0, "{report}");
    assert!(report["documents_per_second"].as_f64().unwrap() > 0.0, "{report}");
    assert_eq!(report["errors"], serde_json::json!({}), "every document answered: {report}");
    let l = &report["latency"];
    let (p50, p99, max) = (l["p50_ms"].as_f64().unwrap(), l["p99_ms"].as_f64().unwrap(), l["max_ms"].as_f64().unwrap());
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{report}");
    assert!(report["server"]["peak_rss_mb"].as_f64().unwrap() > 1.0, "{report}");
    assert!(report["server"]["cpu_cores_used"].as_f64().is_some(), "{report}");
    assert!(report["generator"]["cpu_cores_used"].as_f64().is_some_and(|c| c >= 0.0), "{report}");
}

#[tokio::test]
async fn failed_documents_are_counted_by_their_status_in_both_modes() {
    // Four of the five seed documents are longer than 3,000 bytes.
    let server = Server::start(&["--max-document-bytes", "3000"]).await;
    for mode in ["unary", "stream"] {
        let report = load(&server, &["--mode", mode, "--concurrency", "2"]);
        let failed = report["errors"]["INVALID_ARGUMENT"].as_u64().unwrap_or(0);
        let documents = report["documents"].as_u64().unwrap();
        assert!(failed > documents / 2 && failed < documents, "{mode}: {report}");
    }
}

#[tokio::test]
async fn the_engines_share_of_the_servers_cpu_is_reported_from_its_metrics() {
    let metrics = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let server = Server::start(&["--metrics-addr", &metrics]).await;
    let report = load(&server, &["--mode", "unary", "--concurrency", "8", "--metrics", &metrics]);
    check(&report);
    let e = &report["engine"];
    // The server counted the documents the generator measured (give or take those in flight
    // at either end of the span).
    let (docs, measured) = (e["documents"].as_f64().unwrap(), report["documents"].as_f64().unwrap());
    assert!((docs - measured).abs() <= 8.0 + measured * 0.05, "{report}");
    // The engine's CPU is part of the server's: positive, and not more than the whole.
    let (engine, server_cpu) =
        (e["cpu_us_per_document"].as_f64().unwrap(), e["server_cpu_us_per_document"].as_f64().unwrap());
    assert!(engine > 0.0 && engine <= server_cpu * 1.1, "{report}");

    // A wrong address (here the gRPC port) is an error before any load is sent.
    let out = Command::new(built_bin("thresher-load", "thresher-load"))
        .args(["--addr", &server.addr.to_string(), "--corpus"])
        .arg(shared().join("corpus/seeds"))
        .args(["--duration", "30s", "--metrics", &server.addr.to_string()])
        .output()
        .expect("thresher-load runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--metrics-addr"), "{out:?}");
}

#[tokio::test]
async fn unary_stream_and_a_huge_document_mixed_in() {
    let server = Server::start(&[]).await;
    check(&load(&server, &["--mode", "unary", "--concurrency", "8"]));
    check(&load(&server, &["--mode", "stream", "--concurrency", "2"]));
    // The generator on a thread pool instead of its one thread.
    check(&load(&server, &["--mode", "unary", "--concurrency", "8", "--threads", "2"]));
    // One document in flight per stream: each send waits for the answer before it.
    let lockstep = load(&server, &["--mode", "stream", "--concurrency", "2", "--window", "1"]);
    check(&lockstep);
    assert_eq!(lockstep["window"], 1, "{lockstep}");
    let mixed = load(&server, &["--mode", "unary", "--concurrency", "4", "--huge-kb", "512"]);
    check(&mixed);
    assert_eq!(mixed["huge_document"]["errors"], serde_json::json!({}), "{mixed}");
}

#[test]
fn a_missing_corpus_is_a_clear_error() {
    let out = Command::new(built_bin("thresher-load", "thresher-load"))
        .args(["--corpus", "/nonexistent/corpus", "--duration", "1s"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read corpus directory"));
    let zero = Command::new(built_bin("thresher-load", "thresher-load"))
        .args(["--corpus", "/nonexistent/corpus", "--threads", "0"])
        .output()
        .expect("runs");
    assert!(!zero.status.success());
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--threads must be at least 1"), "{zero:?}");
}

/// The scheduling policy of each of `pid`'s threads (0 normal, 3 SCHED_BATCH).
#[cfg(target_os = "linux")]
fn policies(pid: u32) -> Vec<i32> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let sched = std::fs::read_to_string(task.unwrap().path().join("sched")).unwrap_or_default();
        let policy: Option<i32> =
            sched.lines().find_map(|l| l.strip_prefix("policy")?.trim_start().strip_prefix(':')?.trim().parse().ok());
        out.extend(policy);
    }
    out
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn network_threads_run_batch_scheduled_and_document_threads_do_not() {
    let server = Server::start(&[]).await;
    let mut client = server.client().await;
    for _ in 0..4 {
        client.process(thresher_e2e::request("m", "The minister said the talks ended.")).await.unwrap();
    }
    let on = policies(server.pid());
    assert!(on.contains(&3), "a network thread runs SCHED_BATCH: {on:?}");
    // The main thread, and the document thread put back before its first document.
    assert!(on.iter().filter(|&&p| p == 0).count() >= 2, "{on:?}");

    let off = Server::start(&["--io-batch", "false"]).await;
    let mut client = off.client().await;
    client.process(thresher_e2e::request("m", "The minister said the talks ended.")).await.unwrap();
    let off = policies(off.pid());
    assert!(!off.is_empty() && off.iter().all(|&p| p == 0), "{off:?}");
}
