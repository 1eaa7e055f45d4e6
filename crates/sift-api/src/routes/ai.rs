//! AI drafting (`POST /traders/draft`) and the model-free rule explanation
//! (`POST /traders/explain`).
//!
//! Drafting is for `tiers.ai_from` and up, limited per user to `ai.requests_per_minute`, and
//! answers 503 `ai_unavailable` when no endpoint is configured. Model failures have their own
//! stable codes: 504 `ai_timeout`, 502 `ai_upstream_error` / `ai_unreachable` /
//! `ai_bad_response`, 429 `rate_limited` (the model's endpoint; `details.source` is
//! `"model"`), and 422 `ai_draft_invalid` with the last diagnostics when no round produced a
//! rule that checks. Nothing is saved: the client saves a draft with `POST /traders`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sift_ai::{Draft, DraftError, Rejection};
use sift_core::Interval;
use sift_rules::{Combinator, Condition, Explanation};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody, ErrorDetail};
use crate::extract::Json;
use crate::routes::rules::{DiagnosticView, WarmupView, check_rule};
use crate::state::AppState;

/// Retry-After sent when the model's endpoint answered 429 without one.
const DEFAULT_RETRY_AFTER_SECS: u64 = 30;

/// A request for a draft.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DraftRequest {
    /// The setup in words.
    #[schema(example = "RSI oversold on 15m while the 1h trend is up")]
    pub prompt: String,
    /// The interval the trader must run on; the model chooses when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "15m")]
    pub interval: Option<Interval>,
}

/// One condition of a rule in words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ConditionView {
    /// The condition as written.
    #[schema(example = "rsi(14) < 30")]
    pub condition: String,
    #[schema(example = "RSI(14) on the 15m candles is below 30")]
    pub meaning: String,
    /// Byte offsets of the condition in the rule.
    pub start: usize,
    pub end: usize,
}

impl From<&Condition> for ConditionView {
    fn from(c: &Condition) -> Self {
        Self {
            condition: c.condition.clone(),
            meaning: c.meaning.clone(),
            start: c.span.start,
            end: c.span.end,
        }
    }
}

/// A drafted trader whose rule checks; not saved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct DraftView {
    pub name: String,
    pub description: String,
    #[schema(value_type = String, example = "15m")]
    pub interval: Interval,
    pub rule: String,
    /// Each top-level condition in words (written by Sift from the checked rule).
    pub explanation: Vec<ConditionView>,
    pub summary: String,
    #[schema(value_type = Vec<String>)]
    pub timeframes: Vec<Interval>,
    pub warmup: Vec<WarmupView>,
    pub warnings: Vec<DiagnosticView>,
    /// Model calls used (1 when the first answer checked).
    pub rounds: u32,
}

impl DraftView {
    fn new(d: &Draft) -> Self {
        Self {
            name: d.name.clone(),
            description: d.description.clone(),
            interval: d.interval,
            rule: d.rule.clone(),
            explanation: d.explanation.iter().map(ConditionView::from).collect(),
            summary: d.summary.clone(),
            timeframes: d.needs.timeframes.clone(),
            warmup: d
                .needs
                .warmup
                .iter()
                .map(|w| WarmupView {
                    interval: w.interval,
                    bars: w.bars,
                })
                .collect(),
            warnings: d
                .warnings
                .iter()
                .map(|w| DiagnosticView::new(w, &d.rule))
                .collect(),
            rounds: d.rounds,
        }
    }
}

/// Draft a trader from a sentence with the configured AI endpoint. The rule is checked (and
/// repaired from the checker's diagnostics, up to `ai.max_rounds` model calls) before it is
/// returned. Nothing is saved.
#[utoipa::path(post, path = "/traders/draft", tag = "traders", request_body = DraftRequest,
    responses((status = 200, body = DraftView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody), (status = 504, body = ErrorBody)))]
pub(crate) async fn draft(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<DraftRequest>,
) -> Result<axum::Json<DraftView>, AiFailure> {
    let user = caller.require_tier(state.config.tiers.ai_from, "AI drafting")?;
    let Some(drafter) = state.ai.clone() else {
        return Err(AiFailure::Draft(DraftError::NotConfigured));
    };
    let config = drafter.config();
    let prompt = body.prompt.trim();
    if prompt.is_empty() {
        return Err(ApiError::field("prompt", "must not be empty").into());
    }
    if prompt.chars().count() > config.max_prompt_chars {
        let limit = config.max_prompt_chars;
        return Err(
            ApiError::field("prompt", format!("must have at most {limit} characters")).into(),
        );
    }
    state
        .limiter
        .check(
            &format!("ai-draft:{}", user.id),
            config.requests_per_minute,
            state.now_ms(),
        )
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    let result = drafter.draft(prompt, body.interval).await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) => draft_error_code(e),
    };
    metrics::counter!("sift_ai_drafts_total", "outcome" => outcome).increment(1);
    if let Ok(draft) = &result {
        metrics::counter!("sift_ai_rounds_total").increment(u64::from(draft.rounds));
    }
    let draft = result.map_err(AiFailure::Draft)?;
    Ok(axum::Json(DraftView::new(&draft)))
}

