//! Regular divergence between price and an oscillator.

use std::fmt;

use super::side::{High, Low, Side};
use crate::{Error, check_period};

mod lanes;

pub use lanes::DivergenceLanes;

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
    /// for bearish (highs). False when either is NaN. (The update uses [`Side::beyond`].)
    #[cfg(test)]
    fn beyond(self, a: f64, b: f64) -> bool {
        match self {
            DivergenceKind::Bullish => a < b,
            DivergenceKind::Bearish => a > b,
        }
    }

    /// A price that is never beyond another, standing in for NaN in the rolling extreme.
    fn never_beyond(self) -> f64 {
        match self {
            DivergenceKind::Bullish => f64::INFINITY,
            DivergenceKind::Bearish => f64::NEG_INFINITY,
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
/// the oscillator on the divergent side. Only values up to the current bar are read. A NaN makes
/// the comparisons it enters false (no divergence); feed the pair only once both series are
/// warmed up.
///
/// Conditions 1 and 2 imply that the current price is beyond every non-NaN price of the
/// `lookback` bars before it: the bars after `p` by condition 2, `p` by condition 1, and the
/// bars before `p` because none of them is beyond `p` (it is the most extreme). The extreme of
/// those bars checks that in O(1), and only a bar that passes it, a new `lookback`-bar low
/// (high), pays for the O(lookback) scan of the window. The extreme is kept the van Herk /
/// Gil-Werman way: bars are cut in runs of `lookback`; the window ends in one run, of which the
/// extreme so far is kept, and starts in the run before, of which the extremes of every suffix
/// were computed when it ended (one pass per run, so O(1) per bar, touching memory in order).
/// With thousands of instances per engine the common path is bound by memory, so the whole
/// history is one allocation read in order; [`DivergenceLanes`] keeps many instances of one
/// call so that feeding them all a bar in turn walks memory in order.
#[derive(Debug, Clone)]
pub struct Divergence {
    shape: Shape,
    /// The rings, then the suffix extremes (see [`Shape`]).
    bars: Box<[f64]>,
    cursor: Cursor,
}

/// What the instances of one `divergence(...)` call share: kind, parameters and the layout
/// of their history: two rings of `size` values (a power of two of at least `lookback + 1`),
/// the price of bar `n` at `n & (size - 1)` and its oscillator value `size` later (the scan of
/// a window reads prices only); and `lookback` suffix extremes, for each bar `n` of the last
/// complete run at `n % lookback` the extreme price from `n` to the run's end, which every bar
/// reads one of (instances fed the same bars read the same one). Prices in extremes count NaN
/// as [`DivergenceKind::never_beyond`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    kind: DivergenceKind,
    lookback: usize,
    min_sep: usize,
    size: usize,
}

impl Shape {
    fn new(kind: DivergenceKind, lookback: usize, min_sep: usize) -> Result<Self, Error> {
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
            size: (lookback + 1).next_power_of_two(),
        })
    }

    /// Values in one instance's rings.
    fn rings(&self) -> usize {
        2 * self.size
    }
}

/// Where one instance stands in its history.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    /// Bars fed since the last reset; the newest is `pushed - 1`.
    pushed: u64,
    /// Where the next bar falls in its run, `0..lookback`: runs end where it is 0.
    phase: usize,
    /// `pushed % lookback`. Both are kept rather than divided for at every bar.
    slot: usize,
    /// The extreme price of the run holding the newest bar, from the run's start to it.
    run: f64,
    /// Bars back to the previous extreme `p` when the last update found a divergence.
    anchor: Option<usize>,
}

impl Cursor {
    /// An instance fed nothing, whose first run ends after `lookback - phase` bars (below
    /// `lookback`; a lone [`Divergence`] starts at 0).
    fn new(kind: DivergenceKind, phase: usize) -> Self {
        Self {
            pushed: 0,
            phase,
            slot: 0,
            run: kind.never_beyond(),
            anchor: None,
        }
    }
}

