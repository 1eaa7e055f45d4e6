//! The behavioural suite every [`CandleStore`] backend must pass (cargo feature `testsuite`).
//!
//! Each case is a public function taking a factory that builds a fresh, empty store with the
//! given capacities (a Redis backend gives each store its own key prefix). Run them all with
//! [`candle_store_suite!`](crate::candle_store_suite), which expands to one `#[test]` per case:
//!
//! ```ignore
//! sift_candles::candle_store_suite!(|caps| sift_candles::MemoryCandleStore::new(caps));
//! ```
//!
//! Cases panic on failure, like assertions.

use sift_core::{Candle, Interval, Symbol, Ticker};

use crate::{CandleStore, Capacities, ClosedPut, Gap, Put, StoreError, TICKER_MAX_AGE_MS};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
/// 2025-01-01 00:00 UTC, a Wednesday and the start of a month.
const T0: i64 = 1_735_689_600_000;

/// Expands to one `#[test]` per suite case, each calling the case with `$make`, an expression
/// of a type implementing `Fn(Capacities) -> impl CandleStore`.
#[macro_export]
macro_rules! candle_store_suite {
    ($make:expr) => {
        $crate::candle_store_suite!(@cases $make;
            ordering, duplicates_are_idempotent, stale_updates_are_ignored, capacity_evicts_oldest,
            forming_and_closed, gaps_are_reported, batch_applies_in_order, invalid_candles_write_nothing,
            tickers_and_staleness, symbols_are_isolated, concurrent_writers_and_readers);
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testsuite::$case(&$make);
            }
        )*
    };
}

fn ok<T>(result: Result<T, StoreError>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("store call failed: {err}"),
    }
}

fn caps(default: usize) -> Capacities {
    match Capacities::new(default) {
        Ok(caps) => caps,
        Err(err) => panic!("{err}"),
    }
}

/// A symbol from a literal known to be valid.
pub fn sym(name: &str) -> Symbol {
    match Symbol::new(name) {
        Ok(symbol) => symbol,
        Err(err) => panic!("{err}"),
    }
}

/// A realistic closed candle of `interval` opening at `open_time`, every field distinct and
/// derived from `seed` so that mix-ups show.
pub fn candle(interval: Interval, open_time: i64, seed: f64) -> Candle {
    Candle {
        open_time,
        close_time: interval.close_time(open_time),
        open: seed,
        high: seed * 1.01,
        low: seed * 0.99,
        close: seed * 1.005,
        volume: seed * 3.0,
        quote_volume: seed * seed * 3.0,
        trades: 7 + (open_time / MINUTE).unsigned_abs() % 1000,
        taker_buy_volume: seed * 1.5,
        taker_buy_quote_volume: seed * seed * 1.5,
        closed: true,
    }
}

fn m1(minute: i64) -> Candle {
    candle(Interval::M1, T0 + minute * MINUTE, 100.0 + minute as f64)
}

fn opens(candles: &[Candle]) -> Vec<i64> {
    candles
        .iter()
        .map(|c| (c.open_time - T0) / MINUTE)
        .collect()
}