/// A rule to explain.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExplainRequest {
    #[schema(example = "rsi(14) < 30 and close @ 1h > ema(200) @ 1h")]
    pub rule: String,
    /// The trader's interval (default 15m).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "15m")]
    pub interval: Option<Interval>,
}

/// A rule in words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ExplainResponse {
    #[schema(value_type = String, example = "15m")]
    pub interval: Interval,
    /// `all` (every condition must hold) or `any`.
    #[schema(example = "all")]
    pub combinator: String,
    pub conditions: Vec<ConditionView>,
    /// The whole rule as one paragraph.
    pub summary: String,
    pub warnings: Vec<DiagnosticView>,
}

impl ExplainResponse {
    fn new(e: &Explanation, interval: Interval, warnings: Vec<DiagnosticView>) -> Self {
        Self {
            interval,
            combinator: match e.combinator {
                Combinator::All => "all",
                Combinator::Any => "any",
            }
            .to_owned(),
            conditions: e.conditions.iter().map(ConditionView::from).collect(),
            summary: e.summary(interval),
            warnings,
        }
    }
}

/// Explain a rule in plain English, condition by condition. Needs no AI endpoint and no
/// account; a rule that does not check answers 422 with its diagnostics.
#[utoipa::path(post, path = "/traders/explain", tag = "traders", request_body = ExplainRequest,
    responses((status = 200, body = ExplainResponse), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn explain(
    Json(body): Json<ExplainRequest>,
) -> Result<axum::Json<ExplainResponse>, ApiError> {
    let interval = body.interval.unwrap_or(sift_ai::DEFAULT_INTERVAL);
    let program = check_rule(&body.rule, interval)?;
    let explanation = sift_rules::explain(&program);
    let warnings = program
        .warnings
        .iter()
        .map(|d| DiagnosticView::new(d, &body.rule))
        .collect();
    Ok(axum::Json(ExplainResponse::new(
        &explanation,
        interval,
        warnings,
    )))
}

/// The stable error code of a drafter failure.
fn draft_error_code(e: &DraftError) -> &'static str {
    match e {
        DraftError::NotConfigured => "ai_unavailable",
        DraftError::Timeout => "ai_timeout",
        DraftError::RateLimited { .. } => "rate_limited",
        DraftError::Upstream { .. } => "ai_upstream_error",
        DraftError::Unreachable(_) => "ai_unreachable",
        DraftError::BadResponse(_) => "ai_bad_response",
        DraftError::Unchecked { .. } => "ai_draft_invalid",
    }
}

/// A failed draft: an ordinary API error, or the drafter's.
#[derive(Debug)]
pub(crate) enum AiFailure {
    Api(ApiError),
    Draft(DraftError),
}

impl From<ApiError> for AiFailure {
    fn from(e: ApiError) -> Self {
        AiFailure::Api(e)
    }
}

impl IntoResponse for AiFailure {
    fn into_response(self) -> Response {
        let error = match self {
            AiFailure::Api(e) => return e.into_response(),
            AiFailure::Draft(e) => e,
        };
        if error.is_transient() || matches!(error, DraftError::BadResponse(_)) {
            tracing::warn!(error = %error, "ai draft failed");
        }
        let code = draft_error_code(&error);
        let (status, message, details) = match &error {
            DraftError::NotConfigured => (
                StatusCode::SERVICE_UNAVAILABLE,
                "AI drafting is not configured on this server".to_owned(),
                Value::Null,
            ),
            DraftError::Timeout => (StatusCode::GATEWAY_TIMEOUT, error.to_string(), Value::Null),
            DraftError::RateLimited { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                error.to_string(),
                json!({
                    "retry_after_secs": retry_after_secs.unwrap_or(DEFAULT_RETRY_AFTER_SECS),
                    "source": "model",
                }),
            ),
            DraftError::Upstream { status } => (
                StatusCode::BAD_GATEWAY,
                error.to_string(),
                json!({ "status": status }),
            ),
            DraftError::Unreachable(_) => (
                StatusCode::BAD_GATEWAY,
                "the model endpoint is unreachable".to_owned(),
                Value::Null,
            ),
            DraftError::BadResponse(_) => (
                StatusCode::BAD_GATEWAY,
                "the model endpoint sent a malformed response".to_owned(),
                Value::Null,
            ),
            DraftError::Unchecked { rounds, last } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the model gave no valid rule in {rounds} round(s): {}",
                    last.message()
                ),
                unchecked_details(*rounds, last),
            ),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message,
                details,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let DraftError::RateLimited { retry_after_secs } = error {
            let secs = retry_after_secs.unwrap_or(DEFAULT_RETRY_AFTER_SECS);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// The last rejected answer: its rule and diagnostics when it had a rule that did not check.
fn unchecked_details(rounds: u32, last: &Rejection) -> Value {
    match last {
        Rejection::Rule {
            rule,
            interval,
            diagnostics,
        } => {
            let views: Vec<DiagnosticView> = diagnostics
                .iter()
                .map(|d| DiagnosticView::new(d, rule))
                .collect();
            json!({
                "rounds": rounds,
                "rule": rule,
                "interval": interval,
                "diagnostics": views,
            })
        }
        other => json!({ "rounds": rounds, "problem": other.message(), "diagnostics": [] }),
    }
}
