//! Parsing indicator specifications such as `macd(12, 26, 9)`, `sma(volume, 20)` or
//! `bb(20, mult=2.5)` into a buildable [`Spec`].

use std::fmt;

use crate::dynamic::DynIndicator;
use crate::registry::{self, Args, Def, ParamKind};
use crate::{Error, Source};

/// A resolved indicator specification: which indicator, with every parameter filled in.
#[derive(Clone)]
pub struct Spec {
    pub def: &'static Def,
    pub args: Args,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("name", &self.def.name)
            .field("args", &self.args)
            .finish()
    }
}

impl Spec {
    /// Parses `name`, `name()` or `name([source,] arg, ..., param=value, ...)`.
    pub fn parse(text: &str) -> Result<Spec, Error> {
        let syntax = |column: usize, message: &str| Error::Syntax {
            spec: text.to_owned(),
            column: column + 1,
            message: message.to_owned(),
        };
        let trimmed = text.trim();
        let (name, inner) = match trimmed.find('(') {
            None => (trimmed, ""),
            Some(open) => {
                let Some(body) = trimmed[open + 1..].strip_suffix(')') else {
                    return Err(syntax(trimmed.len(), "expected ')' at the end"));
                };
                (trimmed[..open].trim_end(), body)
            }
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(syntax(0, "expected an indicator name such as rsi"));
        }
        let def = registry::find(name).ok_or_else(|| Error::UnknownIndicator {
            name: name.to_owned(),
            available: registry::names(),
        })?;

        let mut source = def.source.unwrap_or(Source::Close);
        let mut values: Vec<Option<f64>> = def.params.iter().map(|p| p.default).collect();
        let mut positional = 0;
        let mut named_seen = false;
        let items = split_args(inner);
        for (index, item) in items.iter().enumerate() {
            let item = item.trim();
            if item.is_empty() {
                return Err(syntax(0, "empty argument"));
            }
            if let Some((key, value)) = item.split_once('=') {
                let key = key.trim();
                let slot = def
                    .params
                    .iter()
                    .position(|p| p.name == key)
                    .ok_or_else(|| Error::UnknownParameter {
                        indicator: def.name,
                        param: key.to_owned(),
                        expected: param_list(def),
                    })?;
                values[slot] = Some(parse_number(text, value.trim())?);
                named_seen = true;
                continue;
            }
            if named_seen {
                return Err(syntax(0, "positional argument after a named one"));
            }
            if index == 0 && item.starts_with(|c: char| c.is_ascii_alphabetic()) {
                if def.source.is_none() {
                    return Err(Error::NoSource {
                        indicator: def.name,
                    });
                }
                source = item.parse()?;
                continue;
            }
            if positional >= def.params.len() {
                return Err(Error::TooManyArguments {
                    indicator: def.name,
                    expected: param_list(def),
                });
            }
            values[positional] = Some(parse_number(text, item)?);
            positional += 1;
        }

        let mut resolved = Vec::with_capacity(values.len());
        for (param, value) in def.params.iter().zip(values) {
            let value = value.ok_or(Error::MissingParameter {
                indicator: def.name,
                param: param.name,
            })?;
            let max_count = crate::MAX_PERIOD as f64;
            let valid = match param.kind {
                ParamKind::Period => value.fract() == 0.0 && (1.0..=max_count).contains(&value),
                ParamKind::Count => value.fract() == 0.0 && (0.0..=max_count).contains(&value),
                ParamKind::Real => value.is_finite() && value.abs() <= 1e9,
            };
            if !valid {
                return Err(Error::InvalidParameter {
                    indicator: def.name,
                    param: param.name,
                    value,
                    reason: match param.kind {
                        ParamKind::Period => "expected a whole number of bars from 1 to 100000",
                        ParamKind::Count => "expected a whole number from 0 to 100000",
                        ParamKind::Real => "expected a finite number within ±1e9",
                    },
                });
            }
            resolved.push(value);
        }
        Ok(Spec {
            def,
            args: Args {
                values: resolved,
                source,
            },
        })
    }

    /// Builds a fresh indicator.
    pub fn build(&self) -> Result<Box<dyn DynIndicator>, Error> {
        (self.def.build)(&self.args)
    }
}

fn split_args(inner: &str) -> Vec<&str> {
    if inner.trim().is_empty() {
        Vec::new()
    } else {
        inner.split(',').collect()
    }
}

fn parse_number(spec: &str, text: &str) -> Result<f64, Error> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| Error::Syntax {
            spec: spec.to_owned(),
            column: spec.find(text).map_or(1, |i| i + 1),
            message: format!("expected a number, found {text:?}"),
        })
}

fn param_list(def: &Def) -> String {
    def.signature()
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

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
    fn parses_positional_named_and_source_arguments(
        #[case] text: &str,
        #[case] name: &str,
        #[case] values: &[f64],
        #[case] source: Source,
    ) {
        let spec = Spec::parse(text).unwrap();
        assert_eq!(spec.def.name, name);
        assert_eq!(spec.args.values, values);
        assert_eq!(spec.args.source, source);
    }

    #[rstest]
    #[case("rsx(14)", "unknown indicator \"rsx\"")]
    #[case("rsi(14", "expected ')' at the end")]
    #[case("rsi(14, 2)", "too many arguments")]
    #[case("rsi(n=14, 3)", "positional argument after a named one")]
    #[case("bb(20, mul=2)", "unknown parameter \"mul\"")]
    #[case("sma()", "missing parameter n")]
    #[case("sma(2.5)", "from 1 to 100000")]
    #[case("sma(0)", "from 1 to 100000")]
    #[case("sma(100001)", "from 1 to 100000")]
    #[case("pivot_high(-1)", "from 0 to 100000")]
    #[case("bb(20, 1e10)", "within ±1e9")]
    #[case("sma(x)", "unknown source series \"x\"")]
    #[case("obv(close)", "obv does not take a source series")]
    #[case("rsi(14,)", "empty argument")]
    #[case("rsi(abc=)", "unknown parameter \"abc\"")]
    #[case("sma(1e400)", "expected a number")]
    fn rejects_bad_specs_with_a_clear_message(#[case] text: &str, #[case] message: &str) {
        let err = Spec::parse(text).unwrap_err().to_string();
        assert!(err.contains(message), "{text}: {err}");
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

    #[test]
    fn the_largest_period_builds() {
        let spec = Spec::parse("sma(100000)").unwrap();
        assert!(spec.build().is_ok());
    }
}
