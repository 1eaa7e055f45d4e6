//! [`MatchValues`]: what a rule referenced, at the bar of a match.

use std::fmt;
use std::sync::Arc;

/// The value of every indicator, series and ticker value a rule referenced, at the bar of a
/// [`Match`](crate::Match), by the text the rule wrote it with (`rsi(14)`, `close @ 1h`), in
/// order of first mention. Undefined values are left out, so every value is finite.
///
/// Built once per match, often thousands per close: the names are shared with the trader and
/// the values are one allocation, so building, cloning and dropping a match touches no
/// reference count per name.
#[derive(Clone, Default)]
pub struct MatchValues {
    /// Every reference of the trader, shared by its matches.
    names: Arc<[Arc<str>]>,
    /// Parallel to `names`; NaN where undefined.
    values: Box<[f64]>,
}

impl MatchValues {
    /// `values` parallel to `names`, NaN where undefined.
    pub(crate) fn new(names: Arc<[Arc<str>]>, values: Box<[f64]>) -> Self {
        debug_assert_eq!(names.len(), values.len());
        Self { names, values }
    }

    /// The defined values, in order of first mention.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            names: self.names.iter(),
            values: self.values.iter(),
        }
    }

    /// The value written `name` in the rule, when defined.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.iter().find(|(n, _)| *n == name).map(|(_, x)| x)
    }

    /// How many values are defined.
    pub fn len(&self) -> usize {
        self.values.iter().filter(|x| !x.is_nan()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.values.iter().all(|x| x.is_nan())
    }
}

impl<'a> IntoIterator for &'a MatchValues {
    type Item = (&'a str, f64);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The defined values of a [`MatchValues`], with their names: [`MatchValues::iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    names: std::slice::Iter<'a, Arc<str>>,
    values: std::slice::Iter<'a, f64>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, f64);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (name, &x) = (self.names.next()?, self.values.next()?);
            if !x.is_nan() {
                return Some((name, x));
            }
        }
    }
}

impl PartialEq for MatchValues {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl fmt::Debug for MatchValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Values given by name, for matches built outside the engine (tests, other sources); NaN
/// values are left out as the engine leaves out undefined ones.
impl<S: Into<Arc<str>>> FromIterator<(S, f64)> for MatchValues {
    fn from_iter<I: IntoIterator<Item = (S, f64)>>(pairs: I) -> Self {
        let (names, values): (Vec<Arc<str>>, Vec<f64>) =
            pairs.into_iter().map(|(n, x)| (n.into(), x)).unzip();
        Self::new(names.into(), values.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_values_are_left_out() {
        let values: MatchValues = [("rsi(14)", 28.5), ("close @ 1h", f64::NAN), ("volume", 3.0)]
            .into_iter()
            .collect();
        let seen: Vec<(&str, f64)> = values.iter().collect();
        assert_eq!(seen, [("rsi(14)", 28.5), ("volume", 3.0)]);
        assert_eq!((values.len(), values.is_empty()), (2, false));
        assert_eq!(values.get("volume"), Some(3.0));
        assert_eq!(values.get("close @ 1h"), None);
        let same: MatchValues = [("rsi(14)", 28.5), ("volume", 3.0)].into_iter().collect();
        assert_eq!(values, same);
        assert_eq!(format!("{values:?}"), r#"{"rsi(14)": 28.5, "volume": 3.0}"#);
        assert!(MatchValues::default().is_empty());
    }
}
