//! Parabolic SAR.

use std::fmt;

use sift_core::Candle;

use crate::{Error, Indicator, check_non_negative};

/// SAR(accel, max): Wilder's parabolic stop-and-reverse. Matches TA-Lib `SAR`
/// (`acceleration = accel`, `maximum = max`).
///
/// Each bar outputs the SAR computed on the previous bar, then moves it towards the extreme
/// point `ep` by the acceleration factor `af`: `sar = sar + af * (ep - sar)`, evaluated like
/// TA-Lib 0.8 as one fused multiply-add. In a long trend the new SAR may not exceed the last two
/// lows (short: not below the last two highs); `ep` is the highest high (short: lowest low) of
/// the trend, and `af` grows by `accel` each time `ep` improves, up to `max`. When a bar's low
/// reaches the SAR (short: its high), the trend reverses: that bar's SAR is the old `ep`,
/// clamped outside the last two bars' range, `af` restarts at `accel` and `ep` is the bar's
/// low (short: high).
///
/// TA-Lib's start, mirrored:
/// - the first candle only seeds, so the first value appears at the second candle (index 1);
/// - the initial direction is short when the second candle's -DM beats its +DM (its low drops
///   below the first low by more than its high rises above the first high), long otherwise,
///   ties included;
/// - the initial SAR is the first candle's low (long) or high (short) and the initial `ep` the
///   second candle's high (long) or low (short); on that second candle the "previous bar" of
///   the range clamps is the second candle itself;
/// - an `accel` above `max` is silently lowered to `max`.
///
/// Both parameters must be finite and non-negative.
#[derive(Debug, Clone)]
pub struct Sar {
    accel: f64,
    max: f64,
    /// `accel` after TA-Lib's clamp to `max`.
    step: f64,
    first: Option<(f64, f64)>,
    state: Option<State>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    long: bool,
    sar: f64,
    ep: f64,
    af: f64,
    prev_high: f64,
    prev_low: f64,
}

impl Sar {
    pub fn new(accel: f64, max: f64) -> Result<Self, Error> {
        let accel = check_non_negative("sar", "accel", accel)?;
        let max = check_non_negative("sar", "max", max)?;
        Ok(Self {
            accel,
            max,
            step: accel.min(max),
            first: None,
            state: None,
        })
    }

    /// The state at the second candle, before its step.
    fn start(&self, first_high: f64, first_low: f64, high: f64, low: f64) -> State {
        let plus_dm = high - first_high;
        let minus_dm = first_low - low;
        let short = minus_dm > 0.0 && plus_dm < minus_dm;
        let (sar, ep) = if short {
            (first_high, low)
        } else {
            (first_low, high)
        };
        State {
            long: !short,
            sar,
            ep,
            af: self.step,
            prev_high: high,
            prev_low: low,
        }
    }
}

impl State {
    /// Processes one bar: returns its SAR and prepares the next bar's.
    #[inline]
    fn step(&mut self, high: f64, low: f64, accel: f64, max: f64) -> f64 {
        let (prev_high, prev_low) = (self.prev_high, self.prev_low);
        self.prev_high = high;
        self.prev_low = low;
        let out;
        if self.long {
            if low <= self.sar {
                self.long = false;
                out = self.ep.max(prev_high).max(high);
                self.af = accel;
                self.ep = low;
                self.sar = advance(out, self.af, self.ep).max(prev_high).max(high);
            } else {
                out = self.sar;
                if high > self.ep {
                    self.ep = high;
                    self.af = (self.af + accel).min(max);
                }
                self.sar = advance(self.sar, self.af, self.ep).min(prev_low).min(low);
            }
        } else if high >= self.sar {
            self.long = true;
            out = self.ep.min(prev_low).min(low);
            self.af = accel;
            self.ep = high;
            self.sar = advance(out, self.af, self.ep).min(prev_low).min(low);
        } else {
            out = self.sar;
            if low < self.ep {
                self.ep = low;
                self.af = (self.af + accel).min(max);
            }
            self.sar = advance(self.sar, self.af, self.ep).max(prev_high).max(high);
        }
        out
    }
}

