//! The candle store contract every backend implements.

use sift_core::{Candle, Interval, Symbol, Ticker};

use crate::StoreError;

/// How long a ticker stays valid after its event time, in milliseconds: older tickers count as
/// absent (the Redis schema's 60 s TTL on `ticker:{SYMBOL}`).
pub const TICKER_MAX_AGE_MS: i64 = 60_000;

/// A run of closed candles missing before a newly appended one.
///
/// To repair it, fetch the closed candles opening in `from..to` (REST `startTime = from`,
/// `endTime = to - 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// Open time of the first missing candle: the one after the previous newest closed candle.
    pub from: i64,
    /// Open time of the candle that was appended after the gap (exclusive end of the gap).
    pub to: i64,
    /// How many candles are missing (at least 1).
    pub missing: i64,
}

/// What [`CandleStore::put_closed`] did with a closed candle. A candle's identity is its open
/// time, and a series only grows at its newest end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedPut {
    /// Appended as the new newest closed candle, directly after the previous one (or as the
    /// first candle of the series).
    Appended,
    /// Appended as the new newest closed candle, but candles are missing before it.
    AppendedAfterGap(Gap),
    /// A candle with this open time is already stored; the stored one is kept (first write wins).
    Duplicate,
    /// Older than the newest closed candle and not stored (a reordered update, or one that
    /// falls in a gap or before the oldest kept candle); ignored.
    Stale,
}

impl ClosedPut {
    /// Whether the candle was stored.
    pub fn is_appended(self) -> bool {
        matches!(self, Self::Appended | Self::AppendedAfterGap(_))
    }

    /// The gap this candle revealed, if any.
    pub fn gap(self) -> Option<Gap> {
        match self {
            Self::AppendedAfterGap(gap) => Some(gap),
            _ => None,
        }
    }
}

/// What a write of the forming candle or a ticker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// Stored, replacing the previous value.
    Stored,
    /// Older than what is stored and ignored.
    Stale,
}

/// The candle store: per (symbol, interval) a bounded history of closed candles plus the
/// forming candle, and per symbol the latest ticker.
///
/// # Contract
/// Every backend behaves identically; `testsuite` (cargo feature `testsuite`)
/// checks it. Candles must be valid for their series: the open time on an interval boundary and
/// the close time in `open_time..next_open` (otherwise [`StoreError::InvalidCandle`], nothing
/// written). The `closed` flag of a written candle is ignored: candles read back from the closed
/// history have `closed == true`, the forming one `closed == false`.
///
/// - Closed candles are kept oldest first, unique by open time, at most
///   [`Capacities::of`](crate::Capacities::of) per series (the oldest are evicted).
/// - The forming candle is always newer than the newest closed one: a closed candle at or after
///   its open time removes it, and a forming candle at or before the newest closed one is stale.
/// - Reads return owned data, oldest first; unknown series read as empty.
/// - Tickers older than [`TICKER_MAX_AGE_MS`] at the caller's `now_ms` read as absent; the store
///   never reads a clock.
pub trait CandleStore: Send + Sync {
    /// Appends a closed candle if it is newer than the newest closed one; see [`ClosedPut`].
    fn put_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
        candle: &Candle,
    ) -> Result<ClosedPut, StoreError>;

    /// [`put_closed`](Self::put_closed) for every candle of one close burst, in order; the
    /// outcomes are in the same order. The whole batch is validated first: on an invalid candle
    /// nothing is written. Readers may observe a batch partly applied (it is not atomic across
    /// series), but every single candle is.
    fn put_closed_batch(
        &self,
        batch: &[(Symbol, Interval, Candle)],
    ) -> Result<Vec<ClosedPut>, StoreError>;

    /// Replaces the forming candle of a series. [`Put::Stale`] when it opens at or before the
    /// newest closed candle, or before the current forming candle.
    fn put_forming(
        &self,
        symbol: &Symbol,
        interval: Interval,
        candle: &Candle,
    ) -> Result<Put, StoreError>;

    /// The newest `n` closed candles (fewer if fewer are kept), oldest first.
    fn last_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
        n: usize,
    ) -> Result<Vec<Candle>, StoreError>;

    /// The newest `n` candles counting the forming one, oldest first: the forming candle last
    /// when there is one, preceded by up to `n - 1` closed candles.
    fn last_with_forming(
        &self,
        symbol: &Symbol,
        interval: Interval,
        n: usize,
    ) -> Result<Vec<Candle>, StoreError>;

    /// The newest closed candle.
    fn latest_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
    ) -> Result<Option<Candle>, StoreError>;

    /// The forming candle.
    fn forming(&self, symbol: &Symbol, interval: Interval) -> Result<Option<Candle>, StoreError>;

    /// Stores a ticker, replacing the stored one unless that one has a later event time
    /// ([`Put::Stale`]); an equal event time replaces.
    fn put_ticker(&self, ticker: &Ticker) -> Result<Put, StoreError>;

    /// The latest ticker of `symbol`, or `None` if there is none or it is older than
    /// [`TICKER_MAX_AGE_MS`] at `now_ms` (`now_ms - event_time > TICKER_MAX_AGE_MS`).
    fn ticker(&self, symbol: &Symbol, now_ms: i64) -> Result<Option<Ticker>, StoreError>;

    /// Symbols with at least one candle (closed or forming), sorted.
    fn symbols(&self) -> Result<Vec<Symbol>, StoreError>;

    /// Intervals of `symbol` with at least one candle (closed or forming), shortest first.
    fn intervals(&self, symbol: &Symbol) -> Result<Vec<Interval>, StoreError>;

    /// Number of closed candles kept for the series (the forming one not counted).
    fn len(&self, symbol: &Symbol, interval: Interval) -> Result<usize, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_helpers() {
        let gap = Gap {
            from: 60_000,
            to: 180_000,
            missing: 2,
        };
        assert!(ClosedPut::Appended.is_appended());
        assert!(ClosedPut::AppendedAfterGap(gap).is_appended());
        assert!(!ClosedPut::Duplicate.is_appended());
        assert!(!ClosedPut::Stale.is_appended());
        assert_eq!(ClosedPut::AppendedAfterGap(gap).gap(), Some(gap));
        assert_eq!(ClosedPut::Appended.gap(), None);
    }
}
