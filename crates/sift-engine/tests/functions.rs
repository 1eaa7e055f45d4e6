//! Node semantics end to end: derived indicator sources, divergence, windows, bars since,
//! history, ticker values and undefined values.

mod common;

use common::{Builder, MINUTE, candle, sym, trader};
use sift_core::{Candle, Interval, Ticker};
use sift_engine::{CloseBatch, Engine, EngineConfig, Match, SignalMode};
use sift_indicators::average::Sma;
use sift_indicators::structure::DivergenceKind;
use sift_indicators::{SeriesIndicator, Source, Spec};
use sift_rules::program::{BinaryOp, NodeId, TickerField, WindowFunc};

/// Relative tolerance for values computed two ways with the same arithmetic.
const REL_TOL: f64 = 1e-12;

fn close_enough(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL_TOL * a.abs().max(b.abs()).max(1.0)
}

fn level_engine() -> Engine {
    Engine::new(EngineConfig {
        mode: SignalMode::Level,
        ..EngineConfig::default()
    })
}

/// A trader that always holds and references `refs`, so each close yields one match with
/// their values.
fn probe(mut b: Builder, refs: &[(&str, NodeId)]) -> sift_engine::Trader {
    for (name, node) in refs {
        b.reference(name, *node);
    }
    let t = b.num(1.0);
    let root = b.bin(BinaryOp::Eq, t, t);
    trader(1, b.build(root))
}

fn run(engine: &mut Engine, candles: &[Candle]) -> Vec<Match> {
    candles
        .iter()
        .flat_map(|c| engine.process(&CloseBatch::new().with(sym("BTCUSDT"), Interval::M1, *c)))
        .collect()
}

fn value(m: &Match, name: &str) -> Option<f64> {
    m.values.get(name)
}

fn wavy(n: i64) -> Vec<Candle> {
    (0..n)
        .map(|i| {
            let close = 50.0 + 5.0 * ((i as f64) * 0.5).sin();
            candle(Interval::M1, i * MINUTE, close, 1.0 + (i % 4) as f64)
        })
        .collect()
}

#[test]
fn sma_of_obv_is_an_sma_fed_obv_values() {
    let mut b = Builder::new(Interval::M1, "sma(obv(), 20)");
    let obv = b.ind(Interval::M1, "obv", 0, None);
    let sma = b.ind(Interval::M1, "sma(20)", 0, Some(obv));
    let mut engine = level_engine();
    engine
        .set_traders(vec![probe(b, &[("sma(obv(), 20)", sma), ("obv()", obv)])])
        .unwrap();
    let data = wavy(60);
    let matches = run(&mut engine, &data);

    let mut obv = Spec::parse("obv").unwrap().build().unwrap();
    let mut sma = Sma::new(20).unwrap();
    let mut out = [0.0];
    for (c, m) in data.iter().zip(&matches) {
        let want = if obv.update(c, None, &mut out) {
            sma.next(out[0])
        } else {
            None
        };
        match (value(m, "sma(obv(), 20)"), want) {
            (Some(got), Some(want)) => assert!(close_enough(got, want), "{got} vs {want}"),
            (got, want) => assert_eq!(got, want),
        }
    }
    assert!(value(&matches[59], "sma(obv(), 20)").is_some());
    assert!(value(&matches[18], "sma(obv(), 20)").is_none());
}

#[test]
fn divergence_fires_on_a_lower_low_with_a_higher_oscillator_low() {
    // Price (close) and oscillator (volume) from sift-indicators' own divergence example.
    let prices = [10.0, 8.0, 9.0, 11.0, 10.0, 9.0, 7.0];
    let osc = [50.0, 30.0, 35.0, 45.0, 40.0, 38.0, 33.0];
    let mut b = Builder::new(Interval::M1, "divergence(bullish, close, volume, 6, 2)");
    let close = b.close();
    let volume = b.series(Interval::M1, Source::Volume);
    let root = b.divergence(DivergenceKind::Bullish, close, volume, 6, 2);
    let mut engine = Engine::new(EngineConfig::default());
    engine.set_traders(vec![trader(1, b.build(root))]).unwrap();
    let data: Vec<Candle> = prices
        .iter()
        .zip(osc)
        .enumerate()
        .map(|(i, (&p, o))| candle(Interval::M1, i as i64 * MINUTE, p, o))
        .collect();
    let fired: Vec<i64> = run(&mut engine, &data)
        .iter()
        .map(|m| m.open_time / MINUTE)
        .collect();
    assert_eq!(fired, [6]);
}

