//! Latest confirmed swing high or low: one implementation, mirrored by [`Side`].

use std::fmt;
use std::marker::PhantomData;

use sift_core::Candle;

use super::side::{High, Low, Side};
use crate::window::{Ring, RollingExtreme};
use crate::{Error, Indicator, SeriesIndicator, Source, check_count};

/// PIVOT_HIGH(left, right): the price of the most recent confirmed pivot high, held until the
/// next one. Reads the candle high unless configured otherwise (`pivot_high(close, 5, 5)`).
///
/// Bar `p` is a pivot high when its value is **greater than or equal to** each of the `left`
/// values before it and **strictly greater than** each of the `right` values after it. This is
/// TradingView's `ta.pivothigh` tie rule: of two equal adjacent highs the later one is the
/// pivot. Timing and warm-up as described on [`Pivot`].
pub type PivotHigh = Pivot<High>;

/// PIVOT_LOW(left, right): the price of the most recent confirmed pivot low, held until the
/// next one. Reads the candle low unless configured otherwise (`pivot_low(close, 5, 5)`).
///
/// Bar `p` is a pivot low when its value is **less than or equal to** each of the `left`
/// values before it and **strictly less than** each of the `right` values after it. This is
/// TradingView's `ta.pivotlow` tie rule: of two equal adjacent lows the later one is the
/// pivot. Timing and warm-up as described on [`Pivot`].
pub type PivotLow = Pivot<Low>;

/// The price of the latest confirmed pivot on side `S`: [`PivotHigh`] or [`PivotLow`].
///
/// Bar `p` is a pivot when its value is at or beyond ([`Side::at_or_beyond`]) each of the
/// `left` values before it and strictly beyond ([`Side::beyond`]) each of the `right` values
/// after it. The pivot is confirmed, and the output changes, at bar `p + right`, so there is
/// no look-ahead. A candidate needs its full `left` bars, so the earliest pivot is bar `left`
/// (0-based) and the earliest output bar `left + right`; the output is `None` until the first
/// pivot is confirmed. Either count may be 0 (no condition on that side).
///
/// Each update is amortized O(1): two monotonic deques give the side's extreme of the `left`
/// values before the candidate and of the `right` values after it. Inputs must not be NaN.
#[derive(Debug, Clone)]
pub struct Pivot<S: Side> {
    left: usize,
    right: usize,
    source: Source,
    /// The last `right + 1` values; the oldest is the candidate.
    recent: Ring,
    /// Extreme of the `left` values before the candidate; `None` when `left` is 0.
    before: Option<RollingExtreme>,
    /// Extreme of the `right` values after the candidate; `None` when `right` is 0.
    after: Option<RollingExtreme>,
    seen: usize,
    /// The latest confirmed pivot and how many bars ago it was.
    last: Option<(f64, usize)>,
    side: PhantomData<S>,
}

impl<S: Side> Pivot<S> {
    /// Either count may be 0; both must be at most [`crate::MAX_PERIOD`].
    pub fn new(left: usize, right: usize) -> Result<Self, Error> {
        let name = S::PIVOT_NAME;
        let (left, right) = (
            check_count(name, "left", left)?,
            check_count(name, "right", right)?,
        );
        Ok(Self {
            left,
            right,
            source: S::SOURCE,
            recent: Ring::new(right + 1),
            before: (left > 0).then(|| RollingExtreme::new(left, S::EXTREME)),
            after: (right > 0).then(|| RollingExtreme::new(right, S::EXTREME)),
            seen: 0,
            last: None,
            side: PhantomData,
        })
    }

