//! `/market/*`: symbols with their status, tickers and klines, read from the candle store and
//! the market (public to every caller, rate-limited like everything else).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use sift_core::{Interval, Symbol};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Path, Query};
use crate::state::{AppState, SymbolStatus};
use crate::views::{CandleView, TickerView};

/// Default number of klines.
const DEFAULT_KLINES: usize = 500;
/// Most klines one request answers.
pub(crate) const MAX_KLINES: usize = 1_000;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SymbolList {
    pub symbols: Vec<SymbolStatus>,
}

/// The market's symbols with their exchange status and whether Sift watches them. Without a
/// market report, the symbols the candle store holds (status `unknown`).
#[utoipa::path(operation_id = "market_symbols",
    get, path = "/market/symbols", tag = "market",
    responses((status = 200, body = SymbolList)))]
pub(crate) async fn symbols(
    State(state): State<AppState>,
) -> Result<axum::Json<SymbolList>, ApiError> {
    let mut symbols = state.control.market_symbols();
    if symbols.is_empty() {
        symbols = state
            .candles
            .symbols()?
            .into_iter()
            .map(|symbol| SymbolStatus {
                symbol,
                status: "unknown".to_owned(),
                watched: true,
                quote_volume: None,
            })
            .collect();
    }
    Ok(axum::Json(SymbolList { symbols }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TickerList {
    pub tickers: Vec<TickerView>,
}

/// The latest 24 h statistics of every symbol with a fresh ticker, alphabetically.
#[utoipa::path(operation_id = "market_tickers",
    get, path = "/market/tickers", tag = "market",
    responses((status = 200, body = TickerList)))]
pub(crate) async fn tickers(
    State(state): State<AppState>,
) -> Result<axum::Json<TickerList>, ApiError> {
    let now = state.now_ms();
    let mut tickers = Vec::new();
    for symbol in state.candles.symbols()? {
        if let Some(ticker) = state.candles.ticker(&symbol, now)? {
            tickers.push(TickerView::from(&ticker));
        }
    }
    Ok(axum::Json(TickerList { tickers }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct KlineQuery {
    /// Candles to answer, the forming one included: 1 to 1000 (default 500).
    pub limit: Option<usize>,
}

/// Candles of one symbol and interval, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Klines {
    #[schema(value_type = String, example = "BTCUSDT")]
    pub symbol: Symbol,
    #[schema(value_type = String, example = "1m")]
    pub interval: Interval,
    /// Oldest first; the forming candle, if any, last with `closed: false`.
    pub candles: Vec<CandleView>,
}

/// Closed candles plus the forming one.
#[utoipa::path(operation_id = "market_klines",
    get, path = "/market/klines/{symbol}/{interval}", tag = "market",
    params(("symbol" = String, Path, example = "BTCUSDT"),
        ("interval" = String, Path, example = "1m"), KlineQuery),
    responses((status = 200, body = Klines), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn klines(
    State(state): State<AppState>,
    Path((symbol, interval)): Path<(String, String)>,
    Query(query): Query<KlineQuery>,
) -> Result<axum::Json<Klines>, ApiError> {
    let symbol: Symbol = symbol
        .parse()
        .map_err(|_| ApiError::BadRequest("not a symbol".to_owned()))?;
    let interval: Interval = interval
        .parse()
        .map_err(|_| ApiError::BadRequest("not an interval".to_owned()))?;
    let limit = query.limit.unwrap_or(DEFAULT_KLINES);
    if !(1..=MAX_KLINES).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_KLINES}"
        )));
    }
    let candles = state.candles.last_with_forming(&symbol, interval, limit)?;
    if candles.is_empty() && !state.candles.symbols()?.contains(&symbol) {
        return Err(ApiError::NotFound);
    }
    // The store marks the forming candle `closed: false`.
    let candles = candles
        .iter()
        .map(|c| CandleView::new(c, c.closed))
        .collect();
    Ok(axum::Json(Klines {
        symbol,
        interval,
        candles,
    }))
}
