//! Indicator specifications such as `macd(12, 26, 9)`, `sma(volume, 20)`, `bb(20, mult=2.5)` or
//! `vwap(anchor=week)`: an indicator from the [`registry`] with every argument
//! checked, ready to build.
//!
//! [`Spec::new`] takes arguments already split up, as the rule language's parser produces
//! them; [`Spec::parse`] scans the CLI's text form and then calls it.

mod text;

use std::fmt;

use crate::dynamic::DynIndicator;
use crate::registry::{self, Args, Def, Param, ParamKind};
use crate::{Error, Source};

/// One argument as written: a number, or an identifier naming a source series or a choice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arg<'a> {
    Number(f64),
    Ident(&'a str),
}

impl fmt::Display for Arg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Number(x) => x.fmt(f),
            Arg::Ident(name) => f.write_str(name),
        }
    }
}

/// A validated indicator specification: which indicator, with every parameter filled in and
/// within range. Read-only; build as many indicators from it as needed.
#[derive(Clone)]
pub struct Spec {
    def: &'static Def,
    args: Args,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("name", &self.def.name)
            .field("args", &self.args)
            .finish()
    }
}

/// Equal when they name the same indicator with the same arguments and source.
impl PartialEq for Spec {
    fn eq(&self, other: &Self) -> bool {
        self.def.name == other.def.name && self.args == other.args
    }
}

