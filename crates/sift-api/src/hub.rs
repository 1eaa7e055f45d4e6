//! The realtime hub: what the server publishes (signals, tickers, candles) fanned out to the
//! SSE connections, each of which keeps only what its caller may see and asked for.
//!
//! One bounded tokio broadcast channel carries every event, serialized to JSON once at
//! publish time. A connection that falls more than [`HUB_CAPACITY`] events behind gets a
//! `resync` event (see `stream`). Publishing never blocks and costs nothing without clients.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use sift_core::{Candle, Interval, Symbol, Ticker, Tier};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use crate::views::{CandleView, SignalView, TickerView};

/// Events buffered per client before it counts as lagging. A close burst's signals and its
/// closed candles are one event each, tickers one a second, forming candles only for the
/// charts someone watches: a few hundred events span minutes. The channel keeps this many
/// recent events (a busy close's signals make a megabyte or two).
pub const HUB_CAPACITY: usize = 512;

/// Who may see a trader's signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraderVisibility {
    /// The owner of a custom trader; `None` for a built-in.
    pub owner_id: Option<i64>,
    /// For built-ins: the lowest tier that sees it (ignored for custom traders).
    pub access_tier: Tier,
}

impl TraderVisibility {
    /// A built-in trader seen from `access_tier` up.
    pub fn builtin(access_tier: Tier) -> Self {
        Self {
            owner_id: None,
            access_tier,
        }
    }

    /// A custom trader seen only by `owner_id`.
    pub fn owned_by(owner_id: i64) -> Self {
        Self {
            owner_id: Some(owner_id),
            access_tier: Tier::Elite,
        }
    }

    /// Who may see a stored trader and its signals.
    pub fn of(trader: &sift_store::Trader) -> Self {
        match trader.owner_id {
            Some(owner) => Self::owned_by(owner),
            None => Self::builtin(trader.def.access_tier.unwrap_or(Tier::Anonymous)),
        }
    }

    pub fn is_builtin(&self) -> bool {
        self.owner_id.is_none()
    }
}

/// One published event, serialized once for every client. Signals and candles of one close
/// travel as one batch: a client then wakes once per close rather than once per item (a busy
/// close carries thousands of each, and a per-item event cost every client that many
/// channel receives).
#[derive(Debug, Clone)]
pub(crate) enum HubEvent {
    Signals(Arc<[SignalItem]>),
    /// Each ticker of one update with its JSON.
    Tickers(Arc<[(Symbol, Arc<str>)]>),
    Candles(Arc<[CandleItem]>),
    /// Signals published before their commit were not stored: clients reload (`resync`).
    Withdrawn,
}

/// A signal of a [`HubEvent::Signals`] batch.
#[derive(Debug)]
pub(crate) struct SignalItem {
    pub(crate) id: i64,
    pub(crate) visibility: TraderVisibility,
    pub(crate) json: Arc<str>,
}

/// A candle of a [`HubEvent::Candles`] batch.
#[derive(Debug)]
pub(crate) struct CandleItem {
    pub(crate) symbol: Symbol,
    pub(crate) interval: Interval,
    pub(crate) json: Arc<str>,
}

/// The realtime fan-out. Cheap to clone; every clone publishes to the same clients.
#[derive(Debug, Clone)]
pub struct Hub {
    sender: broadcast::Sender<HubEvent>,
    shutdown: CancellationToken,
    /// Candle topics some connection asked for, with how many ask: forming candles change
    /// several times a second per series, and only open charts want them.
    watched: Arc<Mutex<HashMap<(Symbol, Interval), usize>>>,
    /// Publications of signals whose commit was still running (see [`Hub::uncommitted`]).
    uncommitted: Arc<Uncommitted>,
}

/// Counts the publications made before their signals were committed: `begun` of them so far,
/// the first `settled` of them committed or withdrawn.
#[derive(Debug)]
struct Uncommitted {
    begun: AtomicU64,
    settled: watch::Sender<u64>,
}

