//! The Binance source: the REST client for history and listings, the stream pool for live
//! data, and a small task that turns stream events into [`FeedEvent`]s.

use sift_binance::client::KLINES_MAX_LIMIT;
use sift_binance::client::ws::ALL_MINI_TICKERS;
use sift_binance::{
    RestClient, RestConfig, RestError, StreamConfig, StreamEvent, StreamHandle, SymbolInfo,
    kline_stream, spawn_streams,
};
use sift_core::{Candle, Interval, Symbol, Ticker};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::{FeedEvent, FetchError, SeriesKey};

/// Events between the adapter and the collector: as many as the stream pool buffers.
const EVENT_CAPACITY: usize = sift_binance::client::ws::EVENT_CHANNEL_CAPACITY;

fn fetch_error(error: RestError) -> FetchError {
    FetchError {
        retryable: error.is_retryable(),
        error: anyhow::Error::new(error),
    }
}

/// REST calls of the Binance source.
#[derive(Debug, Clone)]
pub(crate) struct BinanceFetcher {
    pub(crate) rest: RestClient,
}

impl BinanceFetcher {
    pub(crate) async fn server_time(&self) -> Result<i64, FetchError> {
        self.rest.server_time().await.map_err(fetch_error)
    }

    pub(crate) async fn listing(&self) -> Result<Vec<SymbolInfo>, FetchError> {
        let listing = self.rest.exchange_info().await.map_err(fetch_error)?;
        if !listing.rejected.is_empty() {
            debug!(
                rejected = listing.rejected.len(),
                "exchangeInfo pairs sift cannot name"
            );
        }
        Ok(listing.symbols)
    }

    pub(crate) async fn tickers(&self) -> Result<Vec<Ticker>, FetchError> {
        self.rest.tickers_24hr().await.map_err(fetch_error)
    }

    pub(crate) async fn closed_klines(
        &self,
        symbol: &Symbol,
        interval: Interval,
        n: usize,
        now: i64,
    ) -> Result<Vec<Candle>, FetchError> {
        // One page is one call: `closed_klines` would ask for a second page whenever the first
        // holds fewer than `n` candles (a young pair, a long interval), doubling the weight of
        // such backfills for an empty answer.
        let Ok(limit) = u16::try_from(n) else {
            return self.all_closed_klines(symbol, interval, n, now).await;
        };
        if limit == 0 || limit > KLINES_MAX_LIMIT {
            return self.all_closed_klines(symbol, interval, n, now).await;
        }
        let end = interval.open_time(now) - 1;
        let mut candles = self
            .rest
            .klines(symbol, interval, None, Some(end), limit)
            .await
            .map_err(fetch_error)?;
        // `now` is a time the server has reached, so these have closed, whatever the local
        // clock says.
        candles.retain(|c| c.open_time <= end && c.close_time < now);
        for candle in &mut candles {
            candle.closed = true;
        }
        Ok(candles)
    }

    async fn all_closed_klines(
        &self,
        symbol: &Symbol,
        interval: Interval,
        n: usize,
        now: i64,
    ) -> Result<Vec<Candle>, FetchError> {
        self.rest
            .closed_klines(symbol, interval, n, now)
            .await
            .map_err(fetch_error)
    }

    pub(crate) async fn klines_range(
        &self,
        symbol: &Symbol,
        interval: Interval,
        from: i64,
        to: i64,
    ) -> Result<Vec<Candle>, FetchError> {
        self.rest
            .klines_range(symbol, interval, from, to)
            .await
            .map_err(fetch_error)
    }
}

/// Subscriptions of the Binance source.
#[derive(Debug, Clone)]
pub(crate) struct BinanceLive {
    pub(crate) streams: StreamHandle,
}

impl BinanceLive {
    pub(crate) async fn subscribe(&self, keys: &[SeriesKey]) -> anyhow::Result<()> {
        let names = keys.iter().map(|(s, i)| kline_stream(s, *i)).collect();
        Ok(self.streams.subscribe(names).await?)
    }

    pub(crate) async fn unsubscribe(&self, keys: &[SeriesKey]) -> anyhow::Result<()> {
        let names = keys.iter().map(|(s, i)| kline_stream(s, *i)).collect();
        Ok(self.streams.unsubscribe(names).await?)
    }
}

/// Starts the REST client and the stream pool (subscribed to `!miniTicker@arr`).
pub(crate) async fn start(
    rest: RestConfig,
    streams: StreamConfig,
    cancel: CancellationToken,
) -> anyhow::Result<(
    BinanceFetcher,
    BinanceLive,
    mpsc::Receiver<FeedEvent>,
    JoinHandle<()>,
)> {
    streams.validate()?;
    let rest = RestClient::new(rest)?;
    let (handle, stream_events, pool) = spawn_streams(streams, cancel.clone());
    handle.subscribe(vec![ALL_MINI_TICKERS.to_owned()]).await?;
    let (tx, rx) = mpsc::channel(EVENT_CAPACITY);
    let task = tokio::spawn(adapt(stream_events, tx, pool, cancel));
    Ok((
        BinanceFetcher { rest },
        BinanceLive { streams: handle },
        rx,
        task,
    ))
}

/// Forwards stream events as feed events until either side ends; then waits for the pool.
async fn adapt(
    mut events: mpsc::Receiver<StreamEvent>,
    tx: mpsc::Sender<FeedEvent>,
    pool: JoinHandle<()>,
    cancel: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            () = cancel.cancelled() => break,
            event = events.recv() => match event {
                Some(event) => event,
                None => break,
            },
        };
        let event = match event {
            StreamEvent::Kline(update) => FeedEvent::Kline(update),
            StreamEvent::MiniTickers(tickers) => FeedEvent::Tickers(tickers),
            StreamEvent::Connected { streams, .. } => FeedEvent::Connected {
                series: series_of(&streams),
            },
            StreamEvent::Disconnected {
                connection,
                streams,
                reason,
            } => {
                warn!(connection, streams = streams.len(), %reason, "stream connection lost");
                FeedEvent::Disconnected {
                    series: series_of(&streams),
                }
            }
        };
        tokio::select! {
            () = cancel.cancelled() => break,
            sent = tx.send(event) => if sent.is_err() { break },
        }
    }
    drop(events);
    if let Err(err) = pool.await {
        warn!(error = %err, "stream pool task failed");
    }
}

/// The series of kline stream names (`btcusdt@kline_1m`); other streams are skipped.
pub(crate) fn series_of(streams: &[String]) -> Vec<SeriesKey> {
    streams
        .iter()
        .filter_map(|name| {
            let (symbol, interval) = name.split_once("@kline_")?;
            Some((symbol.parse().ok()?, interval.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_to_series() {
        let names = [
            "btcusdt@kline_1m",
            "!miniTicker@arr",
            "ethusdt@kline_1M",
            "x@kline_7m",
        ]
        .map(str::to_owned);
        let series = series_of(&names);
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].0.as_str(), "BTCUSDT");
        assert_eq!(series[1].1, Interval::Month1);
        for (symbol, interval) in &series {
            let name = kline_stream(symbol, *interval);
            assert_eq!(
                series_of(std::slice::from_ref(&name)),
                [(symbol.clone(), *interval)]
            );
        }
    }
}
