//! The rolling mean and population variance shared by STDDEV and Bollinger Bands.

use crate::window::Ring;

/// A window's simple mean and population variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Moments {
    pub(crate) mean: f64,
    pub(crate) variance: f64,
}

/// Rolling moments over the last `n` values, following TA-Lib 0.8's `VAR` operation by
/// operation (the algorithm its `STDDEV` and `BBANDS` share since TA-Lib issues #118 and #243).
///
/// The mean is a plain running sum divided by `n`, exactly TA-Lib's `SMA`. The variance is
/// computed from running sums of deviations from a *shift* near the data,
/// `t1 = sum(x - shift)` and `t2 = sum((x - shift)^2)`, as `t2 / n - (t1 / n)^2` (with
/// `1 / n` precomputed), so it does not cancel two numbers of size `mean^2`. The shift starts
/// at the first value seen. After each output, when the variance has shrunk below `1e-6` of
/// `t2 / n`, or the value leaving the window had a squared deviation over `1e6` times what
/// remains of `t2`, or `32 * n` outputs have passed since the last reseed, the shift is reset
/// to the window mean and both sums are rebuilt from the window (two passes); the variance of
/// that bar is then recomputed from the fresh sums and floored to exactly 0 when it is under
/// `1e-12` of `t2 / n`. That floor is the only zero test: a flat window gives exactly 0.
///
/// A reseed walks the window, so an update is O(1) amortized (one reseed per `32 * n` bars)
/// except on long near-flat runs, where TA-Lib too reseeds every bar.
#[derive(Debug, Clone)]
pub(crate) struct RollingMoments {
    period: usize,
    inv_period: f64,
    window: Ring,
    sum: f64,
    shift: f64,
    total1: f64,
    total2: f64,
    outputs_until_reseed: usize,
}

/// Relative variance below which the shift is considered stale.
const STALE_SHIFT: f64 = 0.000001;
/// A leaving squared deviation this many times the remaining sum forces a reseed.
const OUTLIER: f64 = 1000000.0;
/// Relative variance below which a freshly reseeded window counts as flat.
const FLAT: f64 = 0.000000000001;
/// Reseed at least every this many windows.
const RESEED_EVERY: usize = 32;

impl RollingMoments {
    /// `period` must be at least 1 (callers validate it).
    pub(crate) fn new(period: usize) -> Self {
        Self {
            period,
            inv_period: 1.0 / period as f64,
            window: Ring::new(period),
            sum: 0.0,
            shift: 0.0,
            total1: 0.0,
            total2: 0.0,
            outputs_until_reseed: RESEED_EVERY * period,
        }
    }

    pub(crate) fn period(&self) -> usize {
        self.period
    }

    /// Feeds one value; the moments of the last `n` values once `n` have been seen.
    #[inline]
    pub(crate) fn next(&mut self, value: f64) -> Option<Moments> {
        if self.window.is_empty() {
            self.shift = value;
        }
        self.window.push(value);
        self.sum += value;
        let dev = value - self.shift;
        self.total1 += dev;
        self.total2 += dev * dev;
        if !self.window.is_full() {
            return None;
        }

        let mean1 = self.total1 * self.inv_period;
        let mut variance = self.total2 * self.inv_period - mean1 * mean1;
        let mean = self.sum / self.period as f64;

        // The oldest value leaves the sums now, as in TA-Lib, so the next update only adds.
        let oldest = self.window.oldest().unwrap_or(value);
        self.sum -= oldest;
        let dev = oldest - self.shift;
        self.total1 -= dev;
        let leaving = dev * dev;
        self.total2 -= leaving;

        self.outputs_until_reseed -= 1;
        if variance < STALE_SHIFT * (self.total2 * self.inv_period)
            || leaving > OUTLIER * self.total2
            || self.outputs_until_reseed == 0
        {
            variance = self.reseed();
        }
        Some(Moments { mean, variance })
    }

    /// Re-anchors the shift at the window mean, rebuilds the sums (minus the oldest value, as
    /// between updates) and returns the window's variance.
    #[cold]
    fn reseed(&mut self) -> f64 {
        self.outputs_until_reseed = RESEED_EVERY * self.period;
        let mut total = 0.0;
        for x in self.window.iter() {
            total += x;
        }
        self.shift = total * self.inv_period;
        self.total1 = 0.0;
        self.total2 = 0.0;
        for x in self.window.iter() {
            let dev = x - self.shift;
            self.total1 += dev;
            self.total2 += dev * dev;
        }
        let mean1 = self.total1 * self.inv_period;
        let mut variance = self.total2 * self.inv_period - mean1 * mean1;
        if variance < FLAT * (self.total2 * self.inv_period) {
            variance = 0.0;
        }
        let dev = self.window.oldest().unwrap_or(self.shift) - self.shift;
        self.total1 -= dev;
        self.total2 -= dev * dev;
        variance
    }

    pub(crate) fn reset(&mut self) {
        *self = Self::new(self.period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;

    fn naive(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        (
            mean,
            xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n,
        )
    }

    #[test]
    fn matches_the_two_pass_formula() {
        let xs: Vec<f64> = (0..200)
            .map(|i| 1e6 + ((i * 37) % 11) as f64 * 0.01)
            .collect();
        let mut m = RollingMoments::new(7);
        for (i, &x) in xs.iter().enumerate() {
            let out = m.next(x);
            if i < 6 {
                assert_eq!(out, None);
                continue;
            }
            let (mean, var) = naive(&xs[i - 6..=i]);
            let got = out.unwrap();
            assert!((got.mean - mean).abs() <= TOL * mean, "mean at {i}");
            assert!(
                (got.variance - var).abs() <= 1e-9 * var.max(1e-6),
                "variance at {i}: {} vs {var}",
                got.variance
            );
        }
    }

    #[test]
    fn a_flat_window_has_exactly_zero_variance() {
        let mut m = RollingMoments::new(3);
        let outs: Vec<_> = [5.0, 1.0, 3.0, 3.0, 3.0, 3.0]
            .iter()
            .map(|&x| m.next(x))
            .collect();
        assert_eq!(outs[4].unwrap().variance, 0.0);
        assert_eq!(outs[5].unwrap().variance, 0.0);
    }
}
