//! Table-driven tests of the checker: what programs rules compile to, and which errors.

use rstest::rstest;
use sift_core::Interval;
use sift_indicators::Source;

use super::*;
use crate::program::{BinaryOp, NodeKind, Type, WindowFunc};

fn check_on(source: &str, interval: Interval) -> Result<Program, Vec<Diagnostic>> {
    check(source, &CheckOptions::new(interval))
}

fn ok(source: &str) -> Program {
    check_on(source, Interval::M1).unwrap_or_else(|errors| {
        let text: Vec<String> = errors.iter().map(|d| d.render(source, "rule")).collect();
        panic!("{source}:\n{}", text.join("\n"))
    })
}

fn codes(source: &str) -> Vec<&'static str> {
    match check_on(source, Interval::M1) {
        Ok(p) => panic!("{source} checked: {:?}", p.nodes),
        Err(errors) => errors
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str())
            .collect(),
    }
}

fn root_kind(p: &Program) -> &NodeKind {
    &p.node(p.root).kind
}

#[rstest]
#[case("close > open")]
#[case("rsi(14) < 30 and rsi(14) > rsi(14)[1]")]
#[case("volume > 2 * sma(volume, 20)")]
#[case("sma(obv(), 20) < obv()")]
#[case("rsi(hl2, 14) > 50")]
#[case("adx(14).adx > 25 and adx(14).plus_di > adx(14).minus_di")]
#[case("stochrsi(14, 14, 3, 3).k < 20")]
#[case("close > bb(20, 2).upper")]
#[case("close > bb(20, mult=2.5).upper")]
#[case("close > bb(n=10, mult=1).upper")]
#[case("close > vwap(week)")]
#[case("close > vwap(anchor=month)")]
#[case("doji() and not hammer()")]
#[case("(close > open) @ 1h")]
#[case("close @ 1h > ema(200) @ 1h")]
#[case("rsi(14) @ 4h > 50 and rsi(14) @ 1d > 50")]
#[case("close[0] >= close")]
#[case("-close < -1")]
#[case("price > high_24h * 0.99 and change_pct_24h > 5")]
#[case("highest(20) > highest(close, 20)")]
#[case("highest(rsi(14), 10) > 70")]
#[case("sma(close @ 1h, 3) > 0")]
#[case("let a = 1\nlet b = a + 1\nclose > b")]
#[case("close > open\n  and volume > 0\n  or false")]
#[case("true")]
#[case("(close - open) / (high - low) > 0.5")]
#[case("1e-3 < 2E6")]
fn accepts_valid_rules(#[case] source: &str) {
    let p = ok(source);
    assert_eq!(p.node(p.root).ty, Type::Bool);
    assert_eq!(p.node(p.root).timeframe, Interval::M1);
}

#[rstest]
#[case("", &["E0021"])]
#[case("# only a comment\n", &["E0021"])]
#[case("let a = close > open", &["E0021"])]
#[case("close", &["E0014"])]
#[case("rsi(14) + 1", &["E0014"])]
#[case("close > ", &["E0004"])]
#[case("close > open)", &["E0004"])]
#[case("(close > open", &["E0004"])]
#[case("a < b < c", &["E0005"])]
#[case("rsi(14) < 30 < 40", &["E0005"])]
#[case("rsx(14) < 30", &["E0008"])]
#[case("cloze > open", &["E0008"])]
#[case("close(1) > open", &["E0009"])]
#[case("rsi < 30", &["E0009"])]
#[case("crossover < 30", &["E0009"])]
#[case("rsi(14, 2) < 30", &["E0010"])]
#[case("sma() > 1", &["E0010"])]
#[case("crossover(close) ", &["E0010"])]
#[case("crossover(close, open, high)", &["E0010"])]
#[case("bb(20, mul=2).upper > close", &["E0011"])]
#[case("bb(20, n=30).upper > close", &["E0011"])]
#[case("change(close, m=2) > 0", &["E0011"])]
#[case("rsi(0) < 30", &["E0012"])]
#[case("rsi(1) < 30", &["E0012"])]
#[case("sma(close, 2.5) > 1", &["E0012"])]
#[case("sma(close, open) > 1", &["E0012"])]
#[case("rising(close, 2.5)", &["E0012"])]
#[case("rising(close, open)", &["E0012"])]
#[case("divergence(sideways, low, rsi(14))", &["E0012"])]
#[case("divergence(bullish, low, rsi(14), lookback=3, min_sep=5)", &["E0012"])]
#[case("vwap(year) > close", &["E0012"])]
#[case("close and open", &["E0013", "E0013"])]
#[case("not close", &["E0013"])]
#[case("(close > open) + 1 > 2", &["E0013"])]
#[case("crossover(close > open, 1)", &["E0013"])]
#[case("count(close, 3) > 1", &["E0013"])]
#[case("macd(12, 26, 9) > 0", &["E0015"])]
#[case("macd(12, 26, 9).histo > 0", &["E0016"])]
#[case("rsi(14).value > 0", &["E0016"])]
#[case("close.x > 0", &["E0016"])]
#[case("close[-1] > 0", &["E0017"])]
#[case("close[1.5] > 0", &["E0017"])]
#[case("close[open] > 0", &["E0017"])]
#[case("close @ 1H > 0", &["E0018"])]
#[case("close @ 7m > 0", &["E0018"])]
#[case("sma(close, 2000) > 0", &["E0019"])]
#[case("close[1001] > 0", &["E0019"])]
#[case("ema(ema(close, 600), 600) > 0", &["E0019"])]
#[case("sum(close, 600)[500] > 0", &["E0019"])]
#[case("let a = 1\nlet a = 2\nclose > a", &["E0020"])]
#[case("let close = 1\nopen > close", &["E0020"])]
#[case("let rsi = 1\nopen > rsi", &["E0020"])]
#[case("obv(close) > 0", &["E0022"])]
#[case("cci(hlc3) > 0", &["E0022"])]
#[case("atr(close - open, 14) > 0", &["E0022"])]
#[case("close & open", &["E0002"])]
#[case("close > .5", &["E0003"])]
#[case("close > 5x", &["E0004"])]
#[case("rsi(n=14, 3) > 1", &["E0004"])]
#[case("let b = a\nlet a = 1\nclose > b", &["E0008"])]
#[case("close > open\nlet a = 1", &["E0004"])]
fn rejects_invalid_rules(#[case] source: &str, #[case] want: &[&str]) {
    assert_eq!(codes(source), want, "{source}");
}

