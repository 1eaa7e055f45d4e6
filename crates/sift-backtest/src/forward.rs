//! Forward returns: how the price moved after a signal.

use sift_core::{Candle, Interval};

/// The largest forward horizon accepted, in bars.
pub const MAX_HORIZON: u32 = 100_000;

/// The return in percent from the close of `candles[at]` to the close `h` bars of `interval`
/// later, for each `h` of `horizons`; `None` where the candles end first.
///
/// "`h` bars later" is the candle opening `h` intervals after the signal's candle (calendar
/// months for `1M`). Where that candle is missing inside the data (a gap), the last close
/// before it stands in, the price known at that time; where the data ends before it, there is
/// no return. Returns are `(later - close) / close * 100`, undefined for a zero close.
///
/// `candles` is one series, strictly increasing in open time.
///
/// # Panics
/// If `at` is out of range.
pub fn forward_returns(
    interval: Interval,
    candles: &[Candle],
    at: usize,
    horizons: &[u32],
) -> Vec<Option<f64>> {
    let base = &candles[at];
    let later = &candles[at + 1..];
    horizons
        .iter()
        .map(|&h| {
            let h = i64::from(h);
            let bars = |c: &Candle| interval.periods_between(base.open_time, c.open_time);
            let i = later.partition_point(|c| bars(c) < h);
            let target = later.get(i)?;
            let close = if bars(target) == h {
                target.close
            } else {
                i.checked_sub(1).map_or(base.close, |j| later[j].close)
            };
            percent_change(base.close, close)
        })
        .collect()
}

/// `(to - from) / from * 100`, or `None` when `from` is zero or the result is not finite.
fn percent_change(from: f64, to: f64) -> Option<f64> {
    let change = (to - from) / from * 100.0;
    (from != 0.0 && change.is_finite()).then_some(change)
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const MINUTE: i64 = 60_000;
    /// Relative tolerance of computed percentages.
    const REL_TOL: f64 = 1e-12;

    fn close_enough(got: Option<f64>, want: Option<f64>) -> bool {
        match (got, want) {
            (Some(g), Some(w)) => (g - w).abs() <= REL_TOL * w.abs().max(1.0),
            (g, w) => g == w,
        }
    }

    /// 1m candles opening at the given minutes with the given closes.
    fn series(bars: &[(i64, f64)]) -> Vec<Candle> {
        bars.iter()
            .map(|&(minute, close)| {
                let mut c = Candle::ohlcv(minute * MINUTE, close, close, close, close, 1.0);
                c.close_time = c.open_time + MINUTE - 1;
                c
            })
            .collect()
    }

    #[rstest]
    // Closes 100, 110, 99, 120 at minutes 0..=3.
    #[case(0, &[1, 2, 3, 4], &[Some(10.0), Some(-1.0), Some(20.0), None])]
    #[case(1, &[1, 2], &[Some(-10.0), Some(100.0 / 11.0)])]
    #[case(3, &[1], &[None])]
    fn returns_after_each_horizon(
        #[case] at: usize,
        #[case] horizons: &[u32],
        #[case] want: &[Option<f64>],
    ) {
        let candles = series(&[(0, 100.0), (1, 110.0), (2, 99.0), (3, 120.0)]);
        let got = forward_returns(Interval::M1, &candles, at, horizons);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!(close_enough(*g, *w), "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn gaps_use_the_last_close_before_and_the_end_gives_none() {
        // Minutes 2 and 3 are missing.
        let candles = series(&[(0, 100.0), (1, 101.0), (4, 104.0), (5, 105.0)]);
        let got = forward_returns(Interval::M1, &candles, 0, &[1, 2, 3, 4, 5, 6]);
        let want = [Some(1.0), Some(1.0), Some(1.0), Some(4.0), Some(5.0), None];
        for (g, w) in got.iter().zip(want) {
            assert!(close_enough(*g, w), "{got:?}");
        }
        // A gap right after the signal: its own close stands in (0 %).
        let got = forward_returns(Interval::M1, &candles, 1, &[1, 2]);
        assert_eq!(got, [Some(0.0), Some(0.0)]);
    }

    #[test]
    fn a_zero_close_has_no_return() {
        let candles = series(&[(0, 0.0), (1, 1.0)]);
        assert_eq!(forward_returns(Interval::M1, &candles, 0, &[1]), [None]);
    }

    #[test]
    fn months_count_calendar_months() {
        // 2024-01-01, 2024-02-01, 2024-03-01 opens of 1M candles.
        let opens = [1_704_067_200_000, 1_706_745_600_000, 1_709_251_200_000];
        let candles: Vec<Candle> = opens
            .iter()
            .zip([50.0, 60.0, 75.0])
            .map(|(&t, close)| Candle::ohlcv(t, close, close, close, close, 1.0))
            .collect();
        let got = forward_returns(Interval::Month1, &candles, 0, &[1, 2, 3]);
        for (g, w) in got.iter().zip([Some(20.0), Some(50.0), None]) {
            assert!(close_enough(*g, w), "{got:?}");
        }
    }
}
