//! The check every backend applies before writing a candle.

use sift_core::{Candle, Interval, Symbol};

use crate::StoreError;

/// Checks that `candle` can belong to the series (`symbol`, `interval`): its open time lies on
/// an interval boundary, its close time in `open_time..next_open`, and its trade count fits 32
/// bits (the in-process layout; about 4.3 billion, far beyond any real candle).
///
/// Shared by all backends so that they refuse exactly the same candles.
pub fn validate_candle(
    symbol: &Symbol,
    interval: Interval,
    candle: &Candle,
) -> Result<(), StoreError> {
    let t = candle.open_time;
    let reason = if interval.open_time(t) != t {
        Some("open time is not on an interval boundary")
    } else if candle.close_time < t || candle.close_time >= next_open_of_aligned(interval, t) {
        Some("close time is outside the candle")
    } else if u32::try_from(candle.trades).is_err() {
        Some("trade count exceeds 32 bits")
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidCandle {
            symbol: symbol.clone(),
            interval,
            open_time: candle.open_time,
            reason,
        }),
    }
}

/// `interval.next_open(open_time)` for an `open_time` already on a boundary, without the
/// division for fixed intervals (this runs for every candle written). Aligned times lie within
/// the interval's clamping range, so the addition cannot overflow.
pub(crate) fn next_open_of_aligned(interval: Interval, open_time: i64) -> i64 {
    match interval.fixed_duration_ms() {
        Some(len) => open_time + len,
        None => interval.next_open(open_time),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn candle(open_time: i64, close_time: i64, trades: u64) -> Candle {
        Candle {
            close_time,
            trades,
            ..Candle::ohlcv(open_time, 1.0, 1.0, 1.0, 1.0, 1.0)
        }
    }

    fn reason(interval: Interval, c: &Candle) -> Option<&'static str> {
        match validate_candle(&Symbol::new("BTCUSDT").unwrap(), interval, c) {
            Ok(()) => None,
            Err(StoreError::InvalidCandle { reason, .. }) => Some(reason),
            Err(other) => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn next_open_shortcut_agrees_with_the_calendar() {
        for interval in Interval::ALL {
            for ts in [
                0,
                1_735_689_600_123,
                -86_400_001,
                Interval::MIN_TIME_MS,
                Interval::MAX_TIME_MS,
            ] {
                let open = interval.open_time(ts);
                assert_eq!(
                    next_open_of_aligned(interval, open),
                    interval.next_open(open),
                    "{interval} {ts}"
                );
            }
        }
    }

    #[test]
    fn accepts_real_and_synthetic_close_times() {
        assert_eq!(
            reason(Interval::M1, &candle(MINUTE, 2 * MINUTE - 1, 10)),
            None
        );
        assert_eq!(reason(Interval::M1, &candle(MINUTE, MINUTE, 0)), None);
        // A 31-day month: its close offset still fits the packed layout.
        let jan = 1_735_689_600_000; // 2025-01-01
        let feb = Interval::Month1.next_open(jan);
        assert_eq!(reason(Interval::Month1, &candle(jan, feb - 1, 0)), None);
        assert_eq!(reason(Interval::M1, &candle(-MINUTE, -1, 0)), None);
    }

    #[test]
    fn refuses_candles_of_another_series() {
        assert_eq!(
            reason(Interval::M5, &candle(MINUTE, MINUTE, 0)),
            Some("open time is not on an interval boundary")
        );
        assert_eq!(
            reason(Interval::M1, &candle(MINUTE, 2 * MINUTE, 0)),
            Some("close time is outside the candle")
        );
        assert_eq!(
            reason(Interval::M1, &candle(MINUTE, MINUTE - 1, 0)),
            Some("close time is outside the candle")
        );
        assert_eq!(
            reason(
                Interval::M1,
                &candle(MINUTE, MINUTE, u64::from(u32::MAX) + 1)
            ),
            Some("trade count exceeds 32 bits")
        );
        assert_eq!(
            reason(Interval::M1, &candle(i64::MAX - 5, i64::MAX, 0)),
            Some("open time is not on an interval boundary")
        );
    }
}
