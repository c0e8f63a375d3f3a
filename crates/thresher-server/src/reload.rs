//! The active ruleset and how it is replaced: read the rules directory, skip when its content
//! hash has not changed, compile and test the candidate, and swap it in whole only when it
//! passes.
//!
//! Every reload, whoever starts it (startup, the watcher, the poll, `ReloadRules`), goes
//! through [`Reloader::reload`], one at a time, so they all give the same answer. A request
//! loads the active ruleset once and keeps that `Arc` to the end, so a swap never changes the
//! rules under a running document and the old ruleset is freed when its last request ends.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwapOption;
use thresher_engine::diag::codes;
use thresher_engine::{Diagnostic, Limits, RuleSources, Ruleset};
use tonic_health::server::HealthReporter;

/// The ruleset serving requests, with what it was built from.
#[derive(Debug)]
pub struct Active {
    /// The compiled rules.
    pub ruleset: Ruleset,
    /// The files it was compiled from (the base `ValidateRules` lays candidate files over).
    pub sources: RuleSources,
    /// When it became active.
    pub loaded_at: SystemTime,
}

/// What started a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The first load, and its retries until one succeeds.
    Startup,
    /// A file system event.
    Watch,
    /// The periodic rescan.
    Poll,
    /// A `ReloadRules` call.
    Rpc,
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Startup => "startup",
            Self::Watch => "watch",
            Self::Poll => "poll",
            Self::Rpc => "rpc",
        })
    }
}

/// How a reload ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The candidate went live.
    Loaded,
    /// Nothing to do: the files are the active ruleset, or a candidate already refused.
    Unchanged,
    /// The candidate was refused; the active ruleset keeps serving.
    Refused,
}

/// What a reload changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The version serving before, if any.
    pub previous_version: Option<String>,
    /// Outlet ids that are new.
    pub outlets_added: Vec<String>,
    /// Outlet ids that are gone.
    pub outlets_removed: Vec<String>,
    /// Rules before.
    pub rules_before: usize,
    /// Rules after.
    pub rules_after: usize,
}

/// One reload attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// When it started.
    pub at: SystemTime,
    /// What started it.
    pub trigger: Trigger,
    /// How it ended.
    pub outcome: Outcome,
    /// The candidate's content hash; empty when the files could not be read.
    pub version: String,
    /// Why it was refused.
    pub errors: Vec<Diagnostic>,
    /// What it changed, when it loaded.
    pub change: Option<Change>,
    /// Time spent reading, compiling and testing.
    pub took: Duration,
}

/// Reload counts, for the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Candidates that went live.
    pub loaded: u64,
    /// Candidates refused.
    pub refused: u64,
    /// The last recorded attempt was refused.
    pub failing: bool,
}

#[derive(Default)]
struct Record {
    /// The last attempt that loaded or refused something (or found the files back at the
    /// active version after a refusal): what `GetRuleset` shows.
    last: Option<Attempt>,
    /// What the last refused candidate was, so that the watcher and the poll do not compile and
    /// log the same broken files again and again.
    refused_key: Option<String>,
}

/// Owns the active ruleset and every change to it.
pub struct Reloader {
    dir: PathBuf,
    limits: Limits,
    active: ArcSwapOption<Active>,
    record: Mutex<Record>,
    loaded: AtomicU64,
    refused: AtomicU64,
    /// One reload at a time; async so that waiting callers do not hold a runtime thread.
    reloading: tokio::sync::Mutex<()>,
    health: Option<HealthReporter>,
}

