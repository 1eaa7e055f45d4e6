//! Tickers for the workers, as `serve` feeds them: the latest 24 h statistics of a close's
//! symbols go to the engine with the close (rules reading `price`, `change_pct_24h`, ...), and
//! the symbols ranked by quote volume decide the members of `symbols = {top = N}` traders.
//!
//! The collectors keep `ticker:{SYMBOL}` current in Redis (sift-redis's key schema and
//! layout); a worker reads the keys it needs with one `MGET` per entry, and ranks the whole
//! universe every [`RANK_EVERY`].

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::ConnectionLike;
use sift_candles::TICKER_MAX_AGE_MS;
use sift_core::{Symbol, Ticker};
use sift_redis::Keys;
use sift_redis::codec::decode_ticker;
use sift_server::traders::rank_by_volume;

/// How often a worker ranks the universe again: the ranking moves slowly (24 h volumes).
pub const RANK_EVERY: Duration = Duration::from_secs(60);

/// The tickers of `symbols` that Redis holds and that are at most [`TICKER_MAX_AGE_MS`] older
/// than `at` (the close time, so a simulated market's clock works too), in `symbols`' order;
/// one `MGET`. A malformed value is skipped.
///
/// # Errors
/// A Redis failure.
pub async fn read(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    symbols: &[Symbol],
    at: i64,
) -> redis::RedisResult<Vec<Ticker>> {
    if symbols.is_empty() {
        return Ok(Vec::new());
    }
    let mut mget = redis::cmd("MGET");
    for symbol in symbols {
        mget.arg(keys.ticker(symbol));
    }
    let values: Vec<Option<Vec<u8>>> = mget.query_async(conn).await?;
    Ok(symbols
        .iter()
        .zip(values)
        .filter_map(|(symbol, bytes)| decode_ticker(symbol, &bytes?))
        .filter(|t| at.saturating_sub(t.event_time) <= TICKER_MAX_AGE_MS)
        .collect())
}

/// `symbols` by 24 h quote volume, highest first, as `serve` ranks them
/// ([`rank_by_volume`]).
pub fn rank(symbols: &[Symbol], tickers: &[Ticker]) -> Vec<Symbol> {
    let volumes: HashMap<&Symbol, f64> = tickers
        .iter()
        .map(|t| (&t.symbol, t.quote_volume))
        .collect();
    rank_by_volume(symbols.to_vec(), |symbol| {
        volumes.get(symbol).copied().unwrap_or(0.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticker(symbol: &str, quote_volume: f64) -> Ticker {
        Ticker {
            symbol: symbol.parse().unwrap(),
            event_time: 0,
            last_price: 1.0,
            open_price: 1.0,
            high_price: 1.0,
            low_price: 1.0,
            volume: 1.0,
            quote_volume,
        }
    }

    #[test]
    fn ranked_by_quote_volume_then_name() {
        let symbols: Vec<Symbol> = ["AUSDT", "BUSDT", "CUSDT", "DUSDT"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let tickers = [ticker("BUSDT", 5.0), ticker("DUSDT", 9.0)];
        let ranked: Vec<String> = rank(&symbols, &tickers)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ranked, ["DUSDT", "BUSDT", "AUSDT", "CUSDT"]);
    }
}