impl Divergence {
    /// `min_sep` must be at least 1 and `lookback` at least `min_sep`.
    pub fn new(kind: DivergenceKind, lookback: usize, min_sep: usize) -> Result<Self, Error> {
        let shape = Shape::new(kind, lookback, min_sep)?;
        Ok(Self {
            bars: vec![f64::NAN; shape.rings() + shape.lookback].into_boxed_slice(),
            cursor: Cursor::new(kind, 0),
            shape,
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
        self.shape.kind
    }

    pub fn lookback(&self) -> usize {
        self.shape.lookback
    }

    pub fn min_sep(&self) -> usize {
        self.shape.min_sep
    }

    /// How many bars back the previous low (high) lies when the last [`next`](Self::next)
    /// returned `Some(true)`, to draw the divergence; `None` otherwise.
    pub fn anchor(&self) -> Option<usize> {
        self.cursor.anchor
    }

    /// Feeds the current bar's price and oscillator value; `None` while warming up, then
    /// whether the divergence holds at this bar.
    pub fn next(&mut self, price: f64, oscillator: f64) -> Option<bool> {
        let (rings, suffixes) = self.bars.split_at_mut(self.shape.rings());
        let bars = Bars {
            rings,
            suffixes,
            stride: 1,
        };
        advance(&self.shape, &mut self.cursor, bars, price, oscillator)
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.cursor = Cursor::new(self.shape.kind, 0);
    }
}

/// One instance's history: its rings, and its suffix extremes, `stride` values apart
/// ([`DivergenceLanes`] keeps those of its lanes side by side, which every bar reads).
struct Bars<'a> {
    rings: &'a mut [f64],
    suffixes: &'a mut [f64],
    stride: usize,
}

/// Feeds one bar to the instance at `cursor` whose history is `bars`: [`Divergence::next`].
#[inline]
fn advance(
    shape: &Shape,
    cursor: &mut Cursor,
    bars: Bars<'_>,
    price: f64,
    oscillator: f64,
) -> Option<bool> {
    match shape.kind {
        DivergenceKind::Bullish => advance_on::<Low>(shape, cursor, bars, price, oscillator),
        DivergenceKind::Bearish => advance_on::<High>(shape, cursor, bars, price, oscillator),
    }
}

/// [`advance`] for the kind's side `S`.
#[inline]
fn advance_on<S: Side>(
    shape: &Shape,
    cursor: &mut Cursor,
    bars: Bars<'_>,
    price: f64,
    oscillator: f64,
) -> Option<bool> {
    let t = cursor.pushed;
    let Shape {
        kind,
        lookback,
        min_sep,
        size,
    } = *shape;
    let mask = size - 1;
    let (prices, oscillators) = bars.rings.split_at_mut(size);
    let (suffixes, stride) = (bars.suffixes, bars.stride);
    prices[t as usize & mask] = price;
    oscillators[t as usize & mask] = oscillator;
    cursor.pushed = t + 1;
    cursor.anchor = None;
    let never = kind.never_beyond();
    let stored = |price: f64| if price.is_nan() { never } else { price };
    let extreme = |a: f64, b: f64| if S::beyond(b, a) { b } else { a };
    let (phase, slot) = (cursor.phase, cursor.slot);
    // Full once `lookback` bars precede this one.
    let result = if t >= lookback as u64 {
        // The window `t - lookback..t` ends in the current run (`run`), and starts in the
        // run before unless it is exactly the current run.
        let bound = match phase {
            0 => cursor.run,
            // The extreme from bar `t - lookback` to the end of its run.
            _ => extreme(suffixes[slot * stride], cursor.run),
        };
        if S::beyond(price, bound) {
            let window = Window {
                prices,
                oscillators,
                start: (t - lookback as u64) as usize & mask,
                mask,
            };
            cursor.anchor = find::<S>(&window, lookback, min_sep);
            Some(cursor.anchor.is_some())
        } else {
            Some(false)
        }
    } else {
        None
    };
    if phase == 0 {
        // A run ends before this bar: keep its suffix extremes, start the next. A first run
        // that started late (a phase other than 0) lacks bars before bar 0, which count as
        // never beyond; the windows that read its extremes start at bar 0 or later.
        if t > 0 {
            let mut acc = never;
            for j in (0..lookback).rev() {
                // Bar `n = t - (lookback - j)`, whose extreme goes to `n % lookback`.
                if let Some(n) = t.checked_sub((lookback - j) as u64) {
                    acc = extreme(acc, stored(prices[n as usize & mask]));
                }
                let at = slot + j;
                let at = if at >= lookback { at - lookback } else { at };
                suffixes[at * stride] = acc;
            }
        }
        cursor.run = stored(price);
    } else {
        cursor.run = extreme(cursor.run, stored(price));
    }
    let next = |i: usize| if i + 1 == lookback { 0 } else { i + 1 };
    (cursor.phase, cursor.slot) = (next(phase), next(slot));
    result
}

/// The last `lookback + 1` bars, oldest at window position 0, in the rings of one instance.
struct Window<'a> {
    prices: &'a [f64],
    oscillators: &'a [f64],
    start: usize,
    mask: usize,
}

