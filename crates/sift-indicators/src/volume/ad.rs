//! Chaikin accumulation/distribution line.

use std::fmt;

use sift_core::Candle;

use crate::Indicator;

/// The close location value of a candle, `((close - low) - (high - close)) / (high - low)`, in
/// [-1, 1]; `None` when `high - low` is not positive (no range to locate the close in).
///
/// Written as TA-Lib writes it in `AD` and `CMF`, so the money flow volume
/// `clv * volume` agrees to the bit.
#[inline]
pub(crate) fn close_location(candle: &Candle) -> Option<f64> {
    let range = candle.high - candle.low;
    (range > 0.0).then(|| (candle.close - candle.low - (candle.high - candle.close)) / range)
}

/// AD: the Chaikin accumulation/distribution line, a running total of money flow volume
/// `clv * volume` (see `close_location`). Matches TA-Lib `AD`.
///
/// Starts at 0 and has a value from the first candle on; a candle with `high == low` adds
/// nothing.
#[derive(Debug, Clone, Default)]
pub struct Ad {
    ad: f64,
}

impl Ad {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Indicator for Ad {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        if let Some(clv) = close_location(candle) {
            self.ad += clv * candle.volume;
        }
        Some(self.ad)
    }

    fn reset(&mut self) {
        self.ad = 0.0;
    }
}

impl fmt::Display for Ad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AD")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch;

    fn bar(high: f64, low: f64, close: f64, volume: f64) -> Candle {
        Candle::ohlcv(0, close, high, low, close, volume)
    }

    #[test]
    fn accumulates_money_flow_volume() {
        // CLV 1 (close at high), 0 (mid), -0.5, and a zero-range candle.
        let bars = [
            bar(10.0, 8.0, 10.0, 4.0),
            bar(10.0, 8.0, 9.0, 7.0),
            bar(12.0, 8.0, 9.0, 2.0),
            bar(5.0, 5.0, 5.0, 9.0),
        ];
        let mut ad = Ad::new();
        let out = batch(&mut ad, &bars);
        assert_eq!(out, vec![Some(4.0), Some(4.0), Some(3.0), Some(3.0)]);
        ad.reset();
        assert_eq!(batch(&mut ad, &bars), out);
        assert_eq!(ad.to_string(), "AD");
    }
}
