//! Regular divergence between price and an oscillator.

use std::fmt;

use crate::window::Ring;
use crate::{Error, check_period};

/// Which divergence a [`Divergence`] detects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DivergenceKind {
    /// Price makes a lower low while the oscillator makes a higher low.
    Bullish,
    /// Price makes a higher high while the oscillator makes a lower high.
    Bearish,
}

impl DivergenceKind {
    /// The name the rule language uses: `bullish` or `bearish`.
    pub fn name(self) -> &'static str {
        match self {
            DivergenceKind::Bullish => "bullish",
            DivergenceKind::Bearish => "bearish",
        }
    }

    /// The kind with this rule-language name.
    pub fn from_name(name: &str) -> Option<Self> {
        [DivergenceKind::Bullish, DivergenceKind::Bearish]
            .into_iter()
            .find(|k| k.name() == name)
    }

    /// Whether `a` lies beyond `b` in this kind's direction: lower for bullish (lows), higher
    /// for bearish (highs). False when either is NaN.
    #[inline]
    fn beyond(self, a: f64, b: f64) -> bool {
        match self {
            DivergenceKind::Bullish => a < b,
            DivergenceKind::Bearish => a > b,
        }
    }
}

/// Regular divergence between a price series and an oscillator, judged on the current bar with
/// no look-ahead. The rule language writes it `divergence(bullish, low, rsi(14), 30, 5)`.
///
/// Fed one `(price, oscillator)` pair per bar. With `t` the current bar, `L = lookback` and
/// `S = min_sep`, **bullish** divergence holds at `t` when, for the *previous low* `p`, the bar
/// of lowest price among bars `t - L ..= t - S` (the most recent one on a tie):
/// 1. price makes a lower low: `price[t] < price[p]`;
/// 2. the current bar is the swing low: `price[t] < price[j]` for every bar `p < j < t`;
/// 3. `p` was a swing low: some bar `p < j < t` has `price[j] > price[p]` (a steady decline,
///    where every bar undercuts the one before, has no previous low and no divergence);
/// 4. the oscillator makes a higher low: `oscillator[t] > oscillator[p]`.
///
/// **Bearish** is the mirror image: `p` is the bar of highest price in the same range (most
/// recent on a tie), `price[t] > price[p]`, `price[t] > price[j]` for `p < j < t`, some bar
/// between has `price[j] < price[p]`, and `oscillator[t] < oscillator[p]`.
///
/// The result is `None` until `lookback + 1` pairs have been seen, then `Some(true | false)`
/// every bar; it can stay true on consecutive bars while price keeps making new extremes with
/// the oscillator on the divergent side. Only values up to the current bar are read. Each update
/// is O(lookback). A NaN makes the comparisons it enters false (no divergence); feed the pair
/// only once both series are warmed up.
#[derive(Debug, Clone)]
pub struct Divergence {
    kind: DivergenceKind,
    lookback: usize,
    min_sep: usize,
    prices: Ring,
    oscillator: Ring,
    /// Bars back to the previous extreme `p` when the last update found a divergence.
    anchor: Option<usize>,
}

impl Divergence {
    /// `min_sep` must be at least 1 and `lookback` at least `min_sep`.
    pub fn new(kind: DivergenceKind, lookback: usize, min_sep: usize) -> Result<Self, Error> {
        let min_sep = check_period("divergence", "min_sep", min_sep)?;
        let lookback = check_period("divergence", "lookback", lookback)?;
        if lookback < min_sep {
            return Err(Error::InvalidParameter {
                indicator: "divergence",
                param: "lookback",
                value: lookback as f64,
                reason: "must be at least min_sep",
            });
        }
        Ok(Self {
            kind,
            lookback,
            min_sep,
            prices: Ring::new(lookback + 1),
            oscillator: Ring::new(lookback + 1),
            anchor: None,
        })
    }

    /// Bullish regular divergence (lower low in price, higher low in the oscillator).
    pub fn bullish(lookback: usize, min_sep: usize) -> Result<Self, Error> {
        Self::new(DivergenceKind::Bullish, lookback, min_sep)
    }

    /// Bearish regular divergence (higher high in price, lower high in the oscillator).
    pub fn bearish(lookback: usize, min_sep: usize) -> Result<Self, Error> {
        Self::new(DivergenceKind::Bearish, lookback, min_sep)
    }

    pub fn kind(&self) -> DivergenceKind {
        self.kind
    }

    pub fn lookback(&self) -> usize {
        self.lookback
    }

