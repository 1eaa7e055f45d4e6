//! Sources driven by a local clock (the simulated market and replayed files): a task that
//! turns the market's state into the same events a Binance connection would send.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use sift_binance::{KlineUpdate, SymbolInfo};
use sift_core::{Candle, Interval, Symbol, Ticker};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{FeedEvent, SeriesKey};

/// How often the driver looks at the clock (real time).
const TICK: Duration = Duration::from_millis(50);
/// Binance re-sends the forming candle every 2 s and tickers every 1 s (market time) ...
const FORMING_EVERY_MS: i64 = 2_000;
const TICKERS_EVERY_MS: i64 = 1_000;
/// ... but at high speeds no more often than this (real time), to keep demos light.
const FORMING_MIN_REAL: Duration = Duration::from_millis(250);

/// A market whose state is a function of a clock.
pub(crate) trait Driven: Send + Sync + 'static {
    /// Brings the market to `now_ms` (closes candles); never goes back.
    fn advance(&self, now_ms: i64);
    /// Closed candles opening in `from..to`, oldest first.
    fn closed(&self, symbol: &Symbol, interval: Interval, from: i64, to: i64) -> Vec<Candle>;
    /// The newest `n` closed candles opening before `before_open`, oldest first.
    fn latest_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
        before_open: i64,
        n: usize,
    ) -> Vec<Candle>;
    /// The forming candle at `now_ms`, if the source has one.
    fn forming(&self, symbol: &Symbol, interval: Interval, now_ms: i64) -> Option<Candle>;
    /// 24 h tickers of `symbols` at `now_ms` (those the source can give).
    fn tickers(&self, symbols: &[Symbol], now_ms: i64) -> Vec<Ticker>;
    /// Every listed pair.
    fn listing(&self) -> Vec<SymbolInfo>;
}

/// Market time running `speed` times faster than real time from `start_ms`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    start_ms: i64,
    started: Instant,
    speed: f64,
}

impl Clock {
    pub(crate) fn new(start_ms: i64, speed: f64) -> Self {
        Self {
            start_ms,
            started: Instant::now(),
            speed,
        }
    }

    pub(crate) fn now_ms(&self) -> i64 {
        let elapsed = self.started.elapsed().as_secs_f64() * 1000.0 * self.speed;
        // Saturating float-to-int conversion: a clock running for ages stays finite.
        self.start_ms.saturating_add(elapsed as i64)
    }
}

#[derive(Debug)]
struct Cursor {
    /// Open time of the next closed candle to send.
    next_close: i64,
    forming_sent_ms: i64,
    forming_sent: Option<Instant>,
}

/// What the driver sends: shared with the collector, which subscribes and unsubscribes.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions {
    series: BTreeMap<SeriesKey, Cursor>,
    tickers_sent_ms: i64,
    tickers_sent: Option<Instant>,
}

/// Handle to a driven source's subscriptions.
#[derive(Debug, Clone)]
pub(crate) struct DrivenLive {
    subs: Arc<Mutex<Subscriptions>>,
    clock: Clock,
}

impl DrivenLive {
    /// From now on, send the closes and forming updates of these series.
    pub(crate) fn subscribe(&self, keys: &[SeriesKey]) {
        let now = self.clock.now_ms();
        // No await while locked.
        let mut subs = self.subs.lock();
        for (symbol, interval) in keys {
            subs.series
                .entry((symbol.clone(), *interval))
                .or_insert(Cursor {
                    next_close: interval.open_time(now),
                    forming_sent_ms: i64::MIN,
                    forming_sent: None,
                });
        }
    }

    pub(crate) fn unsubscribe(&self, keys: &[SeriesKey]) {
        let mut subs = self.subs.lock();
        for key in keys {
            subs.series.remove(key);
        }
    }

    pub(crate) fn streams(&self) -> usize {
        self.subs.lock().series.len()
    }
}

/// Starts the driver task; it ends when `cancel` fires or the receiver is dropped.
pub(crate) fn spawn(
    market: Arc<dyn Driven>,
    clock: Clock,
    tx: mpsc::Sender<FeedEvent>,
    cancel: CancellationToken,
) -> (DrivenLive, tokio::task::JoinHandle<()>) {
    let live = DrivenLive {
        subs: Arc::new(Mutex::new(Subscriptions::default())),
        clock,
    };
    let subs = Arc::clone(&live.subs);
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = tick.tick() => {}
            }
            let now = clock.now_ms();
            market.advance(now);
            let events = collect(market.as_ref(), &subs, now);
            for event in events {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    sent = tx.send(event) => if sent.is_err() { return },
                }
            }
        }
    });
    (live, task)
}

/// The events due at `now`: closes since the last tick, forming updates, tickers.
fn collect(market: &dyn Driven, subs: &Mutex<Subscriptions>, now: i64) -> Vec<FeedEvent> {
    let real = Instant::now();
    let due = |sent_ms: i64, sent: Option<Instant>, every: i64| {
        now.saturating_sub(sent_ms) >= every
            && sent.is_none_or(|at| real.duration_since(at) >= FORMING_MIN_REAL)
    };
    let mut events = Vec::new();
    let mut subs = subs.lock();
    let mut symbols: Vec<Symbol> = Vec::new();
    for ((symbol, interval), cursor) in &mut subs.series {
        let forming_open = interval.open_time(now);
        if cursor.next_close < forming_open {
            for candle in market.closed(symbol, *interval, cursor.next_close, forming_open) {
                events.push(kline(symbol, *interval, now, candle));
            }
            cursor.next_close = forming_open;
        }
        if due(
            cursor.forming_sent_ms,
            cursor.forming_sent,
            FORMING_EVERY_MS,
        ) {
            if let Some(candle) = market.forming(symbol, *interval, now) {
                events.push(kline(symbol, *interval, now, candle));
            }
            cursor.forming_sent_ms = now;
            cursor.forming_sent = Some(real);
        }
        if symbols.last() != Some(symbol) {
            symbols.push(symbol.clone());
        }
    }
    if due(subs.tickers_sent_ms, subs.tickers_sent, TICKERS_EVERY_MS) {
        let tickers = market.tickers(&symbols, now);
        if !tickers.is_empty() {
            events.push(FeedEvent::Tickers(tickers));
        }
        subs.tickers_sent_ms = now;
        subs.tickers_sent = Some(real);
    }
    events
}

fn kline(symbol: &Symbol, interval: Interval, now: i64, candle: Candle) -> FeedEvent {
    FeedEvent::Kline(KlineUpdate {
        symbol: symbol.clone(),
        interval,
        event_time: now,
        candle,
    })
}
