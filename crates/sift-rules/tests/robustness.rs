//! Parsing and checking never panic, on any input, and stay within their limits.

use proptest::prelude::*;
use sift_core::Interval;
use sift_rules::{CheckOptions, Diagnostic, Program, check};

/// Words that build plausible (and implausible) rules.
const WORDS: &[&str] = &[
    "close",
    "open",
    "high",
    "low",
    "volume",
    "hl2",
    "price",
    "change_pct_24h",
    "rsi",
    "sma",
    "ema",
    "macd",
    "bb",
    "adx",
    "obv",
    "vwap",
    "doji",
    "highest",
    "lowest",
    "volume_profile",
    "crossover",
    "cross",
    "rising",
    "change_pct",
    "sum",
    "count",
    "bars_since",
    "between",
    "divergence",
    "near_hvn",
    "poc",
    "min",
    "abs",
    "bullish",
    "week",
    "let",
    "x",
    "y",
    "and",
    "or",
    "not",
    "true",
    "false",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "@",
    "+",
    "-",
    "*",
    "/",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "=",
    "\n",
    "#",
    "0",
    "1",
    "2",
    "14",
    "20",
    "0.5",
    "1e-3",
    "1e9",
    "1000",
    "99999",
    "1h",
    "5m",
    "1M",
    "7x",
    ".hist",
    ".upper",
    ".k",
    "mult=",
    "n=",
    "lookback=",
    "é",
    "\"",
    "&",
];

fn rule_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..60).prop_map(|w| w.join(" "))
}

/// Expressions built from the grammar, mostly well-formed, often ill-typed.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "close",
            "volume",
            "hl2",
            "price",
            "open",
            "rsi(14)",
            "sma(20)",
            "obv()",
            "macd(12, 26, 9).hist",
            "bb(20, 2).upper",
            "adx(14).adx",
            "doji()",
            "true",
            "vwap(week)",
            "highest(5)",
            "poc()",
            "near_hvn()",
            "x",
            "stochrsi().k",
        ])
        .prop_map(str::to_owned),
        (0u32..2000).prop_map(|n| n.to_string()),
    ];
    leaf.prop_recursive(6, 64, 4, |inner| {
        let op = prop::sample::select(vec!["+", "-", "*", "/", "<", ">", "<=", "==", "and", "or"]);
        let func = prop::sample::select(vec![
            "sma",
            "ema",
            "rsi",
            "highest",
            "lowest",
            "sum",
            "count",
            "rising",
            "change",
            "change_pct",
            "bars_since",
            "abs",
            "min",
            "max",
            "crossover",
            "cross",
            "between",
        ]);
        let tf = prop::sample::select(vec!["1m", "5m", "1h", "4h", "1d", "1w", "1M", "1s"]);
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
            (func, inner.clone(), 0u32..300).prop_map(|(f, a, n)| format!("{f}({a}, {n})")),
            (inner.clone(), 0u32..1200).prop_map(|(a, n)| format!("{a}[{n}]")),
            (inner.clone(), tf).prop_map(|(a, t)| format!("({a}) @ {t}")),
            inner.clone().prop_map(|a| format!("not {a}")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("divergence(bullish, {a}, {b})")),
        ]
    })
}

fn interval() -> impl Strategy<Value = Interval> {
    prop::sample::select(Interval::ALL.to_vec())
}

/// Every diagnostic's span lies within the source on character boundaries, and renders; a
/// checked program explains.
fn well_formed(source: &str, result: &Result<Program, Vec<Diagnostic>>) {
    let diagnostics = match result {
        Ok(program) => {
            assert!(program.node(program.root).ty == sift_rules::Type::Bool);
            for (i, node) in program.nodes.iter().enumerate() {
                for input in node.kind.inputs() {
                    assert!(input.index() < i, "not topological: {program}");
                }
            }
            assert_eq!(program.history.len(), program.nodes.len());
            // Every checked program can be explained, each condition at a span of the source.
            let explanation = sift_rules::explain(program);
            assert!(!explanation.conditions.is_empty());
            for c in &explanation.conditions {
                assert!(c.span.end <= source.len() && !c.meaning.is_empty(), "{c:?}");
            }
            &program.warnings
        }
        Err(errors) => {
            assert!(errors.iter().any(Diagnostic::is_error));
            errors
        }
    };
    for d in diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= source.len(),
            "{d:?}"
        );
        assert!(source.is_char_boundary(d.span.start) && source.is_char_boundary(d.span.end));
        assert!(!d.render(source, "fuzz").is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(source in "\\PC{0,200}", tf in interval()) {
        let result = check(&source, &CheckOptions::new(tf));
        well_formed(&source, &result);
    }

    #[test]
    fn token_soup_never_panics(source in rule_soup(), tf in interval()) {
        let result = check(&source, &CheckOptions::new(tf));
        well_formed(&source, &result);
    }

    #[test]
    fn grammar_rules_never_panic(
        binding in expression(),
        rule in expression(),
        tf in interval(),
    ) {
        let source = format!("let x = {binding}\n{rule}");
        let result = check(&source, &CheckOptions::new(tf));
        well_formed(&source, &result);
    }

    #[test]
    fn history_limits_never_panic(source in rule_soup(), max_history in 0u32..3000) {
        let options = CheckOptions { interval: Interval::M5, max_history };
        let result = check(&source, &options);
        well_formed(&source, &result);
        if let Ok(program) = result {
            for (_, bars) in &program.warmup {
                prop_assert!(*bars <= max_history.max(1));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Inputs up to past the size limit: rejected or checked, within the limits either way.
    #[test]
    fn large_inputs_stay_bounded(
        unit in prop::sample::select(vec![
            "close > open and ", "(", "-", "sma(", "rsi(14)[1] + ", "not ", "x[1]", "a < ",
            "let a = close\n", "crossover(close, sma(close, 20)) or ",
        ]),
        count in 1usize..1500,
    ) {
        let source = unit.repeat(count) + "true";
        let result = check(&source, &CheckOptions::default());
        well_formed(&source, &result);
        if let Ok(program) = result {
            prop_assert!(program.nodes.len() <= sift_rules::MAX_NODES);
        }
    }
}
