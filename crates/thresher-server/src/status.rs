//! The one place engine errors become gRPC status codes.

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