    /// Reads `source` instead of the side's default (high for [`PivotHigh`], low for
    /// [`PivotLow`]).
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

impl<S: Side> Indicator for Pivot<S> {
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

impl<S: Side> SeriesIndicator for Pivot<S> {
    fn next(&mut self, value: f64) -> Option<f64> {
        if let Some((_, ago)) = &mut self.last {
            *ago += 1;
        }
        // The previous candidate leaves the ring and joins the bars before the new candidate.
        if let (Some(previous), Some(before)) = (self.recent.push(value), &mut self.before) {
            before.push(previous);
        }
        let after_extreme = self.after.as_mut().map(|w| w.push(value));
        self.seen += 1;
        if self.seen > self.left + self.right {
            let candidate = self.recent.oldest().unwrap_or(value);
            let before_extreme = self.before.as_ref().and_then(RollingExtreme::value);
            if before_extreme.is_none_or(|m| S::at_or_beyond(candidate, m))
                && after_extreme.is_none_or(|m| S::beyond(candidate, m))
            {
                self.last = Some((candidate, self.right));
            }
        }
        self.last.map(|(price, _)| price)
    }
}

impl<S: Side> fmt::Display for Pivot<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({}, {})", S::PIVOT_LABEL, self.left, self.right)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn run(p: &mut impl SeriesIndicator<Output = f64>, xs: &[f64]) -> Vec<Option<f64>> {
        xs.iter().map(|&x| p.next(x)).collect()
    }

    #[test]
    fn holds_the_latest_confirmed_pivot() {
        // Candidates 3 (bar 1), 5 (bar 3) and 6 (bar 6) are pivot highs; bar 5 (4) ties bar 4 on
        // the left, which is allowed, but bar 6 (6) on its right is higher.
        let mut p = PivotHigh::new(1, 1).unwrap();
        let out = run(&mut p, &[1.0, 3.0, 2.0, 5.0, 4.0, 4.0, 6.0, 2.0, 1.0]);
        let held = [3.0, 3.0, 5.0, 5.0, 5.0, 6.0, 6.0].map(Some);
        assert_eq!(out, [[None, None].as_slice(), &held].concat());
        assert_eq!(p.bars_since(), Some(2));
        // The mirror image: 3 (bar 1), 1 (bar 3) and 0 (bar 6) are pivot lows.
        let mut p = PivotLow::new(1, 1).unwrap();
        let out = run(&mut p, &[5.0, 3.0, 4.0, 1.0, 2.0, 2.0, 0.0, 4.0, 5.0]);
        let held = [3.0, 3.0, 1.0, 1.0, 1.0, 0.0, 0.0].map(Some);
        assert_eq!(out, [[None, None].as_slice(), &held].concat());
        assert_eq!(p.bars_since(), Some(2));
    }

    #[test]
    fn of_two_equal_extremes_the_later_one_is_the_pivot() {
        let mut p = PivotHigh::new(1, 1).unwrap();
        assert_eq!(
            run(&mut p, &[1.0, 5.0, 5.0, 1.0]),
            [None, None, None, Some(5.0)]
        );
        assert_eq!(p.bars_since(), Some(1));
        let mut p = PivotLow::new(1, 1).unwrap();
        assert_eq!(
            run(&mut p, &[3.0, 1.0, 1.0, 3.0]),
            [None, None, None, Some(1.0)]
        );
        assert_eq!(p.bars_since(), Some(1));
    }

