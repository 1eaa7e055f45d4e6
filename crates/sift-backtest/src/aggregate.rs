//! Building candles of a longer interval from a shorter one (1m to 5m, 1h, 1d, 1M ...).
//!
//! A coarse candle is built only from a **complete span**: every fine candle whose open time
//! falls in the coarse candle's UTC span ([`Interval::open_time`] to
//! [`Interval::next_open`], calendar weeks and months included) is present and opens on a
//! fine boundary. A span with any fine candle missing (the start or end of a file, an outage,
//! an incomplete download) or with a shifted fine candle is skipped and counted, not built
//! from what exists: a candle built from part of its span has the wrong open, high, low, close
//! and volume and would change indicator values silently, while a skipped candle only means
//! that a rule reading the interval sees the previous candle until the next complete one (and
//! that indicators of the interval skip a bar). In particular a file that ends part-way through
//! a span never yields the forming candle (no look-ahead).
//!
//! Fields: open of the first fine candle, close of the last, highest high, lowest low, and the
//! sums of volume, quote volume, trades and both taker volumes (added oldest first); open time
//! the span's start, close time its end minus 1 ms, as Binance's candles have. It is emitted,
//! in a replay, at that close time: the instant the fine series reaches it.

use sift_core::{Candle, Interval};

const DAY_MS: i64 = 86_400_000;

/// Whether `coarse` candles are unions of whole `fine` candles: `fine` is shorter and every
/// `coarse` boundary is a `fine` boundary.
///
/// Fixed intervals up to `3d` start at multiples of their length since the epoch, so `fine`
/// must divide `coarse` (3m nests in 15m but not in 5m). Weeks (Monday 00:00) and calendar
/// months start at midnight, so any fine interval that divides a day nests in them, and `3d`
/// and `1w` do not.
pub fn nests(fine: Interval, coarse: Interval) -> bool {
    if fine >= coarse {
        return false;
    }
    let Some(fine_ms) = fine.fixed_duration_ms() else {
        return false;
    };
    match coarse {
        Interval::W1 | Interval::Month1 => DAY_MS % fine_ms == 0,
        fixed => fixed
            .fixed_duration_ms()
            .is_some_and(|coarse_ms| coarse_ms % fine_ms == 0),
    }
}

/// Coarse candles built from a fine series, and how many spans were skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// One candle per complete span, oldest first.
    pub candles: Vec<Candle>,
    /// Spans between the first and the last that hold some fine candles but not all (or a
    /// shifted one): not built. Each is a gap in the fine series worth reporting.
    pub incomplete: usize,
    /// How many of the first and the last span were incomplete (0 to 2): not built either, but
    /// expected, since files rarely start and end on a coarse boundary.
    pub partial_ends: usize,
}

/// Builds the `coarse` candles of the complete spans of `candles`, a `fine` series ordered by
/// strictly increasing open time (as [`sift_data`] reads them). See the module documentation.
///
/// Returns `None` when `fine` does not [`nest`](nests) in `coarse`.
pub fn aggregate(fine: Interval, candles: &[Candle], coarse: Interval) -> Option<Aggregate> {
    if !nests(fine, coarse) {
        return None;
    }
    let mut out = Aggregate {
        candles: Vec::new(),
        incomplete: 0,
        partial_ends: 0,
    };
    let same_span =
        |a: &Candle, b: &Candle| coarse.open_time(a.open_time) == coarse.open_time(b.open_time);
    let last = candles.chunk_by(same_span).count().saturating_sub(1);
    for (i, span) in candles.chunk_by(same_span).enumerate() {
        let open_time = coarse.open_time(span[0].open_time);
        let expected = fine.periods_between(open_time, coarse.next_open(open_time));
        let aligned = span
            .iter()
            .all(|c| fine.open_time(c.open_time) == c.open_time);
        if aligned && i64::try_from(span.len()) == Ok(expected) {
            out.candles
                .push(merge(span, open_time, coarse.close_time(open_time)));
        } else if i == 0 || i == last {
            out.partial_ends += 1;
        } else {
            out.incomplete += 1;
        }
    }
    Some(out)
}

