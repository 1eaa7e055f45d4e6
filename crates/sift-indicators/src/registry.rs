//! Every indicator by name: its parameters, defaults, output fields and constructor.
//!
//! The CLI and the rule language build indicators from this table, and the rule language
//! reference is generated from it. Each category module contributes its own `DEFS`.

use std::fmt;

use crate::dynamic::DynIndicator;
use crate::{Error, MAX_PERIOD, MAX_REAL, Source};

/// The family an indicator belongs to (its module).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Average,
    Momentum,
    Volatility,
    Volume,
    Trend,
    Structure,
    Pattern,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::Average => "averages",
            Category::Momentum => "momentum",
            Category::Volatility => "volatility",
            Category::Volume => "volume",
            Category::Trend => "trend",
            Category::Structure => "structure",
            Category::Pattern => "candle patterns",
        }
    }
}

/// What values a parameter accepts. Numeric kinds accept `Param::min` up to a kind-wide
/// maximum ([`ParamKind::max`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A whole number of bars, at least 1.
    Period,
    /// A whole number, possibly 0.
    Count,
    /// A finite number.
    Real,
    /// One of these names, stored in [`Args`] as its index. Spelled as an identifier:
    /// `vwap(week)`, `vwap(anchor=week)`.
    Choice(&'static [&'static str]),
}

impl ParamKind {
    /// The largest accepted value: [`MAX_PERIOD`] for whole numbers, [`MAX_REAL`] for reals,
    /// the last index for choices.
    pub fn max(self) -> f64 {
        match self {
            ParamKind::Period | ParamKind::Count => MAX_PERIOD as f64,
            ParamKind::Real => MAX_REAL,
            ParamKind::Choice(names) => names.len().saturating_sub(1) as f64,
        }
    }

    /// Only whole numbers are accepted.
    pub fn is_whole(self) -> bool {
        matches!(self, ParamKind::Period | ParamKind::Count)
    }
}

/// One parameter of an indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    /// `None` when the parameter is required. For a choice, the index of the default name.
    pub default: Option<f64>,
    /// The smallest accepted value: 1 for periods, 0 for counts and choices, `-MAX_REAL` for
    /// reals, unless raised with [`Param::at_least`] to what the indicator's constructor
    /// requires, so a [`Spec`](crate::Spec) rejects the value before building.
    pub min: f64,
    pub doc: &'static str,
}

impl Param {
    /// A period in bars with a default.
    pub const fn period(name: &'static str, default: f64, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Period,
            default: Some(default),
            min: 1.0,
            doc,
        }
    }

    /// A required period in bars.
    pub const fn required_period(name: &'static str, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Period,
            default: None,
            min: 1.0,
            doc,
        }
    }

    /// A whole number (may be zero) with a default.
    pub const fn count(name: &'static str, default: f64, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Count,
            default: Some(default),
            min: 0.0,
            doc,
        }
    }

    /// A real number with a default.
    pub const fn real(name: &'static str, default: f64, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Real,
            default: Some(default),
            min: -MAX_REAL,
            doc,
        }
    }

    /// One of `choices`, defaulting to the first.
    pub const fn choice(
        name: &'static str,
        choices: &'static [&'static str],
        doc: &'static str,
    ) -> Self {
        Self {
            name,
            kind: ParamKind::Choice(choices),
            default: Some(0.0),
            min: 0.0,
            doc,
        }
    }

    /// The same parameter accepting nothing below `min`.
    pub const fn at_least(self, min: f64) -> Self {
        Self { min, ..self }
    }

    /// The name of choice `index`, or `None` when this is not a choice or has no such index.
    pub fn choice_name(&self, index: f64) -> Option<&'static str> {
        match self.kind {
            ParamKind::Choice(names) if index.fract() == 0.0 && index >= 0.0 => {
                names.get(index as usize).copied()
            }
            _ => None,
        }
    }

    /// `value` as written in a spec: the name of a choice, else the number.
    pub fn display_value(&self, value: f64) -> String {
        match self.choice_name(value) {
            Some(name) => name.to_owned(),
            None => value.to_string(),
        }
    }
}

/// Validated arguments handed to a constructor: one value per parameter of one [`Def`], in
/// declaration order, each within its [`Param`]'s range (choices as their index), plus the
/// input series. Only a [`Spec`](crate::Spec) creates them, so a constructor can read them
/// without checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    values: Vec<f64>,
    source: Source,
}

impl Args {
    /// Wraps values the caller has checked against the entry's parameters; only
    /// [`Spec`](crate::Spec) does so outside tests.
    pub(crate) fn validated(values: Vec<f64>, source: Source) -> Self {
        Self { values, source }
    }

