//! Average true range.

use std::fmt;

use sift_core::Candle;

use crate::{Error, Indicator, check_period};

/// The true range of a bar: the greatest of `high - low`, `|prev_close - high|` and
/// `|prev_close - low|`, compared in that order as TA-Lib `TRANGE` does.
#[inline]
pub(crate) fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut greatest = high - low;
    let up = (prev_close - high).abs();
    if up > greatest {
        greatest = up;
    }
    let down = (prev_close - low).abs();
    if down > greatest {
        greatest = down;
    }
    greatest
}

/// ATR(n): Wilder's average of the true range. Matches TA-Lib `ATR`.
///
/// The first candle has no previous close, so like TA-Lib it only provides one: the first true
/// range is that of the second candle. The average is seeded with the simple mean of the first
/// `n` true ranges, so the first value appears at the `n + 1`-th candle (index `n`); afterwards
/// `atr = beta * atr + alpha * tr` with `beta = (n - 1) / n` and `alpha = 1 - beta`, TA-Lib
/// 0.8's two-coefficient Wilder step, evaluated like TA-Lib as one fused multiply-add
/// `fma(beta, atr, alpha * tr)` so results agree to the bit. For `n = 1` this is the true range
/// itself.
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    alpha: f64,
    beta: f64,
    prev_close: Option<f64>,
    /// True ranges summed so far while seeding (at most `period`).
    seeded: usize,
    sum: f64,
    value: f64,
}

impl Atr {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("atr", "n", period)?;
        let beta = (period - 1) as f64 / period as f64;
        Ok(Self {
            period,
            alpha: 1.0 - beta,
            beta,
            prev_close: None,
            seeded: 0,
            sum: 0.0,
            value: 0.0,
        })
    }

    pub fn period(&self) -> usize {
        self.period
    }
}

impl Indicator for Atr {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        let prev_close = self.prev_close.replace(candle.close)?;
        let tr = true_range(candle.high, candle.low, prev_close);
        if self.seeded < self.period {
            self.seeded += 1;
            self.sum += tr;
            if self.seeded < self.period {
                return None;
            }
            self.value = self.sum / self.period as f64;
            return Some(self.value);
        }
        self.value = self.beta.mul_add(self.value, self.alpha * tr);
        Some(self.value)
    }

    fn reset(&mut self) {
        self.prev_close = None;
        self.seeded = 0;
        self.sum = 0.0;
        self.value = 0.0;
    }
}

impl fmt::Display for Atr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ATR({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::batch;

    const TOL: f64 = 1e-12;

    fn bar(high: f64, low: f64, close: f64) -> Candle {
        Candle::ohlcv(0, close, high, low, close, 1.0)
    }

    fn close_to(a: f64, b: f64) -> bool {
        (a - b).abs() <= TOL * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn true_range_takes_the_widest_of_three() {
        assert_eq!(true_range(12.0, 10.0, 11.0), 2.0);
        assert_eq!(true_range(12.0, 10.0, 7.0), 5.0);
        assert_eq!(true_range(12.0, 10.0, 15.0), 5.0);
    }

    #[test]
    fn seeds_with_the_mean_true_range_then_smooths() {
        let mut atr = Atr::new(2).unwrap();
        let bars = [
            bar(10.0, 9.0, 9.5),
            bar(11.0, 10.0, 10.5),
            bar(12.0, 9.0, 11.0),
            bar(11.0, 11.0, 11.0),
        ];
        let out = batch(&mut atr, &bars);
        assert_eq!(out[0], None);
        assert_eq!(out[1], None);
        // TRs: 1.5, 3.0 -> seed 2.25; then TR 0.0 -> 2.25 / 2.
        assert!(close_to(out[2].unwrap(), 2.25));
        assert!(close_to(out[3].unwrap(), 1.125));
    }

    #[test]
    fn period_one_is_the_true_range() {
        let mut atr = Atr::new(1).unwrap();
        let out = batch(
            &mut atr,
            &[
                bar(10.0, 9.0, 9.5),
                bar(11.0, 10.0, 10.5),
                bar(10.0, 8.0, 9.0),
            ],
        );
        assert_eq!(out, vec![None, Some(1.5), Some(2.5)]);
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Atr::new(0).is_err());
        assert_eq!(Atr::new(14).unwrap().to_string(), "ATR(14)");
    }

    proptest! {
        #[test]
        fn non_negative_and_replayable(
            bars in prop::collection::vec((1.0f64..100.0, 0.0f64..5.0, 0.0f64..1.0), 1..80),
            period in 1usize..20,
        ) {
            let candles: Vec<Candle> = bars
                .iter()
                .map(|&(mid, range, pos)| bar(mid + range, mid, mid + range * pos))
                .collect();
            let mut atr = Atr::new(period).unwrap();
            let first = batch(&mut atr, &candles);
            prop_assert!(first.iter().flatten().all(|&v| v >= 0.0));
            atr.reset();
            prop_assert_eq!(batch(&mut atr, &candles), first);
        }
    }
}