/// `sar + af * (ep - sar)` as TA-Lib 0.8 computes it: one fused multiply-add.
#[inline]
fn advance(sar: f64, af: f64, ep: f64) -> f64 {
    af.mul_add(ep - sar, sar)
}

impl Indicator for Sar {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        let (high, low) = (candle.high, candle.low);
        let state = match &mut self.state {
            Some(state) => state,
            None => {
                let Some((first_high, first_low)) = self.first else {
                    self.first = Some((high, low));
                    return None;
                };
                let start = self.start(first_high, first_low, high, low);
                self.state.insert(start)
            }
        };
        Some(state.step(high, low, self.step, self.max))
    }

    fn reset(&mut self) {
        self.first = None;
        self.state = None;
    }
}

impl fmt::Display for Sar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SAR({}, {})", self.accel, self.max)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::batch;

    const TOL: f64 = 1e-12;

    fn bar(high: f64, low: f64) -> Candle {
        Candle::ohlcv(0, low, high, low, high, 1.0)
    }

    #[test]
    fn long_start_rises_then_reverses() {
        let bars = [
            bar(10.0, 9.0),
            bar(11.0, 10.0),
            bar(12.0, 11.0),
            bar(11.5, 8.0),
        ];
        let mut sar = Sar::new(0.1, 0.2).unwrap();
        let out = batch(&mut sar, &bars);
        assert_eq!(out[0], None);
        // Long (+DM 1 > -DM -1): SAR starts at the first low 9, ep 11. Bar 1 outputs 9, then
        // 9 + 0.1 * (11 - 9) = 9.2 (below both lows 10 and 10).
        assert_eq!(out[1], Some(9.0));
        assert!((out[2].unwrap() - 9.2).abs() < TOL);
        // Bar 2: new high 12 -> ep 12, af 0.2: 9.2 + 0.2 * 2.8 = 9.76, capped by lows 10, 11.
        // Bar 3: low 8 <= 9.76: reverse to short at ep 12 (above the highs 12 and 11.5).
        assert_eq!(out[3], Some(12.0));
        sar.reset();
        assert_eq!(batch(&mut sar, &bars), out);
    }

    #[test]
    fn short_start_when_minus_dm_wins() {
        let bars = [bar(10.0, 9.0), bar(9.8, 8.0), bar(9.0, 7.5)];
        let mut sar = Sar::new(0.02, 0.2).unwrap();
        let out = batch(&mut sar, &bars);
        // -DM 1 > +DM -0.2: short, SAR starts at the first high 10, ep 8.
        assert_eq!(out[1], Some(10.0));
        // 10 + 0.02 * (8 - 10) = 9.96, above the highs 9.8 and 9.8.
        assert!((out[2].unwrap() - 9.96).abs() < TOL);
    }

    #[test]
    fn invalid_parameters_and_display() {
        assert!(Sar::new(-0.02, 0.2).is_err());
        assert!(Sar::new(0.02, f64::NAN).is_err());
        assert_eq!(Sar::new(0.02, 0.2).unwrap().to_string(), "SAR(0.02, 0.2)");
    }

    proptest! {
        #[test]
        fn finite_and_replayable(
            bars in prop::collection::vec((1.0f64..1e4, 0.0f64..100.0), 1..100),
            accel in 0.0f64..0.1,
            max in 0.0f64..0.5,
        ) {
            let candles: Vec<_> = bars.iter().map(|&(low, r)| bar(low + r, low)).collect();
            let mut sar = Sar::new(accel, max).unwrap();
            let first = batch(&mut sar, &candles);
            prop_assert!(first[0].is_none());
            prop_assert!(first.iter().skip(1).all(|v| v.is_some_and(f64::is_finite)));
            sar.reset();
            prop_assert_eq!(batch(&mut sar, &candles), first);
        }
    }
}