#[test]
fn reports_independent_errors_together() {
    assert_eq!(
        codes("rsx(14) < 30 and cloze > 1 and macd() > 0"),
        ["E0008", "E0008", "E0015"]
    );
}

#[test]
fn crossover_expands_to_history_and_comparisons() {
    let p = ok("crossover(ema(9), ema(21))");
    let NodeKind::Binary(BinaryOp::And, was, is) = *root_kind(&p) else {
        panic!("{:?}", p.nodes);
    };
    assert!(matches!(
        p.node(was).kind,
        NodeKind::Binary(BinaryOp::Le, _, _)
    ));
    assert!(matches!(
        p.node(is).kind,
        NodeKind::Binary(BinaryOp::Gt, _, _)
    ));
    // ema(9) and ema(21) each keep one past value.
    let kept: Vec<u32> = p.history.iter().copied().filter(|h| *h > 0).collect();
    assert_eq!(kept, [1, 1]);
    assert_eq!(p.warmup, [(Interval::M1, 22)]);
}

#[test]
fn identical_subexpressions_share_nodes() {
    let p = ok("rsi(14) > 30 and rsi(14) < 70 and rsi(14) > rsi(14)[1]");
    let rsi = p
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::Indicator { .. }))
        .count();
    assert_eq!(rsi, 1);
    assert_eq!(p.indicators().len(), 1);
}

#[test]
fn a_series_source_becomes_the_spec_source() {
    for source in ["sma(volume, 20) > 0", "sma((volume), 20) > 0"] {
        let p = ok(source);
        let (_, spec, input) = p.indicators()[0];
        assert_eq!(spec.args().source(), Source::Volume);
        assert_eq!(input, None);
    }
    let p = ok("sma(obv(), 20) > 0");
    let indicators = p.indicators();
    assert_eq!(indicators.len(), 2);
    let (_, spec, input) = indicators[1];
    assert_eq!(spec.def().name, "sma");
    let input = input.unwrap();
    assert!(
        matches!(&p.node(input).kind, NodeKind::Indicator { spec, .. } if spec.def().name == "obv")
    );
}

#[test]
fn derived_sources_add_their_warm_up() {
    // sma(20) over rsi(14) (ready at 15): ready at 15 + 20 - 1.
    assert_eq!(ok("sma(rsi(14), 20) > 50").warmup, [(Interval::M1, 34)]);
    assert_eq!(ok("highest(rsi(14), 10) > 70").warmup, [(Interval::M1, 24)]);
    assert_eq!(ok("sum(close, 10) > 0").warmup, [(Interval::M1, 10)]);
    assert_eq!(
        ok("bars_since(close > open) < 5").warmup,
        [(Interval::M1, 101)]
    );
    assert_eq!(ok("close[5] > 0").warmup, [(Interval::M1, 6)]);
    assert_eq!(ok("true").warmup, [(Interval::M1, 1)]);
    assert_eq!(
        ok("divergence(bullish, low, rsi(14))").warmup,
        [(Interval::M1, 45)]
    );
}

