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
//!   the rule engine does for derived series) gives the same output as reading the candle;
//! - every indicator becomes ready on every market;
//! - the spec text a user writes builds it: `name(p=v, ...)`, `name(v, ...)`, the bare
//!   `name` and `name()` and `def.signature()` when every parameter has a default, and
//!   `name(hlc3, ...)` for series indicators, each resolving to the expected arguments and
//!   giving the same output as the spec built from the registry entry directly;
//! - its `Display` is a non-empty single line that does not change as it runs or resets;
//! - a period of 0 is an error from the spec parser, never a panic (that constructors reject it
//!   too is a unit test of the registry, the only code that can hand them unvalidated values);
//! - the registry entry itself is well formed: lowercase identifier names for the indicator,
//!   its parameters, its choices and its fields (no duplicates), a summary and a doc for every
//!   parameter, and defaults that the spec parser accepts.
//!
//! Required parameters get [`REQUIRED_DEFAULT`]. Every problem is collected and each test fails
//! once with the full list.

#[path = "golden/markets.rs"]
mod markets;

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use sift_core::Candle;
use sift_indicators::registry::{self, Def, ParamKind};
use sift_indicators::spec::Arg;
use sift_indicators::{DynIndicator, Source, Spec};

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

/// The spec [`build`] uses: every default, and [`REQUIRED_DEFAULT`] where none.
fn default_spec(def: &'static Def) -> Result<Spec, String> {
    Spec::default_for(def, REQUIRED_DEFAULT).map_err(|e| format!("no default spec: {e}"))
}

