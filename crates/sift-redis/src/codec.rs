//! The binary layout of candles and tickers stored in Redis.
//!
//! Fixed-size little-endian records, chosen over JSON or CSV because a close burst of 500
//! candles must be encoded, sent and applied in well under a millisecond: encoding is a few
//! copies (text would cost about 100 ns per float to format and as much to parse), and the Lua
//! scripts read the leading timestamp with `struct.unpack('<i8', v)`.
//!
//! **Candle, 80 bytes** (the members of `klines:*` and the values of `lastClosed:*` and
//! `forming:*`; the key says whether it is closed):
//!
//! | offset | type | field |
//! |---|---|---|
//! | 0 | i64 | open time, epoch ms |
//! | 8 | u32 | close time minus open time, ms (a month is under 2^32 ms) |
//! | 12 | u32 | trade count |
//! | 16 | 8 x f64 | open, high, low, close, volume, quote volume, taker-buy volume, taker-buy quote volume |
//!
//! **Ticker, 56 bytes** (`ticker:*`): i64 event time, then f64 last, open, high and low price,
//! volume and quote volume.
//!
//! Every f64 is stored bit for bit, so a round trip is exact. Candles are validated before they
//! are written ([`validate_candle`](sift_candles::validate_candle)), which guarantees the two
//! 32-bit narrowings are lossless.

use sift_core::{Candle, Symbol, Ticker};

/// Bytes of an encoded candle.
pub const CANDLE_LEN: usize = 80;
/// Bytes of an encoded ticker.
pub const TICKER_LEN: usize = 56;

/// Encodes a validated candle; out-of-range close offsets and trade counts saturate (validation
/// rules them out).
pub fn encode_candle(c: &Candle) -> [u8; CANDLE_LEN] {
    let mut out = [0u8; CANDLE_LEN];
    out[0..8].copy_from_slice(&c.open_time.to_le_bytes());
    let offset = u32::try_from(c.close_time.saturating_sub(c.open_time)).unwrap_or(u32::MAX);
    out[8..12].copy_from_slice(&offset.to_le_bytes());
    let trades = u32::try_from(c.trades).unwrap_or(u32::MAX);
    out[12..16].copy_from_slice(&trades.to_le_bytes());
    let floats = [
        c.open,
        c.high,
        c.low,
        c.close,
        c.volume,
        c.quote_volume,
        c.taker_buy_volume,
        c.taker_buy_quote_volume,
    ];
    for (k, v) in floats.iter().enumerate() {
        out[16 + 8 * k..24 + 8 * k].copy_from_slice(&v.to_le_bytes());
    }
    out
}

/// Decodes a candle, marking it `closed` as given; `None` unless `bytes` is exactly
/// [`CANDLE_LEN`] long.
pub fn decode_candle(bytes: &[u8], closed: bool) -> Option<Candle> {
    let bytes: &[u8; CANDLE_LEN] = bytes.try_into().ok()?;
    let open_time = i64_at(bytes, 0);
    let offset = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    let trades = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let f = |k: usize| f64_at(bytes, 16 + 8 * k);
    Some(Candle {
        open_time,
        close_time: open_time.checked_add(i64::from(offset))?,
        open: f(0),
        high: f(1),
        low: f(2),
        close: f(3),
        volume: f(4),
        quote_volume: f(5),
        trades: u64::from(trades),
        taker_buy_volume: f(6),
        taker_buy_quote_volume: f(7),
        closed,
    })
}

/// Encodes a ticker (its symbol is in the key).
pub fn encode_ticker(t: &Ticker) -> [u8; TICKER_LEN] {
    let mut out = [0u8; TICKER_LEN];
    out[0..8].copy_from_slice(&t.event_time.to_le_bytes());
    let floats = [
        t.last_price,
        t.open_price,
        t.high_price,
        t.low_price,
        t.volume,
        t.quote_volume,
    ];
    for (k, v) in floats.iter().enumerate() {
        out[8 + 8 * k..16 + 8 * k].copy_from_slice(&v.to_le_bytes());
    }
    out
}

/// Decodes the ticker of `symbol`; `None` unless `bytes` is exactly [`TICKER_LEN`] long.
pub fn decode_ticker(symbol: &Symbol, bytes: &[u8]) -> Option<Ticker> {
    let bytes: &[u8; TICKER_LEN] = bytes.try_into().ok()?;
    let f = |k: usize| f64_at(bytes, 8 + 8 * k);
    Some(Ticker {
        symbol: symbol.clone(),
        event_time: i64_at(bytes, 0),
        last_price: f(0),
        open_price: f(1),
        high_price: f(2),
        low_price: f(3),
        volume: f(4),
        quote_volume: f(5),
    })
}

fn word<const N: usize>(bytes: &[u8; N], at: usize) -> [u8; 8] {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    w
}

fn i64_at<const N: usize>(bytes: &[u8; N], at: usize) -> i64 {
    i64::from_le_bytes(word(bytes, at))
}

fn f64_at<const N: usize>(bytes: &[u8; N], at: usize) -> f64 {
    f64::from_le_bytes(word(bytes, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candles_round_trip_exactly() {
        let c = Candle {
            open_time: -1_735_689_600_000,
            close_time: -1_735_689_600_000 + 2_678_399_999,
            open: 0.000_012_34,
            high: 98_765.432_1,
            low: f64::MIN_POSITIVE,
            close: 0.1 + 0.2,
            volume: 123_456.789,
            quote_volume: 1e300,
            trades: u64::from(u32::MAX),
            taker_buy_volume: -0.0,
            taker_buy_quote_volume: 7.0,
            closed: true,
        };
        let bytes = encode_candle(&c);
        assert_eq!(decode_candle(&bytes, true), Some(c));
        assert_eq!(
            decode_candle(&bytes, false),
            Some(Candle { closed: false, ..c })
        );
        assert_eq!(decode_candle(&bytes[..79], true), None);
        // The scripts read the open time from the first 8 bytes.
        assert_eq!(bytes[..8], c.open_time.to_le_bytes());
    }

    #[test]
    fn tickers_round_trip_exactly() {
        let t = Ticker {
            symbol: Symbol::new("ETHUSDT").unwrap(),
            event_time: 1_735_689_600_123,
            last_price: 3_456.78,
            open_price: 3_400.0,
            high_price: 3_500.5,
            low_price: 3_390.25,
            volume: 12_345.678,
            quote_volume: 42_000_000.5,
        };
        let bytes = encode_ticker(&t);
        assert_eq!(decode_ticker(&t.symbol, &bytes), Some(t.clone()));
        assert_eq!(decode_ticker(&t.symbol, &[0u8; 3]), None);
    }
}