#[test]
fn timeframes_sample_and_count_warm_up_per_timeframe() {
    let p = ok("close @ 1h > ema(200) @ 1h and rsi(14) @ 5m > 50 and close > sma(50)");
    assert_eq!(p.timeframes, [Interval::M1, Interval::M5, Interval::H1]);
    assert_eq!(
        p.warmup,
        [(Interval::M1, 50), (Interval::M5, 15), (Interval::H1, 200)]
    );
    let samples = p
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::Sample { .. }))
        .count();
    assert_eq!(samples, 3);
    for node in &p.nodes {
        for input in node.kind.inputs() {
            let same = p.node(input).timeframe == node.timeframe;
            assert_eq!(same, !matches!(node.kind, NodeKind::Sample { .. }));
        }
    }
}

#[test]
fn the_trader_interval_needs_no_sample() {
    let p = check_on("close @ 1h > open", Interval::H1).unwrap();
    assert!(
        p.nodes
            .iter()
            .all(|n| !matches!(n.kind, NodeKind::Sample { .. }))
    );
    assert_eq!(p.timeframes, [Interval::H1]);
}

#[test]
fn a_binding_is_evaluated_on_the_timeframe_it_is_used_on() {
    let p = ok("let up = close > open\nup and up @ 1h");
    let names: Vec<&str> = p.bindings.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["up", "up @ 1h"]);
    let (_, hourly) = &p.bindings[1];
    assert_eq!(p.node(*hourly).timeframe, Interval::H1);
}

#[test]
fn references_list_what_the_rule_reads_once() {
    let p = ok(
        "rsi(14) < 30 and rsi(14) > rsi(14)[1] and close @ 1h > macd(12, 26, 9).hist @ 1h \
                and volume > 0",
    );
    let texts: Vec<&str> = p.references.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "rsi(14)",
            "close @ 1h",
            "macd(12, 26, 9).hist @ 1h",
            "volume"
        ]
    );
    for r in &p.references {
        assert!(r.node.index() < p.nodes.len());
    }
}

#[test]
fn unused_bindings_warn_and_are_dropped() {
    let p = ok("let unused = sma(close, 10)\nclose > open");
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].code, Code::UnusedBinding);
    assert!(p.bindings.is_empty());
    assert!(p.indicators().is_empty());
    // Errors inside an unused binding are still reported.
    assert_eq!(codes("let unused = rsx(3)\nclose > open"), ["E0008"]);
}

#[test]
fn a_finer_timeframe_warns() {
    let p = check_on("close @ 1m > open", Interval::H1).unwrap();
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].code, Code::FinerTimeframe);
}

#[test]
fn patterns_are_conditions_and_windows_are_numbers() {
    let p = ok("doji()");
    assert_eq!(p.node(p.root).ty, Type::Bool);
    let p = ok("count(doji(), 5) >= 2");
    assert!(p.nodes.iter().any(|n| matches!(
        n.kind,
        NodeKind::Window {
            func: WindowFunc::Count,
            bars: 5,
            ..
        }
    )));
}

#[test]
fn history_limit_is_configurable() {
    let options = CheckOptions {
        interval: Interval::M1,
        max_history: 50,
    };
    assert!(check("sma(close, 50) > 0", &options).is_ok());
    let errors = check("sma(close, 51) > 0", &options).unwrap_err();
    assert_eq!(errors[0].code, Code::HistoryTooLong);
    assert!(
        errors[0].message.contains("Sift keeps 50"),
        "{}",
        errors[0].message
    );
}

#[test]
fn limits_bound_the_work() {
    let long = "close > open and ".repeat(700) + "true";
    assert_eq!(codes(&long), ["E0001"]);
    let deep = "(".repeat(200) + "close > open" + &")".repeat(200);
    assert_eq!(codes(&deep), ["E0006"]);
    let chain = "close + ".repeat(150) + "1 > 0";
    assert_eq!(codes(&chain), ["E0006"]);
    let many: Vec<String> = (1..=70).map(|n| format!("sma(close, {n}) > 0")).collect();
    assert_eq!(codes(&many.join(" or ")), ["E0007"]);
    let nodes: Vec<String> = (1..=400).map(|n| format!("close[{n}] > {n}")).collect();
    let text = nodes.join(" or\n ");
    let mut errors = codes(&text);
    errors.dedup();
    assert!(errors == ["E0007"] || errors == ["E0006"], "{errors:?}");
}