/// Closed candles read back oldest first, whatever `n` asks for.
pub fn ordering<S: CandleStore>(make: &impl Fn(Capacities) -> S) {
    let store = make(Capacities::default());
    let btc = sym("BTCUSDT");
    assert_eq!(ok(store.last_closed(&btc, Interval::M1, 10)), []);
    assert_eq!(ok(store.latest_closed(&btc, Interval::M1)), None);
    for minute in 0..5 {
        assert_eq!(
            ok(store.put_closed(&btc, Interval::M1, &m1(minute))),
            ClosedPut::Appended
        );
    }
    assert_eq!(
        opens(&ok(store.last_closed(&btc, Interval::M1, 3))),
        [2, 3, 4]
    );
    assert_eq!(
        opens(&ok(store.last_closed(&btc, Interval::M1, 100))),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(ok(store.last_closed(&btc, Interval::M1, 0)), []);
    assert_eq!(
        ok(store.last_closed(&btc, Interval::M1, 5)),
        (0..5).map(m1).collect::<Vec<_>>()
    );
    assert_eq!(ok(store.latest_closed(&btc, Interval::M1)), Some(m1(4)));
    assert_eq!(ok(store.len(&btc, Interval::M1)), 5);
}

/// The same open time twice is stored once; the first write wins.
pub fn duplicates_are_idempotent<S: CandleStore>(make: &impl Fn(Capacities) -> S) {
    let store = make(Capacities::default());
    let btc = sym("BTCUSDT");
    for minute in 0..3 {
        ok(store.put_closed(&btc, Interval::M1, &m1(minute)));
    }
    assert_eq!(
        ok(store.put_closed(&btc, Interval::M1, &m1(2))),
        ClosedPut::Duplicate
    );
    let altered = Candle {
        close: 1.0,
        ..m1(2)
    };
    assert_eq!(
        ok(store.put_closed(&btc, Interval::M1, &altered)),
        ClosedPut::Duplicate
    );
    assert_eq!(
        ok(store.put_closed(&btc, Interval::M1, &m1(0))),
        ClosedPut::Duplicate
    );
    let burst = [
        (btc.clone(), Interval::M1, m1(1)),
        (btc.clone(), Interval::M1, m1(3)),
    ];
    assert_eq!(
        ok(store.put_closed_batch(&burst)),
        [ClosedPut::Duplicate, ClosedPut::Appended]
    );
    assert_eq!(
        ok(store.put_closed_batch(&burst)),
        [ClosedPut::Duplicate; 2]
    );
    assert_eq!(
        ok(store.last_closed(&btc, Interval::M1, 10)),
        (0..4).map(m1).collect::<Vec<_>>()
    );
}

/// Candles older than the newest closed one and not stored are ignored, not inserted.
pub fn stale_updates_are_ignored<S: CandleStore>(make: &impl Fn(Capacities) -> S) {
    let store = make(caps(3));
    let btc = sym("BTCUSDT");
    for minute in [0, 1, 4, 5, 6] {
        ok(store.put_closed(&btc, Interval::M1, &m1(minute)));
    }
    // Minute 3 falls in the gap, minute 0 was evicted: both are older than the newest.
    assert_eq!(
        ok(store.put_closed(&btc, Interval::M1, &m1(3))),
        ClosedPut::Stale
    );
    assert_eq!(
        ok(store.put_closed(&btc, Interval::M1, &m1(0))),
        ClosedPut::Stale
    );
    assert_eq!(
        opens(&ok(store.last_closed(&btc, Interval::M1, 10))),
        [4, 5, 6]
    );
}

/// Each interval keeps at most its capacity, dropping the oldest.
pub fn capacity_evicts_oldest<S: CandleStore>(make: &impl Fn(Capacities) -> S) {
    let store = match caps(5).with(Interval::H1, 2) {
        Ok(c) => make(c),
        Err(err) => panic!("{err}"),
    };
    let btc = sym("BTCUSDT");
    for minute in 0..8 {
        ok(store.put_closed(&btc, Interval::M1, &m1(minute)));
        let hour = candle(Interval::H1, T0 + minute * HOUR, 50.0 + minute as f64);
        ok(store.put_closed(&btc, Interval::H1, &hour));
    }
    assert_eq!(ok(store.len(&btc, Interval::M1)), 5);
    assert_eq!(
        opens(&ok(store.last_closed(&btc, Interval::M1, 100))),
        [3, 4, 5, 6, 7]
    );
    assert_eq!(ok(store.len(&btc, Interval::H1)), 2);
    let hours: Vec<i64> = ok(store.last_closed(&btc, Interval::H1, 100))
        .iter()
        .map(|c| (c.open_time - T0) / HOUR)
        .collect();
    assert_eq!(hours, [6, 7]);
}

/// The forming candle trails the closed history and is dropped once its candle closes.
pub fn forming_and_closed<S: CandleStore>(make: &impl Fn(Capacities) -> S) {
    let store = make(Capacities::default());
    let btc = sym("BTCUSDT");
    let forming = |minute: i64, close: f64| Candle {
        close,
        closed: false,
        ..m1(minute)
    };
    // A forming candle alone.
    assert_eq!(
        ok(store.put_forming(&btc, Interval::M1, &forming(0, 1.0))),
        Put::Stored
    );
    assert_eq!(ok(store.len(&btc, Interval::M1)), 0);
    assert_eq!(ok(store.last_closed(&btc, Interval::M1, 5)), []);
    assert_eq!(
        ok(store.last_with_forming(&btc, Interval::M1, 5)),
        [forming(0, 1.0)]
    );
    // Its candle closes (the flag is set by the method, not the input).
    let unflagged = Candle {
        closed: false,
        ..m1(0)
    };
    assert_eq!(
        ok(store.put_closed(&btc, Interval::M1, &unflagged)),
        ClosedPut::Appended
    );
    assert_eq!(ok(store.latest_closed(&btc, Interval::M1)), Some(m1(0)));
    assert_eq!(ok(store.forming(&btc, Interval::M1)), None);
    for minute in 1..3 {
        ok(store.put_closed(&btc, Interval::M1, &m1(minute)));
    }
    // Updates of the next candle replace each other; the flag reads back false.
    ok(store.put_forming(
        &btc,
        Interval::M1,
        &Candle {
            closed: true,
            ..forming(3, 1.0)
        },
    ));
    assert_eq!(
        ok(store.put_forming(&btc, Interval::M1, &forming(3, 2.0))),
        Put::Stored
    );
    assert_eq!(ok(store.forming(&btc, Interval::M1)), Some(forming(3, 2.0)));
    assert_eq!(
        opens(&ok(store.last_with_forming(&btc, Interval::M1, 3))),
        [1, 2, 3]
    );
    assert_eq!(
        ok(store.last_with_forming(&btc, Interval::M1, 1)),
        [forming(3, 2.0)]
    );
    assert_eq!(ok(store.last_with_forming(&btc, Interval::M1, 0)), []);
    assert_eq!(
        opens(&ok(store.last_closed(&btc, Interval::M1, 3))),
        [0, 1, 2]
    );
    // Forming candles at or before the newest closed one, or before the current one, are stale.
    assert_eq!(
        ok(store.put_forming(&btc, Interval::M1, &forming(2, 9.0))),
        Put::Stale
    );
    assert_eq!(
        ok(store.put_forming(&btc, Interval::M1, &forming(0, 9.0))),
        Put::Stale
    );
    assert_eq!(
        ok(store.put_forming(&btc, Interval::M1, &forming(4, 4.0))),
        Put::Stored
    );
    assert_eq!(
        ok(store.put_forming(&btc, Interval::M1, &forming(3, 9.0))),
        Put::Stale
    );
    assert_eq!(ok(store.forming(&btc, Interval::M1)), Some(forming(4, 4.0)));
    // A later close than the forming candle also removes it.
    ok(store.put_closed(&btc, Interval::M1, &m1(5)));
    assert_eq!(ok(store.forming(&btc, Interval::M1)), None);
    assert_eq!(
        ok(store.last_with_forming(&btc, Interval::M1, 10)),
        ok(store.last_closed(&btc, Interval::M1, 10))
    );
    // A close of an earlier candle keeps the forming one.
    ok(store.put_forming(&btc, Interval::M1, &forming(7, 7.0)));
    ok(store.put_closed(&btc, Interval::M1, &m1(6)));
    assert_eq!(ok(store.forming(&btc, Interval::M1)), Some(forming(7, 7.0)));
}

/// A candle after missing ones is stored and the hole is described for repair.
pub fn gaps_are_reported<S: CandleStore>(make: &impl Fn(Capacities) -> S) {
    let store = make(Capacities::default());
    let btc = sym("BTCUSDT");
    ok(store.put_closed(&btc, Interval::M1, &m1(0)));
    let gap = Gap {
        from: T0 + MINUTE,
        to: T0 + 4 * MINUTE,
        missing: 3,
    };
    assert_eq!(
        ok(store.put_closed(&btc, Interval::M1, &m1(4))),
        ClosedPut::AppendedAfterGap(gap)
    );
    assert_eq!(
        ok(store.put_closed(&btc, Interval::M1, &m1(5))),
        ClosedPut::Appended
    );
    assert_eq!(
        opens(&ok(store.last_closed(&btc, Interval::M1, 10))),
        [0, 4, 5]
    );
    // Calendar months: January then April misses February and March.
    let jan = candle(Interval::Month1, T0, 1.0);
    let feb = Interval::Month1.next_open(T0);
    let apr = Interval::Month1.next_open(Interval::Month1.next_open(feb));
    ok(store.put_closed(&btc, Interval::Month1, &jan));
    let put = ok(store.put_closed(&btc, Interval::Month1, &candle(Interval::Month1, apr, 2.0)));
    assert_eq!(
        put.gap(),
        Some(Gap {
            from: feb,
            to: apr,
            missing: 2
        })
    );
    // In a batch too.
    let burst = [(btc.clone(), Interval::M1, m1(7))];
    let gap = Gap {
        from: T0 + 6 * MINUTE,
        to: T0 + 7 * MINUTE,
        missing: 1,
    };
    assert_eq!(
        ok(store.put_closed_batch(&burst)),
        [ClosedPut::AppendedAfterGap(gap)]
    );
}

/// A close burst applies in order across series, with one outcome per candle.
pub fn batch_applies_in_order<S: CandleStore>(make: &impl Fn(Capacities) -> S) {
    let store = make(Capacities::default());
    let names = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "1000SATSUSDT"];
    let mut burst = Vec::new();
    for minute in 0..3 {
        for (k, name) in names.iter().enumerate() {
            let c = candle(
                Interval::M1,
                T0 + minute * MINUTE,
                10.0 * (k + 1) as f64 + minute as f64,
            );
            burst.push((sym(name), Interval::M1, c));
            let h = candle(Interval::H1, T0 + minute * HOUR, k as f64 + 0.5);
            burst.push((sym(name), Interval::H1, h));
        }
    }
    burst.push(burst[0].clone());
    let outcomes = ok(store.put_closed_batch(&burst));
    assert_eq!(outcomes.len(), burst.len());
    assert!(
        outcomes[..burst.len() - 1]
            .iter()
            .all(|o| *o == ClosedPut::Appended)
    );
    assert_eq!(outcomes[burst.len() - 1], ClosedPut::Duplicate);
    assert_eq!(ok(store.put_closed_batch(&[])), []);
    for (k, name) in names.iter().enumerate() {
        let got = ok(store.last_closed(&sym(name), Interval::M1, 10));
        let want: Vec<Candle> = (0..3)
            .map(|m| {
                candle(
                    Interval::M1,
                    T0 + m * MINUTE,
                    10.0 * (k + 1) as f64 + m as f64,
                )
            })
            .collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(ok(store.len(&sym(name), Interval::H1)), 3);
    }
}

