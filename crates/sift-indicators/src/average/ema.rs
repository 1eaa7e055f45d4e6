//! Exponential moving average.

use std::fmt;

use sift_core::Candle;

use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// EMA(n) with smoothing `k = 2 / (n + 1)`. Matches TA-Lib `EMA` (default compatibility).
///
/// Seeded like TA-Lib with the simple mean of the first `n` values (summed from 0.0 in input
/// order, then divided by `n`), which is also the first output (at the `n`-th input);
/// afterwards `ema = (x - ema) * k + ema`, the multiply and add fused into one rounding
/// (`mul_add`).
///
/// The fused step is what TA-Lib 0.8.1 (the TA-Lib 0.8.2 Python wheel) computes on x86-64 CPUs
/// with FMA, where its EMA family (EMA, DEMA, TEMA, MACD) runs an FMA-contracted build; with it
/// Sift is bit-identical to those results. TA-Lib's plain build differs by at most an ulp per
/// step, which the smoothing keeps from accumulating.
///
/// For `n = 1` the output is the input itself, as in TA-Lib: with `k = 1` the recursion
/// `(x - ema) + ema` would not always give back `x` exactly.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    source: Source,
    k: f64,
    seen: usize,
    sum: f64,
    value: f64,
}

impl Ema {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("ema", "n", period)?;
        Ok(Self::with_k(period, 2.0 / (period as f64 + 1.0)))
    }

    /// An EMA seeded over `period` values with an explicit smoothing factor (Wilder's RMA uses
    /// `1 / n`). A period of 1 copies the input whatever `k` says.
    pub(crate) fn with_k(period: usize, k: f64) -> Self {
        Self {
            period,
            source: Source::Close,
            k,
            seen: 0,
            sum: 0.0,
            value: 0.0,
        }
    }

    /// Reads `source` instead of close.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    pub fn period(&self) -> usize {
        self.period
    }
}

impl Indicator for Ema {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.seen = 0;
        self.sum = 0.0;
        self.value = 0.0;
    }
}

impl SeriesIndicator for Ema {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        if self.period == 1 {
            return Some(value);
        }
        if self.seen >= self.period {
            self.value = (value - self.value).mul_add(self.k, self.value);
            return Some(self.value);
        }
        self.seen += 1;
        self.sum += value;
        if self.seen < self.period {
            return None;
        }
        self.value = self.sum / self.period as f64;
        Some(self.value)
    }
}

impl fmt::Display for Ema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EMA({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_with_the_simple_mean_then_smooths() {
        let mut ema = Ema::new(3).unwrap();
        assert_eq!(ema.next(1.0), None);
        assert_eq!(ema.next(2.0), None);
        assert_eq!(ema.next(3.0), Some(2.0));
        assert_eq!(ema.next(6.0), Some(4.0));
    }

    #[test]
    fn period_one_copies_the_input() {
        let mut ema = Ema::new(1).unwrap();
        // (x - prev) * 1 + prev is not x here: 0.1 - 3e16 rounds away the 0.1.
        assert_eq!(ema.next(3e16), Some(3e16));
        assert_eq!(ema.next(0.1), Some(0.1));
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Ema::new(0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let mut ema = Ema::new(3).unwrap();
        let first: Vec<_> = xs.iter().map(|&x| ema.next(x)).collect();
        ema.reset();
        let second: Vec<_> = xs.iter().map(|&x| ema.next(x)).collect();
        assert_eq!(first, second);
    }

    #[test]
    fn displays_like_talib() {
        assert_eq!(Ema::new(9).unwrap().to_string(), "EMA(9)");
    }
}
