//! Trader input as JSON, its validation, and rule diagnostics as the API shows them.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sift_core::{Interval, Tier};
use sift_rules::{Diagnostic, Program};
use sift_traders::{Symbols, TraderDef};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;

/// A trader as sent by clients (`POST`, `PUT`). `builtin` and `access_tier` are for admins
/// only; owners get 403 when they set them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TraderInput {
    #[schema(example = "RSI bounce")]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[schema(value_type = String, example = "5m")]
    pub interval: Interval,
    #[schema(example = "crossover(rsi(14), 30)")]
    pub rule: String,
    /// `"all"` (default), a list of symbols, or `{"top": N}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub symbols: Symbols,
    #[serde(default)]
    pub cooldown_bars: u32,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Notification channel ids (the caller's own).
    #[serde(default)]
    pub channels: Vec<i64>,
    /// Admins: create a built-in trader.
    #[serde(default)]
    pub builtin: bool,
    /// Admins: the lowest tier that sees a built-in (default anonymous).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "free")]
    pub access_tier: Option<Tier>,
    /// On update: fail with 409 unless the stored version is this one.
    #[serde(default)]
    pub version: Option<i64>,
}

fn yes() -> bool {
    true
}

/// A partial update (`PATCH`): absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TraderPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    #[schema(value_type = Option<String>)]
    pub interval: Option<Interval>,
    pub rule: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub symbols: Option<Symbols>,
    pub cooldown_bars: Option<u32>,
    pub enabled: Option<bool>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub channels: Option<Vec<i64>>,
    #[schema(value_type = Option<String>)]
    pub access_tier: Option<Tier>,
    pub version: Option<i64>,
}

impl TraderInput {
    /// The definition (without an access tier: the caller sets it for built-ins).
    pub(crate) fn def(&self) -> TraderDef {
        TraderDef {
            name: self.name.trim().to_owned(),
            description: self.description.clone(),
            interval: self.interval,
            rule: self.rule.clone(),
            symbols: self.symbols.clone(),
            cooldown_bars: self.cooldown_bars,
            enabled: self.enabled,
            category: self.category.clone(),
            tags: self.tags.clone(),
            access_tier: None,
        }
    }
}

impl TraderPatch {
    /// `def` with the patch applied (access tier untouched).
    pub(crate) fn apply(&self, mut def: TraderDef) -> TraderDef {
        if let Some(v) = &self.name {
            def.name = v.trim().to_owned();
        }
        if let Some(v) = &self.description {
            def.description.clone_from(v);
        }
        if let Some(v) = self.interval {
            def.interval = v;
        }
        if let Some(v) = &self.rule {
            def.rule.clone_from(v);
        }
        if let Some(v) = &self.symbols {
            def.symbols = v.clone();
        }
        if let Some(v) = self.cooldown_bars {
            def.cooldown_bars = v;
        }
        if let Some(v) = self.enabled {
            def.enabled = v;
        }
        if let Some(v) = &self.category {
            def.category = Some(v.clone());
        }
        if let Some(v) = &self.tags {
            def.tags.clone_from(v);
        }
        def
    }
}

/// Checks settings and rule; 422 with the field or the rule diagnostics.
pub(crate) fn validate_def(def: &TraderDef) -> Result<Program, ApiError> {
    def.validate_settings()
        .map_err(|(field, message)| ApiError::field(field, message))?;
    check_rule(&def.rule, def.interval)
}

/// The checked rule, or 422 with its diagnostics in `details.diagnostics`.
pub(crate) fn check_rule(rule: &str, interval: Interval) -> Result<Program, ApiError> {
    sift_rules::check(rule, &sift_rules::CheckOptions::new(interval)).map_err(|diagnostics| {
        let views: Vec<DiagnosticView> = diagnostics
            .iter()
            .map(|d| DiagnosticView::new(d, rule))
            .collect();
        ApiError::Validation {
            message: format!("the rule has {} error(s)", diagnostics.len()),
            details: json!({ "field": "rule", "diagnostics": views }),
        }
    })
}

/// A span of the rule: byte offsets and the 1-based line and column (in characters) of its
/// start.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct SpanView {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub col: usize,
}

impl SpanView {
    fn new(span: &std::ops::Range<usize>, source: &str) -> Self {
        let (line, col) = line_col(source, span.start);
        Self {
            start: span.start,
            end: span.end,
            line,
            col,
        }
    }
}

/// 1-based line and column (in characters) of byte `offset`, clamped into `source` and back
/// to a character boundary (as `Diagnostic::line_col` does).
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// A secondary location of a diagnostic.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct LabelView {
    pub span: SpanView,
    pub message: String,
}

/// One problem in a rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct DiagnosticView {
    /// Stable code: `E0008`, `W0001`...
    #[schema(example = "E0008")]
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    pub message: String,
    pub span: SpanView,
    pub help: Option<String>,
    pub labels: Vec<LabelView>,
}

impl DiagnosticView {
    pub(crate) fn new(d: &Diagnostic, source: &str) -> Self {
        Self {
            code: d.code.as_str().to_owned(),
            severity: if d.is_error() { "error" } else { "warning" }.to_owned(),
            message: d.message.clone(),
            span: SpanView::new(&d.span, source),
            help: d.help.clone(),
            labels: d
                .labels
                .iter()
                .map(|l| LabelView {
                    span: SpanView::new(&l.span, source),
                    message: l.message.clone(),
                })
                .collect(),
        }
    }
}

/// A rule to check.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValidateRequest {
    #[schema(example = "rsi(14) < 30 and close @ 1h > ema(200) @ 1h")]
    pub rule: String,
    #[schema(value_type = String, example = "5m")]
    pub interval: Interval,
}

/// Warm-up of one timeframe.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct WarmupView {
    #[schema(value_type = String, example = "1h")]
    pub interval: Interval,
    pub bars: u32,
}

/// The checker's verdict: diagnostics (errors and warnings), and for a valid rule the
/// timeframes it reads and the closed candles each needs first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ValidateResponse {
    pub valid: bool,
    pub diagnostics: Vec<DiagnosticView>,
    #[schema(value_type = Vec<String>)]
    pub timeframes: Vec<Interval>,
    pub warmup: Vec<WarmupView>,
    /// The indicator, series and ticker values the rule references, by their text.
    pub references: Vec<String>,
}

/// Check a rule without saving anything (the editor's live validation). Always 200: the
/// verdict is in the body.
#[utoipa::path(post, path = "/traders/validate", tag = "traders", request_body = ValidateRequest,
    responses((status = 200, body = ValidateResponse), (status = 400, body = ErrorBody)))]
pub(crate) async fn validate(Json(body): Json<ValidateRequest>) -> axum::Json<ValidateResponse> {
    let options = sift_rules::CheckOptions::new(body.interval);
    let response = match sift_rules::check(&body.rule, &options) {
        Ok(program) => ValidateResponse {
            valid: true,
            diagnostics: program
                .warnings
                .iter()
                .map(|d| DiagnosticView::new(d, &body.rule))
                .collect(),
            timeframes: program.timeframes.clone(),
            warmup: program
                .warmup
                .iter()
                .map(|&(interval, bars)| WarmupView { interval, bars })
                .collect(),
            references: program.references.iter().map(|r| r.text.clone()).collect(),
        },
        Err(diagnostics) => ValidateResponse {
            valid: false,
            diagnostics: diagnostics
                .iter()
                .map(|d| DiagnosticView::new(d, &body.rule))
                .collect(),
            timeframes: Vec::new(),
            warmup: Vec::new(),
            references: Vec::new(),
        },
    };
    axum::Json(response)
}