/// Candles that cannot belong to the series are refused, and a batch holding one writes nothing.
pub fn invalid_candles_write_nothing<S: CandleStore>(make: &impl Fn(Capacities) -> S) {
    let store = make(Capacities::default());
    let btc = sym("BTCUSDT");
    let misaligned = candle(Interval::M1, T0 + MINUTE, 1.0);
    let invalid = |r: Result<_, StoreError>| matches!(r, Err(StoreError::InvalidCandle { .. }));
    assert!(invalid(
        store
            .put_closed(&btc, Interval::H1, &misaligned)
            .map(|_| ())
    ));
    assert!(invalid(
        store
            .put_forming(&btc, Interval::H1, &misaligned)
            .map(|_| ())
    ));
    let burst = [
        (btc.clone(), Interval::M1, m1(0)),
        (btc.clone(), Interval::H1, misaligned),
    ];
    assert!(invalid(store.put_closed_batch(&burst).map(|_| ())));
    assert_eq!(ok(store.len(&btc, Interval::M1)), 0);
    assert_eq!(ok(store.symbols()), []);
}

fn ticker(symbol: &str, event_time: i64, last_price: f64) -> Ticker {
    Ticker {
        symbol: sym(symbol),
        event_time,
        last_price,
        open_price: 100.0,
        high_price: 120.0,
        low_price: 90.0,
        volume: 1_000.0,
        quote_volume: 110_000.0,
    }
}

