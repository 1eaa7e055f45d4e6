//! Properties every registry entry must have, checked over the golden markets
//! (`tests/golden/candles`), whatever TA-Lib says:
//!
//! - the built indicator's `fields()` are the registry's declared fields, and `update` writes
//!   exactly `max(1, fields().len())` slots when ready and none when warming up;
//! - no ready output is NaN or infinite (unless listed in [`MAY_BE_NON_FINITE`]);
//! - `reset()` then replaying the candles gives bit-identical output;
//! - two separate instances fed the same candles give bit-identical output (no hidden shared
//!   or global state);
//! - a series indicator fed its own source series explicitly (`update(candle, Some(x))`, as
//!   the rule engine does for derived series) gives the same output as reading the candle.
//!
//! Required parameters get [`REQUIRED_DEFAULT`]. Every problem is collected and the test fails
//! once with the full list.

#[path = "golden/markets.rs"]
mod markets;

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use sift_core::Candle;
use sift_indicators::registry::{self, Args, Def};
use sift_indicators::{DynIndicator, Source};

use markets::markets;

/// The value given to parameters without a default (periods such as `sma(n)`).
const REQUIRED_DEFAULT: f64 = 14.0;

/// Indicators documented to emit NaN or infinity in some ready rows: `volume_profile` writes
/// NaN for a node that does not exist (no high-volume node above or below the close).
const MAY_BE_NON_FINITE: &[&str] = &["volume_profile"];

/// Written into every output slot before each update, to detect slots written or left
/// unwritten; no indicator produces this value.
const SENTINEL: f64 = -7.77e77;

/// One pass of an indicator over a market: a row per candle, `None` while warming up.
type Rows = Vec<Option<Vec<f64>>>;

fn build(def: &Def) -> Result<Box<dyn DynIndicator>, String> {
    let values = def
        .params
        .iter()
        .map(|p| p.default.unwrap_or(REQUIRED_DEFAULT))
        .collect();
    let args = Args {
        values,
        source: def.source.unwrap_or(Source::Close),
    };
    (def.build)(&args).map_err(|e| format!("build with defaults failed: {e}"))
}

/// Feeds every candle (with `source` giving the explicit series value, if any) and checks the
/// output-slot contract on the way.
fn run(
    indicator: &mut dyn DynIndicator,
    candles: &[Candle],
    source: Option<Source>,
    allow_non_finite: bool,
) -> Result<Rows, String> {
    let width = indicator.fields().len().max(1);
    let mut rows = Vec::with_capacity(candles.len());
    for (i, candle) in candles.iter().enumerate() {
        // One slot more than the row width, to catch writes past it.
        let mut out = vec![SENTINEL; width + 1];
        let value = source.map(|s| s.of(candle));
        let ready = catch_unwind(AssertUnwindSafe(|| {
            indicator.update(candle, value, &mut out)
        }))
        .map_err(|payload| {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("panicked at row {i}: {message}")
        })?;
        if out[width].to_bits() != SENTINEL.to_bits() {
            return Err(format!("row {i}: wrote past its {width} output slot(s)"));
        }
        out.truncate(width);
        if !ready {
            if out.iter().any(|v| v.to_bits() != SENTINEL.to_bits()) {
                return Err(format!("row {i}: not ready but wrote its outputs {out:?}"));
            }
            rows.push(None);
            continue;
        }
        if out.iter().any(|v| v.to_bits() == SENTINEL.to_bits()) {
            return Err(format!(
                "row {i}: ready but left output slot(s) unwritten: {out:?}"
            ));
        }
        if !allow_non_finite && out.iter().any(|v| !v.is_finite()) {
            return Err(format!("row {i}: non-finite output {out:?}"));
        }
        rows.push(Some(out));
    }
    Ok(rows)
}

/// The first row where two passes differ bit for bit.
fn first_difference(a: &Rows, b: &Rows) -> Option<String> {
    let bits = |row: &Option<Vec<f64>>| {
        row.as_ref()
            .map(|r| r.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
    };
    a.iter()
        .zip(b)
        .position(|(x, y)| bits(x) != bits(y))
        .map(|i| format!("row {i}: {:?} vs {:?}", a[i], b[i]))
}

/// Checks every property of one registry entry on one market.
fn check(def: &Def, candles: &[Candle]) -> Result<(), String> {
    let allow = MAY_BE_NON_FINITE.contains(&def.name);
    let mut first = build(def)?;
    if first.fields() != def.fields {
        return Err(format!(
            "fields() is {:?} but the registry declares {:?}",
            first.fields(),
            def.fields
        ));
    }
    let reference = run(first.as_mut(), candles, None, allow)?;

    first.reset();
    let replay = run(first.as_mut(), candles, None, allow)?;
    if let Some(diff) = first_difference(&reference, &replay) {
        return Err(format!("reset then replay differs at {diff}"));
    }

    let mut second = build(def)?;
    let again = run(second.as_mut(), candles, None, allow)?;
    if let Some(diff) = first_difference(&reference, &again) {
        return Err(format!("a second instance differs at {diff}"));
    }

    if let Some(source) = def.source {
        let mut third = build(def)?;
        let explicit = run(third.as_mut(), candles, Some(source), allow)?;
        if let Some(diff) = first_difference(&reference, &explicit) {
            return Err(format!("fed {source} explicitly, differs at {diff}"));
        }
    }
    Ok(())
}

#[test]
fn every_registry_entry_is_consistent() {
    let markets = markets();
    let defs: Vec<&Def> = registry::all().collect();
    assert!(!defs.is_empty(), "the registry is empty");
    let mut report = String::new();
    let mut failed = 0;
    for def in &defs {
        let problems: Vec<String> = markets
            .iter()
            .filter_map(|m| {
                check(def, &m.candles)
                    .err()
                    .map(|e| format!("{}: {e}", m.name))
            })
            .collect();
        if problems.is_empty() {
            let _ = writeln!(report, "  ok    {}", def.signature());
        } else {
            failed += 1;
            let _ = writeln!(report, "  FAIL  {}", def.signature());
            for problem in problems {
                let _ = writeln!(report, "          {problem}");
            }
        }
    }
    assert!(
        failed == 0,
        "{failed} of {} indicator(s) break a property:\n{report}",
        defs.len()
    );
    // Only reached on success; shown with --nocapture.
    println!("{} indicators hold every property:\n{report}", defs.len());
}
