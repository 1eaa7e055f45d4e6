//! Latest confirmed swing low.

use std::fmt;

use sift_core::Candle;

use crate::window::{Ring, RollingExtreme};
use crate::{Error, Indicator, SeriesIndicator, Source};

/// PIVOT_LOW(left, right): the price of the most recent confirmed pivot low, held until the
/// next one. Reads the candle low unless configured otherwise (`pivot_low(close, 5, 5)`).
///
/// Bar `p` is a pivot low when its value is **less than or equal to** each of the `left`
/// values before it and **strictly less than** each of the `right` values after it. This is
/// TradingView's `ta.pivotlow` tie rule: of two equal adjacent lows the later one is the
/// pivot. The pivot is confirmed, and the output changes, at bar `p + right`, so there is no
/// look-ahead. A candidate needs its full `left` bars, so the earliest pivot is bar `left`
/// (0-based) and the earliest output bar `left + right`; the output is `None` until the first
/// pivot is confirmed. Either count may be 0 (no condition on that side).
///
/// Each update is amortized O(1): two monotonic deques give the minima of the `left` values
/// before the candidate and of the `right` values after it. Inputs must not be NaN.
#[derive(Debug, Clone)]
pub struct PivotLow {
    left: usize,
    right: usize,
    source: Source,
    /// The last `right + 1` values; the oldest is the candidate.
    recent: Ring,
    /// Minimum of the `left` values before the candidate; `None` when `left` is 0.
    before: Option<RollingExtreme>,
    /// Minimum of the `right` values after the candidate; `None` when `right` is 0.
    after: Option<RollingExtreme>,
    seen: usize,
    /// The latest confirmed pivot and how many bars ago it was.
    last: Option<(f64, usize)>,
}

impl PivotLow {
    /// Every pair of counts is valid; the `Result` keeps the shape of every constructor.
    pub fn new(left: usize, right: usize) -> Result<Self, Error> {
        Ok(Self {
            left,
            right,
            source: Source::Low,
            recent: Ring::new(right + 1),
            before: (left > 0).then(|| RollingExtreme::min(left)),
            after: (right > 0).then(|| RollingExtreme::min(right)),
            seen: 0,
            last: None,
        })
    }

    /// Reads `source` instead of low.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    pub fn left(&self) -> usize {
        self.left
    }

    pub fn right(&self) -> usize {
        self.right
    }

    /// How many bars ago the latest confirmed pivot was (at least `right`); `None` before the
    /// first one.
    pub fn bars_since(&self) -> Option<usize> {
        self.last.map(|(_, ago)| ago)
    }
}

impl Indicator for PivotLow {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.recent.clear();
        for window in [&mut self.before, &mut self.after].into_iter().flatten() {
            window.clear();
        }
        self.seen = 0;
        self.last = None;
    }
}

impl SeriesIndicator for PivotLow {
    fn next(&mut self, value: f64) -> Option<f64> {
        if let Some((_, ago)) = &mut self.last {
            *ago += 1;
        }
        // The previous candidate leaves the ring and joins the bars before the new candidate.
        if let (Some(previous), Some(before)) = (self.recent.push(value), &mut self.before) {
            before.push(previous);
        }
        let after_min = self.after.as_mut().map(|w| w.push(value));
        self.seen += 1;
        if self.seen > self.left + self.right {
            let candidate = self.recent.oldest().unwrap_or(value);
            let before_min = self.before.as_ref().and_then(RollingExtreme::value);
            if before_min.is_none_or(|m| candidate <= m) && after_min.is_none_or(|m| candidate < m)
            {
                self.last = Some((candidate, self.right));
            }
        }
        self.last.map(|(price, _)| price)
    }
}