/// The latest ticker by event time, absent once older than 60 s at the caller's clock.
pub fn tickers_and_staleness<S: CandleStore>(make: &impl Fn(Capacities) -> S) {
    let store = make(Capacities::default());
    let btc = sym("BTCUSDT");
    assert_eq!(ok(store.ticker(&btc, T0)), None);
    assert_eq!(
        ok(store.put_ticker(&ticker("BTCUSDT", T0, 110.0))),
        Put::Stored
    );
    assert_eq!(
        ok(store.ticker(&btc, T0)),
        Some(ticker("BTCUSDT", T0, 110.0))
    );
    assert_eq!(
        ok(store.ticker(&btc, T0 - 5_000)).map(|t| t.last_price),
        Some(110.0)
    );
    assert!(ok(store.ticker(&btc, T0 + TICKER_MAX_AGE_MS)).is_some());
    assert_eq!(ok(store.ticker(&btc, T0 + TICKER_MAX_AGE_MS + 1)), None);
    // Reordered updates: older ones are stale, equal or newer ones replace.
    assert_eq!(
        ok(store.put_ticker(&ticker("BTCUSDT", T0 - 1_000, 1.0))),
        Put::Stale
    );
    assert_eq!(
        ok(store.put_ticker(&ticker("BTCUSDT", T0, 111.0))),
        Put::Stored
    );
    assert_eq!(
        ok(store.put_ticker(&ticker("BTCUSDT", T0 + 2_000, 112.0))),
        Put::Stored
    );
    assert_eq!(
        ok(store.ticker(&btc, T0 + 2_000)).map(|t| t.last_price),
        Some(112.0)
    );
    assert_eq!(ok(store.ticker(&sym("ETHUSDT"), T0)), None);
    // Tickers do not make a symbol appear among those with candles.
    assert_eq!(ok(store.symbols()), []);
}

