//! Every indicator by name: its parameters, defaults, output fields and constructor.
//!
//! The CLI and the rule language build indicators from this table, and the rule language
//! reference is generated from it. Each category module contributes its own `DEFS`.

use std::fmt;

use crate::dynamic::DynIndicator;
use crate::{Error, Source};

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

/// What values a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A whole number of bars, at least 1.
    Period,
    /// A whole number, at least 0.
    Count,
    /// Any finite number (each indicator checks its own range).
    Real,
}

/// One parameter of an indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    /// `None` when the parameter is required.
    pub default: Option<f64>,
    pub doc: &'static str,
}

impl Param {
    /// A period in bars with a default.
    pub const fn period(name: &'static str, default: f64, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Period,
            default: Some(default),
            doc,
        }
    }

    /// A required period in bars.
    pub const fn required_period(name: &'static str, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Period,
            default: None,
            doc,
        }
    }

    /// A whole number (may be zero) with a default.
    pub const fn count(name: &'static str, default: f64, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Count,
            default: Some(default),
            doc,
        }
    }

    /// A real number with a default.
    pub const fn real(name: &'static str, default: f64, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Real,
            default: Some(default),
            doc,
        }
    }
}

/// Resolved arguments handed to a constructor: one value per parameter, in declaration order,
/// already checked against [`ParamKind`], plus the input series.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub values: Vec<f64>,
    pub source: Source,
}

impl Args {
    /// Parameter `i` as a whole number; the registry has already checked that it is one.
    pub fn usize(&self, i: usize) -> usize {
        self.values[i] as usize
    }

    /// Parameter `i` as a real number.
    pub fn f64(&self, i: usize) -> f64 {
        self.values[i]
    }
}

/// Builds the indicator from resolved arguments.
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
    pub build: Build,
}

impl fmt::Debug for Def {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Def")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Def {
    /// `name(p1=d1, p2=d2)`, for help texts.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| match p.default {
                Some(d) => format!("{}={}", p.name, d),
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
    fn declared_fields_match_built_indicators() {
        for def in all() {
            let values = def
                .params
                .iter()
                .map(|p| p.default.unwrap_or(5.0))
                .collect();
            let args = Args {
                values,
                source: def.source.unwrap_or(Source::Close),
            };
            let ind = (def.build)(&args).unwrap_or_else(|e| panic!("{}: {e}", def.name));
            assert_eq!(ind.fields(), def.fields, "{}", def.name);
        }
    }
}
