//! `/traders/preview`, `/traders/{id}/preview` and `/traders/{id}/backtest`: the engine over
//! stored candles, on the blocking pool, a bounded number at a time.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use serde::Deserialize;
use sift_backtest::Options;
use sift_core::Interval;
use sift_engine::{SignalMode, SymbolFilter, Trader as EngineTrader, TraderId};
use sift_traders::Symbols;
use utoipa::ToSchema;

use super::rules::check_rule;
use crate::access::load_visible;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::evaluate::{self, BacktestError, BacktestResult, PreviewResult};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// A rule to preview before saving it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PreviewRequest {
    pub rule: String,
    #[schema(value_type = String, example = "5m")]
    pub interval: Interval,
    /// `"all"` (default), a list, or `{"top": N}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub symbols: Symbols,
}

/// Backtest options.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BacktestRequest {
    /// Report signals on candles opening at or after this time (ms).
    pub from: Option<i64>,
    /// Report signals on candles opening at or before this time (ms).
    pub to: Option<i64>,
    /// Forward-return horizons in bars (default 1, 5, 10, 20).
    pub horizons: Option<Vec<u32>>,
    /// `true`: every close where the rule holds, instead of edge-triggered signals.
    #[serde(default)]
    pub level: bool,
}

/// Which symbols match a stored trader right now, with the values its rule references.
#[utoipa::path(post, path = "/traders/{id}/preview", tag = "traders",
    params(("id" = i64, Path, description = "trader id")),
    responses((status = 200, body = PreviewResult), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn preview_trader(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<PreviewResult>, ApiError> {
    caller.require_user()?;
    let trader = load_visible(&state, &caller, id).await?;
    let program = check_rule(&trader.def.rule, trader.def.interval)?;
    run_preview(&state, program, trader.def.symbols).await
}

/// Which symbols match an unsaved rule right now (for users who may have custom traders).
#[utoipa::path(post, path = "/traders/preview", tag = "traders", request_body = PreviewRequest,
    responses((status = 200, body = PreviewResult), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn preview_rule(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<PreviewRequest>,
) -> Result<axum::Json<PreviewResult>, ApiError> {
    require_custom_traders(&state, &caller)?;
    let program = check_rule(&body.rule, body.interval)?;
    run_preview(&state, program, body.symbols).await
}

async fn run_preview(
    state: &AppState,
    program: sift_rules::Program,
    symbols: Symbols,
) -> Result<axum::Json<PreviewResult>, ApiError> {
    let candles = Arc::clone(&state.candles);
    let max_candles = state.config.evaluation.max_candles;
    let now = state.now_ms();
    let result = run_blocking(state, move || {
        let symbols = evaluate::resolve_symbols(candles.as_ref(), &symbols, now)?;
        evaluate::preview(
            candles.as_ref(),
            Arc::new(program),
            &symbols,
            max_candles,
            now,
        )
    })
    .await??;
    Ok(axum::Json(result))
}

/// Replay the stored candles through a trader: its signals with forward returns and a
/// summary.
#[utoipa::path(operation_id = "backtest_trader",
    post, path = "/traders/{id}/backtest", tag = "traders",
    request_body = BacktestRequest,
    params(("id" = i64, Path, description = "trader id")),
    responses((status = 200, body = BacktestResult), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub(crate) async fn backtest(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<BacktestRequest>,
) -> Result<axum::Json<BacktestResult>, ApiError> {
    caller.require_user()?;
    let stored = load_visible(&state, &caller, id).await?;
    let program = check_rule(&stored.def.rule, stored.def.interval)?;
    if let (Some(from), Some(to)) = (body.from, body.to) {
        if from > to {
            return Err(ApiError::field("from", "must not be after `to`"));
        }
    }
    let options = Options {
        mode: if body.level {
            SignalMode::Level
        } else {
            SignalMode::Edge
        },
        from: body.from,
        to: body.to,
        horizons: body.horizons.unwrap_or_else(|| Options::default().horizons),
    };
    let trader = EngineTrader::new(TraderId(0), stored.def.name.clone(), Arc::new(program))
        .with_cooldown(stored.def.cooldown_bars)
        .with_symbols(SymbolFilter::All);
    let candles = Arc::clone(&state.candles);
    let evaluation = state.config.evaluation;
    let now = state.now_ms();
    let symbols = stored.def.symbols;
    let result = run_blocking(&state, move || {
        let symbols = evaluate::resolve_symbols(candles.as_ref(), &symbols, now)?;
        evaluate::backtest(
            candles.as_ref(),
            trader,
            &symbols,
            options,
            evaluation.max_candles,
            evaluation.max_backtest_signals,
        )
    })
    .await?
    .map_err(backtest_error)?;
    Ok(axum::Json(result))
}

/// Backtest errors in the API's words (the library's mention files and flags).
fn backtest_error(error: BacktestError) -> ApiError {
    use sift_backtest::Error;
    match error {
        BacktestError::Candles(e) => e.into(),
        BacktestError::Backtest(Error::Horizon { max, .. }) => ApiError::field(
            "horizons",
            format!("must be distinct whole numbers of bars from 1 to {max}"),
        ),
        BacktestError::Backtest(Error::Nothing(_)) => ApiError::Validation {
            message: "no stored candles for the symbols this trader screens".to_owned(),
            details: serde_json::Value::Null,
        },
        BacktestError::Backtest(e) => ApiError::Validation {
            message: format!("the stored candles cannot feed this trader: {e}"),
            details: serde_json::Value::Null,
        },
    }
}

/// Users whose tier allows custom traders, and admins.
fn require_custom_traders(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let user = caller.require_user()?;
    let quota = state.config.tiers.custom_traders.of(user.tier);
    if user.is_admin || quota.allows_one_more(0) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "custom rules need a higher tier than {}",
            user.tier
        )))
    }
}

/// Runs `work` on the blocking pool once an evaluation slot is free, within the configured
/// time budget (503 beyond it; the work itself is bounded by `evaluation.max_candles`).
async fn run_blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let budget = Duration::from_secs(state.config.evaluation.timeout_secs.max(1));
    let busy = || ApiError::Unavailable("evaluation is busy; try again shortly".to_owned());
    let run = async {
        let permit = Arc::clone(&state.evaluations)
            .acquire_owned()
            .await
            .map_err(|_| busy())?;
        // The permit goes with the work: a timed-out request's work still holds its slot.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| ApiError::internal(format!("evaluation task failed: {e}")))
    };
    tokio::time::timeout(budget, run)
        .await
        .map_err(|_| busy())?
}
