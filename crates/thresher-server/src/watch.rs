//! Watching the rules directory: file system events, debounced, plus a periodic poll.
//!
//! The watcher looks at the directory, not at single files, because editors and Kubernetes
//! replace files rather than write them: an atomic save renames a temporary file over the
//! old one, some editors delete and recreate, and a ConfigMap volume swaps a `..data` symlink
//! to a new directory. Events only say "look again": after a burst has been quiet for the
//! debounce time, the reloader rescans and compares the content hash, so events that change
//! nothing (a `touch`, a swap file, our own reads) cost a rescan and no reload. The poll
//! catches what events miss (network file systems, a rules directory created later, a watch
//! lost when the directory itself was replaced).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::reload::{Outcome, Reloader, Trigger};

/// How the watcher runs.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// Watch for file system events at all (the poll stays as configured).
    pub events: bool,
    /// Quiet time after the last event of a burst before rescanning.
    pub debounce: Duration,
    /// Rescan period; zero turns the poll off.
    pub poll: Duration,
}

/// Collapses a burst of events into one rescan: due once `quiet` has passed since the last
/// event, or `max_delay` since the first, whichever comes first, so a directory that never
/// stops changing is still rescanned.
#[derive(Debug, Clone)]
pub struct Debounce {
    quiet: Duration,
    max_delay: Duration,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Debounce {
    /// A debouncer with the given quiet time; bursts are cut at ten times that.
    pub fn new(quiet: Duration) -> Self {
        Self { quiet, max_delay: quiet.saturating_mul(10), first: None, last: None }
    }

    /// Notes an event at `now`.
    pub fn event(&mut self, now: Instant) {
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    /// When the pending burst is due; `None` when nothing is pending.
    pub fn deadline(&self) -> Option<Instant> {
        let (first, last) = (self.first?, self.last?);
        Some((last + self.quiet).min(first + self.max_delay))
    }

    /// True (and the burst is forgotten) when a burst is pending and due at `now`.
    pub fn take_due(&mut self, now: Instant) -> bool {
        if self.deadline().is_some_and(|d| now >= d) {
            self.first = None;
            self.last = None;
            true
        } else {
            false
        }
    }
}

/// Events that may mean the rule files changed. Reads are not (our own rescans cause them).
fn relevant(kind: &EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

type Events = mpsc::UnboundedReceiver<notify::Result<notify::Event>>;

fn start_watcher(dir: &Path) -> Result<(notify::RecommendedWatcher, Events), notify::Error> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut w = notify::recommended_watcher(move |ev| {
        // The receiver is gone only when the watch loop ended; nothing to do then.
        let _ = tx.send(ev);
    })?;
    w.watch(dir, RecursiveMode::Recursive)?;
    Ok((w, rx))
}

/// Loads the rules for the first time, then reloads on changes, until the task is dropped.
///
/// Until a first ruleset loads, every poll and event retries it, so a server started on a
/// broken or missing rules directory becomes ready as soon as the rules are fixed.
pub async fn run(reloader: Arc<Reloader>, cfg: WatchConfig) {
    let dir = reloader.dir().to_owned();
    // Watch before the first load, so that an edit made while it compiles is not missed.
    let mut watcher = None;
    if cfg.events {
        watcher = watch(&dir);
    }
    let first = reloader.reload(Trigger::Startup).await;
    let mut ready = first.outcome == Outcome::Loaded;

    let mut debounce = Debounce::new(cfg.debounce);
    let poll_period = if cfg.poll.is_zero() { Duration::from_secs(3600 * 24 * 365) } else { cfg.poll };
    let mut poll = tokio::time::interval_at(tokio::time::Instant::now() + poll_period, poll_period);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let deadline = debounce.deadline().map(tokio::time::Instant::from_std);
        tokio::select! {
            ev = next_event(&mut watcher) => match ev {
                Some(Ok(ev)) => {
                    if relevant(&ev.kind) {
                        tracing::trace!(kind = ?ev.kind, paths = ?ev.paths, "rules directory event");
                        debounce.event(Instant::now());
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e, dir = %dir.display(), "file watcher error; rescanning");
                    debounce.event(Instant::now());
                }
                None => {
                    tracing::warn!(dir = %dir.display(), "file watcher stopped; relying on the poll until it is back");
                    watcher = None;
                }
            },
            () = sleep_until(deadline) => {
                if debounce.take_due(Instant::now()) {
                    let trigger = if ready { Trigger::Watch } else { Trigger::Startup };
                    ready |= reloader.reload(trigger).await.outcome == Outcome::Loaded;
                }
            }
            _ = poll.tick(), if !cfg.poll.is_zero() => {
                // The directory may have been created or replaced since the watch was set up.
                if cfg.events && (watcher.is_none() || !dir.exists()) {
                    watcher = if dir.exists() { watch(&dir) } else { None };
                }
                let trigger = if ready { Trigger::Poll } else { Trigger::Startup };
                let a = reloader.reload(trigger).await;
                ready |= a.outcome == Outcome::Loaded;
                if a.outcome == Outcome::Loaded && cfg.events {
                    // The poll saw a change the events did not: the watch may be stale.
                    watcher = watch(&dir);
                }
            }
        }
    }
}

fn watch(dir: &Path) -> Option<(notify::RecommendedWatcher, Events)> {
    match start_watcher(dir) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot watch the rules directory; relying on the poll");
            None
        }
    }
}

async fn next_event(w: &mut Option<(notify::RecommendedWatcher, Events)>) -> Option<notify::Result<notify::Event>> {
    match w {
        Some((_, rx)) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_one_rescan_after_it_goes_quiet() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut d = Debounce::new(ms(100));
        assert_eq!(d.deadline(), None);
        assert!(!d.take_due(t0));
        // An atomic save: create temp, write, rename, within a few milliseconds.
        for i in 0..4 {
            d.event(t0 + ms(i * 5));
        }
        assert_eq!(d.deadline(), Some(t0 + ms(115)));
        assert!(!d.take_due(t0 + ms(114)));
        assert!(d.take_due(t0 + ms(115)));
        // Forgotten once taken.
        assert_eq!(d.deadline(), None);
        assert!(!d.take_due(t0 + ms(500)));
    }

    #[test]
    fn a_directory_that_never_goes_quiet_is_still_rescanned() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut d = Debounce::new(ms(100));
        for i in 0..100 {
            d.event(t0 + ms(i * 50));
        }
        // Events every 50 ms never leave 100 ms of quiet; the burst is cut at 1 s.
        assert_eq!(d.deadline(), Some(t0 + ms(1000)));
        assert!(d.take_due(t0 + ms(1000)));
    }

    #[test]
    fn reads_are_not_changes() {
        use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
        assert!(!relevant(&EventKind::Access(AccessKind::Read)));
        assert!(!relevant(&EventKind::Access(AccessKind::Close(AccessMode::Read))));
        assert!(relevant(&EventKind::Access(AccessKind::Close(AccessMode::Write))));
        assert!(relevant(&EventKind::Modify(ModifyKind::Name(RenameMode::To))));
        assert!(relevant(&EventKind::Create(CreateKind::File)));
    }
}