/// One candle from the non-empty, ordered `span`.
fn merge(span: &[Candle], open_time: i64, close_time: i64) -> Candle {
    let first = &span[0];
    let mut candle = Candle {
        open_time,
        close_time,
        open: first.open,
        high: first.high,
        low: first.low,
        close: first.close,
        volume: 0.0,
        quote_volume: 0.0,
        trades: 0,
        taker_buy_volume: 0.0,
        taker_buy_quote_volume: 0.0,
        closed: true,
    };
    for c in span {
        candle.high = candle.high.max(c.high);
        candle.low = candle.low.min(c.low);
        candle.close = c.close;
        candle.volume += c.volume;
        candle.quote_volume += c.quote_volume;
        candle.trades = candle.trades.saturating_add(c.trades);
        candle.taker_buy_volume += c.taker_buy_volume;
        candle.taker_buy_quote_volume += c.taker_buy_quote_volume;
    }
    candle
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const MINUTE: i64 = 60_000;
    /// 2025-01-01T00:00:00Z, a Wednesday.
    const T0: i64 = 1_735_689_600_000;

    /// A full 1m candle opening at `open_time` whose fields all derive from `i`.
    fn minute(open_time: i64, i: u32) -> Candle {
        let x = f64::from(i);
        Candle {
            open_time,
            close_time: open_time + MINUTE - 1,
            open: 100.0 + x,
            high: 110.0 + x,
            low: 90.0 + x,
            close: 101.0 + x,
            volume: x,
            quote_volume: 2.0 * x,
            trades: u64::from(i),
            taker_buy_volume: 3.0 * x,
            taker_buy_quote_volume: 4.0 * x,
            closed: true,
        }
    }

    fn minutes(from: i64, count: u32) -> Vec<Candle> {
        (0..count)
            .map(|i| minute(from + i64::from(i) * MINUTE, i))
            .collect()
    }

    #[rstest]
    #[case(Interval::M1, Interval::M5, true)]
    #[case(Interval::M3, Interval::M15, true)]
    #[case(Interval::M3, Interval::M5, false)]
    #[case(Interval::H6, Interval::H8, false)]
    #[case(Interval::H8, Interval::D1, true)]
    #[case(Interval::D1, Interval::D3, true)]
    #[case(Interval::H12, Interval::W1, true)]
    #[case(Interval::D3, Interval::W1, false)]
    #[case(Interval::D1, Interval::Month1, true)]
    #[case(Interval::W1, Interval::Month1, false)]
    #[case(Interval::M5, Interval::M5, false)]
    #[case(Interval::M5, Interval::M1, false)]
    #[case(Interval::Month1, Interval::Month1, false)]
    fn nesting(#[case] fine: Interval, #[case] coarse: Interval, #[case] expected: bool) {
        assert_eq!(nests(fine, coarse), expected);
    }

    #[test]
    fn five_minutes_sum_and_extremes() {
        let got = aggregate(Interval::M1, &minutes(T0, 10), Interval::M5).unwrap();
        assert_eq!(got.incomplete, 0);
        assert_eq!(got.candles.len(), 2);
        let c = got.candles[1];
        assert_eq!(
            (c.open_time, c.close_time),
            (T0 + 5 * MINUTE, T0 + 10 * MINUTE - 1)
        );
        assert_eq!(
            (c.open, c.high, c.low, c.close),
            (105.0, 119.0, 95.0, 110.0)
        );
        // Minutes 5..=9: volume 35, trades 35.
        assert_eq!(c.volume, 35.0);
        assert_eq!(c.quote_volume, 70.0);
        assert_eq!(c.trades, 35);
        assert_eq!(c.taker_buy_volume, 105.0);
        assert_eq!(c.taker_buy_quote_volume, 140.0);
        assert!(c.closed);
    }

    #[test]
    fn partial_spans_at_both_ends_and_holes_are_skipped() {
        // 00:02 to 00:17: the 00:00 and 00:15 spans are partial.
        let mut candles = minutes(T0 + 2 * MINUTE, 16);
        let got = aggregate(Interval::M1, &candles, Interval::M5).unwrap();
        let opens: Vec<i64> = got
            .candles
            .iter()
            .map(|c| (c.open_time - T0) / MINUTE)
            .collect();
        assert_eq!(opens, [5, 10]);
        assert_eq!((got.incomplete, got.partial_ends), (0, 2));
        // A hole at 00:07 drops the 00:05 span only.
        candles.retain(|c| c.open_time != T0 + 7 * MINUTE);
        let got = aggregate(Interval::M1, &candles, Interval::M5).unwrap();
        assert_eq!(got.candles.len(), 1);
        assert_eq!(got.candles[0].open_time, T0 + 10 * MINUTE);
        assert_eq!((got.incomplete, got.partial_ends), (1, 2));
    }

    #[test]
    fn shifted_fine_candles_are_not_aggregated() {
        let mut candles = minutes(T0, 5);
        candles[2].open_time += 1_000;
        let got = aggregate(Interval::M1, &candles, Interval::M5).unwrap();
        assert!(got.candles.is_empty());
        assert_eq!((got.incomplete, got.partial_ends), (0, 1));
        // Inside the data, the shifted span counts as incomplete.
        candles.splice(0..0, minutes(T0 - 5 * MINUTE, 5));
        candles.extend(minutes(T0 + 5 * MINUTE, 5));
        let got = aggregate(Interval::M1, &candles, Interval::M5).unwrap();
        assert_eq!(got.candles.len(), 2);
        assert_eq!((got.incomplete, got.partial_ends), (1, 0));
    }

    #[test]
    fn hours_cross_the_day_boundary_on_utc_hours() {
        // 23:00 on 2024-12-31 to 01:00 on 2025-01-01: two full hours.
        let got = aggregate(Interval::M1, &minutes(T0 - 60 * MINUTE, 120), Interval::H1).unwrap();
        assert_eq!((got.incomplete, got.partial_ends), (0, 0));
        let opens: Vec<i64> = got.candles.iter().map(|c| c.open_time).collect();
        assert_eq!(opens, [T0 - 60 * MINUTE, T0]);
        assert_eq!(got.candles[0].close_time, T0 - 1);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        const DAY: i64 = 24 * 60 * MINUTE;
        let day = |open_time: i64, i: u32| {
            let mut c = minute(open_time, i);
            c.close_time = open_time + DAY - 1;
            c
        };
        // 2024-12-30 (Monday) to 2025-02-02: five weeks and January in full.
        let monday = T0 - 2 * DAY;
        let days: Vec<Candle> = (0..35)
            .map(|i| day(monday + i64::from(i) * DAY, i))
            .collect();
        let weeks = aggregate(Interval::D1, &days, Interval::W1).unwrap();
        assert_eq!(weeks.candles.len(), 5);
        assert_eq!((weeks.incomplete, weeks.partial_ends), (0, 0));
        assert_eq!(weeks.candles[0].open_time, monday);
        assert_eq!(weeks.candles[0].close, 107.0);
        let months = aggregate(Interval::D1, &days, Interval::Month1).unwrap();
        // December 2024 and February 2025 are partial.
        assert_eq!((months.incomplete, months.partial_ends), (0, 2));
        assert_eq!(months.candles.len(), 1);
        let january = months.candles[0];
        assert_eq!(january.open_time, T0);
        assert_eq!(january.close_time, T0 + 31 * DAY - 1);
        // Days 2..=32 of the series.
        assert_eq!(january.volume, f64::from((2..=32).sum::<u32>()));
        assert_eq!((january.open, january.close), (102.0, 133.0));
    }

    #[test]
    fn months_of_minutes_count_their_days() {
        // February 2024 has 29 days; one minute fewer is incomplete.
        let feb = 1_706_745_600_000; // 2024-02-01T00:00:00Z
        let count = 29 * 24 * 60;
        let full = minutes(feb, count);
        let got = aggregate(Interval::M1, &full, Interval::Month1).unwrap();
        assert_eq!((got.candles.len(), got.partial_ends), (1, 0));
        let got = aggregate(Interval::M1, &full[1..], Interval::Month1).unwrap();
        assert_eq!((got.candles.len(), got.partial_ends), (0, 1));
    }

    #[test]
    fn refuses_intervals_that_do_not_nest() {
        assert_eq!(aggregate(Interval::M3, &minutes(T0, 5), Interval::M5), None);
        let empty = aggregate(Interval::M1, &[], Interval::M5).unwrap();
        assert!(empty.candles.is_empty() && empty.incomplete == 0 && empty.partial_ends == 0);
    }
}
