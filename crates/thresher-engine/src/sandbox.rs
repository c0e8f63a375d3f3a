//! The one place Rhai engines are built, with every limit set.
//!
//! Rhai's defaults are unlimited, and some differ between debug and release builds (call
//! depth, expression depth), so every limit is set here explicitly and the same in both. Rules
//! get no file, network or environment access: there is no module resolver, `eval` and
//! `import` are disabled, `print` and `debug` go to the log. A per-document time budget is
//! checked from Rhai's progress callback, because a blocking script cannot be cancelled from
//! outside.

use std::cell::Cell;
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine};

/// Limits for rule scripts. One value serves a whole ruleset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Rhai operations per rule call.
    pub max_operations: u64,
    /// Longest string a script may build, in bytes.
    pub max_string_bytes: usize,
    /// Longest array a script may build.
    pub max_array_len: usize,
    /// Largest object map a script may build.
    pub max_map_len: usize,
    /// Deepest function call nesting.
    pub max_call_depth: usize,
    /// Deepest expression nesting at global level.
    pub max_expr_depth: usize,
    /// Deepest expression nesting inside functions.
    pub max_fn_expr_depth: usize,
    /// Most variables in scope at once.
    pub max_variables: usize,
    /// Most functions a file may define.
    pub max_functions: usize,
    /// Wall-clock budget for all the rules run on one document.
    pub time_budget: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: 1_000_000,
            max_string_bytes: 16 << 20,
            max_array_len: 100_000,
            max_map_len: 10_000,
            max_call_depth: 32,
            max_expr_depth: 64,
            max_fn_expr_depth: 64,
            max_variables: 1_000,
            max_functions: 500,
            time_budget: Duration::from_secs(2),
        }
    }
}

/// The token a script is terminated with when the time budget runs out.
pub const TIME_BUDGET_TOKEN: &str = "time budget exhausted";

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Sets the deadline for scripts run on this thread until the guard drops.
pub struct DeadlineGuard(Option<Instant>);

impl DeadlineGuard {
    /// Scripts on this thread stop at `deadline`.
    pub fn set(deadline: Instant) -> Self {
        Self(DEADLINE.with(|d| d.replace(Some(deadline))))
    }
}

impl Drop for DeadlineGuard {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(self.0));
    }
}

/// True when the deadline set on this thread has passed. Native loops that call many short
/// scripts check it themselves: a script shorter than the progress check interval never
/// sees the deadline.
pub fn past_deadline() -> bool {
    past_deadline_at(Instant::now())
}

/// [`past_deadline`] at `now`, a clock reading the caller has just taken: loops that time
/// every rule read the clock once per rule, not twice.
pub fn past_deadline_at(now: Instant) -> bool {
    DEADLINE.with(|d| d.get().is_some_and(|t| now >= t))
}

/// Builds a sandboxed engine with `limits` and Thresher's helpers registered.
pub fn engine(limits: &Limits) -> Engine {
    let mut e = Engine::new();
    e.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    e.disable_symbol("eval");
    e.disable_symbol("import");
    e.set_max_modules(0);
    e.set_max_operations(limits.max_operations);
    e.set_max_string_size(limits.max_string_bytes);
    e.set_max_array_size(limits.max_array_len);
    e.set_max_map_size(limits.max_map_len);
    e.set_max_call_levels(limits.max_call_depth);
    e.set_max_expr_depths(limits.max_expr_depth, limits.max_fn_expr_depth);
    e.set_max_variables(limits.max_variables);
    e.set_max_functions(limits.max_functions);
    e.set_strict_variables(true);
    e.set_fail_on_invalid_map_property(true);
    e.on_progress(|ops| {
        if ops % 1024 != 0 {
            return None;
        }
        let late = DEADLINE.with(|d| d.get().is_some_and(|t| Instant::now() >= t));
        late.then(|| Dynamic::from(TIME_BUDGET_TOKEN))
    });
    e.on_print(|s| {
        crate::plan::printed();
        tracing::info!(target: "thresher::rules", "{s}");
    });
    e.on_debug(|s, src, pos| {
        crate::plan::printed();
        tracing::debug!(target: "thresher::rules", file = src.unwrap_or(""), line = pos.line(), "{s}");
    });
    crate::page::register(&mut e);
    crate::claim_rules::register(&mut e);
    crate::plan::register(&mut e);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str) -> String {
        engine(&Limits::default()).run(src).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn no_eval_no_import_no_runaway() {
        assert!(run("eval(\"1\")").contains("eval"), "{}", run("eval(\"1\")"));
        assert!(!run("import \"x\" as y;").is_empty());
        assert!(run("loop {}").contains("Too many operations"));
        assert!(run("let s = \"x\"; loop { s += s; }").contains("too large"));
        assert!(run("fn f(n) { f(n + 1) } f(0)").contains("Stack overflow"));
        assert!(run("let x = undefined_var;").contains("undefined_var"));
    }

    #[test]
    fn deadline_stops_a_script() {
        // Unlimited operations: only the deadline can stop it.
        let limits = Limits { max_operations: 0, ..Limits::default() };
        let e = engine(&limits);
        let _g = DeadlineGuard::set(Instant::now() + Duration::from_millis(20));
        let err = e.run("loop {}").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("terminated"), "{err}");
    }
}
