//! Normalized average true range.

use std::fmt;

use sift_core::Candle;

use super::Atr;
use crate::{Error, Indicator, check_period};

/// NATR(n): ATR(n) as a percentage of the close, `atr / close * 100`. Matches TA-Lib `NATR`.
///
/// First value with the ATR's, at index `n`. A close of exactly zero gives 0.
///
/// TA-Lib quirk, mirrored: for `n = 1` TA-Lib returns the raw true range, not normalized
/// (its period-1 path is the `TRANGE` it used to delegate to), so `NATR(1)` is in price
/// units.
#[derive(Debug, Clone)]
pub struct Natr {
    atr: Atr,
}

impl Natr {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("natr", "n", period)?;
        Ok(Self {
            atr: Atr::new(period)?,
        })
    }

    pub fn period(&self) -> usize {
        self.atr.period()
    }
}

impl Indicator for Natr {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        let atr = self.atr.update(candle)?;
        if self.atr.period() == 1 {
            return Some(atr);
        }
        let close = candle.close;
        Some(if close != 0.0 {
            atr / close * 100.0
        } else {
            0.0
        })
    }

    fn reset(&mut self) {
        self.atr.reset();
    }
}

impl fmt::Display for Natr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NATR({})", self.atr.period())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch;

    fn bar(high: f64, low: f64, close: f64) -> Candle {
        Candle::ohlcv(0, close, high, low, close, 1.0)
    }

    #[test]
    fn divides_the_atr_by_the_close() {
        let mut natr = Natr::new(2).unwrap();
        let bars = [
            bar(10.0, 9.0, 9.5),
            bar(11.0, 10.0, 10.5),
            bar(12.0, 9.0, 10.0),
            bar(1.0, 0.0, 0.0),
        ];
        let out = batch(&mut natr, &bars);
        assert_eq!(&out[..2], &[None, None]);
        assert_eq!(out[2], Some(2.25 / 10.0 * 100.0));
        assert_eq!(out[3], Some(0.0), "a zero close gives 0");
    }

    #[test]
    fn period_one_is_the_raw_true_range_like_talib() {
        let mut natr = Natr::new(1).unwrap();
        let out = batch(&mut natr, &[bar(10.0, 9.0, 9.5), bar(11.0, 10.0, 10.5)]);
        assert_eq!(out, vec![None, Some(1.5)]);
    }

    #[test]
    fn reset_then_replay_is_identical() {
        let bars: Vec<_> = (0..30)
            .map(|i| bar(10.0 + (i % 7) as f64, 9.0, 9.5 + (i % 3) as f64))
            .collect();
        let mut natr = Natr::new(5).unwrap();
        let first = batch(&mut natr, &bars);
        natr.reset();
        assert_eq!(batch(&mut natr, &bars), first);
        assert!(Natr::new(0).is_err());
        assert_eq!(natr.to_string(), "NATR(5)");
    }
}
