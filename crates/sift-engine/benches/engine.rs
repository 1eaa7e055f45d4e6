//! One candle close of 500 symbols x 1,000 traders (seeded random simple rules over shared
//! indicators), after 300 bars of warm-up.
//!
//! `cargo bench -p sift-engine`; criterion reports the time of one close (one `process` call
//! with 500 candles). Set `RAYON_NUM_THREADS` to pin the thread count.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::random::{Rng, market, random_trader, symbols};
use criterion::{Criterion, criterion_group, criterion_main};
use sift_core::{Candle, Interval};
use sift_engine::{CloseBatch, Engine, EngineConfig};

const SYMBOLS: usize = 500;
const TRADERS: u64 = 1_000;
const WARM_BARS: usize = 300;
/// Distinct future bars cycled through by the measurement (each close must be a new candle).
const LIVE_BARS: usize = 200;

fn setup() -> (Engine, Vec<CloseBatch>) {
    let mut rng = Rng::new(7);
    let syms = symbols(SYMBOLS);
    let candles = market(&mut rng, SYMBOLS, WARM_BARS + LIVE_BARS, Interval::M1);
    let traders = (0..TRADERS)
        .map(|id| random_trader(&mut rng, id, Interval::M1))
        .collect();
    let mut engine = Engine::new(EngineConfig::default());
    engine.set_traders(traders).expect("valid traders");
    for (symbol, series) in syms.iter().zip(&candles) {
        engine.warm(symbol, Interval::M1, &series[..WARM_BARS]);
    }
    let batches = (WARM_BARS..WARM_BARS + LIVE_BARS)
        .map(|bar| CloseBatch {
            candles: syms
                .iter()
                .zip(&candles)
                .map(|(s, series)| (s.clone(), Interval::M1, series[bar]))
                .collect(),
            tickers: Vec::new(),
        })
        .collect();
    (engine, batches)
}

/// The batch of bar `bar`, repeating the template bars with ever later open times.
fn shifted(template: &CloseBatch, cycle: i64) -> CloseBatch {
    let shift = cycle * (LIVE_BARS as i64) * 60_000;
    CloseBatch {
        candles: template
            .candles
            .iter()
            .map(|(s, iv, c)| {
                let c = Candle {
                    open_time: c.open_time + shift,
                    close_time: c.close_time + shift,
                    ..*c
                };
                (s.clone(), *iv, c)
            })
            .collect(),
        tickers: Vec::new(),
    }
}

fn one_close(c: &mut Criterion) {
    let (mut engine, batches) = setup();
    // First evaluation rebuilds the warmed state; keep it out of the measurement.
    let matches = engine.process(&batches[0]);
    report(&engine, matches.len());
    let mut next = 1usize;
    let mut group = c.benchmark_group("engine");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("one close, 500 symbols x 1000 traders", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let bar = next % LIVE_BARS;
                let batch = shifted(&batches[bar], (next / LIVE_BARS) as i64);
                next += 1;
                let start = Instant::now();
                black_box(engine.process(&batch));
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
}

#[allow(clippy::print_stderr)]
fn report(engine: &Engine, matches: usize) {
    eprintln!("{:?}; {matches} matches at the first close", engine.stats());
}

criterion_group!(benches, one_close);
criterion_main!(benches);
