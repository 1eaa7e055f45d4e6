//! Shared test helpers: a running collector with a memory store and a recording of its
//! events, and the invariants every run must keep.

#![allow(dead_code)]

pub(crate) mod fake;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use sift_candles::{CandleStore, Capacities, MemoryCandleStore};
use sift_core::{Candle, Interval, Symbol};
use sift_market::{Collector, MarketConfig, MarketEvent, MarketHandle, SourceConfig};
use sift_test_support::wait_until;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Events the harness reads ahead of the test.
const EVENTS: usize = 1024;

/// The store the harness uses by default: room for every candle a test makes.
pub(crate) fn memory_store() -> MemoryCandleStore {
    MemoryCandleStore::new(Capacities::new(STORE_CAPACITY).expect("a positive capacity"))
}

/// Closed candles kept per series in tests.
pub(crate) const STORE_CAPACITY: usize = 5_000;

/// A collector under test.
pub(crate) struct Harness {
    pub(crate) store: Arc<dyn CandleStore>,
    pub(crate) events: Arc<Mutex<Vec<MarketEvent>>>,
    pub(crate) handle: MarketHandle,
    pub(crate) cancel: CancellationToken,
    collector: Option<Collector>,
    reader: Option<tokio::task::JoinHandle<()>>,
}

impl Harness {
    pub(crate) async fn start(config: MarketConfig, source: SourceConfig) -> Self {
        Self::start_with(config, source, Arc::new(memory_store())).await
    }

    /// A collector writing into `store` (for example the Redis mirror).
    pub(crate) async fn start_with(
        config: MarketConfig,
        source: SourceConfig,
        store: Arc<dyn CandleStore>,
    ) -> Self {
        init_tracing();
        let (tx, mut rx) = mpsc::channel(EVENTS);
        let cancel = CancellationToken::new();
        let collector = Collector::start(config, source, Arc::clone(&store), tx, cancel.clone())
            .await
            .expect("collector starts");
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let reader = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                sink.lock().push(event);
            }
        });
        Self {
            store,
            events,
            handle: collector.handle(),
            cancel,
            collector: Some(collector),
            reader: Some(reader),
        }
    }

    /// Stops the collector and waits for it; returns its result.
    pub(crate) async fn stop(&mut self) -> anyhow::Result<()> {
        self.cancel.cancel();
        let result = match self.collector.take() {
            Some(c) => c.wait().await,
            None => Ok(()),
        };
        if let Some(reader) = self.reader.take() {
            reader.await.expect("reader ends");
        }
        result
    }

    /// Waits until `check` holds for the recorded events, or panics after `timeout`.
    pub(crate) async fn wait_events(
        &self,
        timeout: Duration,
        what: &str,
        check: impl Fn(&[MarketEvent]) -> bool,
    ) {
        let ok = wait_until(timeout, || async { check(&self.events.lock()) }).await;
        assert!(
            ok,
            "timed out waiting for {what}; health: {:#?}",
            self.handle.health()
        );
    }

    /// Closes handed on per series, in the order they came.
    pub(crate) fn closes(&self) -> BTreeMap<(Symbol, Interval), Vec<Candle>> {
        closes(&self.events.lock())
    }
}

pub(crate) fn closes(events: &[MarketEvent]) -> BTreeMap<(Symbol, Interval), Vec<Candle>> {
    let mut out: BTreeMap<(Symbol, Interval), Vec<Candle>> = BTreeMap::new();
    for event in events {
        if let MarketEvent::Closes(burst) = event {
            for (symbol, candle) in &burst.candles {
                assert_eq!(
                    candle.open_time, burst.open_time,
                    "a burst holds one candle time"
                );
                out.entry((symbol.clone(), burst.interval))
                    .or_default()
                    .push(*candle);
            }
        }
    }
    out
}

/// How many live closes each series has handed on.
pub(crate) fn close_counts(events: &[MarketEvent]) -> BTreeMap<(Symbol, Interval), usize> {
    closes(events)
        .into_iter()
        .map(|(k, v)| (k, v.len()))
        .collect()
}