impl Default for Uncommitted {
    fn default() -> Self {
        Self {
            begun: AtomicU64::new(0),
            settled: watch::Sender::new(0),
        }
    }
}

/// A publication of signals while their commit runs, from [`Hub::uncommitted`]: publish
/// through it, then call [`committed`](Self::committed) once they are stored. Dropped without
/// that after publishing, it tells the clients to reload (`resync`), since what they were
/// shown is not stored.
#[derive(Debug)]
#[must_use = "settle the publication: `committed`, or drop it when the commit failed"]
pub struct UncommittedSignals {
    hub: Hub,
    number: u64,
    shown: AtomicBool,
    committed: bool,
}

impl UncommittedSignals {
    /// Publishes signals whose commit is running, as [`Hub::publish_signals`] does.
    pub fn publish<'a>(
        &self,
        signals: impl IntoIterator<Item = (&'a sift_store::Signal, &'a TraderVisibility)>,
    ) {
        self.shown.store(true, Ordering::SeqCst);
        self.hub.publish_signals(signals);
    }

    /// The signals are stored.
    pub fn committed(mut self) {
        self.committed = true;
    }
}

impl Drop for UncommittedSignals {
    fn drop(&mut self) {
        if !self.committed && self.shown.load(Ordering::SeqCst) {
            metrics::counter!("sift_stream_withdrawn_total").increment(1);
            let _ = self.hub.sender.send(HubEvent::Withdrawn);
        }
        let number = self.number;
        self.hub
            .uncommitted
            .settled
            .send_modify(|settled| *settled = (*settled).max(number));
    }
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// A hub buffering [`HUB_CAPACITY`] events per client.
    pub fn new() -> Self {
        Self::with_capacity(HUB_CAPACITY)
    }

    /// A hub buffering `capacity` events per client (at least 1); tests use small ones to
    /// provoke lag.
    pub fn with_capacity(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self {
            sender,
            shutdown: CancellationToken::new(),
            watched: Arc::default(),
            uncommitted: Arc::default(),
        }
    }

    /// Opens a publication of signals whose commit is running: until it is settled, resuming
    /// stream clients wait before reading the store, so that they find there what was
    /// published before they subscribed.
    pub fn uncommitted(&self) -> UncommittedSignals {
        let number = self.uncommitted.begun.fetch_add(1, Ordering::SeqCst) + 1;
        UncommittedSignals {
            hub: self.clone(),
            number,
            shown: AtomicBool::new(false),
            committed: false,
        }
    }

    /// Waits until every publication opened so far by [`Hub::uncommitted`] is settled.
    pub(crate) async fn settled(&self) {
        let begun = self.uncommitted.begun.load(Ordering::SeqCst);
        let mut settled = self.uncommitted.settled.subscribe();
        // The sender lives as long as the hub, so this only ends when it is settled.
        let _ = settled.wait_for(|settled| *settled >= begun).await;
    }

    /// Publishes a stored signal to the clients that may see it (the owner of a custom
    /// trader; for a built-in, callers of `visibility.access_tier` and up, and admins).
    pub fn publish_signal(&self, signal: &sift_store::Signal, visibility: &TraderVisibility) {
        self.publish_signals(std::iter::once((signal, visibility)));
    }

