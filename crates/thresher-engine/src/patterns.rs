//! Patterns that rules pass to helpers, compiled once per ruleset.
//!
//! Rules name their patterns inline (`doc.drop_lines("caption", "^Photo:")`), which reads well;
//! the cost of compiling is paid on first use and then shared by every document the ruleset
//! processes. Loading a ruleset runs every rule once on an empty document, which compiles the
//! patterns of every unconditional call up front and reports a bad one as a load error.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{Regex, RegexBuilder};

/// Compiled regex size limit: keeps a pathological pattern from taking memory or time.
const REGEX_SIZE_LIMIT: usize = 8 << 20;

/// The pattern cache of one ruleset.
#[derive(Debug, Default)]
pub struct Patterns {
    regexes: RwLock<HashMap<String, Arc<Regex>>>,
    terms: RwLock<HashMap<Vec<String>, Arc<AhoCorasick>>>,
}

impl Patterns {
    /// The compiled form of `pattern`, compiling it on first use.
    pub fn regex(&self, pattern: &str) -> Result<Arc<Regex>, String> {
        if let Some(re) = self.regexes.read().unwrap_or_else(PoisonError::into_inner).get(pattern) {
            return Ok(re.clone());
        }
        let re = RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(Arc::new)
            .map_err(|e| format!("invalid pattern `{pattern}`: {e}"))?;
        self.regexes.write().unwrap_or_else(PoisonError::into_inner).insert(pattern.to_owned(), re.clone());
        Ok(re)
    }

    /// A case-insensitive multi-term matcher for `terms`, built on first use.
    pub fn terms(&self, terms: &[String]) -> Result<Arc<AhoCorasick>, String> {
        if let Some(ac) = self.terms.read().unwrap_or_else(PoisonError::into_inner).get(terms) {
            return Ok(ac.clone());
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(terms)
            .map(Arc::new)
            .map_err(|e| format!("invalid term list: {e}"))?;
        self.terms.write().unwrap_or_else(PoisonError::into_inner).insert(terms.to_vec(), ac.clone());
        Ok(ac)
    }

    /// How many distinct patterns are compiled.
    pub fn len(&self) -> usize {
        self.regexes.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// True when nothing is compiled yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_once_and_reports_bad_patterns() {
        let p = Patterns::default();
        let a = p.regex("^Photo:").ok();
        let b = p.regex("^Photo:").ok();
        assert!(matches!((a, b), (Some(a), Some(b)) if Arc::ptr_eq(&a, &b)));
        assert_eq!(p.len(), 1);
        let err = p.regex("(unclosed").err().unwrap_or_default();
        assert!(err.contains("invalid pattern `(unclosed`"), "{err}");
    }
}