/// Per series: `Backfilled` once (again only after the symbol was removed and re-added),
/// before any close; closes strictly increasing, each once.
pub(crate) fn check_order(events: &[MarketEvent]) {
    let mut backfilled: HashSet<(Symbol, Interval)> = HashSet::new();
    let mut last: BTreeMap<(Symbol, Interval), i64> = BTreeMap::new();
    for event in events {
        match event {
            MarketEvent::Universe(change) => {
                for symbol in &change.removed {
                    backfilled.retain(|(s, _)| s != symbol);
                    last.retain(|(s, _), _| s != symbol);
                }
            }
            MarketEvent::Backfilled {
                symbol, interval, ..
            } => {
                assert!(
                    backfilled.insert((symbol.clone(), *interval)),
                    "{symbol} {interval} backfilled twice"
                );
            }
            MarketEvent::Closes(burst) => {
                let mut seen = HashSet::new();
                for (symbol, candle) in &burst.candles {
                    assert!(seen.insert(symbol.clone()), "{symbol} twice in one burst");
                    let key = (symbol.clone(), burst.interval);
                    assert!(
                        backfilled.contains(&key),
                        "{symbol} {} close before its history",
                        burst.interval
                    );
                    if let Some(prev) = last.insert(key, candle.open_time) {
                        assert!(
                            candle.open_time > prev,
                            "{symbol} {}: close {} after {prev}",
                            burst.interval,
                            candle.open_time
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// Asserts that the series in `store` is exactly `truth` (oldest first) and that it has no gap
/// that `truth` does not have.
pub(crate) fn assert_series_eq(
    store: &dyn CandleStore,
    symbol: &Symbol,
    interval: Interval,
    truth: &[Candle],
) {
    let stored = store
        .last_closed(symbol, interval, usize::MAX)
        .expect("memory store reads");
    assert!(!stored.is_empty(), "{symbol} {interval}: nothing stored");
    assert_eq!(
        stored.len(),
        truth.len(),
        "{symbol} {interval}: {} stored, {} in truth (stored {}..{})",
        stored.len(),
        truth.len(),
        stored[0].open_time,
        stored[stored.len() - 1].open_time
    );
    for (s, t) in stored.iter().zip(truth) {
        assert_eq!(s, t, "{symbol} {interval} differs at {}", t.open_time);
    }
}

fn init_tracing() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}

/// Downstream saw every stored candle exactly once: per series, the history announced by
/// the (last) `Backfilled` event followed by the closes handed on after it is exactly what the
/// store holds. For runs without halted or removed symbols.
pub(crate) fn assert_closes_match_store(events: &[MarketEvent], store: &dyn CandleStore) {
    let mut history: BTreeMap<(Symbol, Interval), usize> = BTreeMap::new();
    let mut handed: BTreeMap<(Symbol, Interval), Vec<Candle>> = BTreeMap::new();
    for event in events {
        match event {
            MarketEvent::Backfilled {
                symbol,
                interval,
                candles,
            } => {
                history.insert((symbol.clone(), *interval), *candles);
                handed.remove(&(symbol.clone(), *interval));
            }
            MarketEvent::Closes(burst) => {
                for (symbol, candle) in &burst.candles {
                    handed
                        .entry((symbol.clone(), burst.interval))
                        .or_default()
                        .push(*candle);
                }
            }
            _ => {}
        }
    }
    for ((symbol, interval), n) in history {
        let stored = store
            .last_closed(&symbol, interval, usize::MAX)
            .expect("memory store reads");
        let live = handed
            .remove(&(symbol.clone(), interval))
            .unwrap_or_default();
        assert_eq!(
            stored.len(),
            n + live.len(),
            "{symbol} {interval}: {n} history + {} closes vs {} stored",
            live.len(),
            stored.len()
        );
        assert!(
            stored[n..] == live[..],
            "{symbol} {interval}: closes handed on differ from the store"
        );
    }
}
