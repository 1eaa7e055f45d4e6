//! The candle store's hot paths: one close burst of 500 candles, and the engine's warm-up read
//! of the last 200 candles of a full series.

use criterion::{BatchSize, Criterion, black_box, criterion_group, criterion_main};
use sift_candles::{CandleStore, Capacities, MemoryCandleStore};
use sift_core::{Candle, Interval, Symbol};

const SYMBOLS: usize = 500;
const MINUTE: i64 = 60_000;
/// 2025-01-01 00:00 UTC.
const T0: i64 = 1_735_689_600_000;

fn symbols() -> Vec<Symbol> {
    (0..SYMBOLS)
        .map(|i| Symbol::new(&format!("S{i:03}USDT")).expect("valid symbol"))
        .collect()
}

fn candle(minute: i64, seed: f64) -> Candle {
    Candle {
        close_time: T0 + (minute + 1) * MINUTE - 1,
        ..Candle::ohlcv(
            T0 + minute * MINUTE,
            seed,
            seed * 1.01,
            seed * 0.99,
            seed,
            10.0,
        )
    }
}

/// A store with `history` closed 1m candles for every symbol.
fn filled(symbols: &[Symbol], history: i64, capacity: usize) -> MemoryCandleStore {
    let store = MemoryCandleStore::new(Capacities::new(capacity).expect("capacity above zero"));
    for minute in 0..history {
        let burst: Vec<_> = symbols
            .iter()
            .map(|s| (s.clone(), Interval::M1, candle(minute, 100.0)))
            .collect();
        store.put_closed_batch(&burst).expect("valid burst");
    }
    store
}

fn bench(c: &mut Criterion) {
    let symbols = symbols();
    // Full 1000-candle rings (40 MB, beyond the caches) and small ones (640 kB, cache resident)
    // separate the memory traffic of a real burst from the CPU work.
    let store = filled(&symbols, 1000, 1000);
    let small = filled(&symbols, 16, 16);
    for (name, store) in [("full rings", &store), ("16-candle rings", &small)] {
        let mut minute = 1000;
        c.bench_function(&format!("put_closed_batch 500 ({name})"), |b| {
            b.iter_batched_ref(
                || {
                    minute += 1;
                    symbols
                        .iter()
                        .map(|s| (s.clone(), Interval::M1, candle(minute, 100.0)))
                        .collect::<Vec<_>>()
                },
                |burst| {
                    store
                        .put_closed_batch(black_box(burst))
                        .expect("valid burst")
                },
                BatchSize::SmallInput,
            );
        });
    }
    let mut i = 0;
    c.bench_function("last_closed 200 of 1000", |b| {
        b.iter(|| {
            i = (i + 1) % SYMBOLS;
            store
                .last_closed(black_box(&symbols[i]), Interval::M1, 200)
                .expect("memory store reads never fail")
        });
    });
    c.bench_function("latest_closed", |b| {
        b.iter(|| {
            i = (i + 1) % SYMBOLS;
            store
                .latest_closed(black_box(&symbols[i]), Interval::M1)
                .expect("memory store reads never fail")
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
