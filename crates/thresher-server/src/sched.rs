//! How the server's threads are scheduled (Linux).
//!
//! The network threads (tokio's async workers: reading, decoding, encoding, writing) wake on
//! every packet, and a woken thread normally preempts whatever runs on its core, which under
//! load is a document thread in the middle of a document. Each preemption takes the document
//! thread's caches with it, and the network thread does one request's worth of work before
//! it sleeps again. Scheduled `SCHED_BATCH`, a woken network thread does not preempt: it
//! waits for a core that is free or for the end of the running thread's slice, and then
//! handles every request that has arrived meanwhile. On two cores this gave 17–26% more
//! documents a second with a lower p99 (BENCHMARKS.md, step 52).
//!
//! `SCHED_BATCH` needs no privilege and keeps the thread's nice value. Document threads stay
//! (or are put back) in the normal policy. Where the policy cannot be set (another OS, a
//! sandbox that forbids the call) the server runs as before and says so once in the log.

use std::cell::Cell;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the network threads are scheduled `SCHED_BATCH` (`--io-batch`).
static NETWORK_BATCH: AtomicBool = AtomicBool::new(false);

/// Turns `SCHED_BATCH` for the network threads on or off; call before the runtime starts.
pub fn set_network_batch(on: bool) {
    NETWORK_BATCH.store(on, Ordering::Relaxed);
}

/// Called at the start of every runtime thread: with `--io-batch`, schedules it
/// `SCHED_BATCH`. (Tokio starts its async workers and its blocking threads through the same
/// hook; a blocking thread is put back by [`document_thread`] before its first document.)
pub fn runtime_thread_started() {
    if NETWORK_BATCH.load(Ordering::Relaxed) {
        apply(Policy::Batch);
    }
}

thread_local! {
    static NORMAL: Cell<bool> = const { Cell::new(false) };
}

/// Called on a document thread before each document: puts the thread back in the normal
/// policy once, if the network threads' policy was set on it at its start.
pub fn document_thread() {
    if NETWORK_BATCH.load(Ordering::Relaxed) && !NORMAL.get() {
        NORMAL.set(true);
        apply(Policy::Normal);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Policy {
    Normal,
    Batch,
}

/// Sets the calling thread's policy, keeping its nice value; logs the first failure.
fn apply(policy: Policy) {
    if let Err(e) = set_current(policy) {
        static WARNED: Once = Once::new();
        WARNED.call_once(|| {
            tracing::warn!(error = %e, ?policy, "cannot set a thread's scheduling policy (--io-batch); it runs as it was");
        });
    }
}

#[cfg(target_os = "linux")]
fn set_current(policy: Policy) -> Result<(), String> {
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy, thread_native_id,
    };
    use thread_priority::{ThreadPriority, ThreadPriorityValue};
    let policy = ThreadSchedulePolicy::Normal(match policy {
        Policy::Normal => NormalThreadSchedulePolicy::Other,
        Policy::Batch => NormalThreadSchedulePolicy::Batch,
    });
    // For the normal policies the library sets the nice value too, from a priority of 0 to
    // 99: pass the one that maps to the thread's nice value now, so that it stays.
    let nice = current_nice().ok_or("cannot read the thread's nice value from /proc")?;
    let priority = (0..=u8::from(ThreadPriorityValue::MAX))
        .filter_map(|p| ThreadPriorityValue::try_from(p).ok().map(ThreadPriority::Crossplatform))
        .find(|p| p.to_posix(policy).is_ok_and(|n| n == nice))
        .ok_or_else(|| format!("no priority maps to nice {nice}"))?;
    set_thread_priority_and_policy(thread_native_id(), priority, policy).map_err(|e| format!("{e:?}"))
}

#[cfg(not(target_os = "linux"))]
fn set_current(_policy: Policy) -> Result<(), String> {
    Err("scheduling policies are set on Linux only".to_owned())
}

/// The calling thread's nice value: field 19 of `/proc/thread-self/stat`, counted after the
/// command name (which may hold spaces and parentheses, so the last `)` ends it).
#[cfg(target_os = "linux")]
fn current_nice() -> Option<i32> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the name: state (field 3) ... nice (field 19).
    rest.split_whitespace().nth(16)?.parse().ok()
}

/// The calling thread's policy as the kernel reports it (`/proc/thread-self/sched`), for tests.
#[cfg(all(test, target_os = "linux"))]
fn current_policy() -> Option<i32> {
    let sched = std::fs::read_to_string("/proc/thread-self/sched").ok()?;
    sched.lines().find_map(|l| l.strip_prefix("policy")?.trim_start().strip_prefix(':')?.trim().parse().ok())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    const SCHED_OTHER: i32 = 0;
    const SCHED_BATCH: i32 = 3;

    #[test]
    fn a_thread_goes_batch_and_back_keeping_its_nice_value() {
        std::thread::spawn(|| {
            let nice = current_nice().unwrap();
            assert_eq!(current_policy(), Some(SCHED_OTHER));
            set_current(Policy::Batch).unwrap();
            assert_eq!(current_policy(), Some(SCHED_BATCH));
            assert_eq!(current_nice(), Some(nice));
            set_current(Policy::Normal).unwrap();
            assert_eq!(current_policy(), Some(SCHED_OTHER));
            assert_eq!(current_nice(), Some(nice));
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_niced_thread_stays_niced() {
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy, thread_native_id,
        };
        std::thread::spawn(|| {
            // The lowest priority, nice 19, needs no privilege.
            let other = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other);
            set_thread_priority_and_policy(thread_native_id(), thread_priority::ThreadPriority::Min, other).unwrap();
            assert_eq!(current_nice(), Some(19));
            set_current(Policy::Batch).unwrap();
            assert_eq!(current_policy(), Some(SCHED_BATCH));
            assert_eq!(current_nice(), Some(19));
        })
        .join()
        .unwrap();
    }
}
