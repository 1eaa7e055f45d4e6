//! The proof that Sift's indicators equal TA-Lib.
//!
//! `scripts/golden/generate.py` wrote synthetic candles (`tests/golden/candles/<market>.csv`) and
//! TA-Lib's values for them (`tests/golden/ref/<market>.csv`, see `tests/golden/PROVENANCE.md`).
//! Every reference column is named `spec` or `spec.field`, where `spec` is spelled as the
//! registry parses it (`macd(12, 26, 9).hist`). This test builds each spec through the registry,
//! feeds it every candle and compares every cell:
//!
//! - an empty reference cell (TA-Lib still warming up) must be a not-ready row from Sift, and a
//!   value must be a ready row, so the first value appears at exactly TA-Lib's first index;
//! - values must agree per [`agrees`]: within [`REL_TOL`] relative, or within an absolute floor
//!   of [`REL_TOL`] times the column's scale for values near zero.
//!
//! Covered, on six markets (a random walk, flat runs with zero volumes, gaps in time, prices
//! near 1e-8 and near 1e6, and candle shapes that trigger every pattern):
//!
//! - averages: `sma`, `ema`, `wma`, `rma`, `dema`, `tema`, `vwma` (not ready where the whole
//!   window has no volume);
//! - momentum: `rsi`, `macd`, `stoch`, `stochrsi`, `cci`, `mfi`, `willr`, `roc`, `mom`, `adx`;
//! - volatility: `atr`, `natr`, `bb` (with `width` and `pct_b` derived from TA-Lib's bands),
//!   `stddev`, `keltner` (TA-Lib `KC`), `donchian`;
//! - volume: `obv`, `ad`, `cmf`, `pvi`, `nvi`, `vwap` (TA-Lib's `VWAP` per UTC day; Sift's
//!   documented typical price while a day has had no volume);
//! - trend: `sar`, `supertrend`; structure: `highest`, `lowest` (TA-Lib `MAX`, `MIN`);
//! - candle patterns, as 1.0 or 0.0 from TA-Lib's `CDL*` functions after their lookback.
//!
//! Registry entries with no TA-Lib twin are listed, with the reason, in [`NOT_IN_TA_LIB`];
//! [`every_indicator_ta_lib_computes_has_golden_columns`] keeps that list and the reference
//! files in step with the registry.
//!
//! All mismatches are collected and reported together, grouped by column and market with the
//! first mismatching row, then the test fails once. Specs the registry does not know are
//! reported as "not implemented". Set `GOLDEN_FILTER=substring` to check only the columns whose
//! name contains it, e.g. `GOLDEN_FILTER=macd cargo test -p sift-indicators --test golden`.

#[path = "golden/markets.rs"]
mod markets;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use sift_core::Candle;
use sift_indicators::{Error, Spec, registry};

use markets::{Market, golden_dir, markets};

/// Relative tolerance: Sift follows TA-Lib's arithmetic operation by operation, so anything
/// beyond a few ulps of accumulated rounding is a real difference.
const REL_TOL: f64 = 1e-9;

/// Absolute tolerance for values near zero, for columns of order one or larger.
const ABS_TOL: f64 = 1e-9;

/// Registry entries that TA-Lib does not compute, so no golden column can prove them; each
/// has its own unit and property tests instead.
const NOT_IN_TA_LIB: &[(&str, &str)] = &[
    (
        "pivot_high",
        "TA-Lib's FRACTAL only flags the confirming bar and breaks ties differently; Sift holds \
         the pivot's price with TradingView's tie rule",
    ),
    ("pivot_low", "as pivot_high"),
    ("volume_profile", "no TA-Lib function"),
    (
        "vwap_bands",
        "TA-Lib's VWAP has no bands; the vwap field is vwap(), which is covered",
    ),
];

