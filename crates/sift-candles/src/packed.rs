//! The compact in-memory form of a closed candle.

use sift_core::Candle;

/// A closed [`Candle`] in 80 bytes instead of 96: the close time as a 32-bit offset from the
/// open time (a month, the longest interval, is under 2^32 ms) and the trade count in 32 bits;
/// the `closed` flag is implied. Every price and volume stays `f64`, so the round trip is exact.
///
/// Only built from candles that passed [`validate_candle`](crate::validate_candle), which
/// guarantees both narrowings are lossless.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PackedCandle {
    open_time: i64,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    quote_volume: f64,
    taker_buy_volume: f64,
    taker_buy_quote_volume: f64,
    close_offset: u32,
    trades: u32,
}

impl PackedCandle {
    /// Packs a validated candle; out-of-range fields saturate (validation rules them out).
    pub(crate) fn pack(c: &Candle) -> Self {
        Self {
            open_time: c.open_time,
            open: c.open,
            high: c.high,
            low: c.low,
            close: c.close,
            volume: c.volume,
            quote_volume: c.quote_volume,
            taker_buy_volume: c.taker_buy_volume,
            taker_buy_quote_volume: c.taker_buy_quote_volume,
            close_offset: u32::try_from(c.close_time.saturating_sub(c.open_time))
                .unwrap_or(u32::MAX),
            trades: u32::try_from(c.trades).unwrap_or(u32::MAX),
        }
    }

    pub(crate) fn open_time(&self) -> i64 {
        self.open_time
    }

    /// The candle back, marked closed.
    pub(crate) fn unpack(&self) -> Candle {
        Candle {
            open_time: self.open_time,
            close_time: self.open_time + i64::from(self.close_offset),
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume,
            quote_volume: self.quote_volume,
            trades: u64::from(self.trades),
            taker_buy_volume: self.taker_buy_volume,
            taker_buy_quote_volume: self.taker_buy_quote_volume,
            closed: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_80_bytes_and_round_trips_exactly() {
        assert_eq!(std::mem::size_of::<PackedCandle>(), 80);
        assert_eq!(std::mem::size_of::<Candle>(), 96);
        let c = Candle {
            open_time: 1_735_689_600_000,
            close_time: 1_735_689_659_999,
            open: 0.000_012_34,
            high: 98_765.432_1,
            low: 1e-8,
            close: 1.1,
            volume: 123_456.789,
            quote_volume: 0.1 + 0.2,
            trades: u64::from(u32::MAX),
            taker_buy_volume: f64::MIN_POSITIVE,
            taker_buy_quote_volume: 7.0,
            closed: false,
        };
        assert_eq!(
            PackedCandle::pack(&c).unpack(),
            Candle { closed: true, ..c }
        );
    }
}
