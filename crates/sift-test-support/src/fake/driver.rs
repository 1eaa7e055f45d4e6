//! The market driver: one task that advances the simulated market with the clock and turns it
//! into data events for the subscribed streams.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sift_core::{Interval, Symbol};
use sift_sim::LiveMarket;
use tracing::debug;

use super::faults::KlineGap;
use super::json;
use super::shared::{Batch, Event, Push, Shared};
use super::streams::StreamKey;

const MINUTE_MS: i64 = 60_000;
/// Final updates sent per stream and step at most (a step after a long stall catches up over a
/// few steps rather than in one huge batch).
const MAX_CLOSES_PER_STEP: usize = 500;

/// The last values pushed on `!miniTicker@arr` for a symbol: last, open, high, low, volumes.
type TickerValues = [f64; 6];

/// Runs until the server is cancelled.
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut driver = Driver::new(&shared);
    loop {
        let wake = shared.clock.wall_at(driver.next_due());
        tokio::select! {
            () = shared.cancel.cancelled() => break,
            () = tokio::time::sleep_until(wake) => {}
        }
        let batch = driver.step(&shared);
        if !batch.events.is_empty() {
            // No receiver means no connection: the events are for nobody.
            let _ = shared.pushes.send(Push::Batch(Arc::new(batch)));
        }
    }
    debug!("fake binance market driver stopped");
}

/// What one step works with.
#[derive(Debug, Clone, Copy)]
struct Step<'a> {
    market: &'a LiveMarket,
    now: i64,
    gaps: &'a [KlineGap],
    kline_due: bool,
}

/// When the next events are due, in market time, and what was already sent.
#[derive(Debug)]
struct Driver {
    /// Market time between forming-kline pushes and between ticker pushes.
    kline_step_ms: i64,
    ticker_step_ms: i64,
    next_kline_ms: i64,
    next_ticker_ms: i64,
    /// End of the forming minute: when the next candles close.
    next_close_ms: i64,
    /// Per kline stream: candles opening from here on have not had their final update sent.
    unsent_from: HashMap<(Symbol, Interval), i64>,
    last_tickers: HashMap<Symbol, TickerValues>,
}

impl Driver {
    fn new(shared: &Shared) -> Self {
        let config = &shared.config;
        // Each cadence is market time, but never faster than `min_push_interval` of wall time.
        let floor = config.min_push_interval.mul_f64(shared.clock.speed());
        let step = |market: Duration| market.max(floor).as_millis().max(1) as i64;
        let now = shared.clock.now_ms();
        Self {
            kline_step_ms: step(config.kline_push_interval),
            ticker_step_ms: step(config.ticker_interval),
            next_kline_ms: now,
            next_ticker_ms: now,
            next_close_ms: Interval::M1.next_open(now),
            unsent_from: HashMap::new(),
            last_tickers: HashMap::new(),
        }
    }

    fn next_due(&self) -> i64 {
        self.next_close_ms
            .min(self.next_kline_ms)
            .min(self.next_ticker_ms)
    }

    fn step(&mut self, shared: &Shared) -> Batch {
        let keys = shared.registry.lock().keys();
        let gaps = shared.faults.lock().kline_gaps().to_vec();
        let now = shared.clock.now_ms();
        let kline_due = now >= self.next_kline_ms;
        if kline_due {
            self.next_kline_ms = now + self.kline_step_ms;
        }
        let ticker_due = now >= self.next_ticker_ms;
        if ticker_due {
            self.next_ticker_ms = now + self.ticker_step_ms;
        }
        let subscribed: HashSet<(Symbol, Interval)> = keys
            .iter()
            .filter_map(|k| match k {
                StreamKey::Kline(s, i) => Some((s.clone(), *i)),
                _ => None,
            })
            .collect();
        self.unsent_from.retain(|k, _| subscribed.contains(k));

        let mut events = Vec::new();
        let mut market = shared.market.lock();
        market.advance_to(now);
        self.next_close_ms = market.forming_minute() + MINUTE_MS;
        let step = Step {
            market: &market,
            now,
            gaps: &gaps,
            kline_due,
        };
        for key in &keys {
            match key {
                StreamKey::Kline(symbol, interval) => {
                    self.klines(&step, symbol, *interval, &mut events);
                }
                StreamKey::MiniTicker(symbol) if ticker_due => {
                    if let Some(t) = step.market.ticker(symbol, now) {
                        events.push(Event {
                            stream: key.name(),
                            payload: json::mini_ticker(&t),
                            close: false,
                        });
                    }
                }
                StreamKey::AllMiniTickers if ticker_due => {
                    let items = self.changed_tickers(step.market, now);
                    if !items.is_empty() {
                        events.push(Event {
                            stream: key.name(),
                            payload: json::array(&items),
                            close: false,
                        });
                    }
                }
                _ => {}
            }
        }
        Batch { events }
    }

    /// The final updates of the candles closed since the last step (except those a
    /// `kline_gap` hides), then the forming candle when due or after a close.
    fn klines(
        &mut self,
        step: &Step<'_>,
        symbol: &Symbol,
        interval: Interval,
        events: &mut Vec<Event>,
    ) {
        let Step {
            market,
            now,
            gaps,
            kline_due: due,
        } = *step;
        let name = StreamKey::Kline(symbol.clone(), interval).name();
        let from = self
            .unsent_from
            .entry((symbol.clone(), interval))
            .or_insert_with(|| interval.open_time(now));
        let closes = market.closed(symbol, interval, *from, i64::MAX, MAX_CLOSES_PER_STEP);
        // Trades up to the start of the forming minute: the closed candles' last trade.
        let closed_trades = market
            .trade_count(symbol, market.forming_minute())
            .unwrap_or(0);
        for candle in &closes {
            *from = candle.open_time + 1;
            if gaps
                .iter()
                .any(|g| g.covers(symbol, interval, candle.open_time))
            {
                continue;
            }
            events.push(Event {
                stream: name.clone(),
                payload: json::kline_event(
                    symbol,
                    interval,
                    candle,
                    now,
                    trade_ids(closed_trades, candle.trades),
                ),
                close: true,
            });
        }
        if due || !closes.is_empty() {
            if let Some(forming) = market.forming(symbol, interval, now) {
                let total = market.trade_count(symbol, now).unwrap_or(0);
                events.push(Event {
                    stream: name,
                    payload: json::kline_event(
                        symbol,
                        interval,
                        &forming,
                        now,
                        trade_ids(total, forming.trades),
                    ),
                    close: false,
                });
            }
        }
    }

    /// Mini tickers of the symbols whose values changed since the last `!miniTicker@arr`.
    fn changed_tickers(&mut self, market: &LiveMarket, now: i64) -> Vec<String> {
        let mut items = Vec::new();
        for symbol in market.symbols() {
            let Some(t) = market.ticker(symbol, now) else {
                continue;
            };
            let values = [
                t.last_price,
                t.open_price,
                t.high_price,
                t.low_price,
                t.volume,
                t.quote_volume,
            ];
            if self.last_tickers.get(symbol) != Some(&values) {
                self.last_tickers.insert(symbol.clone(), values);
                items.push(json::mini_ticker(&t));
            }
        }
        items
    }
}

/// First and last trade id of a candle of `trades` trades ending with trade `total - 1`
/// (`-1, -1` without trades).
fn trade_ids(total: u64, trades: u64) -> (i64, i64) {
    if trades == 0 || total < trades {
        (-1, -1)
    } else {
        ((total - trades) as i64, total as i64 - 1)
    }
}
