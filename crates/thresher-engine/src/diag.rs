//! Diagnostics: what went wrong in a rule or a request, where, and what to do about it.
//!
//! Every diagnostic has a stable code so that people can search for it and tools can match on
//! it; the README lists them. Positions are 1-based; 0 means unknown.

use std::fmt;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Informational.
    Info,
    /// Processing went on, but something was off.
    Warning,
    /// A rule failed or a ruleset cannot load.
    Error,
}

/// The stable diagnostic codes.
pub mod codes {
    /// The outlet hint names no known outlet.
    pub const UNKNOWN_OUTLET_HINT: &str = "T1001";
    /// The document's URL could not be parsed.
    pub const MALFORMED_URL: &str = "T1002";
    /// A rule file does not compile.
    pub const SYNTAX: &str = "T2001";
    /// An outlet file's `OUTLET` declaration is missing or wrong.
    pub const OUTLET_DECLARATION: &str = "T2002";
    /// A rule file sits outside `outlets/`, `generic/` and `claims/`.
    pub const FILE_PLACEMENT: &str = "T2003";
    /// Two outlets claim the same id or host.
    pub const DUPLICATE_OUTLET: &str = "T2004";
    /// A pattern given to a helper is not a valid regular expression.
    pub const BAD_PATTERN: &str = "T2005";
    /// A rule file cannot be read.
    pub const UNREADABLE: &str = "T2006";
    /// The rules directory holds no rules at all.
    pub const EMPTY_RULESET: &str = "T2007";
    /// A rule failed at run time on a document.
    pub const RULE_RUNTIME: &str = "T2101";
    /// A rule hit a sandbox limit (operations, sizes, call depth).
    pub const RULE_LIMIT: &str = "T2102";
    /// Claim finding failed on a document (an engine bug, reported rather than fatal).
    pub const CLAIMS_FAILED: &str = "T2201";
    /// A rule test's expectations were not met.
    pub const TEST_FAILED: &str = "T3001";
    /// A rule test file cannot be parsed.
    pub const TEST_INVALID: &str = "T3002";
}

/// One diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How serious.
    pub severity: Severity,
    /// Stable code from [`codes`].
    pub code: &'static str,
    /// What happened and what to do.
    pub message: String,
    /// Rule id, if a rule is concerned.
    pub rule: Option<String>,
    /// Rule file relative to the rules directory, if any.
    pub file: Option<String>,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
}

impl Diagnostic {
    /// An error with a code and message.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, code, message: message.into(), rule: None, file: None, line: 0, column: 0 }
    }

    /// A warning with a code and message.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(code, message) }
    }

    /// Sets the file.
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Sets the rule id.
    pub fn for_rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }

    /// Sets line and column.
    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = line;
        self.column = column;
        self
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:col: error[T2001]: message (rule x)`, the form editors and terminals link.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}")?;
            if self.line > 0 {
                write!(f, ":{}", self.line)?;
                if self.column > 0 {
                    write!(f, ":{}", self.column)?;
                }
            }
            write!(f, ": ")?;
        }
        let sev = match self.severity {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{sev}[{}]: {}", self.code, self.message)?;
        if let Some(rule) = &self.rule {
            write!(f, " (rule {rule})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_a_compiler() {
        let d = Diagnostic::error(codes::SYNTAX, "expected ')'").in_file("outlets/x.rhai").at(3, 14).for_rule("x");
        assert_eq!(d.to_string(), "outlets/x.rhai:3:14: error[T2001]: expected ')' (rule x)");
    }
}
