//! What can go wrong while drafting.

use sift_core::Interval;
use sift_rules::Diagnostic;

/// A draft could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// No endpoint or model is configured.
    #[error("no AI endpoint is configured")]
    NotConfigured,
    /// The model did not answer within the configured time.
    #[error("the model did not answer in time")]
    Timeout,
    /// The endpoint answered 429; retry after this many seconds when it said so.
    #[error("the model endpoint is rate limited")]
    RateLimited { retry_after_secs: Option<u64> },
    /// The endpoint answered with another error status (5xx, or 4xx such as a bad key).
    #[error("the model endpoint answered {status}")]
    Upstream { status: u16 },
    /// The endpoint could not be reached.
    #[error("the model endpoint is unreachable: {0}")]
    Unreachable(String),
    /// The endpoint answered 200 with something that is not a chat completion.
    #[error("the model endpoint sent a malformed response: {0}")]
    BadResponse(String),
    /// Every round's answer was rejected; `last` says why the last one was.
    #[error("no valid rule after {rounds} round(s): {}", last.message())]
    Unchecked { rounds: u32, last: Rejection },
}

impl DraftError {
    /// Whether trying again later may succeed (the request itself was fine).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            DraftError::Timeout
                | DraftError::RateLimited { .. }
                | DraftError::Upstream { .. }
                | DraftError::Unreachable(_)
        )
    }
}

/// Why one answer of the model was not accepted. [`Rejection::feedback`] is what the next
/// round tells the model.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// The answer was not a JSON object.
    NotJson { error: String },
    /// A required field is missing or not a string.
    MissingField { field: &'static str },
    /// `interval` is not one of Sift's intervals.
    BadInterval { value: String },
    /// The rule does not check.
    Rule {
        rule: String,
        interval: Interval,
        diagnostics: Vec<Diagnostic>,
    },
}

impl Rejection {
    /// One line for people.
    pub fn message(&self) -> String {
        match self {
            Rejection::NotJson { error } => format!("answer was not valid JSON: {error}"),
            Rejection::MissingField { field } => {
                format!("answer has no string field `{field}`")
            }
            Rejection::BadInterval { value } => format!("answer has unknown interval `{value}`"),
            Rejection::Rule { diagnostics, .. } => {
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                format!("the rule has {errors} error(s)")
            }
        }
    }

    /// What the model is told before it tries again: the problem, and for a rule every
    /// diagnostic rendered with its position, message and help.
    pub fn feedback(&self) -> String {
        let problem = match self {
            Rejection::Rule {
                rule, diagnostics, ..
            } => {
                let rendered: Vec<String> = diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| d.render(rule, "rule"))
                    .collect();
                format!(
                    "The rule does not check. The checker reports:\n\n{}",
                    rendered.join("\n")
                )
            }
            other => format!("Your answer was rejected: {}.", other.message()),
        };
        format!(
            "{problem}\nFix it and answer again with only the JSON object \
             {{\"name\", \"description\", \"interval\", \"rule\"}}. Use only the functions, \
             indicators and fields of the reference."
        )
    }
}
