//! Preview and backtest: the live engine run over the candle store's candles, synchronously
//! (callers run these on the blocking pool).
//!
//! A preview answers "which symbols match right now": for each symbol the stored candles of
//! every timeframe the rule reads are loaded up to the newest closed candle of the trader's
//! interval, and that last close is evaluated in level mode (the rule holds, whatever it did
//! before). A backtest replays the stored candles through `sift_backtest` exactly as the
//! `sift backtest` command replays files.

use std::convert::Infallible;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};
use sift_backtest::{Backtest, Market, Options};
use sift_candles::{CandleStore, StoreError};
use sift_core::{Interval, Symbol};
use sift_data::CandleSeries;
use sift_engine::{
    CloseBatch, Engine, EngineConfig, MatchValues, SignalMode, SymbolFilter, Trader, TraderId,
};
use sift_rules::Program;
use sift_traders::Symbols;
use utoipa::ToSchema;

/// The symbols a trader screens among those with candles: all, a list, or the top N by the
/// 24 h quote volume of their tickers (symbols without a ticker rank last, alphabetically).
pub(crate) fn resolve_symbols(
    candles: &dyn CandleStore,
    symbols: &Symbols,
    now_ms: i64,
) -> Result<Vec<Symbol>, StoreError> {
    let stored = candles.symbols()?;
    Ok(match symbols {
        Symbols::All => stored,
        Symbols::List(list) => list
            .iter()
            .filter(|s| stored.contains(s))
            .cloned()
            .collect(),
        Symbols::Top(n) => {
            let mut ranked: Vec<(Symbol, f64)> = Vec::with_capacity(stored.len());
            for symbol in stored {
                let volume = candles
                    .ticker(&symbol, now_ms)?
                    .map_or(-1.0, |t| t.quote_volume);
                ranked.push((symbol, volume));
            }
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            ranked
                .into_iter()
                .take(*n as usize)
                .map(|(s, _)| s)
                .collect()
        }
    })
}

/// One symbol where the rule holds at its newest close.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PreviewMatch {
    #[schema(value_type = String, example = "BTCUSDT")]
    pub symbol: Symbol,
    pub open_time: i64,
    pub close_time: i64,
    /// Close price of that candle.
    pub price: f64,
    /// The values the rule referenced, by their text.
    #[schema(value_type = Object)]
    pub values: Value,
}

/// The answer of a preview.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PreviewResult {
    #[schema(value_type = String, example = "5m")]
    pub interval: Interval,
    /// Symbols evaluated (screened and with a closed candle of the interval).
    pub checked: usize,
    pub matches: Vec<PreviewMatch>,
}

/// Evaluates `program` at the newest close of each symbol.
pub(crate) fn preview(
    candles: &dyn CandleStore,
    program: Arc<Program>,
    symbols: &[Symbol],
    max_candles: usize,
    now_ms: i64,
) -> Result<PreviewResult, StoreError> {
    let interval = program.interval;
    let mut engine = Engine::new(EngineConfig {
        candle_capacity: max_candles.max(1),
        mode: SignalMode::Level,
        // Leave rayon's threads to live evaluation.
        parallel: false,
        ..EngineConfig::default()
    });
    let trader = Trader::new(TraderId(0), "preview", Arc::clone(&program))
        .with_symbols(SymbolFilter::List(symbols.to_vec()));
    // The program was checked for its own interval, so the engine accepts it.
    if engine.set_traders(vec![trader]).is_err() {
        return Ok(PreviewResult {
            interval,
            checked: 0,
            matches: Vec::new(),
        });
    }
    let mut batch = CloseBatch::new();
    let mut checked = 0;
    for symbol in symbols {
        let main = candles.last_closed(symbol, interval, max_candles)?;
        let Some(last) = main.last().copied() else {
            continue;
        };
        checked += 1;
        for &timeframe in &program.timeframes {
            let series = if timeframe == interval {
                main.clone()
            } else {
                candles.last_closed(symbol, timeframe, max_candles)?
            };
            let (before, at): (Vec<_>, Vec<_>) = series
                .into_iter()
                .filter(|c| c.close_time <= last.close_time)
                .partition(|c| c.close_time < last.close_time);
            engine.warm(symbol, timeframe, &before);
            for candle in at {
                batch.push(symbol.clone(), timeframe, candle);
            }
        }
        if let Some(ticker) = candles.ticker(symbol, now_ms)? {
            batch.tickers.push(ticker);
        }
    }
    let matches = engine
        .process(&batch)
        .into_iter()
        .map(|m| PreviewMatch {
            symbol: m.symbol,
            open_time: m.open_time,
            close_time: m.close_time,
            price: m.close,
            values: values_json(&m.values),
        })
        .collect();
    Ok(PreviewResult {
        interval,
        checked,
        matches,
    })
}

