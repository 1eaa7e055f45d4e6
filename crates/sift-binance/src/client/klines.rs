//! Klines over REST: one page, a range paged forwards, the newest closed candles paged backwards.

use sift_core::{Candle, Interval, Symbol};

use super::RestClient;
use super::error::RestError;
use super::rest::WEIGHT_KLINES;
use crate::rest::decode_klines;

/// Binance's largest `limit` for `GET /api/v3/klines`.
pub const KLINES_MAX_LIMIT: u16 = 1000;

impl RestClient {
    /// One `GET /api/v3/klines` call (`limit` 1 to 1000). `start_time` and `end_time` bound the
    /// open times, inclusive. Rows whose close time is not before the local clock are marked as
    /// not closed (the newest may still be forming).
    pub async fn klines(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start_time: Option<i64>,
        end_time: Option<i64>,
        limit: u16,
    ) -> Result<Vec<Candle>, RestError> {
        self.klines_at(
            symbol,
            interval,
            start_time,
            end_time,
            limit,
            super::now_ms(),
        )
        .await
    }

    async fn klines_at(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start_time: Option<i64>,
        end_time: Option<i64>,
        limit: u16,
        now_ms: i64,
    ) -> Result<Vec<Candle>, RestError> {
        if !(1..=KLINES_MAX_LIMIT).contains(&limit) {
            return Err(RestError::InvalidRequest(format!(
                "klines limit {limit} is not in 1..=1000"
            )));
        }
        let mut query = vec![
            ("symbol", symbol.as_str().to_owned()),
            ("interval", interval.as_str().to_owned()),
            ("limit", limit.to_string()),
        ];
        if let Some(start) = start_time {
            query.push(("startTime", start.to_string()));
        }
        if let Some(end) = end_time {
            query.push(("endTime", end.to_string()));
        }
        let body = self.get("/api/v3/klines", &query, WEIGHT_KLINES).await?;
        Ok(decode_klines(&body, now_ms)?)
    }

    /// Every candle opening in `[from_open, to_open)`, oldest first, paging forwards by
    /// `startTime` (1000 per page). The caller guarantees they are closed, so all are marked
    /// closed. Missing candles (gaps in Binance's history) are simply absent.
    pub async fn klines_range(
        &self,
        symbol: &Symbol,
        interval: Interval,
        from_open: i64,
        to_open: i64,
    ) -> Result<Vec<Candle>, RestError> {
        let mut candles: Vec<Candle> = Vec::new();
        let mut start = from_open;
        while start < to_open {
            let page = self
                .klines(
                    symbol,
                    interval,
                    Some(start),
                    Some(to_open - 1),
                    KLINES_MAX_LIMIT,
                )
                .await?;
            let Some(last) = page.last().map(|candle| candle.open_time) else {
                break;
            };
            candles.extend(
                page.into_iter()
                    .filter(|c| c.open_time >= start && c.open_time < to_open),
            );
            // Stop when the range is covered; never loop on a page that does not advance.
            if last < start || interval.next_open(last) >= to_open {
                break;
            }
            start = last + 1;
        }
        for candle in &mut candles {
            candle.closed = true;
        }
        Ok(candles)
    }

    /// The newest `n` candles closed at `server_now`, oldest first: the forming candle is never
    /// included. Pages backwards by `endTime` when `n` exceeds 1000; fewer than `n` come back
    /// when Binance's history is shorter.
    pub async fn closed_klines(
        &self,
        symbol: &Symbol,
        interval: Interval,
        n: usize,
        server_now: i64,
    ) -> Result<Vec<Candle>, RestError> {
        let forming_open = interval.open_time(server_now);
        let mut pages: Vec<Vec<Candle>> = Vec::new();
        let mut total = 0;
        let mut end = forming_open - 1;
        while total < n {
            let limit = (n - total).min(usize::from(KLINES_MAX_LIMIT));
            let limit = u16::try_from(limit).unwrap_or(KLINES_MAX_LIMIT);
            let mut page = self
                .klines_at(symbol, interval, None, Some(end), limit, server_now)
                .await?;
            page.retain(|c| c.open_time <= end && c.close_time < server_now);
            let Some(first) = page.first().map(|candle| candle.open_time) else {
                break;
            };
            total += page.len();
            pages.push(page);
            end = first - 1;
        }
        let mut candles: Vec<Candle> = pages.into_iter().rev().flatten().collect();
        if candles.len() > n {
            candles.drain(..candles.len() - n);
        }
        for candle in &mut candles {
            candle.closed = true;
        }
        Ok(candles)
    }
}