    #[test]
    fn waits_for_the_full_left_and_right_windows() {
        // left 2, right 3: bar 2 is the first possible candidate, confirmed at bar 5.
        let warm_up = [None; 5];
        let mut p = PivotHigh::new(2, 3).unwrap();
        let out = run(&mut p, &[1.0, 2.0, 9.0, 8.0, 7.0, 6.0, 5.0]);
        assert_eq!(out, [warm_up.as_slice(), &[Some(9.0); 2]].concat());
        let mut p = PivotLow::new(2, 3).unwrap();
        let out = run(&mut p, &[9.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(out, [warm_up.as_slice(), &[Some(1.0); 2]].concat());
        // A more extreme first bar is not a pivot: it lacks its left bars.
        let mut p = PivotHigh::new(2, 1).unwrap();
        assert_eq!(run(&mut p, &[9.0, 1.0, 2.0, 1.0]), [None; 4]);
        let mut p = PivotLow::new(2, 1).unwrap();
        assert_eq!(run(&mut p, &[1.0, 9.0, 8.0, 9.0]), [None; 4]);
    }

    #[test]
    fn zero_counts_drop_that_side() {
        // right 0: a bar at or beyond the previous one is confirmed at once.
        let mut p = PivotHigh::new(1, 0).unwrap();
        let out = run(&mut p, &[2.0, 1.0, 1.0, 3.0]);
        assert_eq!(out, [None, None, Some(1.0), Some(3.0)]);
        let mut p = PivotLow::new(1, 0).unwrap();
        let out = run(&mut p, &[1.0, 2.0, 2.0, 0.5]);
        assert_eq!(out, [None, None, Some(2.0), Some(0.5)]);
        // left 0: a bar strictly beyond the next one.
        let mut p = PivotHigh::new(0, 1).unwrap();
        let out = run(&mut p, &[2.0, 1.0, 1.0, 3.0]);
        assert_eq!(out, [None, Some(2.0), Some(2.0), Some(2.0)]);
        let mut p = PivotLow::new(0, 1).unwrap();
        let out = run(&mut p, &[1.0, 2.0, 2.0, 0.5]);
        assert_eq!(out, [None, Some(1.0), Some(1.0), Some(1.0)]);
    }

    #[test]
    fn reads_its_side_by_default() {
        let c = |t, h| Candle::ohlcv(t, 10.0, h, 9.0, 10.0, 1.0);
        let mut p = PivotHigh::new(1, 1).unwrap();
        let out = crate::batch(&mut p, &[c(0, 11.0), c(1, 12.0), c(2, 11.5)]);
        assert_eq!(out, [None, None, Some(12.0)]);
        let c = |t, l| Candle::ohlcv(t, 10.0, 11.0, l, 10.0, 1.0);
        let mut p = PivotLow::new(1, 1).unwrap();
        let out = crate::batch(&mut p, &[c(0, 9.0), c(1, 8.0), c(2, 8.5)]);
        assert_eq!(out, [None, None, Some(8.0)]);
    }

    fn reset_then_replay_gives_the_same_values<S: Side>() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0];
        let mut p = Pivot::<S>::new(2, 2).unwrap();
        let first = run(&mut p, &xs);
        p.reset();
        assert_eq!(run(&mut p, &xs), first);
    }

    #[test]
    fn reset_then_replay_gives_the_same_values_on_both_sides() {
        reset_then_replay_gives_the_same_values::<High>();
        reset_then_replay_gives_the_same_values::<Low>();
    }

    #[test]
    fn displays_its_side_and_counts() {
        assert_eq!(
            PivotHigh::new(5, 5).unwrap().to_string(),
            "PIVOT_HIGH(5, 5)"
        );
        assert_eq!(PivotLow::new(5, 5).unwrap().to_string(), "PIVOT_LOW(5, 5)");
    }

    /// The definition on the whole history: the value of the latest pivot confirmed by bar `t`,
    /// where a pivot `p` satisfies `at_or_beyond(p, x)` for the `left` values before it and
    /// `beyond(p, x)` for the `right` values after it.
    fn naive(
        xs: &[f64],
        (left, right): (usize, usize),
        at_or_beyond: fn(f64, f64) -> bool,
        beyond: fn(f64, f64) -> bool,
    ) -> Vec<Option<f64>> {
        let mut last = None;
        (0..xs.len())
            .map(|t| {
                if t >= left + right {
                    let p = t - right;
                    let before = xs[p - left..p].iter().all(|&x| at_or_beyond(xs[p], x));
                    let after = xs[p + 1..=t].iter().all(|&x| beyond(xs[p], x));
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
            let highs = run(&mut PivotHigh::new(left, right).unwrap(), &xs);
            let lows = run(&mut PivotLow::new(left, right).unwrap(), &xs);
            for out in [&highs, &lows] {
                for (t, value) in out.iter().enumerate() {
                    if let Some(v) = value {
                        prop_assert!(xs[..=t].contains(v));
                    }
                }
            }
            prop_assert_eq!(highs, naive(&xs, (left, right), |p, x| p >= x, |p, x| p > x));
            prop_assert_eq!(lows, naive(&xs, (left, right), |p, x| p <= x, |p, x| p < x));
        }
    }
}
