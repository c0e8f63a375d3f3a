//! Regexes cloned once per thread, so that each document thread searches with caches of its
//! own without a lock.
//!
//! A [`regex::Regex`] keeps its search caches in a pool whose fast path serves one thread only:
//! the first to search with it. Every other thread takes the pool's slow path, a lock on a
//! stack of caches, on every search (a few hundred per document). A ruleset's patterns are
//! compiled by the thread that loads it and searched by the document threads, so in the server
//! most searches took the slow path. A clone of a regex shares the compiled program and has a
//! pool of its own: [`PerThread`] hands each thread its own clone, of whose pool it is the first
//! and only user.
//!
//! Threads get slots in the order they first search. Slots are not handed on when a thread
//! exits: a later thread in the same slot would meet a pool that still names the first as its
//! owner. Threads beyond the slots (the server keeps its document threads alive, so there are
//! as many as cores; a test run starts many) share the regex as written, as before.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A value and, once threads ask for it, a clone of it per thread slot.
#[derive(Debug)]
pub struct PerThread<T> {
    value: T,
    clones: OnceLock<Box<[OnceLock<T>]>>,
}

impl<T: Clone> PerThread<T> {
    pub fn new(value: T) -> Self {
        Self { value, clones: OnceLock::new() }
    }

    /// The calling thread's clone (made on its first call), or the value itself for a thread
    /// without a slot.
    pub fn get(&self) -> &T {
        self.in_slot(slot())
    }

    /// The clone in `slot`, or the value itself.
    fn in_slot(&self, slot: Option<usize>) -> &T {
        let Some(slot) = slot else { return &self.value };
        let clones = self.clones.get_or_init(|| (0..slots()).map(|_| OnceLock::new()).collect());
        clones.get(slot).map_or(&self.value, |c| c.get_or_init(|| self.value.clone()))
    }

    /// The value itself, as every thread shares it.
    #[cfg(test)]
    pub fn shared(&self) -> &T {
        &self.value
    }
}

/// How many threads get a slot: twice the cores, and a few for the threads that load rules and
/// answer admin calls.
fn slots() -> usize {
    static SLOTS: OnceLock<usize> = OnceLock::new();
    *SLOTS
        .get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from).saturating_mul(2).clamp(2, 62) + 2)
}

/// The calling thread's slot, if it has one.
fn slot() -> Option<usize> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: Option<usize> = {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            (n < slots()).then_some(n)
        };
    }
    SLOT.try_with(|s| *s).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_slot_has_a_clone_of_its_own_with_the_same_answers() {
        let re = PerThread::new(regex::Regex::new(r"\bsaid\b").unwrap_or_else(|e| panic!("{e}")));
        let at = |slot: Option<usize>| std::ptr::from_ref(re.in_slot(slot)) as usize;
        let shared = std::ptr::from_ref(re.shared()) as usize;
        assert_eq!(at(None), shared, "a thread without a slot shares the value");
        assert_eq!(at(Some(slots())), shared, "so does a slot beyond the last");
        let (first, second) = (at(Some(0)), at(Some(1)));
        assert!(first != shared && second != shared && first != second, "each slot has its own clone");
        assert_eq!(at(Some(0)), first, "and keeps it");
        for slot in [None, Some(0), Some(1)] {
            let re = re.in_slot(slot);
            assert!(re.is_match("he said so") && !re.is_match("he sad so"));
        }
    }

    #[test]
    fn threads_alive_at_once_never_share_a_slot() {
        let (tx, rx) = std::sync::mpsc::channel();
        let stop = std::sync::Barrier::new(4);
        std::thread::scope(|s| {
            for _ in 0..4 {
                let (tx, stop) = (tx.clone(), &stop);
                s.spawn(move || {
                    let _ = tx.send(slot());
                    // Alive until all four have their slots.
                    stop.wait();
                });
            }
        });
        drop(tx);
        let mut slots: Vec<usize> = rx.iter().flatten().collect();
        let given = slots.len();
        slots.sort_unstable();
        slots.dedup();
        assert_eq!(slots.len(), given);
    }
}