/// Whether Sift's `got` agrees with TA-Lib's `expected` in a column whose scale is `scale`
/// (the largest `|value|` TA-Lib produced in this column for this market).
///
/// Passes when `|got - expected| <= REL_TOL * max(|got|, |expected|)` (the 1e-9
/// relative), or, near zero, when `|got - expected| <= ABS_TOL * min(scale, 1)`. The absolute
/// floor is the 1e-9 for columns of order one and larger, and shrinks with the column
/// for columns that are small throughout: on the market priced near 1e-8 a fixed 1e-9 would
/// accept any price-valued output (all of them are below 1e-7). So this rule is never looser
/// than "1e-9 relative, 1e-9 absolute near zero", and stricter on tiny columns. A column whose
/// reference values are all exactly zero has scale 0 and demands exact zeros.
fn agrees(expected: f64, got: f64, scale: f64) -> bool {
    if !got.is_finite() {
        return false;
    }
    let diff = (got - expected).abs();
    diff <= REL_TOL * got.abs().max(expected.abs()) || diff <= ABS_TOL * scale.min(1.0)
}

/// A reference column: its full name, spec text, field (if any) and values.
#[derive(Debug)]
struct Column {
    name: String,
    spec: String,
    field: Option<String>,
    values: Vec<Option<f64>>,
}

/// Splits `macd(12, 26, 9).hist` into spec and field; a dot inside the parentheses (as in
/// `bb(10, 1.5)`) belongs to the spec.
fn split_column(name: &str) -> (String, Option<String>) {
    let tail_start = name.rfind(')').map_or(0, |i| i + 1);
    match name[tail_start..].find('.') {
        Some(dot) => {
            let at = tail_start + dot;
            (name[..at].to_owned(), Some(name[at + 1..].to_owned()))
        }
        None => (name.to_owned(), None),
    }
}

/// The open times and columns of `ref/<market>.csv`.
fn read_reference(path: &Path) -> (Vec<i64>, Vec<Column>) {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let headers = reader
        .headers()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .clone();
    assert_eq!(
        headers.get(0),
        Some("open_time"),
        "{}: first column",
        path.display()
    );
    let mut columns: Vec<Column> = headers
        .iter()
        .skip(1)
        .map(|name| {
            let (spec, field) = split_column(name);
            Column {
                name: name.to_owned(),
                spec,
                field,
                values: Vec::new(),
            }
        })
        .collect();
    let mut times = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), row + 2));
        let parse_err = |cell: &str| format!("{}:{}: bad cell {cell:?}", path.display(), row + 2);
        times.push(
            record[0]
                .parse()
                .unwrap_or_else(|_| panic!("{}", parse_err(&record[0]))),
        );
        for (column, cell) in columns.iter_mut().zip(record.iter().skip(1)) {
            let value = if cell.is_empty() {
                None
            } else {
                Some(
                    cell.parse::<f64>()
                        .unwrap_or_else(|_| panic!("{}", parse_err(cell))),
                )
            };
            column.values.push(value);
        }
    }
    (times, columns)
}

/// What Sift produced for one spec: a row per candle, `None` while warming up.
struct Run {
    fields: &'static [&'static str],
    rows: Vec<Option<Vec<f64>>>,
}

/// Builds `spec` through the registry and runs it over `candles`; `Err` says why it could not.
fn run_spec(spec: &str, candles: &[Candle]) -> Result<Run, String> {
    let parsed = Spec::parse(spec).map_err(|e| match e {
        Error::UnknownIndicator { name, .. } => format!("not implemented (no indicator {name:?})"),
        other => format!("not implemented: {other}"),
    })?;
    let mut indicator = parsed.build().map_err(|e| format!("build failed: {e}"))?;
    let fields = indicator.fields();
    let width = fields.len().max(1);
    let mut rows = Vec::with_capacity(candles.len());
    for (i, candle) in candles.iter().enumerate() {
        let mut out = vec![f64::NAN; width];
        let ready = catch_unwind(AssertUnwindSafe(|| {
            indicator.update(candle, None, &mut out)
        }))
        .map_err(|payload| {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("panicked at row {i}: {message}")
        })?;
        rows.push(ready.then_some(out));
    }
    Ok(Run { fields, rows })
}

