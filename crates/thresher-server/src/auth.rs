//! Bearer-token checks: for the admin calls that take or change rules always (when a token is
//! set), and for every call but health when the operator asks for it (`--auth-scope all`).

use std::sync::Arc;

use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::status;

/// What the token guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Scope {
    /// Only ValidateRules and ReloadRules, which accept code or change the rules.
    #[default]
    Admin,
    /// Every call except grpc.health.v1 (which probes must reach): Process, ProcessStream,
    /// GetRuleset and reflection too.
    All,
}

/// A token to compare bearer tokens with; `None` lets every call through.
#[derive(Clone, Default)]
pub struct Token(Option<Arc<str>>);

impl Token {
    /// A guard for `token`; an empty or absent token guards nothing.
    pub fn new(token: Option<String>) -> Self {
        Self(token.filter(|t| !t.is_empty()).map(Into::into))
    }

    /// Whether a token is set.
    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// Ok when no token is set or `metadata` carries `authorization: Bearer <token>`;
    /// UNAUTHENTICATED naming `what` otherwise.
    pub fn check(&self, metadata: &tonic::metadata::MetadataMap, what: &str) -> Result<(), Status> {
        let Some(token) = &self.0 else { return Ok(()) };
        let sent = metadata.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
        let sent = sent.strip_prefix("Bearer ").unwrap_or("");
        // Compare in time independent of where the strings differ.
        let same =
            sent.len() == token.len() && sent.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        if same { Ok(()) } else { Err(status::unauthenticated(what)) }
    }

    /// An interceptor that checks every call of the service it wraps, named `service` in errors.
    pub fn interceptor(&self, service: &'static str) -> Guard {
        Guard { token: self.clone(), service }
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_set() { "Token(set)" } else { "Token(none)" })
    }
}

/// Checks the token on every call of one service (see [`Token::interceptor`]).
#[derive(Clone, Debug)]
pub struct Guard {
    token: Token,
    service: &'static str,
}

impl Interceptor for Guard {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        self.token.check(request.metadata(), self.service)?;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn with(value: &str) -> tonic::metadata::MetadataMap {
        let mut m = tonic::metadata::MetadataMap::new();
        m.insert("authorization", value.parse().unwrap());
        m
    }

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let t = Token::new(Some("abc123".into()));
        assert!(t.check(&with("Bearer abc123"), "X").is_ok());
        for bad in ["Bearer abc12", "Bearer abc1234", "abc123", "Basic abc123", "Bearer "] {
            let e = t.check(&with(bad), "X").unwrap_err();
            assert_eq!(e.code(), tonic::Code::Unauthenticated, "{bad}");
        }
        assert!(t.check(&tonic::metadata::MetadataMap::new(), "X").is_err());
    }

    #[test]
    fn no_token_or_an_empty_one_guards_nothing() {
        for t in [Token::new(None), Token::new(Some(String::new()))] {
            assert!(!t.is_set());
            assert!(t.check(&tonic::metadata::MetadataMap::new(), "X").is_ok());
        }
    }
}
