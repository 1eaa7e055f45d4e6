//! A `symbols = {top = N}` trader follows the ranking of the watched symbols by 24 h quote
//! volume as tickers arrive, without anyone editing it.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use sift_api::Hub;
use sift_candles::{CandleStore, Capacities, MemoryCandleStore};
use sift_core::{Candle, Interval, Symbol, Ticker};
use sift_engine::EngineConfig;
use sift_market::{CloseBurst, MarketEvent, UniverseChange};
use sift_server::Evaluator;
use sift_server::pipeline::Pipeline;
use sift_store::{NewTrader, SignalFilter, SqliteStore, Store};
use sift_test_support::wait_until;
use sift_traders::{Symbols, TraderDef};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const T0: i64 = 1_735_689_600_000;
const MINUTE: i64 = 60_000;
const HISTORY: i64 = 5;

fn sym(text: &str) -> Symbol {
    text.parse().expect("valid symbol")
}

/// A candle closing at `close`; the rule `close > 200` holds on it when `close` is above.
fn candle(minute: i64, close: f64) -> Candle {
    let open_time = T0 + minute * MINUTE;
    Candle {
        open_time,
        close_time: Interval::M1.close_time(open_time),
        open: 100.0,
        high: close.max(100.0),
        low: 99.0,
        close,
        volume: 10.0,
        quote_volume: 1_000.0,
        trades: 10,
        taker_buy_volume: 5.0,
        taker_buy_quote_volume: 500.0,
        closed: true,
    }
}

fn ticker(symbol: &Symbol, quote_volume: f64) -> Ticker {
    Ticker {
        symbol: symbol.clone(),
        event_time: T0,
        last_price: 100.0,
        open_price: 100.0,
        high_price: 101.0,
        low_price: 99.0,
        volume: quote_volume / 100.0,
        quote_volume,
    }
}

/// Stores the candles of `minute` (a close price per symbol) and hands them on as one burst.
async fn close(
    candles: &dyn CandleStore,
    events: &mpsc::Sender<MarketEvent>,
    closes: &[(&Symbol, f64)],
    minute: i64,
) {
    let batch: Vec<(Symbol, Interval, Candle)> = closes
        .iter()
        .map(|&(s, price)| (s.clone(), Interval::M1, candle(minute, price)))
        .collect();
    candles.put_closed_batch(&batch).expect("candles stored");
    let burst = CloseBurst {
        interval: Interval::M1,
        open_time: T0 + minute * MINUTE,
        candles: batch.into_iter().map(|(s, _, c)| (s, c)).collect(),
        late: false,
    };
    events
        .send(MarketEvent::Closes(burst))
        .await
        .expect("pipeline running");
}

/// The symbols of the stored signals, oldest first.
async fn signalled(store: &dyn Store) -> Vec<(i64, Symbol)> {
    let (signals, _) = store
        .list_signals(&SignalFilter {
            limit: 100,
            ..SignalFilter::default()
        })
        .await
        .expect("signals listed");
    let mut out: Vec<(i64, Symbol)> = signals
        .into_iter()
        .map(|s| ((s.open_time - T0) / MINUTE, s.symbol))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn top_n_traders_follow_the_quote_volume_ranking() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("sift.db").to_str().unwrap())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    store
        .create_trader(NewTrader {
            owner_id: None,
            def: TraderDef {
                name: "busiest pair".to_owned(),
                description: String::new(),
                interval: Interval::M1,
                // Edge-triggered: fires when the close rises above 200.
                rule: "close > 200".to_owned(),
                symbols: Symbols::Top(1),
                cooldown_bars: 0,
                enabled: true,
                category: None,
                tags: Vec::new(),
                access_tier: None,
            },
            channels: Vec::new(),
        })
        .await
        .unwrap();

    let (quiet, busy) = (sym("AAAUSDT"), sym("BBBUSDT"));
    let memory = MemoryCandleStore::new(Capacities::new(100).unwrap());
    for minute in 0..HISTORY {
        memory
            .put_closed_batch(&[
                (quiet.clone(), Interval::M1, candle(minute, 100.0)),
                (busy.clone(), Interval::M1, candle(minute, 100.0)),
            ])
            .unwrap();
    }
    let candles: Arc<dyn CandleStore> = Arc::new(memory);
    let evaluator = Evaluator::start(EngineConfig::default()).unwrap();
    let mut pipeline = Pipeline::new(
        Arc::clone(&store),
        Arc::clone(&candles),
        evaluator,
        Hub::new(),
        Arc::new(AtomicBool::new(false)),
        100,
    );
    // Loaded before any ticker: the ranking is still empty.
    assert_eq!(pipeline.load_traders().await.unwrap(), 1);
    let (events, events_rx) = mpsc::channel(16);
    let (_changes, changes_rx) = mpsc::channel(16);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(pipeline.run(events_rx, changes_rx, cancel.clone()));

    // The first tickers rank BBB first: the trader runs on it alone, though both rise.
    events
        .send(MarketEvent::Tickers(vec![
            ticker(&quiet, 10.0),
            ticker(&busy, 1_000.0),
        ]))
        .await
        .unwrap();
    let both_rise = [(&quiet, 300.0), (&busy, 300.0)];
    close(candles.as_ref(), &events, &both_rise, HISTORY).await;
    let first = vec![(HISTORY, busy.clone())];
    assert!(
        wait_until(Duration::from_secs(20), || async {
            signalled(store.as_ref()).await == first
        })
        .await,
        "only the busiest pair fires: {:?}",
        signalled(store.as_ref()).await
    );

    // AAA overtakes it; a universe change ranks again at once (otherwise within a minute).
    events
        .send(MarketEvent::Tickers(vec![ticker(&quiet, 5_000.0)]))
        .await
        .unwrap();
    events
        .send(MarketEvent::Universe(UniverseChange::default()))
        .await
        .unwrap();
    // Both dip and rise again: AAA fires, BBB, no longer a member, does not.
    let dip = [(&quiet, 100.0), (&busy, 100.0)];
    close(candles.as_ref(), &events, &dip, HISTORY + 1).await;
    close(candles.as_ref(), &events, &both_rise, HISTORY + 2).await;
    let second = vec![(HISTORY, busy.clone()), (HISTORY + 2, quiet.clone())];
    assert!(
        wait_until(Duration::from_secs(20), || async {
            signalled(store.as_ref()).await == second
        })
        .await,
        "the trader moved to the new busiest pair: {:?}",
        signalled(store.as_ref()).await
    );

    cancel.cancel();
    task.await.unwrap();
}
