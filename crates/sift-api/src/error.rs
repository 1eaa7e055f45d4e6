//! `ApiError`: every failure as `{"error": {"code", "message", "details"}}` with a stable code.
//!
//! 4xx answers carry a user-safe message; 5xx say "internal error" with the request id that
//! the log line of the cause carries too. axum's own rejections (JSON, path, query, body limit)
//! are converted here so that every answer has this shape.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use crate::request_id;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON, or not sent as JSON.
    #[error("{0}")]
    InvalidJson(String),
    /// A path or query parameter, or a field, is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials where they are required, or bad credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated but not allowed (tier, admin).
    #[error("{0}")]
    Forbidden(String),
    /// A cookie-authenticated state-changing request without the right `X-CSRF-Token`.
    #[error("missing or wrong X-CSRF-Token header")]
    Csrf,
    /// Absent, or not visible to the caller (the two are never told apart).
    #[error("not found")]
    NotFound,
    /// No route has this path.
    #[error("no such route")]
    UnknownRoute,
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request conflicts with the current state (a taken email, a duplicate favourite).
    #[error("{0}")]
    Conflict(String),
    /// A quota is used up: `used` of `limit`.
    #[error("{used} of {limit} {what} used")]
    QuotaExceeded {
        what: &'static str,
        used: u64,
        limit: u64,
    },
    /// The body is larger than the configured limit.
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// Well-formed but invalid input; `details` says what (for rules: the diagnostics).
    #[error("{message}")]
    Validation { message: String, details: Value },
    /// Too many requests; retry after this many seconds.
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency is down or a time budget ran out.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; the cause is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

/// The body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable code: `invalid_json`, `bad_request`, `unauthorized`, `forbidden`, `csrf`,
    /// `not_found`, `method_not_allowed`, `conflict`, `quota_exceeded`, `payload_too_large`,
    /// `validation`, `rate_limited`, `unavailable`, `internal`.
    pub code: &'static str,
    pub message: String,
    /// More about the error, or null; for `validation` of rules the diagnostics, for
    /// `internal` the request id.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    /// A validation error naming one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::Validation {
            details: json!({ "field": field, "message": message }),
            message: format!("{field}: {message}"),
        }
    }

    /// An unexpected failure; `cause` goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidJson(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::UnknownRoute => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::QuotaExceeded { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Csrf => "csrf",
            ApiError::NotFound | ApiError::UnknownRoute => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::QuotaExceeded { .. } => "quota_exceeded",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Validation { .. } => "validation",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let details = match &self {
            ApiError::Validation { details, .. } => details.clone(),
            ApiError::QuotaExceeded { used, limit, .. } => json!({ "used": used, "limit": limit }),
            ApiError::PayloadTooLarge { limit } => json!({ "limit": limit }),
            ApiError::RateLimited { retry_after_secs } => {
                json!({ "retry_after_secs": retry_after_secs })
            }
            ApiError::Internal(cause) => {
                let request_id = request_id::current();
                tracing::error!(request_id = %request_id, error = %cause, "request failed");
                json!({ "request_id": request_id })
            }
            _ => Value::Null,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                details,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::RateLimited { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

impl ApiError {
    /// The answer to a JSON body that could not be read or parsed; `limit` is the configured
    /// body limit, named in a 413.
    pub fn from_json_rejection(rejection: JsonRejection, limit: usize) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => ApiError::Validation {
                message: e.body_text(),
                details: Value::Null,
            },
            JsonRejection::JsonSyntaxError(e) => ApiError::InvalidJson(e.body_text()),
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::InvalidJson("expected Content-Type: application/json".to_owned())
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge { limit }
            }
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<sift_store::StoreError> for ApiError {
    /// Not found answers 404 and a constraint 409; callers that know better (a taken email)
    /// map those themselves.
    fn from(error: sift_store::StoreError) -> Self {
        use sift_store::StoreError;
        match error {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict { .. } => {
                ApiError::Conflict("conflicts with existing data".into())
            }
            e if e.is_transient() => {
                tracing::warn!(error = %e, "store unavailable");
                ApiError::Unavailable("the database is unavailable".to_owned())
            }
            e => ApiError::internal(chain(&e)),
        }
    }
}

/// An error with its causes, for the log.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<sift_candles::StoreError> for ApiError {
    fn from(error: sift_candles::StoreError) -> Self {
        tracing::warn!(error = %error, "candle store failed");
        ApiError::Unavailable("the candle store is unavailable".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(error: ApiError) -> (StatusCode, Value, Option<String>) {
        let response = error.into_response();
        let status = response.status();
        let retry = response
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap(), retry)
    }

    #[tokio::test]
    async fn errors_have_the_common_shape() {
        let (status, json, _) = body(ApiError::QuotaExceeded {
            what: "custom traders",
            used: 3,
            limit: 10,
        })
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(json["error"]["code"], "quota_exceeded");
        assert_eq!(json["error"]["message"], "3 of 10 custom traders used");
        assert_eq!(json["error"]["details"]["limit"], 10);
    }

    #[tokio::test]
    async fn internal_errors_hide_their_cause() {
        let (status, json, _) = body(ApiError::internal("password=hunter2 at db.rs:12")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(json["error"]["message"], "internal error");
        assert!(!json.to_string().contains("hunter2"));
        assert!(json["error"]["details"]["request_id"].is_string());
    }

    #[tokio::test]
    async fn rate_limited_sets_retry_after() {
        let (status, json, retry) = body(ApiError::RateLimited {
            retry_after_secs: 7,
        })
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(json["error"]["code"], "rate_limited");
        assert_eq!(retry.as_deref(), Some("7"));
    }
}
