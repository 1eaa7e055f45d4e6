//! Average directional index.

use std::fmt;

use sift_core::Candle;

use super::check_min_period;
use super::directional::Directional;
use crate::{Error, Indicator, impl_outputs};

/// One ADX row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdxOutput {
    /// The average directional index, 0 to 100.
    pub adx: f64,
    /// The +DI line (TA-Lib `PLUS_DI`), 0 to 100.
    pub plus_di: f64,
    /// The -DI line (TA-Lib `MINUS_DI`), 0 to 100.
    pub minus_di: f64,
}

impl_outputs!(AdxOutput {
    adx,
    plus_di,
    minus_di
});

/// ADX(n) with its +DI and -DI lines. Matches TA-Lib 0.8 `ADX`, `PLUS_DI` and `MINUS_DI`.
///
/// The DI lines are Wilder's smoothed directional movement over the smoothed true range (see
/// TA-Lib `PLUS_DI`), first available at index `n`. Each bar's
/// `DX = (|-DI - +DI| / (-DI + +DI)) * 100`; the ADX is seeded with the mean of the first `n`
/// DX values and then follows `adx = (adx * (n - 1) + dx) / n`. The first row appears at ADX's
/// first index, `2n - 1`; the DI lines, which exist earlier, are not reported before it.
///
/// TA-Lib quirks, mirrored: a bar whose smoothed true range is 0 (a flat market) or whose DI
/// sum is within 1e-14 of 0 has no DX; it leaves the ADX unchanged (and adds nothing to the
/// seed sum, which is still divided by `n`), and its DI lines are 0. `n` must be at least 2.
#[derive(Debug, Clone)]
pub struct Adx {
    period: usize,
    directional: Directional,
    /// DX bars seen, counted up to `period`; while below it `adx` holds the DX sum.
    dx_bars: usize,
    adx: f64,
}

/// TA-Lib's fixed `TA_IS_ZERO` band, applied to the DI sum (a scale-free percentage).
const DI_SUM_ZERO: f64 = 1e-14;

impl Adx {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_min_period("adx", "n", period, 2)?;
        Ok(Self {
            period,
            directional: Directional::new(period),
            dx_bars: 0,
            adx: 0.0,
        })
    }

    pub fn period(&self) -> usize {
        self.period
    }
}

impl Indicator for Adx {
    type Output = AdxOutput;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<AdxOutput> {
        let di = self
            .directional
            .next(candle.high, candle.low, candle.close)?;
        let mut dx = None;
        if di.has_range {
            let sum = di.minus + di.plus;
            if !(-DI_SUM_ZERO < sum && sum < DI_SUM_ZERO) {
                dx = Some((di.minus - di.plus).abs() / sum);
            }
        }
        let n = self.period as f64;
        if self.dx_bars < self.period {
            if let Some(ratio) = dx {
                self.adx += ratio * 100.0;
            }
            self.dx_bars += 1;
            if self.dx_bars < self.period {
                return None;
            }
            self.adx /= n;
        } else if let Some(ratio) = dx {
            self.adx = ((self.adx * (n - 1.0)) + ratio * 100.0) / n;
        }
        Some(AdxOutput {
            adx: self.adx,
            plus_di: di.plus,
            minus_di: di.minus,
        })
    }

    fn reset(&mut self) {
        self.directional.reset();
        self.dx_bars = 0;
        self.adx = 0.0;
    }
}

impl fmt::Display for Adx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ADX({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const TOL: f64 = 1e-12;

    fn bar(high: f64, low: f64, close: f64) -> Candle {
        Candle::ohlcv(0, close, high, low, close, 1.0)
    }

    fn run(adx: &mut Adx, bars: &[(f64, f64, f64)]) -> Vec<Option<AdxOutput>> {
        bars.iter()
            .map(|&(h, l, c)| adx.update(&bar(h, l, c)))
            .collect()
    }

    #[test]
    fn hand_computed_period_two() {
        let mut adx = Adx::new(2).unwrap();
        let bars = [
            (10.0, 8.0, 9.0),
            (12.0, 9.0, 11.0),
            (11.0, 7.0, 8.0),
            (13.0, 8.0, 12.0),
        ];
        let out = run(&mut adx, &bars);
        assert_eq!(out[..3], [None, None, None]);
        // Bar 1: up 2, down -1: +DM 2; TR 3. These are the seed sums (n - 1 = 1 bar).
        // Bar 2: up -1, down 2: -DM 2; TR 4.
        //   +DM = 2 - 2/2 = 1, -DM = 0 + 2 = 2, TR = 3 - 3/2 + 4 = 5.5, DX = 100 * 1/3.
        // Bar 3: up 2, down -1: +DM 2; TR 5.
        //   +DM = 1 - 1/2 + 2 = 2.5, -DM = 2 - 2/2 = 1, TR = 5.5 - 5.5/2 + 5 = 7.75,
        //   +DI = 250/7.75, -DI = 100/7.75, DX = 100 * 1.5/3.5.
        // ADX = (100/3 + 100 * 1.5/3.5) / 2
        let row = out[3].unwrap();
        assert!((row.plus_di - 250.0 / 7.75).abs() < TOL);
        assert!((row.minus_di - 100.0 / 7.75).abs() < TOL);
        assert!((row.adx - (100.0 / 3.0 + 150.0 / 3.5) / 2.0).abs() < TOL);
    }

    #[test]
    fn flat_market_gives_zero_lines_and_no_dx() {
        let mut adx = Adx::new(2).unwrap();
        let out = run(&mut adx, &[(1.0, 1.0, 1.0); 6]);
        assert_eq!(
            out[3],
            Some(AdxOutput {
                adx: 0.0,
                plus_di: 0.0,
                minus_di: 0.0
            })
        );
        assert_eq!(
            out[5],
            Some(AdxOutput {
                adx: 0.0,
                plus_di: 0.0,
                minus_di: 0.0
            })
        );
    }

    #[test]
    fn first_row_at_two_n_minus_one() {
        let bars: Vec<_> = (0..40)
            .map(|i| ((i % 5) as f64 + 10.0, (i % 3) as f64, 5.0))
            .collect();
        let mut adx = Adx::new(14).unwrap();
        assert_eq!(
            run(&mut adx, &bars).iter().position(Option::is_some),
            Some(27)
        );
        assert_eq!(adx.to_string(), "ADX(14)");
    }

    #[test]
    fn periods_below_two_are_errors() {
        assert!(Adx::new(1).is_err());
        assert!(Adx::new(2).is_ok());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let bars: Vec<_> = (0..40)
            .map(|i| ((i % 7) as f64 + 10.0, (i % 5) as f64, (i % 6) as f64 + 2.0))
            .collect();
        let mut adx = Adx::new(5).unwrap();
        let first = run(&mut adx, &bars);
        adx.reset();
        assert_eq!(first, run(&mut adx, &bars));
    }

    proptest! {
        #[test]
        fn lines_stay_within_0_and_100(
            bars in prop::collection::vec((1e-8f64..1e6, 0.0f64..1.0, 0.0f64..=1.0), 2..150),
            period in 2usize..15,
        ) {
            let bars: Vec<_> = bars
                .iter()
                .map(|&(mid, spread, at)| {
                    let low = mid * (1.0 - spread);
                    (mid, low, low + (mid - low) * at)
                })
                .collect();
            let mut adx = Adx::new(period).unwrap();
            for row in run(&mut adx, &bars).into_iter().flatten() {
                for v in [row.adx, row.plus_di, row.minus_di] {
                    prop_assert!((-1e-9..=100.0 + 1e-9).contains(&v), "{row:?}");
                }
            }
        }
    }
}
