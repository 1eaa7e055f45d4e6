//! Donchian Channels.

use std::fmt;

use sift_core::Candle;

use crate::window::RollingExtreme;
use crate::{Error, Indicator, check_period, impl_outputs};

/// One row of Donchian Channels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DonchianOutput {
    pub upper: f64,
    pub middle: f64,
    pub lower: f64,
}

impl_outputs!(DonchianOutput {
    upper,
    middle,
    lower
});

/// DONCHIAN(n): the highest high and lowest low of the last `n` candles, the current one
/// included, and their mean. Matches TA-Lib `DONCHIAN`.
///
/// `upper = max(high)`, `lower = min(low)`, `middle = (upper + lower) / 2`. First value at the
/// `n`-th candle. A breakout rule compares the current bar with the *previous* bar's band
/// (`high > donchian(20).upper[1]`). Amortized O(1) per candle.
#[derive(Debug, Clone)]
pub struct Donchian {
    highs: RollingExtreme,
    lows: RollingExtreme,
}

impl Donchian {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("donchian", "n", period)?;
        Ok(Self {
            highs: RollingExtreme::max(period),
            lows: RollingExtreme::min(period),
        })
    }

    pub fn period(&self) -> usize {
        self.highs.period()
    }
}

impl Indicator for Donchian {
    type Output = DonchianOutput;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<DonchianOutput> {
        let upper = self.highs.push(candle.high);
        let lower = self.lows.push(candle.low);
        self.highs.is_full().then(|| DonchianOutput {
            upper,
            middle: (upper + lower) / 2.0,
            lower,
        })
    }

    fn reset(&mut self) {
        self.highs.clear();
        self.lows.clear();
    }
}

impl fmt::Display for Donchian {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DONCHIAN({})", self.period())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::batch;

    fn bar(high: f64, low: f64) -> Candle {
        Candle::ohlcv(0, low, high, low, high, 1.0)
    }

    #[test]
    fn channel_of_the_last_n_candles() {
        let bars = [
            bar(10.0, 8.0),
            bar(12.0, 9.0),
            bar(11.0, 7.0),
            bar(9.0, 8.5),
        ];
        let mut dc = Donchian::new(3).unwrap();
        let out = batch(&mut dc, &bars);
        assert_eq!(&out[..2], &[None, None]);
        assert_eq!(
            out[2],
            Some(DonchianOutput {
                upper: 12.0,
                middle: 9.5,
                lower: 7.0
            })
        );
        assert_eq!(
            out[3],
            Some(DonchianOutput {
                upper: 12.0,
                middle: 9.5,
                lower: 7.0
            })
        );
        dc.reset();
        assert_eq!(batch(&mut dc, &bars), out);
        assert!(Donchian::new(0).is_err());
        assert_eq!(dc.to_string(), "DONCHIAN(3)");
    }

    proptest! {
        #[test]
        fn lower_le_middle_le_upper(
            bars in prop::collection::vec((0.0f64..1e3, 0.0f64..50.0), 1..100),
            n in 1usize..20,
        ) {
            let candles: Vec<_> = bars.iter().map(|&(low, range)| bar(low + range, low)).collect();
            let mut dc = Donchian::new(n).unwrap();
            for (i, row) in batch(&mut dc, &candles).into_iter().enumerate() {
                prop_assert_eq!(row.is_some(), i + 1 >= n);
                if let Some(r) = row {
                    prop_assert!(r.lower <= r.middle && r.middle <= r.upper);
                    let window = &candles[i + 1 - n..=i];
                    prop_assert_eq!(r.upper, window.iter().map(|c| c.high).fold(f64::MIN, f64::max));
                    prop_assert_eq!(r.lower, window.iter().map(|c| c.low).fold(f64::MAX, f64::min));
                }
            }
        }
    }
}
