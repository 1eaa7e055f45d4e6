//! Nanoseconds per incremental update for every indicator in the registry, typed updates of the
//! hottest ones, and batches over 1,000,000 candles.
//!
//! `cargo bench -p sift-indicators`; criterion reports time per element (= per candle).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sift_core::Candle;
use sift_indicators::average::{Dema, Ema, Rma, Sma, Tema, Vwma, Wma};
use sift_indicators::momentum::{Macd, Rsi};
use sift_indicators::registry;
use sift_indicators::structure::{Divergence, DivergenceKind};
use sift_indicators::volatility::{Atr, Bb};
use sift_indicators::{Indicator, Source, Spec, batch};

/// Candles per measured iteration: enough to amortise timer overhead, few enough to stay in cache.
const CANDLES: usize = 10_000;
const BATCH_CANDLES: usize = 1_000_000;
/// Required periods (averages, highest, lowest) get this value.
const DEFAULT_PERIOD: f64 = 14.0;

/// A deterministic random walk (xorshift), so every run measures the same data.
fn candles(n: usize) -> Vec<Candle> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut price = 100.0;
    (0..n)
        .map(|i| {
            let open = price;
            price *= 1.0 + (next() - 0.5) * 0.01;
            let close = price;
            let high = open.max(close) * (1.0 + next() * 0.003);
            let low = open.min(close) * (1.0 - next() * 0.003);
            let volume = 10.0 + next() * 100.0;
            Candle::ohlcv(i as i64 * 60_000, open, high, low, close, volume)
        })
        .collect()
}

fn per_update(c: &mut Criterion) {
    let data = candles(CANDLES);
    let mut group = c.benchmark_group("update");
    group.throughput(Throughput::Elements(CANDLES as u64));
    for def in registry::all() {
        let Ok(mut indicator) = Spec::default_for(def, DEFAULT_PERIOD).and_then(|s| s.build())
        else {
            continue;
        };
        let mut out = [0.0; 8];
        group.bench_function(BenchmarkId::new("dyn", def.name), |b| {
            b.iter(|| {
                indicator.reset();
                for candle in &data {
                    black_box(indicator.update(candle, None, &mut out));
                }
            });
        });
    }
    group.finish();
}

fn typed(c: &mut Criterion) {
    let data = candles(CANDLES);
    let mut group = c.benchmark_group("typed");
    group.throughput(Throughput::Elements(CANDLES as u64));
    macro_rules! bench {
        ($name:literal, $ind:expr) => {
            let mut ind = $ind;
            group.bench_function($name, |b| {
                b.iter(|| {
                    ind.reset();
                    for candle in &data {
                        black_box(ind.update(candle));
                    }
                });
            });
        };
    }
    bench!("sma(20)", Sma::new(20).expect("valid period"));
    bench!("ema(20)", Ema::new(20).expect("valid period"));
    bench!("wma(20)", Wma::new(20).expect("valid period"));
    bench!("rma(20)", Rma::new(20).expect("valid period"));
    bench!("dema(20)", Dema::new(20).expect("valid period"));
    bench!("tema(20)", Tema::new(20).expect("valid period"));
    bench!("vwma(20)", Vwma::new(20).expect("valid period"));
    bench!("rsi(14)", Rsi::new(14).expect("valid period"));
    // Not a registry entry (it reads two series): fed the low (high) and the close as a
    // stand-in oscillator, as the rule language feeds `divergence(bullish, low, ...)`.
    for (name, kind, price) in [
        (
            "divergence(bullish, 30, 5)",
            DivergenceKind::Bullish,
            Source::Low,
        ),
        (
            "divergence(bearish, 30, 5)",
            DivergenceKind::Bearish,
            Source::High,
        ),
    ] {
        let mut ind = Divergence::new(kind, 30, 5).expect("valid parameters");
        group.bench_function(name, |b| {
            b.iter(|| {
                ind.reset();
                for candle in &data {
                    black_box(ind.next(price.of(candle), candle.close));
                }
            });
        });
    }
    group.finish();
}

fn batch_million(c: &mut Criterion) {
    let data = candles(BATCH_CANDLES);
    let mut group = c.benchmark_group("batch_1m");
    group.throughput(Throughput::Elements(BATCH_CANDLES as u64));
    group.sample_size(10);
    group.bench_function("sma(20)", |b| {
        b.iter(|| black_box(batch(&mut Sma::new(20).expect("valid period"), &data)));
    });
    group.bench_function("ema(20)", |b| {
        b.iter(|| black_box(batch(&mut Ema::new(20).expect("valid period"), &data)));
    });
    group.bench_function("rsi(14)", |b| {
        b.iter(|| black_box(batch(&mut Rsi::new(14).expect("valid period"), &data)));
    });
    group.bench_function("macd(12, 26, 9)", |b| {
        b.iter(|| {
            black_box(batch(
                &mut Macd::new(12, 26, 9).expect("valid periods"),
                &data,
            ))
        });
    });
    group.bench_function("bb(20, 2)", |b| {
        b.iter(|| {
            black_box(batch(
                &mut Bb::new(20, 2.0).expect("valid parameters"),
                &data,
            ))
        });
    });
    group.bench_function("atr(14)", |b| {
        b.iter(|| black_box(batch(&mut Atr::new(14).expect("valid period"), &data)));
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = per_update, typed, batch_million
}
criterion_main!(benches);