    /// Publishes stored signals (one close's, say) as one batch, each to the clients that
    /// may see it, in the given order.
    pub fn publish_signals<'a>(
        &self,
        signals: impl IntoIterator<Item = (&'a sift_store::Signal, &'a TraderVisibility)>,
    ) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        let items: Vec<SignalItem> = signals
            .into_iter()
            .filter_map(|(signal, visibility)| {
                Some(SignalItem {
                    id: signal.id,
                    visibility: *visibility,
                    json: to_json(&SignalView::from(signal))?,
                })
            })
            .collect();
        if !items.is_empty() {
            let _ = self.sender.send(HubEvent::Signals(items.into()));
        }
    }

    /// Publishes ticker updates (topic `tickers`, or `tickers:SYMBOL`).
    pub fn publish_tickers(&self, tickers: &[Ticker]) {
        if self.sender.receiver_count() == 0 || tickers.is_empty() {
            return;
        }
        let items: Vec<(Symbol, Arc<str>)> = tickers
            .iter()
            .filter_map(|t| Some((t.symbol.clone(), to_json(&TickerView::from(t))?)))
            .collect();
        let _ = self.sender.send(HubEvent::Tickers(items.into()));
    }

    /// Publishes a candle update (topic `candles:SYMBOL:INTERVAL`): the forming candle as it
    /// changes, or a candle that just `closed`.
    pub fn publish_candle(
        &self,
        symbol: &Symbol,
        interval: Interval,
        candle: &Candle,
        closed: bool,
    ) {
        self.publish_candles(interval, std::iter::once((symbol, candle)), closed);
    }

    /// Publishes candles of one interval (a close burst, say) as one batch.
    pub fn publish_candles<'a>(
        &self,
        interval: Interval,
        candles: impl IntoIterator<Item = (&'a Symbol, &'a Candle)>,
        closed: bool,
    ) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        let watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
        if watched.is_empty() {
            return;
        }
        let items: Vec<CandleItem> = candles
            .into_iter()
            .filter(|(symbol, _)| watched.contains_key(&((*symbol).clone(), interval)))
            .filter_map(|(symbol, candle)| {
                let view = CandleEvent {
                    symbol: symbol.as_str(),
                    interval: interval.as_str(),
                    candle: CandleView::new(candle, closed),
                };
                Some(CandleItem {
                    symbol: symbol.clone(),
                    interval,
                    json: to_json(&view)?,
                })
            })
            .collect();
        drop(watched);
        if !items.is_empty() {
            let _ = self.sender.send(HubEvent::Candles(items.into()));
        }
    }

    /// Registers a connection's candle topics until the guard drops.
    pub(crate) fn watch_candles(
        &self,
        topics: impl IntoIterator<Item = (Symbol, Interval)>,
    ) -> CandleWatch {
        let topics: Vec<(Symbol, Interval)> = topics.into_iter().collect();
        let mut watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
        for topic in &topics {
            *watched.entry(topic.clone()).or_default() += 1;
        }
        CandleWatch {
            watched: Arc::clone(&self.watched),
            topics,
        }
    }

    /// Connected stream clients.
    pub fn client_count(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Ends every stream (on shutdown, so that open SSE connections do not hold the server).
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<HubEvent> {
        self.sender.subscribe()
    }

    pub(crate) fn shutdown_token(&self) -> &CancellationToken {
        &self.shutdown
    }
}

/// A connection's candle topics, registered with the hub while it lives.
#[derive(Debug)]
pub(crate) struct CandleWatch {
    watched: Arc<Mutex<HashMap<(Symbol, Interval), usize>>>,
    topics: Vec<(Symbol, Interval)>,
}

impl Drop for CandleWatch {
    fn drop(&mut self) {
        let mut watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
        for topic in &self.topics {
            if let Some(count) = watched.get_mut(topic) {
                *count -= 1;
                if *count == 0 {
                    watched.remove(topic);
                }
            }
        }
    }
}

/// The `data:` of a `candle` event.
#[derive(Debug, Serialize)]
struct CandleEvent<'a> {
    symbol: &'a str,
    interval: &'a str,
    candle: CandleView,
}

fn to_json<T: Serialize>(value: &T) -> Option<Arc<str>> {
    match serde_json::to_string(value) {
        Ok(json) => Some(json.into()),
        Err(error) => {
            tracing::error!(error = %error, "cannot serialize a hub event");
            None
        }
    }
}