    pub fn min_sep(&self) -> usize {
        self.min_sep
    }

    /// How many bars back the previous low (high) lies when the last [`next`](Self::next)
    /// returned `Some(true)`, to draw the divergence; `None` otherwise.
    pub fn anchor(&self) -> Option<usize> {
        self.anchor
    }

    /// Feeds the current bar's price and oscillator value; `None` while warming up, then
    /// whether the divergence holds at this bar.
    pub fn next(&mut self, price: f64, oscillator: f64) -> Option<bool> {
        self.prices.push(price);
        self.oscillator.push(oscillator);
        self.anchor = None;
        if !self.prices.is_full() {
            return None;
        }
        let found = self.find();
        self.anchor = found;
        Some(found.is_some())
    }

    /// The previous extreme's distance in bars when the current bar diverges from it.
    fn find(&self) -> Option<usize> {
        let kind = self.kind;
        let at = |ago: usize| self.prices.get(ago).unwrap_or(f64::NAN);
        // The previous extreme: scanning from the most recent bar, only a strictly more
        // extreme price replaces it, so ties keep the most recent bar.
        let mut anchor = self.min_sep;
        for ago in self.min_sep + 1..=self.lookback {
            if kind.beyond(at(ago), at(anchor)) {
                anchor = ago;
            }
        }
        let (current, previous) = (at(0), at(anchor));
        let swing = (1..anchor).all(|ago| kind.beyond(current, at(ago)));
        let rebound = (1..anchor).any(|ago| kind.beyond(previous, at(ago)));
        let osc_now = self.oscillator.get(0).unwrap_or(f64::NAN);
        let osc_then = self.oscillator.get(anchor).unwrap_or(f64::NAN);
        let holds =
            kind.beyond(current, previous) && swing && rebound && kind.beyond(osc_then, osc_now);
        holds.then_some(anchor)
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.prices.clear();
        self.oscillator.clear();
        self.anchor = None;
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DIVERGENCE({}, {}, {})",
            self.kind.name(),
            self.lookback,
            self.min_sep
        )
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    fn run(d: &mut Divergence, prices: &[f64], osc: &[f64]) -> Vec<Option<bool>> {
        prices
            .iter()
            .zip(osc)
            .map(|(&p, &o)| d.next(p, o))
            .collect()
    }

    /// The result at the last of seven bars, with lookback 6 and min_sep 2 (window bars 0..=4).
    fn last(kind: DivergenceKind, prices: [f64; 7], osc: [f64; 7]) -> Option<bool> {
        let mut d = Divergence::new(kind, 6, 2).unwrap();
        *run(&mut d, &prices, &osc).last().unwrap()
    }

    #[test]
    fn bullish_lower_low_with_a_higher_oscillator_low() {
        // Previous low: bar 1 (8, osc 30). Bar 6 (7) undercuts it and every bar since, price
        // rebounded to 11 in between, and the oscillator is higher (33 > 30).
        let mut d = Divergence::bullish(6, 2).unwrap();
        let out = run(&mut d, &P, &O);
        assert_eq!(out, vec![None, None, None, None, None, None, Some(true)]);
        assert_eq!(d.anchor(), Some(5));
    }

    /// The bullish example's prices and oscillator.
    const P: [f64; 7] = [10.0, 8.0, 9.0, 11.0, 10.0, 9.0, 7.0];
    const O: [f64; 7] = [50.0, 30.0, 35.0, 45.0, 40.0, 38.0, 33.0];