/// Writes to one (symbol, interval) never show up under another.
pub fn symbols_are_isolated<S: CandleStore>(make: &impl Fn(Capacities) -> S) {
    let store = make(Capacities::default());
    let (btc, eth, sol) = (sym("BTCUSDT"), sym("ETHUSDT"), sym("SOLUSDT"));
    ok(store.put_closed(&eth, Interval::M5, &candle(Interval::M5, T0, 3.0)));
    ok(store.put_closed(&btc, Interval::M1, &m1(0)));
    ok(store.put_closed(&btc, Interval::H4, &candle(Interval::H4, T0, 9.0)));
    ok(store.put_forming(&sol, Interval::D1, &candle(Interval::D1, T0, 4.0)));
    ok(store.put_ticker(&ticker("ADAUSDT", T0, 1.0)));
    assert_eq!(ok(store.symbols()), [btc.clone(), eth.clone(), sol.clone()]);
    assert_eq!(ok(store.intervals(&btc)), [Interval::M1, Interval::H4]);
    assert_eq!(ok(store.intervals(&eth)), [Interval::M5]);
    assert_eq!(ok(store.intervals(&sol)), [Interval::D1]);
    assert_eq!(ok(store.intervals(&sym("ADAUSDT"))), []);
    assert_eq!(ok(store.len(&eth, Interval::M1)), 0);
    assert_eq!(ok(store.len(&btc, Interval::M5)), 0);
    assert_eq!(ok(store.last_closed(&eth, Interval::M1, 5)), []);
    assert_eq!(
        ok(store.latest_closed(&eth, Interval::M5)),
        Some(candle(Interval::M5, T0, 3.0))
    );
    assert_eq!(
        ok(store.latest_closed(&btc, Interval::H4)),
        Some(candle(Interval::H4, T0, 9.0))
    );
    assert_eq!(ok(store.len(&sol, Interval::D1)), 0);
    assert_eq!(ok(store.forming(&btc, Interval::D1)), None);
    // The same open time in another series is not a duplicate.
    assert_eq!(
        ok(store.put_closed(&eth, Interval::M1, &m1(0))),
        ClosedPut::Appended
    );
}

/// Several writer threads (one set of symbols each) and reader threads at once: readers always
/// see consecutive, ordered, bounded histories, and every candle ends up stored.
pub fn concurrent_writers_and_readers<S: CandleStore>(make: &impl Fn(Capacities) -> S) {
    const WRITERS: usize = 4;
    const SYMBOLS_PER_WRITER: usize = 4;
    const CANDLES: i64 = 300;
    const CAPACITY: usize = 100;
    let store = make(caps(CAPACITY));
    let name = |w: usize, s: usize| sym(&format!("W{w}S{s}USDT"));
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let store = &store;
            scope.spawn(move || {
                let symbols: Vec<Symbol> = (0..SYMBOLS_PER_WRITER).map(|s| name(w, s)).collect();
                for minute in 0..CANDLES {
                    if w % 2 == 0 {
                        let burst: Vec<_> = symbols
                            .iter()
                            .map(|s| (s.clone(), Interval::M1, m1(minute)))
                            .collect();
                        assert!(
                            ok(store.put_closed_batch(&burst))
                                .iter()
                                .all(|o| o.is_appended())
                        );
                    } else {
                        for s in &symbols {
                            ok(store.put_forming(s, Interval::M1, &m1(minute)));
                            assert!(
                                ok(store.put_closed(s, Interval::M1, &m1(minute))).is_appended()
                            );
                        }
                    }
                }
            });
        }
        for r in 0..2 {
            let store = &store;
            scope.spawn(move || {
                for i in 0..2_000 {
                    let symbol = name(i % WRITERS, (i + r) % SYMBOLS_PER_WRITER);
                    let got = ok(store.last_with_forming(&symbol, Interval::M1, CAPACITY + 1));
                    assert!(got.len() <= CAPACITY + 1);
                    let closed: Vec<&Candle> = got.iter().filter(|c| c.closed).collect();
                    assert!(closed.len() <= CAPACITY);
                    assert!(
                        got.windows(2)
                            .all(|p| p[1].open_time - p[0].open_time == MINUTE)
                    );
                    ok(store.symbols());
                }
            });
        }
    });
    for w in 0..WRITERS {
        for s in 0..SYMBOLS_PER_WRITER {
            let got = ok(store.last_with_forming(&name(w, s), Interval::M1, CAPACITY + 10));
            let want: Vec<Candle> = (CANDLES - CAPACITY as i64..CANDLES).map(m1).collect();
            assert_eq!(got, want);
        }
    }
    assert_eq!(ok(store.symbols()).len(), WRITERS * SYMBOLS_PER_WRITER);
}
