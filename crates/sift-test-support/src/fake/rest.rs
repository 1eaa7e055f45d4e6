//! REST: `/api/v3/klines`, `exchangeInfo`, `ticker/24hr`, `ping` and `time`, with request
//! weight, 429 and 418.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sift_core::{Interval, Symbol, Ticker};
use sift_sim::{DayStats, LiveMarket};

use super::json::{self, PairInfo};
use super::limiter::Verdict;
use super::shared::Shared;
use super::stats::bump;

type Params = Query<HashMap<String, String>>;

/// Rows per klines request by default and at most (more is served as the most).
const KLINES_DEFAULT_LIMIT: usize = 500;
const KLINES_MAX_LIMIT: usize = 1_000;
const WEIGHT_HEADER: &str = "x-mbx-used-weight-1m";

/// A Binance error: HTTP status, code and message.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: i64,
    msg: String,
}

impl ApiError {
    fn bad_request(code: i64, msg: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            msg: msg.into(),
        }
    }

    fn mandatory(name: &str) -> Self {
        Self::bad_request(
            -1102,
            format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
        )
    }

    fn invalid_symbol() -> Self {
        Self::bad_request(-1121, "Invalid symbol.")
    }
}

/// A JSON response carrying the weight used.
fn respond(status: StatusCode, used: u32, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    headers.insert(WEIGHT_HEADER, HeaderValue::from(used));
    response
}

