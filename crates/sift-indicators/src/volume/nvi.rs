//! Negative volume index.

use std::fmt;

use sift_core::Candle;

use super::volume_index::{State, volume_index_step};
use crate::Indicator;

/// NVI: the negative volume index. Matches TA-Lib `NVI(close, volume)`.
///
/// Starts at 1000 on the first candle (its first value). On each later candle whose volume is
/// strictly less than the previous candle's, the index moves by the close's percentage change:
/// `nvi += (close - prev_close) / prev_close * nvi`; otherwise it is unchanged. A previous
/// close of 0 leaves it unchanged, as does a step that would overflow. The converse of
/// [`Pvi`](super::Pvi).
#[derive(Debug, Clone, Default)]
pub struct Nvi {
    state: Option<State>,
}

impl Nvi {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Indicator for Nvi {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        let state = self.state.get_or_insert_with(|| State::first(candle));
        if candle.volume < state.prev_volume {
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

impl fmt::Display for Nvi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NVI")
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
    fn moves_only_when_volume_falls() {
        let bars = [
            bar(10.0, 5.0),
            bar(11.0, 3.0),
            bar(12.0, 4.0),
            bar(11.0, 4.0),
            bar(13.0, 2.0),
        ];
        let mut nvi = Nvi::new();
        let out = batch(&mut nvi, &bars);
        let last = 1100.0 + (13.0 - 11.0) / 11.0 * 1100.0;
        assert_eq!(
            out,
            vec![
                Some(1000.0),
                Some(1100.0),
                Some(1100.0),
                Some(1100.0),
                Some(last)
            ]
        );
        nvi.reset();
        assert_eq!(batch(&mut nvi, &bars), out);
        assert_eq!(nvi.to_string(), "NVI");
    }
}
