//! The one error type of the HTTP layer.
//!
//! Every handler returns `Result<_, ApiError>`; [`ApiError`] turns into the JSON
//! [`ErrorBody`] of [`hush_proto::relay_proto`] with a stable code that clients match on. Server
//! faults (database, I/O) are logged here with their detail and answered with a generic
//! `internal error`, so nothing about the schema, the SQL or the host leaks to a client. A
//! conflict on append is answered with the current [`Head`] instead, because that is what the
//! client needs to rebase.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hush_proto::relay_proto::{ErrorBody, Head};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Missing, malformed, stale, replayed or wrongly signed authentication.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Authenticated (or identified) but not allowed.
    #[error("{0}")]
    Forbidden(&'static str),
    /// No such route or resource.
    #[error("not found")]
    NotFound,
    /// The event is not at the head: carries the current head.
    #[error("the event does not extend the current head")]
    NotAtHead(Head),
    /// Another conflict (a different genesis for an existing team).
    #[error("{0}")]
    Conflict(&'static str),
    /// The invite is unknown, used, expired, or the token is wrong (deliberately one answer).
    #[error("this invite is unknown, already used or expired")]
    Gone,
    /// The body is larger than the protocol allows.
    #[error("request body too large")]
    TooLarge,
    /// A rate limit was hit.
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a request would be accepted.
        retry_after_secs: u64,
    },
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The database failed (detail logged, never sent).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl ApiError {
    /// The HTTP status and the stable code.
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::NotAtHead(_) | ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Gone => (StatusCode::GONE, "gone"),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Database(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            let body = ErrorBody {
                error: code.into(),
                message: "internal error".into(),
            };
            return (status, Json(body)).into_response();
        }
        tracing::debug!(code, reason = %self, "request refused");
        match self {
            ApiError::NotAtHead(head) => (status, Json(head)).into_response(),
            ApiError::RateLimited { retry_after_secs } => {
                let body = ErrorBody {
                    error: code.into(),
                    message: self.to_string(),
                };
                let mut resp = (status, Json(body)).into_response();
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                resp
            }
            other => {
                let body = ErrorBody {
                    error: code.into(),
                    message: other.to_string(),
                };
                (status, Json(body)).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn server_errors_hide_their_detail() {
        let resp = ApiError::Database(sqlx::Error::Protocol(
            "relation \"events\" is broken".into(),
        ))
        .into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(resp.into_body(), 4096)
            .await
            .expect("body");
        let body: ErrorBody = serde_json::from_slice(&body).expect("json");
        assert_eq!(body.error, "internal");
        assert_eq!(body.message, "internal error");
    }

    #[tokio::test]
    async fn rate_limits_carry_retry_after() {
        let resp = ApiError::RateLimited {
            retry_after_secs: 7,
        }
        .into_response();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "7");
    }
}
