//! Positive volume index.

use std::fmt;

use sift_core::Candle;

use super::volume_index::{State, volume_index_step};
use crate::Indicator;

/// PVI: the positive volume index. Matches TA-Lib `PVI(close, volume)`.
///
/// Starts at 1000 on the first candle (its first value). On each later candle whose volume is
/// strictly greater than the previous candle's, the index moves by the close's percentage
/// change: `pvi += (close - prev_close) / prev_close * pvi`; otherwise it is unchanged. A
/// previous close of 0 leaves it unchanged (see [`Nvi`](super::Nvi) for the converse index).
#[derive(Debug, Clone, Default)]
pub struct Pvi {
    state: Option<State>,
}

impl Pvi {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Indicator for Pvi {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        let state = self.state.get_or_insert_with(|| State::first(candle));
        if candle.volume > state.prev_volume {
            state.index = volume_index_step(state.index, candle.close, state.prev_close);
        }
        state.prev_close = candle.close;
        state.prev_volume = candle.volume;
        Some(state.index)
    }

    fn reset(&mut self) {
        self.state = None;
    }
}

impl fmt::Display for Pvi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PVI")
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
    fn moves_only_when_volume_rises() {
        let bars = [
            bar(10.0, 5.0),
            bar(11.0, 3.0),
            bar(12.0, 4.0),
            bar(11.0, 4.0),
            bar(13.0, 2.0),
        ];
        let mut pvi = Pvi::new();
        let out = batch(&mut pvi, &bars);
        let after = 1000.0 + (12.0 - 11.0) / 11.0 * 1000.0;
        assert_eq!(
            out,
            vec![
                Some(1000.0),
                Some(1000.0),
                Some(after),
                Some(after),
                Some(after)
            ]
        );
        pvi.reset();
        assert_eq!(batch(&mut pvi, &bars), out);
        assert_eq!(pvi.to_string(), "PVI");
    }

    #[test]
    fn a_zero_previous_close_carries_the_index() {
        let mut pvi = Pvi::new();
        let out = batch(&mut pvi, &[bar(0.0, 1.0), bar(5.0, 2.0), bar(10.0, 3.0)]);
        assert_eq!(out, vec![Some(1000.0), Some(1000.0), Some(2000.0)]);
    }
}