/// Referenced values as a JSON object keyed by their text.
pub(crate) fn values_json(values: &MatchValues) -> Value {
    let map: Map<String, Value> = values
        .iter()
        .map(|(name, value)| (name.to_string(), Value::from(value)))
        .collect();
    Value::Object(map)
}

/// A backtest signal with its forward returns.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct BacktestSignal {
    #[schema(value_type = String, example = "BTCUSDT")]
    pub symbol: Symbol,
    pub open_time: i64,
    pub price: f64,
    /// Percent return after each horizon; null where the data ends first.
    pub forward: Vec<Option<f64>>,
    #[schema(value_type = Object)]
    pub values: Value,
}

/// Forward returns after one horizon, over every signal that has one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct HorizonView {
    pub bars: u32,
    pub count: u64,
    pub positive: u64,
    /// Share of positive returns, 0 to 1.
    pub hit_rate: Option<f64>,
    /// Mean return in percent.
    pub mean: Option<f64>,
}

/// The answer of a backtest.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct BacktestResult {
    #[schema(value_type = String, example = "5m")]
    pub interval: Interval,
    /// Symbols with stored candles that the trader screens.
    pub symbols: usize,
    /// Every signal, counted even beyond the listed ones.
    pub signal_count: u64,
    pub horizons: Vec<HorizonView>,
    /// The first signals, oldest first.
    pub signals: Vec<BacktestSignal>,
    /// Whether more signals happened than are listed.
    pub truncated: bool,
}

/// Why a backtest could not run (the messages are meant for users).
#[derive(Debug, thiserror::Error)]
pub(crate) enum BacktestError {
    #[error(transparent)]
    Candles(#[from] StoreError),
    #[error("{0}")]
    Backtest(#[from] sift_backtest::Error),
}

/// Replays the stored candles of `symbols` through `trader`.
pub(crate) fn backtest(
    candles: &dyn CandleStore,
    trader: Trader,
    symbols: &[Symbol],
    options: Options,
    max_candles: usize,
    max_signals: usize,
) -> Result<BacktestResult, BacktestError> {
    let interval = trader.interval;
    let mut market = Market::new();
    for symbol in symbols {
        for &timeframe in &trader.program.timeframes {
            let series = candles.last_closed(symbol, timeframe, max_candles)?;
            if !series.is_empty() {
                market.add(CandleSeries {
                    symbol: symbol.clone(),
                    interval: timeframe,
                    candles: series,
                })?;
            }
        }
    }
    let screened = market.symbols().len();
    let trader = trader.with_enabled(true);
    let mut signals = Vec::new();
    let mut truncated = false;
    let summary = Backtest::new(&market, vec![trader], options)?.run(|s| {
        if signals.len() < max_signals {
            signals.push(BacktestSignal {
                symbol: s.symbol.clone(),
                open_time: s.open_time,
                price: s.close,
                forward: s.forward.clone(),
                values: values_json(&s.values),
            });
        } else {
            truncated = true;
        }
        Ok::<(), Infallible>(())
    });
    let summary = match summary {
        Ok(summary) => summary,
        Err(never) => match never {},
    };
    let stats = summary.traders.first();
    Ok(BacktestResult {
        interval,
        symbols: screened,
        signal_count: stats.map_or(0, |t| t.signals),
        horizons: stats
            .map(|t| {
                t.horizons
                    .iter()
                    .map(|h| HorizonView {
                        bars: h.bars,
                        count: h.count,
                        positive: h.positive,
                        hit_rate: h.hit_rate(),
                        mean: h.mean(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        signals,
        truncated,
    })
}
