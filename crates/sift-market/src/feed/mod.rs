//! The sources behind the collector, behind one small interface: a [`Fetcher`] for history
//! and listings (REST, or the simulated market, or the files), a [`Live`] handle to subscribe
//! series, and a channel of [`FeedEvent`]s (what a Binance connection sends).

pub(crate) mod binance;
pub(crate) mod driven;
pub(crate) mod replay;
pub(crate) mod sim;

use std::fmt;
use std::sync::Arc;

use sift_binance::{KlineUpdate, SymbolInfo};
use sift_core::{Candle, Interval, Symbol, Ticker};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use self::driven::{Clock, Driven, DrivenLive};

/// One series: a symbol and an interval.
pub(crate) type SeriesKey = (Symbol, Interval);

/// Events from the live side of a source: what a connection delivers.
#[derive(Debug)]
pub(crate) enum FeedEvent {
    Kline(KlineUpdate),
    Tickers(Vec<Ticker>),
    /// A connection (re)opened carrying these series.
    Connected {
        series: Vec<SeriesKey>,
    },
    /// A connection closed; its series receive nothing until a `Connected` names them again.
    Disconnected {
        series: Vec<SeriesKey>,
    },
}

/// A failed fetch: retry later, or give up.
#[derive(Debug)]
pub(crate) struct FetchError {
    pub(crate) retryable: bool,
    pub(crate) error: anyhow::Error,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

/// History, listings and the time, from whichever source. Cheap to clone.
#[derive(Clone)]
pub(crate) enum Fetcher {
    Binance(binance::BinanceFetcher),
    Driven {
        market: Arc<dyn Driven>,
        clock: Clock,
    },
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Binance(_) => f.write_str("Fetcher::Binance"),
            Self::Driven { .. } => f.write_str("Fetcher::Driven"),
        }
    }
}

impl Fetcher {
    /// The market's time when the source knows it without asking (driven sources).
    pub(crate) fn local_now(&self) -> Option<i64> {
        match self {
            Self::Binance(_) => None,
            Self::Driven { clock, .. } => Some(clock.now_ms()),
        }
    }

    /// The market's time (Binance: the server's).
    pub(crate) async fn now(&self) -> Result<i64, FetchError> {
        match self {
            Self::Binance(b) => b.server_time().await,
            Self::Driven { clock, .. } => Ok(clock.now_ms()),
        }
    }

    pub(crate) async fn listing(&self) -> Result<Vec<SymbolInfo>, FetchError> {
        match self {
            Self::Binance(b) => b.listing().await,
            Self::Driven { market, .. } => Ok(market.listing()),
        }
    }

    /// 24 h tickers of every listed pair.
    pub(crate) async fn tickers(&self) -> Result<Vec<Ticker>, FetchError> {
        match self {
            Self::Binance(b) => b.tickers().await,
            Self::Driven { market, clock } => {
                let symbols: Vec<Symbol> = market.listing().into_iter().map(|i| i.symbol).collect();
                let now = clock.now_ms();
                let market = Arc::clone(market);
                blocking(move || market.tickers(&symbols, now)).await
            }
        }
    }

    /// The newest `n` candles closed at `now`, oldest first.
    ///
    /// A driven market is first brought to its clock's time (see [`Self::klines_range`]).
    pub(crate) async fn closed_klines(
        &self,
        symbol: &Symbol,
        interval: Interval,
        n: usize,
        now: i64,
    ) -> Result<Vec<Candle>, FetchError> {
        match self {
            Self::Binance(b) => b.closed_klines(symbol, interval, n, now).await,
            Self::Driven { market, clock } => {
                let market = Arc::clone(market);
                let symbol = symbol.clone();
                let before = interval.open_time(now);
                let clock_now = clock.now_ms();
                blocking(move || {
                    market.advance(clock_now);
                    market.latest_closed(&symbol, interval, before, n)
                })
                .await
            }
        }
    }

    /// Every closed candle opening in `from..to`, oldest first (the caller knows they closed).
    ///
    /// A driven market serves only what it has released, and its driver releases candles at
    /// its ticks, so it can lag the clock the collector reads by a tick (minutes of market time
    /// at high replay speeds). It is first brought to its clock's time, so that a candle the
    /// collector knows closed (by the clock, or because a later one arrived) is served, never
    /// mistaken for a hole in the source's history (and skipped for good) because the driver
    /// has not released it yet.
    pub(crate) async fn klines_range(
        &self,
        symbol: &Symbol,
        interval: Interval,
        from: i64,
        to: i64,
    ) -> Result<Vec<Candle>, FetchError> {
        match self {
            Self::Binance(b) => b.klines_range(symbol, interval, from, to).await,
            Self::Driven { market, clock } => {
                let market = Arc::clone(market);
                let symbol = symbol.clone();
                let clock_now = clock.now_ms();
                blocking(move || {
                    market.advance(clock_now);
                    market.closed(&symbol, interval, from, to)
                })
                .await
            }
        }
    }
}

/// Runs market work that may take longer than an async step should on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, FetchError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| FetchError {
            retryable: false,
            error: anyhow::Error::new(error).context("market task failed"),
        })
}

/// Subscribing series on the live side.
#[derive(Debug, Clone)]
pub(crate) enum Live {
    Binance(binance::BinanceLive),
    Driven(DrivenLive),
}

impl Live {
    pub(crate) async fn subscribe(&self, keys: &[SeriesKey]) -> anyhow::Result<()> {
        match self {
            Self::Binance(b) => b.subscribe(keys).await,
            Self::Driven(d) => {
                d.subscribe(keys);
                Ok(())
            }
        }
    }

    pub(crate) async fn unsubscribe(&self, keys: &[SeriesKey]) -> anyhow::Result<()> {
        match self {
            Self::Binance(b) => b.unsubscribe(keys).await,
            Self::Driven(d) => {
                d.unsubscribe(keys);
                Ok(())
            }
        }
    }
}

/// A started source: its parts and the task that feeds the events.
#[derive(Debug)]
pub(crate) struct Feed {
    pub(crate) fetcher: Fetcher,
    pub(crate) live: Live,
    pub(crate) events: mpsc::Receiver<FeedEvent>,
    pub(crate) task: JoinHandle<()>,
    /// `"binance"`, `"sim"` or `"replay"`.
    pub(crate) kind: &'static str,
}
