//! Weighted moving average.

use std::fmt;

use sift_core::Candle;

use crate::window::Ring;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// WMA(n): the linearly weighted mean of the last `n` values, the newest weighted `n`, the
/// oldest `1`, divided by `n (n + 1) / 2`. Matches TA-Lib `WMA`. First value at the `n`-th input.
///
/// O(1) per update with TA-Lib's two running sums: `sum` holds the weighted total and `sub` the
/// plain total of the window. Each update adds the new value to `sub` and `n` times it to `sum`,
/// drops the value that left from `sub`, outputs `sum / divider`, then subtracts `sub` from
/// `sum`, which lowers every remaining weight by one for the next update.
///
/// Like TA-Lib 0.8, the sums are rebuilt from the window on every `8 n`-th output (oldest value
/// first, weights counting up from one), so their rounding residue cannot grow with the length
/// of the series; this costs O(n) once per `8 n` updates. For `n = 1` the output is the input.
#[derive(Debug, Clone)]
pub struct Wma {
    period: usize,
    source: Source,
    window: Ring,
    divider: f64,
    sum: f64,
    sub: f64,
    /// The value that left the window at the previous output, subtracted from `sub` next time.
    trailing: f64,
    /// Outputs left before the sums are rebuilt from the window.
    until_reanchor: usize,
}

impl Wma {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("wma", "n", period)?;
        Ok(Self {
            period,
            source: Source::Close,
            window: Ring::new(period),
            // The product in this order, as TA-Lib computes it (exact below n = 9.4e7).
            divider: ((period + 1) as f64 * period as f64) * 0.5,
            sum: 0.0,
            sub: 0.0,
            trailing: 0.0,
            until_reanchor: Self::reanchor_interval(period),
        })
    }

    /// Reads `source` instead of close.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    pub fn period(&self) -> usize {
        self.period
    }

    fn reanchor_interval(period: usize) -> usize {
        period.saturating_mul(8)
    }

    /// Rebuilds both sums from the window, as the priming pass would.
    fn reanchor(&mut self) {
        self.sub = 0.0;
        self.sum = 0.0;
        for (i, x) in self.window.iter().enumerate() {
            self.sub += x;
            self.sum += x * (i + 1) as f64;
        }
    }
}

impl Indicator for Wma {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
        self.sub = 0.0;
        self.trailing = 0.0;
        self.until_reanchor = Self::reanchor_interval(self.period);
    }
}

impl SeriesIndicator for Wma {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        if self.period == 1 {
            return Some(value);
        }
        let filled = self.window.len();
        self.window.push(value);
        if filled + 1 < self.period {
            // Priming: the value at position i (from 1) of the first window weighs i.
            self.sub += value;
            self.sum += value * (filled + 1) as f64;
            return None;
        }
        self.sub += value;
        self.sub -= self.trailing;
        self.sum += value * self.period as f64;
        self.until_reanchor -= 1;
        if self.until_reanchor == 0 {
            self.until_reanchor = Self::reanchor_interval(self.period);
            self.reanchor();
        }
        self.trailing = self.window.oldest().unwrap_or(0.0);
        let wma = self.sum / self.divider;
        self.sum -= self.sub;
        Some(wma)
    }
}

impl fmt::Display for Wma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WMA({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= TOL * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn weights_the_newest_value_most() {
        let mut wma = Wma::new(3).unwrap();
        let out: Vec<_> = [1.0, 2.0, 3.0, 4.0, 10.0]
            .iter()
            .map(|&x| wma.next(x))
            .collect();
        // (1*1 + 2*2 + 3*3) / 6, (2 + 6 + 12) / 6, (3 + 8 + 30) / 6
        assert_eq!(out[..2], [None, None]);
        assert!(close(out[2].unwrap(), 14.0 / 6.0));
        assert!(close(out[3].unwrap(), 20.0 / 6.0));
        assert!(close(out[4].unwrap(), 41.0 / 6.0));
    }

    #[test]
    fn matches_the_direct_formula_across_reanchors() {
        let xs: Vec<f64> = (0..200)
            .map(|i| 100.0 + ((i * 37) % 11) as f64 * 0.7)
            .collect();
        let n = 4;
        let mut wma = Wma::new(n).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            let got = wma.next(x);
            if i + 1 < n {
                assert_eq!(got, None);
                continue;
            }
            let direct: f64 = (0..n)
                .map(|j| xs[i + 1 - n + j] * (j + 1) as f64)
                .sum::<f64>()
                / 10.0;
            assert!(close(got.unwrap(), direct), "bar {i}");
        }
    }

    #[test]
    fn period_one_copies_the_input() {
        let mut wma = Wma::new(1).unwrap();
        assert_eq!(wma.next(3e16), Some(3e16));
        assert_eq!(wma.next(0.1), Some(0.1));
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Wma::new(0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs: Vec<f64> = (0..50)
            .map(|i| (i as f64 * 0.3).sin() * 10.0 + 50.0)
            .collect();
        let mut wma = Wma::new(5).unwrap();
        let first: Vec<_> = xs.iter().map(|&x| wma.next(x)).collect();
        wma.reset();
        let second: Vec<_> = xs.iter().map(|&x| wma.next(x)).collect();
        assert_eq!(first, second);
    }

    #[test]
    fn displays_like_talib() {
        assert_eq!(Wma::new(20).unwrap().to_string(), "WMA(20)");
    }
}
