//! Seeded random markets and traders, for determinism tests and the benchmark.

use sift_core::{Candle, Interval, Symbol};
use sift_engine::Trader;
use sift_indicators::Source;
use sift_rules::program::BinaryOp;

use super::{Builder, trader};

/// xorshift64*: deterministic, dependency-free.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// `n` symbols named `S0000USDT`, `S0001USDT`, ...
pub fn symbols(n: usize) -> Vec<Symbol> {
    (0..n)
        .map(|i| Symbol::new(&format!("S{i:04}USDT")).expect("a valid symbol name"))
        .collect()
}

/// A random walk per symbol: `bars` candles of `interval` each.
pub fn market(rng: &mut Rng, symbols: usize, bars: usize, interval: Interval) -> Vec<Vec<Candle>> {
    let len = interval.nominal_duration_ms();
    (0..symbols)
        .map(|_| {
            let mut price = 10.0 + rng.unit() * 100.0;
            (0..bars)
                .map(|i| {
                    let open = price;
                    price *= 1.0 + (rng.unit() - 0.5) * 0.02;
                    let close = price;
                    let high = open.max(close) * (1.0 + rng.unit() * 0.005);
                    let low = open.min(close) * (1.0 - rng.unit() * 0.005);
                    let volume =
                        10.0 + rng.unit() * 100.0 * if rng.unit() < 0.05 { 5.0 } else { 1.0 };
                    let open_time = i as i64 * len;
                    let mut c = Candle::ohlcv(open_time, open, high, low, close, volume);
                    c.close_time = open_time + len - 1;
                    c.quote_volume = volume * close;
                    c
                })
                .collect()
        })
        .collect()
}

/// A random simple rule on `interval`, from a handful of common templates with random
/// parameters, referencing its indicators.
pub fn random_trader(rng: &mut Rng, id: u64, interval: Interval) -> Trader {
    let mut b = Builder::new(interval, &format!("random rule {id}"));
    let root = match rng.next_u64() % 8 {
        0 | 1 => {
            let n = rng.pick(&[7, 9, 14, 21]);
            let rsi = b.ind(interval, &format!("rsi({n})"), 0, None);
            b.reference(&format!("rsi({n})"), rsi);
            let level = b.num(rng.pick(&[20.0, 25.0, 30.0, 70.0, 75.0, 80.0]));
            let op = rng.pick(&[BinaryOp::Lt, BinaryOp::Gt]);
            b.bin(op, rsi, level)
        }
        2 => {
            let n = rng.pick(&[10, 20, 50, 100, 200]);
            let close = b.close();
            let sma = b.ind(interval, &format!("sma({n})"), 0, None);
            b.reference(&format!("sma({n})"), sma);
            b.crossover(close, sma)
        }
        3 => {
            let (fast, slow) = (rng.pick(&[5, 9, 12]), rng.pick(&[21, 26, 50]));
            let f = b.ind(interval, &format!("ema({fast})"), 0, None);
            let s = b.ind(interval, &format!("ema({slow})"), 0, None);
            b.crossover(f, s)
        }
        4 => {
            let volume = b.series(interval, Source::Volume);
            let avg = b.ind(interval, "sma(volume, 20)", 0, None);
            let k = b.num(rng.pick(&[1.5, 2.0, 3.0]));
            let limit = b.bin(BinaryOp::Mul, k, avg);
            b.bin(BinaryOp::Gt, volume, limit)
        }
        5 => {
            let n = rng.pick(&[20, 30, 50]);
            let close = b.close();
            let high = b.ind(interval, &format!("highest({n})"), 0, None);
            let prev = b.hist(high, 1);
            b.bin(BinaryOp::Gt, close, prev)
        }
        6 => {
            let hist = b.ind(interval, "macd(12, 26, 9)", 2, None);
            let zero = b.num(0.0);
            let up = b.bin(BinaryOp::Gt, hist, zero);
            let rsi = b.ind(interval, "rsi(14)", 0, None);
            let fifty = b.num(50.0);
            let strong = b.bin(BinaryOp::Gt, rsi, fifty);
            b.bin(BinaryOp::And, up, strong)
        }
        _ => {
            let n = rng.pick(&[20, 30]);
            let lower = b.ind(interval, &format!("bb({n}, 2)"), 2, None);
            let close = b.close();
            b.bin(BinaryOp::Lt, close, lower)
        }
    };
    trader(id, b.build(root)).with_cooldown(rng.pick(&[0, 0, 5]))
}

/// Aggregates consecutive 1m candles into complete candles of `interval` (UTC boundaries).
pub fn aggregate(minutes: &[Candle], interval: Interval) -> Vec<Candle> {
    let mut out: Vec<Candle> = Vec::new();
    let mut current: Option<(Candle, usize)> = None;
    let per = (interval.nominal_duration_ms() / 60_000) as usize;
    for m in minutes {
        let open = interval.open_time(m.open_time);
        current = match current {
            Some((mut c, n)) if c.open_time == open => {
                c.high = c.high.max(m.high);
                c.low = c.low.min(m.low);
                c.close = m.close;
                c.volume += m.volume;
                c.quote_volume += m.quote_volume;
                c.close_time = m.close_time;
                Some((c, n + 1))
            }
            previous => {
                if let Some((c, n)) = previous
                    && n == per
                {
                    out.push(c);
                }
                let mut c = *m;
                c.open_time = open;
                Some((c, 1))
            }
        };
    }
    if let Some((c, n)) = current
        && n == per
    {
        out.push(c);
    }
    out
}
