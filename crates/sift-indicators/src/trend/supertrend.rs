//! SuperTrend.

use std::fmt;

use sift_core::Candle;

use crate::volatility::Atr;
use crate::{Error, Indicator, check_non_negative, check_period, impl_outputs};

/// One row of SuperTrend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SupertrendOutput {
    /// The trailing stop line: the final lower band in an uptrend, the final upper band in a
    /// downtrend.
    pub value: f64,
    /// +1 in an uptrend, -1 in a downtrend.
    pub direction: f64,
}

impl_outputs!(SupertrendOutput { value, direction });

/// SUPERTREND(n, mult): a trailing stop `mult` ATRs from the bar's midpoint that ratchets
/// towards price and flips side when the close crosses it. Matches TA-Lib `SUPERTREND`
/// (`timeperiod = n`, `multiplier = mult`).
///
/// With `atr = ATR(n)` (Wilder, as [`Atr`]) and `hl2 = (high + low) / 2`:
///
/// - basic bands: `basic_upper = hl2 + mult * atr`, `basic_lower = hl2 - mult * atr`;
/// - final bands carry over from the previous bar: `final_upper = basic_upper` if
///   `basic_upper < prev_final_upper` or `prev_close > prev_final_upper`, else
///   `prev_final_upper`; `final_lower = basic_lower` if `basic_lower > prev_final_lower` or
///   `prev_close < prev_final_lower`, else `prev_final_lower`;
/// - direction: an uptrend turns down when `close < final_lower`; a downtrend turns up when
///   `close > final_upper`; otherwise it continues;
/// - `value = final_lower` in an uptrend, `final_upper` in a downtrend.
///
/// The first value appears with the ATR's, at index `n`: there the final bands are the basic
/// bands and the direction is up (TA-Lib's convention, shared with ta4j; it lasts until the
/// close first falls below the lower band). The two final bands are released independently,
/// so they can cross, and the line is not monotone within a trend; TA-Lib documents the same.
#[derive(Debug, Clone)]
pub struct Supertrend {
    mult: f64,
    atr: Atr,
    state: Option<State>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    final_upper: f64,
    final_lower: f64,
    uptrend: bool,
    prev_close: f64,
}

impl Supertrend {
    pub fn new(period: usize, mult: f64) -> Result<Self, Error> {
        let period = check_period("supertrend", "n", period)?;
        let mult = check_non_negative("supertrend", "mult", mult)?;
        Ok(Self {
            mult,
            atr: Atr::new(period)?,
            state: None,
        })
    }
}

impl Indicator for Supertrend {
    type Output = SupertrendOutput;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<SupertrendOutput> {
        let atr = self.atr.update(candle)?;
        let hl2 = candle.hl2();
        let band = self.mult * atr;
        let (basic_upper, basic_lower) = (hl2 + band, hl2 - band);
        let close = candle.close;
        let state = match &mut self.state {
            None => self.state.insert(State {
                final_upper: basic_upper,
                final_lower: basic_lower,
                uptrend: true,
                prev_close: close,
            }),
            Some(s) => {
                if basic_upper < s.final_upper || s.prev_close > s.final_upper {
                    s.final_upper = basic_upper;
                }
                if basic_lower > s.final_lower || s.prev_close < s.final_lower {
                    s.final_lower = basic_lower;
                }
                if s.uptrend {
                    s.uptrend = close >= s.final_lower;
                } else {
                    s.uptrend = close > s.final_upper;
                }
                s.prev_close = close;
                s
            }
        };
        Some(if state.uptrend {
            SupertrendOutput {
                value: state.final_lower,
                direction: 1.0,
            }
        } else {
            SupertrendOutput {
                value: state.final_upper,
                direction: -1.0,
            }
        })
    }

    fn reset(&mut self) {
        self.atr.reset();
        self.state = None;
    }
}

impl fmt::Display for Supertrend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SUPERTREND({}, {})", self.atr.period(), self.mult)
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

    fn row(value: f64, direction: f64) -> SupertrendOutput {
        SupertrendOutput { value, direction }
    }

    fn assert_row(got: Option<SupertrendOutput>, want: SupertrendOutput) {
        let got = got.unwrap();
        assert!(
            (got.value - want.value).abs() < TOL && got.direction == want.direction,
            "{got:?} != {want:?}"
        );
    }

    #[test]
    fn hand_computed_flip_down_and_back_up() {
        // n = 1: atr is the true range. mult = 1.
        let bars = [
            bar(10.0, 9.0, 9.5),   // no previous close: no ATR
            bar(11.0, 10.0, 10.5), // TR 1.5, hl2 10.5: bands 12 / 9, up, value 9
            bar(11.0, 10.0, 10.2), // TR 1, hl2 10.5: upper 11.5 (lower), lower 9.5 (higher): up, 9.5
            bar(9.0, 8.0, 8.2), // TR 2.2, hl2 8.5: upper 10.7, lower 6.3 kept at 9.5; close < 9.5: down, 10.7
            bar(9.0, 8.5, 8.6), // TR 0.8, hl2 8.75: upper 9.55, lower released to 7.95; down, 9.55
            bar(10.0, 9.5, 9.9), // TR 1.4, hl2 9.75: upper kept at 9.55; close > 9.55: up, lower 8.35
        ];
        let mut st = Supertrend::new(1, 1.0).unwrap();
        let out = batch(&mut st, &bars);
        assert_eq!(out[0], None);
        assert_row(out[1], row(9.0, 1.0));
        assert_row(out[2], row(9.5, 1.0));
        assert_row(out[3], row(10.7, -1.0));
        assert_row(out[4], row(9.55, -1.0));
        assert_row(out[5], row(8.35, 1.0));
        st.reset();
        assert_eq!(batch(&mut st, &bars), out);
    }

    #[test]
    fn invalid_parameters_and_display() {
        assert!(Supertrend::new(0, 3.0).is_err());
        assert!(Supertrend::new(10, -1.0).is_err());
        assert_eq!(
            Supertrend::new(10, 3.0).unwrap().to_string(),
            "SUPERTREND(10, 3)"
        );
    }
}