impl Spec {
    /// Resolves the arguments of indicator `name`.
    ///
    /// - `positional` fill the parameters in order. For an indicator that reads one series, a
    ///   leading [`Arg::Ident`] is that series (`sma(volume, 20)`); elsewhere an identifier
    ///   must be one of a [`ParamKind::Choice`] parameter's names (`vwap(week)`).
    /// - `named` set parameters by name (`mult=2.5`, `anchor=week`).
    /// - `source` sets the series when the caller has resolved it itself; giving it as well as
    ///   a leading identifier is an error, and so is any source for an indicator that reads
    ///   whole candles.
    ///
    /// Parameters not given take their defaults. A parameter given twice, a missing required
    /// one, a value out of its range (see [`Param::min`] and [`ParamKind::max`]) or a name that
    /// is not a choice are errors, so [`Spec::build`] fails only on constraints between
    /// parameters.
    pub fn new(
        name: &str,
        source: Option<Source>,
        positional: &[Arg<'_>],
        named: &[(&str, Arg<'_>)],
    ) -> Result<Spec, Error> {
        let def = registry::find(name).ok_or_else(|| Error::UnknownIndicator {
            name: name.to_owned(),
            available: registry::names(),
        })?;
        Self::for_def(def, source, positional, named)
    }

    /// As [`Spec::new`], for an entry already looked up.
    pub fn for_def(
        def: &'static Def,
        source: Option<Source>,
        positional: &[Arg<'_>],
        named: &[(&str, Arg<'_>)],
    ) -> Result<Spec, Error> {
        let (source, positional) = split_source(def, source, positional)?;
        let mut values: Vec<Option<f64>> = vec![None; def.params.len()];
        for (i, &arg) in positional.iter().enumerate() {
            let Some(param) = def.params.get(i) else {
                return Err(too_many(def, arg));
            };
            values[i] = Some(resolve(def, param, arg)?);
        }
        for &(key, arg) in named {
            let slot = def
                .params
                .iter()
                .position(|p| p.name == key)
                .ok_or_else(|| Error::UnknownParameter {
                    indicator: def.name,
                    param: key.to_owned(),
                })?;
            if values[slot].is_some() {
                return Err(Error::RepeatedParameter {
                    indicator: def.name,
                    param: def.params[slot].name,
                });
            }
            values[slot] = Some(resolve(def, &def.params[slot], arg)?);
        }
        let values = def
            .params
            .iter()
            .zip(values)
            .map(|(param, value)| {
                value.or(param.default).ok_or(Error::MissingParameter {
                    indicator: def.name,
                    param: param.name,
                })
            })
            .collect::<Result<Vec<f64>, Error>>()?;
        let source = source.or(def.source).unwrap_or(Source::Close);
        Ok(Spec {
            def,
            args: Args::validated(values, source),
        })
    }

    /// `def` with every default, and `required` for each parameter without one (periods such
    /// as `sma(n)`), for tests and benchmarks that run the whole registry. Fails when
    /// `required` is not valid for such a parameter.
    pub fn default_for(def: &'static Def, required: f64) -> Result<Spec, Error> {
        let named: Vec<(&str, Arg<'_>)> = def
            .params
            .iter()
            .map(|p| {
                (
                    p.name,
                    p.default.map_or(Arg::Number(required), |d| written(p, d)),
                )
            })
            .collect();
        Self::for_def(def, None, &[], &named)
    }

    /// Parses `name`, `name()` or `name([source,] arg, ..., param=value, ...)`: scans the text
    /// (syntax errors carry the column), then resolves it with [`Spec::new`].
    pub fn parse(text: &str) -> Result<Spec, Error> {
        let call = text::scan(text)?;
        Self::new(call.name, None, &call.positional, &call.named)
    }

    /// The registry entry.
    pub fn def(&self) -> &'static Def {
        self.def
    }

    /// The validated arguments.
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// Builds a fresh indicator.
    pub fn build(&self) -> Result<Box<dyn DynIndicator>, Error> {
        (self.def.build)(&self.args)
    }
}

/// The explicit source series, if any, and the positional arguments after it.
fn split_source<'p, 'a>(
    def: &Def,
    source: Option<Source>,
    positional: &'p [Arg<'a>],
) -> Result<(Option<Source>, &'p [Arg<'a>]), Error> {
    if def.source.is_none() {
        return match source {
            Some(_) => Err(Error::NoSource {
                indicator: def.name,
            }),
            None => Ok((None, positional)),
        };
    }
    match positional {
        [Arg::Ident(name), rest @ ..] => {
            if source.is_some() {
                return Err(Error::RepeatedParameter {
                    indicator: def.name,
                    param: "source",
                });
            }
            Ok((Some(name.parse()?), rest))
        }
        _ => Ok((source, positional)),
    }
}

/// The error for `arg` beyond the last parameter.
fn too_many(def: &Def, arg: Arg<'_>) -> Error {
    match arg {
        Arg::Ident(name) if names_a_source(def, name) => Error::NoSource {
            indicator: def.name,
        },
        _ => Error::TooManyArguments {
            indicator: def.name,
        },
    }
}

/// `name` is a source series given to an indicator that reads whole candles (`obv(close)`,
/// `cci(hlc3)`), which deserves its own message.
fn names_a_source(def: &Def, name: &str) -> bool {
    def.source.is_none() && name.parse::<Source>().is_ok()
}

/// How a default or resolved `value` of `param` is written as an argument.
fn written(param: &Param, value: f64) -> Arg<'static> {
    param
        .choice_name(value)
        .map_or(Arg::Number(value), Arg::Ident)
}

/// The value `arg` gives `param`: a number within its range, or a choice's index.
fn resolve(def: &Def, param: &Param, arg: Arg<'_>) -> Result<f64, Error> {
    match (param.kind, arg) {
        (ParamKind::Choice(choices), arg) => {
            let index = match arg {
                Arg::Ident(name) => choices.iter().position(|c| *c == name),
                Arg::Number(_) => None,
            };
            index.map(|i| i as f64).ok_or_else(|| Error::InvalidChoice {
                indicator: def.name,
                param: param.name,
                found: arg.to_string(),
                choices,
            })
        }
        (_, Arg::Ident(name)) if names_a_source(def, name) => Err(Error::NoSource {
            indicator: def.name,
        }),
        (_, Arg::Ident(name)) => Err(Error::ExpectedNumber {
            indicator: def.name,
            param: param.name,
            found: name.to_owned(),
        }),
        (kind, Arg::Number(value)) => {
            let whole = kind.is_whole();
            let valid = value.is_finite()
                && (!whole || value.fract() == 0.0)
                && (param.min..=kind.max()).contains(&value);
            if valid {
                Ok(value)
            } else {
                Err(Error::OutOfRange {
                    indicator: def.name,
                    param: param.name,
                    value,
                    min: param.min,
                    max: kind.max(),
                    whole,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use sift_core::Candle;

    use super::*;

    #[rstest]
    #[case("rsi", "rsi", &[14.0], Source::Close)]
    #[case("rsi()", "rsi", &[14.0], Source::Close)]
    #[case(" macd(5, 35) ", "macd", &[5.0, 35.0, 9.0], Source::Close)]
    #[case("bb(20, mult=2.5)", "bb", &[20.0, 2.5], Source::Close)]
    #[case("bb(mult=1, n=10)", "bb", &[10.0, 1.0], Source::Close)]
    #[case("sma(volume, 20)", "sma", &[20.0], Source::Volume)]
    #[case("rsi(hl2, 7)", "rsi", &[7.0], Source::Hl2)]
    #[case("highest(20)", "highest", &[20.0], Source::High)]
    #[case("vwap", "vwap", &[0.0], Source::Close)]
    #[case("vwap(week)", "vwap", &[1.0], Source::Close)]
    #[case("vwap(anchor=month)", "vwap", &[2.0], Source::Close)]
    #[case("vwap(none)", "vwap", &[4.0], Source::Close)]
    #[case("vwap_bands(1.5, anchor=month)", "vwap_bands", &[1.5, 2.0], Source::Close)]
    #[case("vwap_bands(0, session)", "vwap_bands", &[0.0, 3.0], Source::Close)]
    fn parses_positional_named_source_and_choice_arguments(
        #[case] text: &str,
        #[case] name: &str,
        #[case] values: &[f64],
        #[case] source: Source,
    ) {
        let spec = Spec::parse(text).unwrap();
        assert_eq!(spec.def().name, name);
        assert_eq!(spec.args().values(), values);
        assert_eq!(spec.args().source(), source);
    }

    #[rstest]
    #[case("rsx(14)", "unknown indicator \"rsx\"")]
    #[case("rsi(14", "column 7: expected ')' at the end")]
    #[case("rsi(14, 2)", "rsi: too many arguments; usage: rsi(n=14)")]
    #[case("rsi(n=14, 3)", "column 11: positional argument after a named one")]
    #[case("bb(20, mul=2)", "unknown parameter \"mul\"; usage: bb(n=20, mult=2)")]
    #[case("sma()", "sma: missing parameter n; usage: sma(n)")]
    #[case("sma(2.5)", "expected a whole number from 1 to 100000; usage: sma(n)")]
    #[case("sma(0)", "from 1 to 100000")]
    #[case("sma(100001)", "from 1 to 100000")]
    #[case("pivot_high(-1)", "from 0 to 100000")]
    #[case(
        "bb(20, 1e10)",
        "mult = 10000000000 is invalid: expected a number from 0 to 1000000000"
    )]
    #[case(
        "bb(20, -0.5)",
        "expected a number from 0 to 1000000000; usage: bb(n=20, mult=2)"
    )]
    #[case(
        "rsi(1)",
        "rsi: parameter n = 1 is invalid: expected a whole number from 2 to 100000"
    )]
    #[case(
        "macd(fast=1)",
        "macd: parameter fast = 1 is invalid: expected a whole number from 2"
    )]
    #[case("macd(12, 1)", "macd: parameter slow = 1 is invalid")]
    #[case("stochrsi(1)", "stochrsi: parameter rsi = 1 is invalid")]
    #[case("cci(1)", "from 2 to")]
    #[case("mfi(1)", "from 2 to")]
    #[case("willr(1)", "from 2 to")]
    #[case("adx(1)", "from 2 to")]
    #[case("sma(x)", "unknown source series \"x\"")]
    #[case("obv(close)", "obv does not take a source series")]
    #[case("cci(hlc3)", "cci does not take a source series; usage: cci(n=20)")]
    #[case("rsi(14,)", "column 8: empty argument")]
    #[case("rsi(abc=)", "column 9: expected a value after '='")]
    #[case("rsi(abc=1)", "unknown parameter \"abc\"")]
    #[case("sma(1e400)", "column 5: expected a number")]
    #[case(
        "bb(20, n=30)",
        "bb: parameter n is given twice; usage: bb(n=20, mult=2)"
    )]
    #[case("bb(mult=1, mult=2)", "bb: parameter mult is given twice")]
    #[case("bb(20, wide)", "bb: parameter mult expects a number, found \"wide\"")]
    #[case(
        "vwap(anchor=year)",
        "vwap: parameter anchor = \"year\" is invalid: expected one of day, week, month, \
         session, none; usage: vwap(anchor=day)"
    )]
    #[case("vwap(3)", "anchor = \"3\" is invalid: expected one of day, week")]
    #[case("vwap(close)", "anchor = \"close\" is invalid: expected one of day")]
    #[case("vwap(week, month)", "vwap: too many arguments")]
    #[case(
        "vwap_bands(week)",
        "vwap_bands: parameter mult expects a number, found \"week\""
    )]
    fn rejects_bad_specs_with_a_clear_message(#[case] text: &str, #[case] message: &str) {
        let err = Spec::parse(text).unwrap_err().to_string();
        assert!(err.contains(message), "{text}: {err}");
    }

    #[test]
    fn new_takes_arguments_from_another_parser() {
        let spec = Spec::new(
            "bb",
            Some(Source::Hlc3),
            &[Arg::Number(10.0)],
            &[("mult", Arg::Number(1.5))],
        )
        .unwrap();
        assert_eq!(spec, Spec::parse("bb(hlc3, 10, mult=1.5)").unwrap());
        let twice = Spec::new(
            "sma",
            Some(Source::Open),
            &[Arg::Ident("high"), Arg::Number(3.0)],
            &[],
        );
        assert_eq!(
            twice.unwrap_err(),
            Error::RepeatedParameter {
                indicator: "sma",
                param: "source"
            }
        );
        let candles_only = Spec::new("obv", Some(Source::Close), &[], &[]);
        assert_eq!(
            candles_only.unwrap_err(),
            Error::NoSource { indicator: "obv" }
        );
        let nan = Spec::new("bb", None, &[Arg::Number(20.0), Arg::Number(f64::NAN)], &[]);
        assert!(
            matches!(nan, Err(Error::OutOfRange { param: "mult", .. })),
            "{nan:?}"
        );
    }

    #[test]
    fn default_for_fills_defaults_and_the_given_required_value() {
        let sma = registry::find("sma").unwrap();
        assert_eq!(
            Spec::default_for(sma, 14.0).unwrap(),
            Spec::parse("sma(14)").unwrap()
        );
        assert!(Spec::default_for(sma, 0.0).is_err());
        let vwap = registry::find("vwap_bands").unwrap();
        assert_eq!(
            Spec::default_for(vwap, 14.0).unwrap(),
            Spec::parse("vwap_bands(1, day)").unwrap()
        );
    }

    #[test]
    fn declared_fields_match_built_indicators() {
        for def in registry::all() {
            let spec = Spec::default_for(def, 5.0).unwrap();
            let indicator = spec.build().unwrap_or_else(|e| panic!("{}: {e}", def.name));
            assert_eq!(indicator.fields(), def.fields, "{}", def.name);
        }
    }

    /// The values a spec accepts for `param`: both ends of a numeric range, every choice.
    fn accepted(param: &Param) -> Vec<Arg<'static>> {
        match param.kind {
            ParamKind::Choice(names) => names.iter().map(|n| Arg::Ident(n)).collect(),
            kind => vec![Arg::Number(param.min), Arg::Number(kind.max())],
        }
    }

    /// Spec validation is complete: whatever it accepts, one parameter at a time at its
    /// extremes with the others at their defaults, builds and runs without panicking.
    #[test]
    fn every_value_a_spec_accepts_builds() {
        let candles: Vec<Candle> = (0..3)
            .map(|i| Candle::ohlcv(i * 60_000, 10.0, 11.0, 9.0, 10.5, 2.0))
            .collect();
        for def in registry::all() {
            let defaults = Spec::default_for(def, 14.0).unwrap();
            for (i, param) in def.params.iter().enumerate() {
                for arg in accepted(param) {
                    let mut named: Vec<(&str, Arg<'_>)> = def
                        .params
                        .iter()
                        .zip(defaults.args().values())
                        .map(|(p, &v)| (p.name, written(p, v)))
                        .collect();
                    named[i].1 = arg;
                    let what = format!("{}({}={arg})", def.name, param.name);
                    let spec = Spec::for_def(def, None, &[], &named)
                        .unwrap_or_else(|e| panic!("{what} is rejected: {e}"));
                    let mut indicator = spec
                        .build()
                        .unwrap_or_else(|e| panic!("{what} is accepted but does not build: {e}"));
                    let mut out = [0.0; 8];
                    for candle in &candles {
                        indicator.update(candle, None, &mut out);
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_and_building_never_panic(
            name in proptest::sample::select(registry::all().map(|d| d.name).collect::<Vec<_>>()),
            args in "[a-z0-9_=., +-]{0,24}",
        ) {
            if let Ok(spec) = Spec::parse(&format!("{name}({args})")) {
                let _ = spec.build();
            }
        }
    }
}
