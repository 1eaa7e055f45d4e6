//! Exponential moving average.

use std::fmt;

use sift_core::Candle;

use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// EMA(n) with smoothing `k = 2 / (n + 1)`. Matches TA-Lib `EMA` (default compatibility).
///
/// Seeded like TA-Lib with the simple mean of the first `n` values, which is also the first
/// output (at the `n`-th input); afterwards `ema = (x - ema) * k + ema`.
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
    /// `1 / n`).
    pub(crate) fn with_k(period: usize, k: f64) -> Self {
        Self { period, source: Source::Close, k, seen: 0, sum: 0.0, value: 0.0 }
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
        if self.seen >= self.period {
            self.value = (value - self.value) * self.k + self.value;
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
}
