//! The one place engine and service errors become gRPC status codes.

use thresher_engine::Error;
use tonic::Status;

/// The status a client sees for an engine error.
pub fn from_engine(e: &Error) -> Status {
    match e {
        Error::DocumentTooLarge { .. } => Status::invalid_argument(e.to_string()),
        Error::Rules(_) => Status::failed_precondition(e.to_string()),
        Error::Io { .. } => {
            tracing::error!(error = %e, "rules unreadable");
            Status::internal("the server could not read its rules; see its log")
        }
    }
}

/// Whether `status` is tonic's refusal of a message over the decoding limit (which tonic
/// reports as OUT_OF_RANGE, naming no setting).
pub fn is_message_too_large(status: &Status) -> bool {
    status.code() == tonic::Code::OutOfRange && status.message().contains("message length too large")
}

/// The status for a request over the gRPC message limit, which follows the document limit:
/// INVALID_ARGUMENT, like a document over the limit, with tonic's figures and the setting
/// that moves the limit.
pub fn message_too_large(tonic_status: &Status) -> Status {
    let figures = tonic_status.message().trim_start_matches("Error, ");
    Status::invalid_argument(format!(
        "the request is larger than the server accepts ({figures}); the message limit is the document limit \
         plus 1 MiB for the rest of the request: split the document, or raise the limit with \
         --max-document-bytes / THRESHER_MAX_DOCUMENT_BYTES"
    ))
}

/// The status for a request that arrives before any ruleset has loaded. UNAVAILABLE, because
/// it is temporary and retrying (another replica, or later) is right; the message says why
/// and where to look.
pub fn not_ready(dir: &std::path::Path, last_error: Option<&str>) -> Status {
    let why = last_error.map(|e| format!(": {e}")).unwrap_or_default();
    Status::unavailable(format!(
        "no ruleset has loaded yet from {}{why}; the server retries as the files change, and \
         thresher.v1.ThresherAdmin/GetRuleset shows every error",
        dir.display()
    ))
}

/// The status for a request refused because the server is at its limit of requests in
/// flight: RESOURCE_EXHAUSTED at once, rather than a queue that grows without bound.
pub fn overloaded(limit: usize) -> Status {
    Status::resource_exhausted(format!(
        "the server is at its limit of {limit} documents in flight; retry with backoff, or send to \
         another replica (the limit is --max-in-flight / THRESHER_MAX_IN_FLIGHT)"
    ))
}

/// The status for a request whose client deadline passed before its work began.
pub fn deadline_passed() -> Status {
    Status::deadline_exceeded("the request's deadline passed before processing began")
}

/// The status for a call without the right bearer token.
pub fn unauthenticated(method: &str) -> Status {
    Status::unauthenticated(format!(
        "{method} needs the token: send the metadata `authorization: Bearer <token>` with the \
         token the server was started with (--admin-token / THRESHER_ADMIN_TOKEN)"
    ))
}

/// The status for a task that failed on the blocking pool (a bug): INTERNAL, details only in
/// the log.
pub fn task_failed(e: &tokio::task::JoinError) -> Status {
    tracing::error!(error = %e, "processing task failed");
    Status::internal("processing failed unexpectedly; the error is in the server log")
}