/// The first mismatch in one (column, market) and how many rows mismatch.
struct Mismatch {
    row: usize,
    open_time: i64,
    expected: Option<f64>,
    got: Option<f64>,
    count: usize,
}

fn show(value: Option<f64>) -> String {
    value.map_or_else(|| "none".to_owned(), |v| format!("{v:?}"))
}

/// Compares one column; `Ok(None)` when every row agrees.
fn compare(column: &Column, run: &Run, times: &[i64]) -> Result<Option<Mismatch>, String> {
    let index = match &column.field {
        None if run.fields.is_empty() => 0,
        None => {
            return Err(format!(
                "expected a single value, Sift has fields {:?}",
                run.fields
            ));
        }
        Some(field) => run.fields.iter().position(|f| f == field).ok_or_else(|| {
            format!(
                "Sift has no field {field:?}; its fields are {:?}",
                run.fields
            )
        })?,
    };
    let scale = column
        .values
        .iter()
        .flatten()
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let mut first: Option<Mismatch> = None;
    let mut count = 0;
    for (row, (expected, got)) in column.values.iter().zip(&run.rows).enumerate() {
        let got = got.as_ref().map(|out| out[index]);
        let ok = match (*expected, got) {
            (None, None) => true,
            (Some(e), Some(g)) => agrees(e, g, scale),
            _ => false,
        };
        if !ok {
            count += 1;
            if first.is_none() {
                let open_time = times[row];
                first = Some(Mismatch {
                    row,
                    open_time,
                    expected: *expected,
                    got,
                    count: 0,
                });
            }
        }
    }
    Ok(first.map(|m| Mismatch { count, ..m }))
}

fn column_selected(name: &str) -> bool {
    std::env::var("GOLDEN_FILTER").map_or(true, |filter| name.contains(&filter))
}

#[test]
fn indicators_match_ta_lib() {
    // column name -> market -> problem, in a BTreeMap so the report is ordered and stable.
    let mut failures: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    let markets: Vec<Market> = markets();
    for market in &markets {
        let path = golden_dir()
            .join("ref")
            .join(format!("{}.csv", market.name));
        let (times, columns) = read_reference(&path);
        assert_eq!(
            times.len(),
            market.candles.len(),
            "{}: row count",
            path.display()
        );
        for (row, (t, c)) in times.iter().zip(&market.candles).enumerate() {
            assert_eq!(
                *t,
                c.open_time,
                "{}: open_time at row {row}",
                path.display()
            );
        }
        let mut by_spec: BTreeMap<&str, Vec<&Column>> = BTreeMap::new();
        for column in columns.iter().filter(|c| column_selected(&c.name)) {
            by_spec
                .entry(column.spec.as_str())
                .or_default()
                .push(column);
        }
        for (spec, spec_columns) in by_spec {
            let run = run_spec(spec, &market.candles);
            for column in spec_columns {
                *checked.entry(column.name.clone()).or_default() += 1;
                let problem = match run.as_ref().map_err(Clone::clone) {
                    Err(why) => Some(why),
                    Ok(run) => match compare(column, run, &times) {
                        Err(why) => Some(why),
                        Ok(None) => None,
                        Ok(Some(m)) => Some(format!(
                            "{} of {} rows differ; first at row {} (open_time {}): \
                             expected {}, got {}",
                            m.count,
                            times.len(),
                            m.row,
                            m.open_time,
                            show(m.expected),
                            show(m.got),
                        )),
                    },
                };
                if let Some(problem) = problem {
                    failures
                        .entry(column.name.clone())
                        .or_default()
                        .insert(market.name.clone(), problem);
                }
            }
        }
    }
    assert!(!checked.is_empty(), "GOLDEN_FILTER matched no column");

    let passed: Vec<&String> = checked
        .keys()
        .filter(|c| !failures.contains_key(*c))
        .collect();
    let mut report = String::new();
    let _ = writeln!(
        report,
        "golden: {} of {} columns match TA-Lib on all {} markets",
        passed.len(),
        checked.len(),
        markets.len()
    );
    for name in &passed {
        let _ = writeln!(report, "  ok    {name}");
    }
    for (name, per_market) in &failures {
        let all_same = per_market.len() == markets.len()
            && per_market
                .values()
                .all(|p| Some(p) == per_market.values().next());
        if all_same {
            let problem = per_market.values().next().cloned().unwrap_or_default();
            let _ = writeln!(report, "  FAIL  {name} [all markets]: {problem}");
            continue;
        }
        let _ = writeln!(report, "  FAIL  {name}");
        for (market, problem) in per_market {
            let _ = writeln!(report, "          {market}: {problem}");
        }
    }
    assert!(
        failures.is_empty(),
        "{} column(s) differ from TA-Lib:\n{report}",
        failures.len()
    );
    // Only reached on success; shown with --nocapture.
    println!("{report}");
}

