//! Decoding and normalising Binance kline frames (combined-stream wrapped) to candles.
//!
//! `cargo bench -p sift-binance`; criterion reports throughput in messages (elements) per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sift_binance::convert::kline_update;
use sift_binance::wire::{Combined, KlineEvent};
use sift_binance::{Frame, decode_frame};

/// Distinct frames per measured iteration: a realistic mix of symbols, intervals and magnitudes,
/// cycled so branch predictors and caches see variety.
const FRAMES: usize = 1_000;
const INTERVALS: [&str; 6] = ["1m", "5m", "15m", "1h", "4h", "1d"];

/// Combined-stream kline frames as Binance writes them (compact, `stream` first).
fn frames() -> Vec<String> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..FRAMES)
        .map(|i| {
            let symbol = format!("SYM{}USDT", i % 500);
            let interval = INTERVALS[i % INTERVALS.len()];
            let open_time = 1_735_689_600_000_i64 + 60_000 * i as i64;
            let scale = [1e-6, 1e-2, 1.0, 1e2, 1e4][i % 5];
            let price = |r: u64| format!("{:.8}", scale * (1.0 + (r % 10_000) as f64 / 10_000.0));
            let (o, c) = (price(next()), price(next()));
            let (l, h) = (format!("{:.8}", scale * 0.9), format!("{:.8}", scale * 2.1));
            format!(
                concat!(
                    r#"{{"stream":"{lower}@kline_{i}","data":{{"e":"kline","E":{e},"s":"{s}","k":{{"#,
                    r#""t":{t},"T":{tc},"s":"{s}","i":"{i}","f":{f},"L":{fl},"o":"{o}","c":"{c}","#,
                    r#""h":"{h}","l":"{l}","v":"{v}.{vf:08}","n":{n},"x":{x},"q":"{q}.{qf:08}","#,
                    r#""V":"{bv}.00000000","Q":"{bq}.12345678","B":"0"}}}}}}"#
                ),
                lower = symbol.to_lowercase(),
                s = symbol,
                i = interval,
                e = open_time + 2_000,
                t = open_time,
                tc = open_time + 59_999,
                f = 4_000_000_000_u64 + i as u64,
                fl = 4_000_000_100_u64 + i as u64,
                o = o,
                c = c,
                h = h,
                l = l,
                v = next() % 1_000_000,
                vf = next() % 100_000_000,
                n = next() % 10_000,
                x = i % 30 == 0,
                q = next() % 100_000_000,
                qf = next() % 100_000_000,
                bv = next() % 1_000,
                bq = next() % 100_000,
            )
        })
        .collect()
}

fn decode(c: &mut Criterion) {
    let frames = frames();
    for frame in &frames {
        assert!(
            matches!(decode_frame(frame), Ok(Frame::Kline(_))),
            "{frame}"
        );
    }
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function("combined_kline_to_candle", |b| {
        b.iter(|| {
            for frame in &frames {
                black_box(decode_frame(black_box(frame)).ok());
            }
        });
    });
    // The same work through serde alone: what `decode_frame` falls back to when a frame is not
    // in Binance's exact compact layout.
    group.bench_function("combined_kline_to_candle_serde", |b| {
        b.iter(|| {
            for frame in &frames {
                let parsed = serde_json::from_str::<Combined<'_, KlineEvent<'_>>>(black_box(frame));
                black_box(parsed.ok().map(|c| kline_update(&c.data)));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