    /// The series an indicator that reads one series reads: the one the spec named, else the
    /// entry's default. `Close`, and unused, for indicators that read whole candles.
    pub fn source(&self) -> Source {
        self.source
    }

    /// Every parameter value in declaration order; a choice as its index.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Parameter `i` as a whole number (a period, a count or a choice index).
    ///
    /// # Panics
    /// When `i` is not a parameter of the entry these arguments were validated for: a bug in
    /// that entry's `build`.
    pub(crate) fn usize(&self, i: usize) -> usize {
        self.values[i] as usize
    }

    /// Parameter `i` as a real number.
    ///
    /// # Panics
    /// As [`Args::usize`].
    pub(crate) fn f64(&self, i: usize) -> f64 {
        self.values[i]
    }
}

/// Builds the indicator from arguments validated against its [`Def::params`].
pub type Build = fn(&Args) -> Result<Box<dyn DynIndicator>, Error>;

/// One indicator in the registry.
#[derive(Clone, Copy)]
pub struct Def {
    /// The name as the rule language spells it (`rsi`).
    pub name: &'static str,
    pub category: Category,
    /// One line for the reference documentation.
    pub summary: &'static str,
    pub params: &'static [Param],
    /// Output field names; empty for a single unnamed value.
    pub fields: &'static [&'static str],
    /// The default input series for indicators that read one series; `None` for indicators that
    /// read whole candles (these take no source argument).
    pub source: Option<Source>,
    /// Crate-private: arguments are only valid for the entry that validated them, so callers
    /// build through [`Spec::build`](crate::Spec::build).
    pub(crate) build: Build,
}

impl fmt::Debug for Def {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Def")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Def {
    /// `name(p1=d1, p2=d2)`, for help texts: `bb(n=20, mult=2)`, `sma(n)` for a required
    /// parameter, `vwap(anchor=day)` for a choice.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| match p.default {
                Some(d) => format!("{}={}", p.name, p.display_value(d)),
                None => p.name.to_owned(),
            })
            .collect();
        format!("{}({})", self.name, params.join(", "))
    }
}

/// Every indicator, grouped by category in documentation order.
pub fn all() -> impl Iterator<Item = &'static Def> {
    [
        crate::average::DEFS,
        crate::momentum::DEFS,
        crate::volatility::DEFS,
        crate::volume::DEFS,
        crate::trend::DEFS,
        crate::structure::DEFS,
        crate::pattern::DEFS,
    ]
    .into_iter()
    .flatten()
}

/// The indicator with this name.
pub fn find(name: &str) -> Option<&'static Def> {
    all().find(|d| d.name == name)
}

/// Every indicator name, space separated, for error messages.
pub fn names() -> String {
    all().map(|d| d.name).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = all().map(|d| d.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    #[test]
    fn signatures_show_defaults_required_parameters_and_choices() {
        let signature = |name| find(name).map(Def::signature);
        assert_eq!(signature("bb").as_deref(), Some("bb(n=20, mult=2)"));
        assert_eq!(signature("sma").as_deref(), Some("sma(n)"));
        assert_eq!(signature("vwap").as_deref(), Some("vwap(anchor=day)"));
        assert_eq!(
            signature("vwap_bands").as_deref(),
            Some("vwap_bands(mult=1, anchor=day)")
        );
    }

    #[test]
    fn defaults_and_minimums_lie_within_each_kind() {
        for def in all() {
            for p in def.params {
                let max = p.kind.max();
                assert!(p.min <= max, "{}.{}", def.name, p.name);
                if let Some(d) = p.default {
                    assert!((p.min..=max).contains(&d), "{}.{}", def.name, p.name);
                }
                match p.kind {
                    ParamKind::Period => assert!(p.min >= 1.0, "{}.{}", def.name, p.name),
                    ParamKind::Count => assert!(p.min >= 0.0, "{}.{}", def.name, p.name),
                    ParamKind::Real => assert!(p.min >= -MAX_REAL, "{}.{}", def.name, p.name),
                    ParamKind::Choice(names) => assert!(!names.is_empty()),
                }
            }
        }
    }

    /// The constructors keep their own checks: a period of 0, which no spec can carry, is an
    /// error from every entry's `build`, never a panic.
    #[test]
    fn constructors_reject_a_zero_period_themselves() {
        for def in all() {
            for (i, p) in def.params.iter().enumerate() {
                if p.kind != ParamKind::Period {
                    continue;
                }
                let mut values: Vec<f64> = def
                    .params
                    .iter()
                    .map(|p| p.default.unwrap_or(5.0))
                    .collect();
                values[i] = 0.0;
                let args = Args::validated(values, def.source.unwrap_or(Source::Close));
                assert!((def.build)(&args).is_err(), "{}.{} = 0", def.name, p.name);
            }
        }
    }
}