#[test]
fn windows_history_and_bars_since() {
    // close: 1, 2, ..., 12; up = close > close[1] is false at bar 0 (undefined past), true
    // afterwards except at bar 5, where the close repeats.
    let closes = [1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0];
    let mut b = Builder::new(Interval::M1, "windows");
    let close = b.close();
    let prev = b.hist(close, 1);
    let up = b.bin(BinaryOp::Gt, close, prev);
    let flat = b.bin(BinaryOp::Eq, close, prev);
    let sum = b.window(WindowFunc::Sum, close, 3);
    let count = b.window(WindowFunc::Count, up, 4);
    let since = b.bars_since(flat, 3);
    let mut engine = level_engine();
    engine
        .set_traders(vec![probe(
            b,
            &[
                ("prev", prev),
                ("sum", sum),
                ("count", count),
                ("since", since),
            ],
        )])
        .unwrap();
    let data: Vec<Candle> = closes
        .iter()
        .enumerate()
        .map(|(i, &c)| candle(Interval::M1, i as i64 * MINUTE, c, 1.0))
        .collect();
    let matches = run(&mut engine, &data);
    let column =
        |name: &str| -> Vec<Option<f64>> { matches.iter().map(|m| value(m, name)).collect() };
    let prev: Vec<Option<f64>> = std::iter::once(None)
        .chain(closes[..11].iter().map(|&c| Some(c)))
        .collect();
    assert_eq!(column("prev"), prev);
    let sums: Vec<Option<f64>> = (0..12)
        .map(|i| (i >= 2).then(|| closes[i - 2..=i].iter().sum()))
        .collect();
    assert_eq!(column("sum"), sums);
    // up: F T T T T F T T T T T T.
    let counts = [
        None,
        None,
        None,
        Some(3.0),
        Some(4.0),
        Some(3.0),
        Some(3.0),
        Some(3.0),
        Some(3.0),
        Some(4.0),
        Some(4.0),
        Some(4.0),
    ];
    assert_eq!(column("count"), counts);
    // flat at bar 5 only; max 3 bars.
    let since = [
        None,
        None,
        None,
        None,
        None,
        Some(0.0),
        Some(1.0),
        Some(2.0),
        Some(3.0),
        None,
        None,
        None,
    ];
    assert_eq!(column("since"), since);
}

#[test]
fn division_by_zero_is_undefined_and_comparisons_with_it_are_false() {
    // volume / (close - close) is undefined; `not (x > 0)` is then true.
    let mut b = Builder::new(Interval::M1, "not (volume / (close - close) > 0)");
    let close = b.close();
    let volume = b.series(Interval::M1, Source::Volume);
    let zero = b.bin(BinaryOp::Sub, close, close);
    let ratio = b.bin(BinaryOp::Div, volume, zero);
    let z = b.num(0.0);
    let cmp = b.bin(BinaryOp::Gt, ratio, z);
    let root = b.not(cmp);
    b.reference("ratio", ratio);
    let mut engine = Engine::new(EngineConfig::default());
    engine.set_traders(vec![trader(1, b.build(root))]).unwrap();
    let matches = run(&mut engine, &wavy(3));
    assert_eq!(matches.len(), 1);
    assert!(matches[0].values.is_empty());
}

#[test]
fn ticker_values_read_the_latest_ticker() {
    let mut b = Builder::new(Interval::M1, "quote_volume_24h > 1000");
    let qv = b.push_ticker(TickerField::QuoteVolume24h);
    let level = b.num(1000.0);
    let root = b.bin(BinaryOp::Gt, qv, level);
    b.reference("quote_volume_24h", qv);
    let mut engine = Engine::new(EngineConfig::default());
    engine.set_traders(vec![trader(1, b.build(root))]).unwrap();
    let btc = sym("BTCUSDT");
    let ticker = |quote_volume: f64| Ticker {
        symbol: btc.clone(),
        event_time: 0,
        last_price: 1.0,
        open_price: 1.0,
        high_price: 1.0,
        low_price: 1.0,
        volume: 1.0,
        quote_volume,
    };
    let data = wavy(3);
    // No ticker yet: undefined, so false.
    assert!(
        engine
            .process(&CloseBatch::new().with(btc.clone(), Interval::M1, data[0]))
            .is_empty()
    );
    let mut batch = CloseBatch::new().with(btc.clone(), Interval::M1, data[1]);
    batch.tickers.push(ticker(5000.0));
    let matches = engine.process(&batch);
    assert_eq!(matches.len(), 1);
    assert!(matches[0].values.iter().eq([("quote_volume_24h", 5000.0)]));
    engine.update_ticker(&ticker(10.0));
    assert!(
        engine
            .process(&CloseBatch::new().with(btc, Interval::M1, data[2]))
            .is_empty()
    );
}