impl fmt::Display for PivotLow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PIVOT_LOW({}, {})", self.left, self.right)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn run(p: &mut PivotLow, xs: &[f64]) -> Vec<Option<f64>> {
        xs.iter().map(|&x| p.next(x)).collect()
    }

    #[test]
    fn holds_the_latest_confirmed_pivot() {
        // Candidates 3 (bar 1), 1 (bar 3) and 0 (bar 6) are pivots; bar 5 (2) ties bar 4 on the
        // left, which is allowed, but bar 6 (0) on its right is lower.
        let mut p = PivotLow::new(1, 1).unwrap();
        let out = run(&mut p, &[5.0, 3.0, 4.0, 1.0, 2.0, 2.0, 0.0, 4.0, 5.0]);
        let expected = [
            None,
            None,
            Some(3.0),
            Some(3.0),
            Some(1.0),
            Some(1.0),
            Some(1.0),
            Some(0.0),
        ];
        assert_eq!(out[..8], expected);
        assert_eq!(out[8], Some(0.0));
        assert_eq!(p.bars_since(), Some(2));
    }

    #[test]
    fn of_two_equal_lows_the_later_one_is_the_pivot() {
        let mut p = PivotLow::new(1, 1).unwrap();
        assert_eq!(
            run(&mut p, &[3.0, 1.0, 1.0, 3.0]),
            vec![None, None, None, Some(1.0)]
        );
        assert_eq!(p.bars_since(), Some(1));
    }

    #[test]
    fn waits_for_the_full_left_and_right_windows() {
        // left 2, right 3: bar 2 (1) is the first possible candidate, confirmed at bar 5.
        let mut p = PivotLow::new(2, 3).unwrap();
        let out = run(&mut p, &[9.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(
            out,
            vec![None, None, None, None, None, Some(1.0), Some(1.0)]
        );
        let mut p = PivotLow::new(2, 1).unwrap();
        assert_eq!(
            run(&mut p, &[1.0, 9.0, 8.0, 9.0]),
            vec![None, None, None, None]
        );
    }

    #[test]
    fn zero_counts_drop_that_side() {
        let mut p = PivotLow::new(1, 0).unwrap();
        assert_eq!(
            run(&mut p, &[1.0, 2.0, 2.0, 0.5]),
            vec![None, None, Some(2.0), Some(0.5)]
        );
        let mut p = PivotLow::new(0, 1).unwrap();
        assert_eq!(
            run(&mut p, &[1.0, 2.0, 2.0, 0.5]),
            vec![None, Some(1.0), Some(1.0), Some(1.0)]
        );
    }

    #[test]
    fn reads_the_low_by_default() {
        let c = |t, l| Candle::ohlcv(t, 10.0, 11.0, l, 10.0, 1.0);
        let mut p = PivotLow::new(1, 1).unwrap();
        let out = crate::batch(&mut p, &[c(0, 9.0), c(1, 8.0), c(2, 8.5)]);
        assert_eq!(out, vec![None, None, Some(8.0)]);
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0];
        let mut p = PivotLow::new(2, 2).unwrap();
        let first = run(&mut p, &xs);
        p.reset();
        assert_eq!(run(&mut p, &xs), first);
    }

    #[test]
    fn displays_its_counts() {
        assert_eq!(PivotLow::new(5, 5).unwrap().to_string(), "PIVOT_LOW(5, 5)");
    }

    /// The definition on the whole history: the value of the latest pivot confirmed by bar `t`.
    fn naive(xs: &[f64], left: usize, right: usize) -> Vec<Option<f64>> {
        let mut last = None;
        (0..xs.len())
            .map(|t| {
                if t >= left + right {
                    let p = t - right;
                    let before = xs[p - left..p].iter().all(|&x| xs[p] <= x);
                    let after = xs[p + 1..=t].iter().all(|&x| xs[p] < x);
                    if before && after {
                        last = Some(xs[p]);
                    }
                }
                last
            })
            .collect()
    }

    proptest! {
        #[test]
        fn matches_the_definition_and_outputs_seen_values(
            xs in prop::collection::vec(0u8..8, 0..120),
            left in 0usize..6,
            right in 0usize..6,
        ) {
            let xs: Vec<f64> = xs.into_iter().map(f64::from).collect();
            let mut p = PivotLow::new(left, right).unwrap();
            let out = run(&mut p, &xs);
            for (t, value) in out.iter().enumerate() {
                if let Some(v) = value {
                    prop_assert!(xs[..=t].contains(v));
                }
            }
            prop_assert_eq!(out, naive(&xs, left, right));
        }
    }
}