fn build(def: &'static Def) -> Result<Box<dyn DynIndicator>, String> {
    default_spec(def)?
        .build()
        .map_err(|e| format!("build with defaults failed: {e}"))
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
fn check(def: &'static Def, candles: &[Candle]) -> Result<(), String> {
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

    if reference.iter().all(Option::is_none) {
        return Err("never ready".to_owned());
    }
    Ok(())
}

#[test]
fn every_registry_entry_is_consistent() {
    let markets = markets();
    let defs: Vec<&'static Def> = registry::all().collect();
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

/// Runs `check` for every registry entry and fails once with every problem.
fn for_every_def(what: &str, check: impl Fn(&'static Def) -> Result<(), String>) {
    let problems: Vec<String> = registry::all()
        .filter_map(|def| check(def).err().map(|e| format!("  {}: {e}", def.name)))
        .collect();
    assert!(
        problems.is_empty(),
        "{} indicator(s) fail {what}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The spec texts a user could write for `def` with its default arguments, each with the
/// spec it must resolve to.
fn spec_texts(def: &'static Def) -> Result<Vec<(String, Spec)>, String> {
    let spec = default_spec(def)?;
    let values: Vec<String> = def
        .params
        .iter()
        .zip(spec.args().values())
        .map(|(p, &v)| p.display_value(v))
        .collect();
    let named: Vec<String> = def
        .params
        .iter()
        .zip(&values)
        .map(|(p, v)| format!("{}={v}", p.name))
        .collect();
    let mut texts = vec![
        (format!("{}({})", def.name, named.join(", ")), spec.clone()),
        (format!("{}({})", def.name, values.join(", ")), spec.clone()),
    ];
    if def.params.iter().all(|p| p.default.is_some()) {
        texts.push((def.signature(), spec.clone()));
        texts.push((def.name.to_owned(), spec.clone()));
        texts.push((format!("{}()", def.name), spec.clone()));
    }
    if def.source.is_some() {
        let mut with_source = values.clone();
        with_source.insert(0, "hlc3".to_owned());
        let args: Vec<Arg<'_>> = spec
            .args()
            .values()
            .iter()
            .map(|&v| Arg::Number(v))
            .collect();
        let want = Spec::for_def(def, Some(Source::Hlc3), &args, &[])
            .map_err(|e| format!("no hlc3 spec: {e}"))?;
        texts.push((format!("{}({})", def.name, with_source.join(", ")), want));
    }
    Ok(texts)
}

#[test]
fn every_registry_entry_builds_from_its_spec_text() {
    let markets = markets();
    let candles = &markets[0].candles;
    for_every_def("to build from spec text", |def| {
        let allow = MAY_BE_NON_FINITE.contains(&def.name);
        for (text, want) in spec_texts(def)? {
            let spec = Spec::parse(&text).map_err(|e| format!("{text:?} does not parse: {e}"))?;
            if spec != want {
                return Err(format!("{text:?} resolves to {spec:?}, expected {want:?}"));
            }
            let mut parsed = spec
                .build()
                .map_err(|e| format!("{text:?} does not build: {e}"))?;
            let mut direct = want
                .build()
                .map_err(|e| format!("{want:?} does not build: {e}"))?;
            let from_text = run(parsed.as_mut(), candles, None, allow)?;
            let from_args = run(direct.as_mut(), candles, None, allow)?;
            if let Some(diff) = first_difference(&from_text, &from_args) {
                return Err(format!("{text:?} built from text differs at {diff}"));
            }
        }
        Ok(())
    });
}

#[test]
fn every_indicator_displays_a_stable_line() {
    let markets = markets();
    for_every_def("to display", |def| {
        let mut indicator = build(def)?;
        let shown = indicator.to_string();
        if shown.trim().is_empty() || shown.contains('\n') {
            return Err(format!("Display is {shown:?}"));
        }
        if format!("{indicator:?}").is_empty() {
            return Err("Debug is empty".to_owned());
        }
        let mut out = vec![0.0; indicator.fields().len().max(1)];
        for candle in &markets[0].candles {
            indicator.update(candle, None, &mut out);
        }
        let after_run = indicator.to_string();
        indicator.reset();
        let after_reset = indicator.to_string();
        if after_run != shown || after_reset != shown {
            return Err(format!(
                "Display changes: {shown:?}, after a run {after_run:?}, after reset {after_reset:?}"
            ));
        }
        Ok(())
    });
}

#[test]
fn a_zero_period_is_an_error() {
    for_every_def("to reject a period of 0", |def| {
        for param in def.params {
            if param.kind != ParamKind::Period {
                continue;
            }
            let text = format!("{}({}=0)", def.name, param.name);
            let parsed = catch_unwind(|| Spec::parse(&text))
                .map_err(|_| format!("{text:?} panics in the parser"))?;
            if parsed.is_ok() {
                return Err(format!("{text:?} parses"));
            }
        }
        Ok(())
    });
}

fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[test]
fn every_registry_entry_is_well_formed() {
    for_every_def("to be well formed", |def| {
        if !is_identifier(def.name) {
            return Err("the name is not a lowercase identifier".to_owned());
        }
        if def.summary.trim().is_empty() {
            return Err("no summary".to_owned());
        }
        let params: Vec<&str> = def.params.iter().map(|p| p.name).collect();
        for (what, names) in [("parameter", params.as_slice()), ("field", def.fields)] {
            for (i, name) in names.iter().enumerate() {
                if !is_identifier(name) {
                    return Err(format!("{what} {name:?} is not a lowercase identifier"));
                }
                if names[i + 1..].contains(name) {
                    return Err(format!("{what} {name:?} is declared twice"));
                }
            }
        }
        for param in def.params {
            if param.doc.trim().is_empty() {
                return Err(format!("parameter {} has no doc", param.name));
            }
            let Some(default) = param.default else {
                continue;
            };
            let valid = match param.kind {
                ParamKind::Period => default.fract() == 0.0 && default >= 1.0,
                ParamKind::Count => default.fract() == 0.0 && default >= 0.0,
                ParamKind::Real => default.is_finite(),
                ParamKind::Choice(names) => {
                    if let Some(bad) = names.iter().find(|n| !is_identifier(n)) {
                        return Err(format!("choice {bad:?} is not a lowercase identifier"));
                    }
                    param.choice_name(default).is_some()
                }
            };
            if !valid {
                return Err(format!(
                    "parameter {} has default {default}, not a valid {:?}",
                    param.name, param.kind
                ));
            }
        }
        default_spec(def).map(|_| ())
    });
}
