//! Telling "AWS could not answer" from "AWS refused what was asked". The first (nothing
//! listening, a timeout, throttling, a 5xx, or an answer the SDK cannot read, such as a
//! proxy's HTML error page) passes: the caller is told to try again in a moment (503). The
//! second (a malformed request, a missing permission or table) is a fault of ours (500,
//! logged). Every AWS client's error is the same `SdkError`, so one rule serves them all.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// Codes AWS services answer when they are overloaded or busy rather than refusing.
const TRY_AGAIN: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "TransactionConflictException",
    "TransactionInProgressException",
    "InternalServerError",
    "ServiceUnavailable",
];

/// Whether the service could not answer (true) or refused the request as made (false).
pub fn unavailable<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    match e {
        SdkError::ConstructionFailure(_) => false,
        SdkError::ServiceError(service) => {
            let status = service.raw().status();
            // No code: the body was no AWS error at all (an HTML page, garbage).
            status.is_server_error()
                || status.as_u16() == 429
                || e.code().is_none_or(|code| TRY_AGAIN.contains(&code))
        }
        // Timeouts, nothing answering, answers that cannot be read.
        _ => true,
    }
}
