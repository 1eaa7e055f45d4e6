//! Keltner Channels.

use std::fmt;

use sift_core::Candle;

use super::Atr;
use crate::average::Ema;
use crate::{Error, Indicator, SeriesIndicator, check_non_negative, check_period, impl_outputs};

/// One row of Keltner Channels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeltnerOutput {
    pub upper: f64,
    pub middle: f64,
    pub lower: f64,
}

impl_outputs!(KeltnerOutput {
    upper,
    middle,
    lower
});

/// KELTNER(n, mult, atr): an EMA centre line with bands `mult` ATRs away. Matches TA-Lib `KC`
/// (`timeperiod = n`, `atrperiod = atr`, `nbdev = mult`).
///
/// - `middle = EMA(n)` of the typical price `(high + low + close) / 3` (TA-Lib `KC` averages
///   the typical price, not the close), seeded with the mean of its first `n` values;
/// - `upper = middle + mult * ATR(atr)`, `lower = middle - mult * ATR(atr)`, with Wilder's ATR
///   as in [`Atr`].
///
/// The first value appears at index `max(n - 1, atr)`, where both legs first exist. Like TA-Lib,
/// each leg starts at its *own* lookback before that bar: the leg with the shorter lookback
/// ignores the first `max(n - 1, atr) - its lookback` candles, so it is seeded over the bars
/// just before the first output instead of from the start of the data. With the defaults
/// (20, 2, 10) the EMA runs from candle 0 and the ATR from candle 9 (that candle only gives
/// the previous close), its seed averaging the true ranges of candles 10 to 19.
#[derive(Debug, Clone)]
pub struct Keltner {
    mult: f64,
    ema: Ema,
    atr: Atr,
    /// Candles the EMA and the ATR skip before they start.
    ema_delay: usize,
    atr_delay: usize,
    seen: usize,
}

impl Keltner {
    pub fn new(period: usize, mult: f64, atr_period: usize) -> Result<Self, Error> {
        let period = check_period("keltner", "n", period)?;
        let atr_period = check_period("keltner", "atr", atr_period)?;
        let mult = check_non_negative("keltner", "mult", mult)?;
        let ema_lookback = period - 1;
        let lookback = ema_lookback.max(atr_period);
        Ok(Self {
            mult,
            ema: Ema::new(period)?,
            atr: Atr::new(atr_period)?,
            ema_delay: lookback - ema_lookback,
            atr_delay: lookback - atr_period,
            seen: 0,
        })
    }
}

impl Indicator for Keltner {
    type Output = KeltnerOutput;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<KeltnerOutput> {
        let index = self.seen;
        self.seen = self.seen.saturating_add(1);
        let middle = if index >= self.ema_delay {
            self.ema.next(candle.hlc3())
        } else {
            None
        };
        let atr = if index >= self.atr_delay {
            self.atr.update(candle)
        } else {
            None
        };
        let (middle, atr) = (middle?, atr?);
        let band = atr * self.mult;
        Some(KeltnerOutput {
            upper: middle + band,
            middle,
            lower: middle - band,
        })
    }

    fn reset(&mut self) {
        self.ema.reset();
        self.atr.reset();
        self.seen = 0;
    }
}

impl fmt::Display for Keltner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KELTNER({}, {}, {})",
            self.ema.period(),
            self.mult,
            self.atr.period()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch;

    const TOL: f64 = 1e-12;

    fn bar(high: f64, low: f64, close: f64) -> Candle {
        Candle::ohlcv(0, close, high, low, close, 1.0)
    }

    #[test]
    fn hand_computed_with_a_delayed_atr() {
        // n = 3 (EMA lookback 2), atr = 1 (lookback 1): the ATR skips candle 0.
        let bars = [
            bar(10.0, 8.0, 9.0),
            bar(12.0, 9.0, 11.0),
            bar(13.0, 10.0, 12.0),
            bar(12.0, 11.0, 11.0),
        ];
        let mut kc = Keltner::new(3, 2.0, 1).unwrap();
        let out = batch(&mut kc, &bars);
        assert_eq!(&out[..2], &[None, None]);
        // Typical prices 9, 32/3, 35/3: mean 94/9. ATR(1) at candle 2 = TR = max(3, 2, 1) = 3.
        let row = out[2].unwrap();
        assert!((row.middle - 94.0 / 9.0).abs() < TOL);
        assert!((row.upper - (94.0 / 9.0 + 6.0)).abs() < TOL);
        assert!((row.lower - (94.0 / 9.0 - 6.0)).abs() < TOL);
        // Next: EMA k = 0.5 towards 34/3; TR = max(1, 0, 1) = 1.
        let row = out[3].unwrap();
        let mid = (34.0 / 3.0 - 94.0 / 9.0) * 0.5 + 94.0 / 9.0;
        assert!((row.middle - mid).abs() < TOL);
        assert!((row.upper - (mid + 2.0)).abs() < TOL);
    }

    #[test]
    fn atr_seed_window_ends_at_the_first_output() {
        // n = 2 (EMA lookback 1), atr = 3 (lookback 3): the EMA skips candles 0 and 1.
        let bars: Vec<_> = [
            (10.0, 9.0, 9.5),
            (11.0, 10.0, 10.5),
            (12.0, 9.0, 11.0),
            (11.0, 10.0, 10.0),
            (14.0, 10.0, 13.0),
        ]
        .iter()
        .map(|&(h, l, c)| bar(h, l, c))
        .collect();
        let mut kc = Keltner::new(2, 1.0, 3).unwrap();
        let out = batch(&mut kc, &bars);
        assert_eq!(&out[..3], &[None, None, None]);
        let tp = |b: &Candle| b.hlc3();
        let row = out[3].unwrap();
        assert!((row.middle - (tp(&bars[2]) + tp(&bars[3])) / 2.0).abs() < TOL);
        // TRs of candles 1..=3: 1.5, 3, 1 -> 5.5 / 3.
        assert!((row.upper - row.middle - 5.5 / 3.0).abs() < TOL);
        kc.reset();
        assert_eq!(batch(&mut kc, &bars), out);
    }

    #[test]
    fn invalid_parameters() {
        assert!(Keltner::new(0, 2.0, 10).is_err());
        assert!(Keltner::new(20, 2.0, 0).is_err());
        assert!(Keltner::new(20, -2.0, 10).is_err());
        assert_eq!(
            Keltner::new(20, 2.0, 10).unwrap().to_string(),
            "KELTNER(20, 2, 10)"
        );
    }
}
