//! What a name means, and suggestions for misspelt ones.
//!
//! A name is looked up, in order, as a visible `let` binding, a candle series, a ticker value,
//! a builtin function and a registry indicator. Bindings may not reuse the other names, and
//! builtin and indicator names are distinct, so the order only matters for error messages.

use sift_indicators::Source;
use sift_indicators::registry::{self, Def};

use super::lower::Binding;
use crate::builtins::{self, Builtin};
use crate::program::TickerField;

/// What a name refers to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Meaning {
    /// The `let` binding with this index.
    Binding(usize),
    Series(Source),
    Ticker(TickerField),
    Builtin(&'static Builtin),
    Indicator(&'static Def),
    Unknown,
}

impl Meaning {
    /// The meaning of `name` with `bindings` visible.
    pub(super) fn of(name: &str, bindings: &[Binding<'_>]) -> Self {
        if let Some(i) = bindings.iter().rposition(|b| b.name == name) {
            return Meaning::Binding(i);
        }
        Self::builtin(name)
    }

    /// The meaning of `name` without bindings.
    fn builtin(name: &str) -> Self {
        if let Ok(source) = name.parse::<Source>() {
            Meaning::Series(source)
        } else if let Some(field) = TickerField::from_name(name) {
            Meaning::Ticker(field)
        } else if let Some(b) = builtins::find(name) {
            Meaning::Builtin(b)
        } else if let Some(def) = registry::find(name) {
            Meaning::Indicator(def)
        } else {
            Meaning::Unknown
        }
    }

    /// What `name` is when it is predefined ("a candle series"), for `let` errors.
    pub(super) fn builtin_kind(name: &str) -> Option<&'static str> {
        match Self::builtin(name) {
            Meaning::Series(_) => Some("a candle series"),
            Meaning::Ticker(_) => Some("a ticker value"),
            Meaning::Builtin(_) => Some("a builtin function"),
            Meaning::Indicator(_) => Some("an indicator"),
            Meaning::Binding(_) | Meaning::Unknown => None,
        }
    }

    pub(super) fn is_indicator(&self) -> bool {
        matches!(self, Meaning::Indicator(_))
    }

    /// Every name a user could have meant: callables only (`call`) or values only.
    pub(super) fn candidates(bindings: &[Binding<'_>], call: bool) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        if call {
            names.extend(builtins::all().iter().map(|b| b.name.to_owned()));
            names.extend(registry::all().map(|d| d.name.to_owned()));
        } else {
            names.extend(bindings.iter().rev().map(|b| b.name.to_owned()));
            names.extend(Source::ALL.iter().map(|s| s.name().to_owned()));
            names.extend(TickerField::ALL.iter().map(|f| f.name().to_owned()));
        }
        names
    }
}

/// The candidate closest to `name` by edit distance, when close enough to be a plausible typo:
/// at most 1 edit for names up to 4 characters, 2 up to 8, else 3. Ties go to the first.
pub(crate) fn suggest<'c>(
    name: &str,
    candidates: impl Iterator<Item = &'c str>,
) -> Option<&'c str> {
    let limit = match name.chars().count() {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let d = distance(&lower, &candidate.to_lowercase()).min(distance(name, candidate));
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), in chars.
/// Inputs longer than 64 characters are compared by their first 64.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = v;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("rsx", Some("rsi"))]
    #[case("emma", Some("ema"))]
    #[case("crossovr", Some("crossover"))]
    #[case("cloze", Some("close"))]
    #[case("vloume", Some("volume"))]
    #[case("1H", Some("1h"))]
    #[case("xyzzy", None)]
    fn suggests_close_names(#[case] name: &str, #[case] want: Option<&str>) {
        let candidates = [
            "rsi",
            "ema",
            "sma",
            "crossover",
            "close",
            "volume",
            "1h",
            "1m",
        ];
        assert_eq!(suggest(name, candidates.into_iter()), want);
    }

    #[rstest]
    #[case("", "abc", 3)]
    #[case("abc", "abc", 0)]
    #[case("abc", "acb", 1)]
    #[case("kitten", "sitting", 3)]
    fn distances(#[case] a: &str, #[case] b: &str, #[case] want: usize) {
        assert_eq!(distance(a, b), want);
    }
}