impl fmt::Debug for Reloader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reloader").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Reloader {
    /// A reloader for `dir` with nothing loaded yet. With `health`, the Thresher service and
    /// the server ("") are reported SERVING once the first ruleset has loaded.
    pub fn new(dir: PathBuf, limits: Limits, health: Option<HealthReporter>) -> Self {
        Self {
            dir,
            limits,
            active: ArcSwapOption::empty(),
            record: Mutex::default(),
            loaded: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            reloading: tokio::sync::Mutex::new(()),
            health,
        }
    }

    /// The rules directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The limits rules run under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The ruleset serving now, if one has loaded. Hold the `Arc` for the whole request.
    pub fn active(&self) -> Option<Arc<Active>> {
        self.active.load_full()
    }

    /// The last attempt that loaded or refused something.
    pub fn last_attempt(&self) -> Option<Attempt> {
        self.record().last.clone()
    }

    /// Reload counts.
    pub fn stats(&self) -> Stats {
        Stats {
            loaded: self.loaded.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            failing: self.record().last.as_ref().is_some_and(|a| a.outcome == Outcome::Refused),
        }
    }

    fn record(&self) -> MutexGuard<'_, Record> {
        // A poisoned lock only means a panic elsewhere mid-update of plain data; keep going.
        self.record.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the rules directory and, when it changed, compiles and tests it and swaps it in.
    pub async fn reload(&self, trigger: Trigger) -> Attempt {
        let _one_at_a_time = self.reloading.lock().await;
        let at = SystemTime::now();
        let started = Instant::now();
        let current = self.active();
        // An explicit request compiles a refused candidate again; the watcher and poll do not.
        let refused_key = if trigger == Trigger::Rpc { None } else { self.record().refused_key.clone() };
        let (dir, limits) = (self.dir.clone(), self.limits.clone());
        let current_version = current.as_ref().map(|a| a.ruleset.version().to_owned());
        let scanned = tokio::task::spawn_blocking(move || {
            candidate(&dir, limits, current_version.as_deref(), refused_key.as_deref())
        })
        .await
        .unwrap_or_else(|e| Scan::Refused {
            key: format!("task: {e}"),
            version: String::new(),
            errors: vec![internal(&e)],
        });
        let mut attempt = Attempt {
            at,
            trigger,
            outcome: Outcome::Unchanged,
            version: String::new(),
            errors: Vec::new(),
            change: None,
            took: Duration::ZERO,
        };
        match scanned {
            Scan::Unchanged { version } => {
                attempt.version = version;
                attempt.took = started.elapsed();
                let mut rec = self.record();
                // Files put back to the active version after a refusal: clear the error.
                let back_to_active = current.as_ref().is_some_and(|a| a.ruleset.version() == attempt.version);
                if back_to_active && rec.last.as_ref().is_some_and(|l| l.outcome == Outcome::Refused) {
                    tracing::info!(version = attempt.version, %trigger, "rule files are back at the active version");
                    rec.last = Some(attempt.clone());
                    rec.refused_key = None;
                }
            }
            Scan::Refused { key, version, errors } => {
                attempt.outcome = Outcome::Refused;
                attempt.version = version;
                attempt.errors = errors;
                attempt.took = started.elapsed();
                self.refused.fetch_add(1, Ordering::Relaxed);
                log_refusal(&attempt, current.as_deref(), &self.dir);
                let mut rec = self.record();
                rec.last = Some(attempt.clone());
                rec.refused_key = Some(key);
            }
            Scan::Passed { ruleset, sources } => {
                let change = change(current.as_deref().map(|a| &a.ruleset), &ruleset);
                attempt.outcome = Outcome::Loaded;
                attempt.version = ruleset.version().to_owned();
                attempt.change = Some(change);
                attempt.took = started.elapsed();
                let first = current.is_none();
                self.active.store(Some(Arc::new(Active { ruleset: *ruleset, sources, loaded_at: SystemTime::now() })));
                self.loaded.fetch_add(1, Ordering::Relaxed);
                log_loaded(&attempt);
                {
                    let mut rec = self.record();
                    rec.last = Some(attempt.clone());
                    rec.refused_key = None;
                }
                if first && let Some(h) = &self.health {
                    h.set_serving::<thresher_proto::v1::thresher_server::ThresherServer<crate::ThresherService>>()
                        .await;
                    h.set_service_status("", tonic_health::ServingStatus::Serving).await;
                }
            }
        }
        attempt
    }
}

/// What a scan of the rules directory found.
enum Scan {
    Unchanged { version: String },
    Refused { key: String, version: String, errors: Vec<Diagnostic> },
    // Boxed: a compiled ruleset is large, and the scan result moves across the blocking pool.
    Passed { ruleset: Box<Ruleset>, sources: RuleSources },
}

/// Reads `dir` and decides: unchanged (the active version, or the candidate refused last
/// time), refused with the reasons, or passed. Blocking.
fn candidate(dir: &Path, limits: Limits, active: Option<&str>, refused_key: Option<&str>) -> Scan {
    let sources = match RuleSources::read_dir(dir) {
        Ok(s) => s,
        Err(e) => {
            let key = format!("read: {e}");
            if refused_key == Some(key.as_str()) {
                return Scan::Unchanged { version: String::new() };
            }
            let d = Diagnostic::error(
                codes::UNREADABLE,
                format!("{e}; check that --rules / THRESHER_RULES names a readable directory"),
            );
            return Scan::Refused { key, version: String::new(), errors: vec![d] };
        }
    };
    let version = sources.version();
    if active == Some(version.as_str()) || refused_key == Some(version.as_str()) {
        return Scan::Unchanged { version };
    }
    match Ruleset::compile_tested(&sources, limits) {
        Ok(ruleset) => Scan::Passed { ruleset: Box::new(ruleset), sources },
        Err(thresher_engine::Error::Rules(errors)) => Scan::Refused { key: version.clone(), version, errors },
        Err(e) => Scan::Refused {
            key: version.clone(),
            version,
            errors: vec![Diagnostic::error(codes::UNREADABLE, e.to_string())],
        },
    }
}

fn internal(e: &dyn fmt::Display) -> Diagnostic {
    tracing::error!(error = %e, "reload task failed");
    Diagnostic::error(codes::UNREADABLE, "the reload failed unexpectedly; the error is in the server log")
}

