//! What the benches share: where the repository and the seed articles are.

#![allow(dead_code)]

use std::path::PathBuf;

use thresher_engine::Document;

/// The allocator the `thresher` binary runs with, so that the benches time what the service
/// does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shipped rules, or `THRESHER_BENCH_RULES`.
pub fn rules_dir() -> PathBuf {
    std::env::var_os("THRESHER_BENCH_RULES").map_or_else(|| repo().join("rules"), PathBuf::from)
}

/// The seed articles from `$THRESHER_SHARED/corpus/seeds` (default `../shared` beside the
/// repository), in file-name order.
pub fn seeds() -> Vec<Document> {
    articles("corpus/seeds")
}

/// The articles in `$THRESHER_SHARED/<dir>`, in file-name order.
pub fn articles(dir: &str) -> Vec<Document> {
    let shared = std::env::var_os("THRESHER_SHARED").map_or_else(|| repo().join("../shared"), PathBuf::from);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(shared.join(dir))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            Some(Document::new(p.file_name()?.to_string_lossy(), text))
        })
        .collect()
}

/// The process's resident memory now, in bytes (Linux; 0 elsewhere).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}