    #[rstest]
    #[case::oscillator_lower_low(P, [50.0, 30.0, 35.0, 45.0, 40.0, 38.0, 29.0])]
    #[case::no_lower_low([10.0, 8.0, 9.0, 11.0, 10.0, 9.0, 8.0], O)]
    #[case::a_lower_bar_in_between([10.0, 8.0, 9.0, 11.0, 10.0, 6.5, 7.0], O)]
    #[case::steady_decline(
        [10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0],
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    )]
    // Bars 1 and 3 tie at 8: the most recent (osc 30) is the previous low, and 25 < 30.
    #[case::ties_use_the_most_recent_low(
        [10.0, 8.0, 9.0, 8.0, 9.0, 10.0, 7.0],
        [50.0, 20.0, 35.0, 30.0, 40.0, 38.0, 25.0]
    )]
    fn no_bullish_divergence(#[case] prices: [f64; 7], #[case] osc: [f64; 7]) {
        assert_eq!(last(DivergenceKind::Bullish, prices, osc), Some(false));
    }

    #[test]
    fn the_previous_low_is_at_least_min_sep_bars_back() {
        // Bar 4 (8, osc 20) is 2 bars back: with min_sep 2 it is the previous low and the
        // oscillator is higher (25 > 20); with min_sep 3 the previous low is bar 1 (9, osc 30),
        // and 25 < 30.
        let prices = [10.0, 9.0, 10.0, 11.0, 8.0, 9.0, 7.5];
        let osc = [50.0, 30.0, 40.0, 45.0, 20.0, 35.0, 25.0];
        let mut d = Divergence::bullish(6, 2).unwrap();
        assert_eq!(run(&mut d, &prices, &osc)[6], Some(true));
        assert_eq!(d.anchor(), Some(2));
        let mut d = Divergence::bullish(6, 3).unwrap();
        assert_eq!(run(&mut d, &prices, &osc)[6], Some(false));
        assert_eq!(d.anchor(), None);
    }

    #[test]
    fn bearish_higher_high_with_a_lower_oscillator_high() {
        // Previous high: bar 1 (12, osc 70); bar 6 (13) exceeds it and everything since, price
        // fell back to 9 in between, and the oscillator is lower (66 < 70).
        let prices = [10.0, 12.0, 11.0, 9.0, 10.0, 11.0, 13.0];
        let osc = [50.0, 70.0, 65.0, 55.0, 60.0, 62.0, 66.0];
        assert_eq!(last(DivergenceKind::Bearish, prices, osc), Some(true));
        let higher_osc = [50.0, 70.0, 65.0, 55.0, 60.0, 62.0, 71.0];
        assert_eq!(
            last(DivergenceKind::Bearish, prices, higher_osc),
            Some(false)
        );
        // The same series is no bullish divergence.
        assert_eq!(last(DivergenceKind::Bullish, prices, osc), Some(false));
    }

    #[test]
    fn nan_means_no_divergence() {
        let mut osc = O;
        osc[1] = f64::NAN;
        assert_eq!(last(DivergenceKind::Bullish, P, osc), Some(false));
    }

    #[test]
    fn invalid_parameters_are_errors() {
        assert!(Divergence::bullish(30, 0).is_err());
        assert!(Divergence::bullish(4, 5).is_err());
        assert!(Divergence::bullish(0, 1).is_err());
        assert!(Divergence::bearish(5, 5).is_ok());
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in [DivergenceKind::Bullish, DivergenceKind::Bearish] {
            assert_eq!(DivergenceKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(DivergenceKind::from_name("hidden"), None);
        let d = Divergence::bearish(30, 5).unwrap();
        assert_eq!(d.to_string(), "DIVERGENCE(bearish, 30, 5)");
    }

    /// The definition evaluated on the whole history, bar by bar, from slices.
    fn naive(kind: DivergenceKind, l: usize, s: usize, p: &[f64], o: &[f64]) -> Vec<Option<bool>> {
        (0..p.len())
            .map(|t| {
                if t < l {
                    return None;
                }
                let mut prev = t - s;
                for j in (t - l..t - s).rev() {
                    if kind.beyond(p[j], p[prev]) {
                        prev = j;
                    }
                }
                let between = prev + 1..t;
                Some(
                    kind.beyond(p[t], p[prev])
                        && between.clone().all(|j| kind.beyond(p[t], p[j]))
                        && between.clone().any(|j| kind.beyond(p[prev], p[j]))
                        && kind.beyond(o[prev], o[t]),
                )
            })
            .collect()
    }

    proptest! {
        #[test]
        fn matches_the_definition_and_replays_identically(
            bars in prop::collection::vec((0u8..20, 0u8..20), 0..120),
            lookback in 1usize..15,
            sep_fraction in 0.0..1.0f64,
            bullish in any::<bool>(),
        ) {
            let min_sep = 1 + ((lookback - 1) as f64 * sep_fraction) as usize;
            let kind = if bullish { DivergenceKind::Bullish } else { DivergenceKind::Bearish };
            let prices: Vec<f64> = bars.iter().map(|b| f64::from(b.0)).collect();
            let osc: Vec<f64> = bars.iter().map(|b| f64::from(b.1)).collect();
            let mut d = Divergence::new(kind, lookback, min_sep).unwrap();
            let first = run(&mut d, &prices, &osc);
            prop_assert_eq!(&first, &naive(kind, lookback, min_sep, &prices, &osc));
            d.reset();
            prop_assert_eq!(first, run(&mut d, &prices, &osc));
        }
    }
}