impl Window<'_> {
    #[inline]
    fn price(&self, i: usize) -> f64 {
        self.prices[(self.start + i) & self.mask]
    }

    #[inline]
    fn oscillator(&self, i: usize) -> f64 {
        self.oscillators[(self.start + i) & self.mask]
    }
}

/// How many bars back the previous extreme lies when the newest bar (window position
/// `lookback`) diverges from it; side `S` is the kind's: [`Low`] for bullish, [`High`] for
/// bearish.
fn find<S: Side>(window: &Window<'_>, lookback: usize, min_sep: usize) -> Option<usize> {
    let now = lookback;
    // The previous extreme: scanning back from `min_sep` bars ago, only a strictly more
    // extreme price replaces it, so ties keep the most recent bar.
    let mut anchor = now - min_sep;
    let mut previous = window.price(anchor);
    for i in (0..anchor).rev() {
        let price = window.price(i);
        if S::beyond(price, previous) {
            (anchor, previous) = (i, price);
        }
    }
    let current = window.price(now);
    let between = anchor + 1..now;
    let holds = S::beyond(current, previous)
        && between.clone().all(|i| S::beyond(current, window.price(i)))
        && between
            .clone()
            .any(|i| S::beyond(previous, window.price(i)))
        && S::beyond(window.oscillator(anchor), window.oscillator(now));
    holds.then_some(now - anchor)
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DIVERGENCE({}, {}, {})",
            self.shape.kind.name(),
            self.shape.lookback,
            self.shape.min_sep
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

    /// The definition evaluated on the whole history, bar by bar, from slices: per bar `None`
    /// while warming up, else the previous extreme's distance when the divergence holds.
    fn naive(
        kind: DivergenceKind,
        l: usize,
        s: usize,
        p: &[f64],
        o: &[f64],
    ) -> Vec<Option<Option<usize>>> {
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
                let holds = kind.beyond(p[t], p[prev])
                    && between.clone().all(|j| kind.beyond(p[t], p[j]))
                    && between.clone().any(|j| kind.beyond(p[prev], p[j]))
                    && kind.beyond(o[prev], o[t]);
                Some(holds.then_some(t - prev))
            })
            .collect()
    }

    /// Each bar's result with its anchor, in the shape [`naive`] returns.
    fn run_with_anchors(d: &mut Divergence, p: &[f64], o: &[f64]) -> Vec<Option<Option<usize>>> {
        p.iter()
            .zip(o)
            .map(|(&p, &o)| {
                let out = d.next(p, o);
                assert_eq!(out == Some(true), d.anchor().is_some());
                out.map(|_| d.anchor())
            })
            .collect()
    }

    /// Small integers (many ties), with 20 and above standing for NaN.
    fn value(x: u8) -> f64 {
        if x >= 20 { f64::NAN } else { f64::from(x) }
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
            let first = run_with_anchors(&mut d, &prices, &osc);
            prop_assert_eq!(&first, &naive(kind, lookback, min_sep, &prices, &osc));
            d.reset();
            prop_assert_eq!(first, run_with_anchors(&mut d, &prices, &osc));
        }

        #[test]
        fn matches_the_definition_with_nans_and_infinities(
            bars in prop::collection::vec((0u8..24, 0u8..22), 0..150),
            lookback in 1usize..15,
            sep_fraction in 0.0..1.0f64,
            bullish in any::<bool>(),
        ) {
            let min_sep = 1 + ((lookback - 1) as f64 * sep_fraction) as usize;
            let kind = if bullish { DivergenceKind::Bullish } else { DivergenceKind::Bearish };
            // 22 and 23 are the infinities, which the rolling bound must not confuse with NaN.
            let price = |x: u8| match x {
                22 => f64::INFINITY,
                23 => f64::NEG_INFINITY,
                _ => value(x),
            };
            let prices: Vec<f64> = bars.iter().map(|b| price(b.0)).collect();
            let osc: Vec<f64> = bars.iter().map(|b| value(b.1)).collect();
            let mut d = Divergence::new(kind, lookback, min_sep).unwrap();
            let out = run_with_anchors(&mut d, &prices, &osc);
            prop_assert_eq!(out, naive(kind, lookback, min_sep, &prices, &osc));
        }
    }
}