/// Charges `weight`, then answers with `body` (run on the market at the clock's now) or with
/// the refusal: 429 or 418 with `Retry-After`.
fn serve(
    shared: &Shared,
    weight: u32,
    body: impl FnOnce(&mut LiveMarket, i64) -> Result<String, ApiError>,
) -> Response {
    bump(&shared.stats.rest_requests);
    let verdict = shared
        .limiter
        .lock()
        .charge(weight, tokio::time::Instant::now());
    let (status, used, retry_after, msg) = match verdict {
        Verdict::Admit { used } => {
            return match shared.with_market(body) {
                Ok(body) => respond(StatusCode::OK, used, body),
                Err(e) => respond(e.status, used, json::rest_error(e.code, &e.msg)),
            };
        }
        Verdict::TooMany { used, retry_after } => {
            bump(&shared.stats.rest_429);
            let msg = format!(
                "Too much request weight used; current limit is {} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
                shared.config.weight_limit
            );
            (StatusCode::TOO_MANY_REQUESTS, used, retry_after, msg)
        }
        Verdict::Banned { used, retry_after } => {
            bump(&shared.stats.rest_418);
            let until = shared.clock.now_ms() + retry_after as i64 * 1_000;
            let msg = format!(
                "Way too much request weight used; IP banned until {until}. Please use WebSocket Streams for live updates to avoid bans."
            );
            (StatusCode::IM_A_TEAPOT, used, retry_after, msg)
        }
    };
    let mut response = respond(status, used, json::rest_error(-1003, &msg));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

pub(crate) async fn ping(State(shared): State<Arc<Shared>>) -> Response {
    serve(&shared, 1, |_, _| Ok("{}".to_owned()))
}

pub(crate) async fn time(State(shared): State<Arc<Shared>>) -> Response {
    serve(&shared, 1, |_, now| {
        Ok(format!(r#"{{"serverTime":{now}}}"#))
    })
}

fn symbol_param(market: &LiveMarket, text: &str) -> Result<Symbol, ApiError> {
    match text.parse::<Symbol>() {
        Ok(symbol) if market.contains(&symbol) => Ok(symbol),
        _ => Err(ApiError::invalid_symbol()),
    }
}

fn time_param(params: &HashMap<String, String>, name: &str) -> Result<Option<i64>, ApiError> {
    params
        .get(name)
        .map(|text| {
            text.parse::<i64>().map_err(|_| {
                ApiError::bad_request(
                    -1100,
                    format!(
                        "Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'."
                    ),
                )
            })
        })
        .transpose()
}

/// `GET /api/v3/klines` (weight 2): with `startTime` the oldest rows from there, without it the
/// newest; `endTime` bounds open times; the forming candle is the last row when in range.
pub(crate) async fn klines(State(shared): State<Arc<Shared>>, Query(params): Params) -> Response {
    serve(&shared, 2, |market, now| {
        let symbol = match params.get("symbol").filter(|s| !s.is_empty()) {
            Some(text) => symbol_param(market, text)?,
            None => return Err(ApiError::mandatory("symbol")),
        };
        let interval = match params.get("interval").filter(|s| !s.is_empty()) {
            Some(text) => text
                .parse::<Interval>()
                .ok()
                .filter(|i| market.intervals().contains(i))
                .ok_or_else(|| ApiError::bad_request(-1120, "Invalid interval."))?,
            None => return Err(ApiError::mandatory("interval")),
        };
        let start = time_param(&params, "startTime")?;
        let end = time_param(&params, "endTime")?;
        let limit = match params.get("limit") {
            None => KLINES_DEFAULT_LIMIT,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if n >= 1 => n.min(KLINES_MAX_LIMIT),
                _ => {
                    return Err(ApiError::bad_request(
                        -1130,
                        "Data sent for parameter 'limit' is not valid.",
                    ));
                }
            },
        };
        let forming = market.forming(&symbol, interval, now).filter(|f| {
            start.is_none_or(|s| f.open_time >= s) && end.is_none_or(|e| f.open_time <= e)
        });
        let mut rows = match start {
            Some(start) => {
                let to = end.map_or(i64::MAX, |e| e.saturating_add(1));
                market.closed(&symbol, interval, start, to, limit)
            }
            None => market.latest_closed(&symbol, interval, end, limit),
        };
        if let Some(forming) = forming {
            let newer = rows
                .last()
                .is_none_or(|last| last.open_time < forming.open_time);
            if newer && (start.is_none() || rows.len() < limit) {
                rows.push(forming);
                if rows.len() > limit {
                    rows.remove(0);
                }
            }
        }
        Ok(json::kline_rows(&rows))
    })
}

/// The symbols a `symbol` or `symbols=["A","B"]` parameter names, or `None` for all.
fn selection(
    market: &LiveMarket,
    params: &HashMap<String, String>,
) -> Result<Option<Vec<Symbol>>, ApiError> {
    if let Some(text) = params.get("symbol") {
        return Ok(Some(vec![symbol_param(market, text)?]));
    }
    let Some(list) = params.get("symbols") else {
        return Ok(None);
    };
    let names: Vec<String> = serde_json::from_str(list).map_err(|_| {
        ApiError::bad_request(-1100, "Illegal characters found in parameter 'symbols'.")
    })?;
    names
        .iter()
        .map(|n| symbol_param(market, n))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `GET /api/v3/exchangeInfo` (weight 20).
pub(crate) async fn exchange_info(
    State(shared): State<Arc<Shared>>,
    Query(params): Params,
) -> Response {
    let weight_limit = shared.config.weight_limit;
    serve(&shared, 20, |market, now| {
        let symbols = selection(market, &params)?.unwrap_or_else(|| market.symbols().to_vec());
        let pairs: Vec<PairInfo> = symbols
            .into_iter()
            .filter_map(|symbol| {
                let (tick, lot) = market.tick_and_lot(&symbol)?;
                Some(PairInfo {
                    status: market.status(&symbol)?.as_str(),
                    base: market.base_asset(&symbol)?.to_owned(),
                    quote: market.quote_asset(),
                    tick,
                    lot,
                    symbol,
                })
            })
            .collect();
        Ok(json::exchange_info(now, weight_limit, &pairs))
    })
}

/// Binance's weight of `ticker/24hr` for this many symbols (`None`: all).
fn ticker_weight(count: Option<usize>) -> u32 {
    match count {
        Some(0..=20) => 2,
        Some(21..=100) => 40,
        _ => 80,
    }
}

/// `GET /api/v3/ticker/24hr` (`type=FULL` or `MINI`): one object for `symbol`, an array
/// otherwise; weight 2 for one symbol, 80 for all.
pub(crate) async fn ticker_24hr(
    State(shared): State<Arc<Shared>>,
    Query(params): Params,
) -> Response {
    let count = match (params.get("symbol"), params.get("symbols")) {
        (Some(_), _) => Some(1),
        (None, Some(list)) => Some(list.matches(',').count() + 1),
        (None, None) => None,
    };
    serve(&shared, ticker_weight(count), |market, now| {
        let mini = match params.get("type").map(String::as_str) {
            None | Some("FULL") => false,
            Some("MINI") => true,
            Some(_) => return Err(ApiError::bad_request(-1139, "Invalid ticker type.")),
        };
        let one = params.contains_key("symbol");
        let symbols = selection(market, &params)?.unwrap_or_else(|| market.symbols().to_vec());
        let mut items: Vec<String> = symbols
            .iter()
            .map(|symbol| {
                let stats = market
                    .day_stats(symbol, now)
                    .unwrap_or_else(|| idle(symbol, now));
                if mini {
                    json::ticker_mini(&stats)
                } else {
                    let (tick, lot) = market.tick_and_lot(symbol).unwrap_or((0.0, 0.0));
                    json::ticker_full(&stats, tick, lot)
                }
            })
            .collect();
        Ok(if one && items.len() == 1 {
            items.remove(0)
        } else {
            json::array(&items)
        })
    })
}

/// The statistics of a pair without any candle in the window.
fn idle(symbol: &Symbol, now: i64) -> DayStats {
    DayStats {
        ticker: Ticker {
            symbol: symbol.clone(),
            event_time: now,
            last_price: 0.0,
            open_price: 0.0,
            high_price: 0.0,
            low_price: 0.0,
            volume: 0.0,
            quote_volume: 0.0,
        },
        open_time: now - 86_400_000,
        trades: 0,
        first_trade_id: -1,
        last_trade_id: -1,
    }
}