/// What changes from `before` to `after`.
pub fn change(before: Option<&Ruleset>, after: &Ruleset) -> Change {
    let ids = |rs: Option<&Ruleset>| -> Vec<String> {
        rs.map(|r| r.outlets().iter().map(|o| o.id.clone()).collect()).unwrap_or_default()
    };
    let (old, new) = (ids(before), ids(Some(after)));
    Change {
        previous_version: before.map(|r| r.version().to_owned()),
        outlets_added: new.iter().filter(|id| !old.contains(id)).cloned().collect(),
        outlets_removed: old.iter().filter(|id| !new.contains(id)).cloned().collect(),
        rules_before: before.map_or(0, |r| r.rule_ids().len()),
        rules_after: after.rule_ids().len(),
    }
}

fn log_loaded(a: &Attempt) {
    let Some(c) = &a.change else { return };
    tracing::info!(
        version = a.version,
        previous = c.previous_version.as_deref().unwrap_or("none"),
        trigger = %a.trigger,
        outlets_added = ?c.outlets_added,
        outlets_removed = ?c.outlets_removed,
        rules = format!("{} -> {}", c.rules_before, c.rules_after),
        took_ms = a.took.as_millis(),
        "rules loaded"
    );
}

fn log_refusal(a: &Attempt, active: Option<&Active>, dir: &Path) {
    let serving = active.map_or("nothing (not ready)", |x| x.ruleset.version());
    tracing::error!(
        version = a.version,
        trigger = %a.trigger,
        dir = %dir.display(),
        still_serving = serving,
        errors = a.errors.len(),
        "rules refused; the previous ruleset keeps serving"
    );
    for d in &a.errors {
        tracing::error!(dir = %dir.display(), "{d}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let p = std::env::temp_dir().join(format!("thresher-reload-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).expect("mkdir");
            Self(p)
        }

        fn write(&self, rel: &str, text: &str) {
            std::fs::write(self.0.join(rel), text).expect("write");
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const GOOD: &str = "fn captions(doc) { doc.drop_lines(\"caption\", \"^Photo:\") }\n";
    const OUTLET: &str = "const OUTLET = #{ id: \"the-site\", name: \"The Site\", hosts: [\"site.com\"] };\n\
                          fn appeal(doc) { doc.drop_lines(\"donation_appeal\", \"^Support us\") }\n";

    #[tokio::test]
    async fn loads_skips_unchanged_refuses_broken_and_recovers() {
        let dir = TempDir::new("cycle");
        dir.write("captions.rhai", GOOD);
        let r = Reloader::new(dir.0.clone(), Limits::default(), None);
        assert!(r.active().is_none());

        let a = r.reload(Trigger::Startup).await;
        assert_eq!(a.outcome, Outcome::Loaded);
        let v1 = a.version.clone();
        assert_eq!(r.active().map(|x| x.ruleset.version().to_owned()), Some(v1.clone()));
        assert_eq!(r.reload(Trigger::Watch).await.outcome, Outcome::Unchanged);

        dir.write("site.rhai", OUTLET);
        let a = r.reload(Trigger::Watch).await;
        assert_eq!(a.outcome, Outcome::Loaded);
        let c = a.change.expect("a change");
        assert_eq!((c.outlets_added, c.rules_before, c.rules_after), (vec!["the-site".to_owned()], 1, 2));
        let v2 = a.version;

        dir.write("captions.rhai", "fn captions(doc) {\n  doc.drop_lines(\"caption\", \"^Photo:\"\n}\n");
        let a = r.reload(Trigger::Watch).await;
        assert_eq!(a.outcome, Outcome::Refused);
        assert_eq!(a.errors[0].to_string().split(": ").next(), Some("captions.rhai:3:1"), "{:?}", a.errors);
        assert_eq!(r.active().map(|x| x.ruleset.version().to_owned()), Some(v2.clone()));
        // The poll finds the same broken files: nothing is compiled or logged again, and the
        // refusal stays visible.
        assert_eq!(r.reload(Trigger::Poll).await.outcome, Outcome::Unchanged);
        assert!(r.stats().failing && r.stats().refused == 1);
        // An explicit reload does try again.
        assert_eq!(r.reload(Trigger::Rpc).await.outcome, Outcome::Refused);

        // Putting the file back clears the failure without a new load.
        dir.write("captions.rhai", GOOD);
        assert_eq!(r.reload(Trigger::Poll).await.outcome, Outcome::Unchanged);
        let s = r.stats();
        assert_eq!((s.loaded, s.refused, s.failing), (2, 2, false));
        assert_ne!(v1, v2);
    }

    #[tokio::test]
    async fn a_missing_directory_is_refused_once_and_loads_when_it_appears() {
        let dir = TempDir::new("missing");
        let rules = dir.0.join("rules");
        let r = Reloader::new(rules.clone(), Limits::default(), None);
        let a = r.reload(Trigger::Startup).await;
        assert_eq!(a.outcome, Outcome::Refused);
        assert!(a.errors[0].code == codes::UNREADABLE, "{:?}", a.errors);
        assert_eq!(r.reload(Trigger::Poll).await.outcome, Outcome::Unchanged);
        std::fs::create_dir_all(&rules).expect("mkdir");
        std::fs::write(rules.join("c.rhai"), GOOD).expect("write");
        assert_eq!(r.reload(Trigger::Poll).await.outcome, Outcome::Loaded);
    }
}
