//! On-balance volume.

use std::fmt;

use sift_core::Candle;

use crate::Indicator;

/// OBV: a running total of volume, added on an up close and subtracted on a down close.
/// Matches TA-Lib `OBV(close, volume)`.
///
/// Like TA-Lib the total starts at the first candle's volume (not at 0), which is also the
/// first value; afterwards `obv += volume` when `close > prev_close`, `obv -= volume` when
/// `close < prev_close`, unchanged on an equal close.
#[derive(Debug, Clone, Default)]
pub struct Obv {
    state: Option<State>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    prev_close: f64,
    obv: f64,
}

impl Obv {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Indicator for Obv {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        let close = candle.close;
        let state = self.state.get_or_insert(State {
            prev_close: close,
            obv: candle.volume,
        });
        if close > state.prev_close {
            state.obv += candle.volume;
        } else if close < state.prev_close {
            state.obv -= candle.volume;
        }
        state.prev_close = close;
        Some(state.obv)
    }

    fn reset(&mut self) {
        self.state = None;
    }
}

impl fmt::Display for Obv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OBV")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch;

    fn bar(close: f64, volume: f64) -> Candle {
        Candle::ohlcv(0, close, close, close, close, volume)
    }

    #[test]
    fn starts_at_the_first_volume_and_follows_the_close() {
        let bars = [
            bar(10.0, 5.0),
            bar(11.0, 3.0),
            bar(11.0, 4.0),
            bar(9.0, 2.0),
            bar(12.0, 1.0),
        ];
        let mut obv = Obv::new();
        let out = batch(&mut obv, &bars);
        assert_eq!(
            out,
            vec![Some(5.0), Some(8.0), Some(8.0), Some(6.0), Some(7.0)]
        );
        obv.reset();
        assert_eq!(batch(&mut obv, &bars), out);
        assert_eq!(obv.to_string(), "OBV");
    }
}