/// The indicator name of a column (`macd` for `macd(12, 26, 9).hist`).
fn indicator_name(column: &str) -> &str {
    column.split('(').next().unwrap_or(column).trim()
}

#[test]
fn every_indicator_ta_lib_computes_has_golden_columns() {
    let mut covered: BTreeMap<String, usize> = BTreeMap::new();
    for market in markets() {
        let path = golden_dir()
            .join("ref")
            .join(format!("{}.csv", market.name));
        let (_, columns) = read_reference(&path);
        for column in &columns {
            *covered
                .entry(indicator_name(&column.name).to_owned())
                .or_default() += 1;
        }
    }
    let mut problems = Vec::new();
    for def in registry::all() {
        let exempt = NOT_IN_TA_LIB.iter().any(|(name, _)| *name == def.name);
        match (covered.contains_key(def.name), exempt) {
            (false, false) => problems.push(format!(
                "{}: no golden column; add one to scripts/golden/generate.py or list it in \
                 NOT_IN_TA_LIB with the reason",
                def.name
            )),
            (true, true) => problems.push(format!(
                "{}: has golden columns but is listed in NOT_IN_TA_LIB",
                def.name
            )),
            _ => {}
        }
    }
    for name in covered.keys() {
        if registry::find(name).is_none() {
            problems.push(format!("{name}: a golden column names no registry entry"));
        }
    }
    for (name, _) in NOT_IN_TA_LIB {
        if registry::find(name).is_none() {
            problems.push(format!(
                "{name}: listed in NOT_IN_TA_LIB but not in the registry"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn column_names_split_into_spec_and_field() {
    let cases = [
        ("sma(20)", "sma(20)", None),
        ("macd(12, 26, 9).hist", "macd(12, 26, 9)", Some("hist")),
        ("bb(10, 1.5)", "bb(10, 1.5)", None),
        ("bb(10, 1.5).pct_b", "bb(10, 1.5)", Some("pct_b")),
        ("obv()", "obv()", None),
    ];
    for (name, spec, field) in cases {
        assert_eq!(
            split_column(name),
            (spec.to_owned(), field.map(str::to_owned)),
            "{name}"
        );
    }
}

#[test]
fn tolerance_is_relative_with_a_column_scaled_floor() {
    assert!(agrees(100.0, 100.0 + 5e-8, 100.0));
    assert!(!agrees(100.0, 100.0 + 2e-7, 100.0));
    // Prices near 1e-8: a 1e-9 absolute error is 5% and must fail.
    assert!(!agrees(2e-8, 2.1e-8, 3e-8));
    assert!(agrees(2e-8, 2e-8 * (1.0 + 1e-12), 3e-8));
    // Near zero the floor is relative to the column's scale.
    assert!(agrees(1e-12, -1e-12, 5.0));
    assert!(!agrees(1e-3, -1e-3, 5.0));
    assert!(agrees(0.0, 0.0, 0.0));
    assert!(!agrees(0.0, 1e-300, 0.0));
    assert!(!agrees(1.0, f64::NAN, 1.0));
}
