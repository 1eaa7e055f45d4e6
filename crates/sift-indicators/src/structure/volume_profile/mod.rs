//! Volume profile: where in the recent price range volume traded, and its high-volume nodes.
//!
//! # Layout
//! - this file: [`VolumeProfile`], its outputs and node search.
//! - `bars`: the window of candles, as the profile keeps them.
//! - `grid`: the bins, a price's bin, and the two ways volume is put on them (one candle at a
//!   time as the window slides, or all at once when the bins move).
//! - `reference` (tests only): the histogram straight from the definition.

mod bars;
mod grid;
#[cfg(test)]
mod reference;

use std::fmt;

use sift_core::Candle;

use crate::window::RollingExtreme;
use crate::{Error, Indicator, check_period, impl_outputs};
use bars::{Bar, Bars};
use grid::Grid;

/// One row of [`VolumeProfile`], as the registry writes it.
///
/// `hvn_above`, `hvn_below` and `nearest_hvn_distance_pct` are **NaN** when there is no such
/// node (none at or above / at or below the close, none at all, or for the distance a close
/// that is not positive), so any comparison with them is false. The typed API
/// ([`VolumeProfile::nearest_above`] and friends) returns `Option` instead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolumeProfileOutput {
    /// Centre price of the bin with the most volume (the lowest such bin on a tie).
    pub poc: f64,
    /// Centre of the nearest high-volume node at or above the close.
    pub hvn_above: f64,
    /// Centre of the nearest high-volume node at or below the close.
    pub hvn_below: f64,
    /// `|node - close| / close * 100` for the node nearest the close.
    pub nearest_hvn_distance_pct: f64,
}

impl_outputs!(VolumeProfileOutput {
    poc,
    hvn_above,
    hvn_below,
    nearest_hvn_distance_pct
});

/// A high-volume node of a [`VolumeProfile`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HvNode {
    /// Centre price of the node's bin.
    pub price: f64,
    /// Volume in the bin.
    pub volume: f64,
    /// `volume` divided by the mean bin volume.
    pub relative_volume: f64,
}

/// VOLUME_PROFILE(bins, lookback, threshold, min_strength): the volume traded at each price over
/// the last `lookback` candles, its point of control and its high-volume nodes (HVNs).
///
/// **Bins.** With `L` the lowest low and `H` the highest high of the window, `[L, H]` is cut into
/// `bins` equal bins; bin `k` covers `[L + k·w, L + (k+1)·w)` with `w = (H - L) / bins`, the last
/// bin also holding `H`. Its price is its centre `L + (k + ½)·w`.
///
/// **Volume.** Each candle's volume is spread over the bins its `[low, high]` range overlaps, in
/// proportion to the overlap (the sum of a candle's overlaps is the divisor, so each candle adds
/// exactly its volume). A candle with `high == low` puts all its volume in the bin holding its
/// price. If the whole window has `H == L`, everything lands in bin 0 and every bin's price is `L`.
///
/// **Nodes.** Bin `k` is an HVN when all of:
/// 1. its volume is positive and at least `threshold` × the mean bin volume;
/// 2. its volume is at least that of every bin within `min_strength` bins on either side (bins
///    past the ends are ignored; 0 drops this condition). A plateau of equal bins gives one
///    node per bin.
///
/// `poc` is the centre of the bin with the most volume (the lowest bin on a tie). The row is
/// described on [`VolumeProfileOutput`]; "above" and "below" include a node exactly at the close.
///
/// **Timing and cost.** The first value comes at the `lookback`-th candle. The window's extremes
/// come from monotonic deques; while they stay the same, an update removes the leaving candle's
/// volume and adds the new one's, O(bins the two candles cover). When they change the bin edges
/// move and the histogram is rebuilt in O(lookback + bins), each candle costing two bin lookups
/// and two slot updates whatever its range (the cumulative volume below each edge,
/// differenced). The histogram is also rebuilt every `lookback` updates so the rounding of the
/// running sums never accumulates past a few ulps of the volumes. Finding the nodes is O(bins)
/// plus O(min_strength) per bin that passes the threshold. Each bin agrees with the definition
/// computed from scratch to within about a thousand ulps of the volume that went through the
/// window lately. Inputs must be finite with `high >= low` (a candle with `high < low` counts
/// as a point at its low).
#[derive(Debug, Clone)]
pub struct VolumeProfile {
    bins: usize,
    lookback: usize,
    threshold: f64,
    min_strength: usize,
    bars: Bars,
    max_high: RollingExtreme,
    min_low: RollingExtreme,
    /// The `(L, H)` the histogram was built on; `None` until built.
    edges: Option<(f64, f64)>,
    grid: Grid,
    histogram: Vec<f64>,
    /// `L` and the bin width `(H - L) / bins` of the current histogram, for bin prices.
    low: f64,
    step: f64,
    /// The bin with the most volume (the lowest on a tie), found with the nodes.
    poc_bin: usize,
    nodes: Vec<HvNode>,
    /// Scratch deque of bin indices for the node search, kept to avoid allocating per update.
    window: Vec<usize>,
    updates_since_rebuild: usize,
}

impl VolumeProfile {
    pub fn new(
        bins: usize,
        lookback: usize,
        threshold: f64,
        min_strength: usize,
    ) -> Result<Self, Error> {
        let bins = check_period("volume_profile", "bins", bins)?;
        let lookback = check_period("volume_profile", "lookback", lookback)?;
        if !(threshold.is_finite() && threshold >= 0.0) {
            return Err(Error::InvalidParameter {
                indicator: "volume_profile",
                param: "threshold",
                value: threshold,
                reason: "must be a finite number, at least 0",
            });
        }
        Ok(Self {
            bins,
            lookback,
            threshold,
            min_strength,
            bars: Bars::new(lookback),
            max_high: RollingExtreme::max(lookback),
            min_low: RollingExtreme::min(lookback),
            edges: None,
            grid: Grid::new(bins),
            histogram: vec![0.0; bins],
            low: 0.0,
            step: 0.0,
            poc_bin: 0,
            nodes: Vec::with_capacity(bins),
            window: Vec::with_capacity(bins),
            updates_since_rebuild: 0,
        })
    }

    /// The window's `(lowest low, highest high)`; `None` while warming up.
    pub fn range(&self) -> Option<(f64, f64)> {
        self.edges
    }

    /// Volume per bin, lowest prices first; meaningful once warmed up.
    pub fn bin_volumes(&self) -> &[f64] {
        &self.histogram
    }

    /// Centre price of bin `k`.
    pub fn bin_price(&self, k: usize) -> Option<f64> {
        self.edges?;
        (k < self.bins).then_some(self.low + (k as f64 + 0.5) * self.step)
    }

    /// The point of control: centre of the bin with the most volume; `None` while warming up.
    pub fn poc(&self) -> Option<f64> {
        self.bin_price(self.poc_bin)
    }

    /// The high-volume nodes, lowest price first; empty while warming up.
    pub fn nodes(&self) -> &[HvNode] {
        &self.nodes
    }

    /// The nearest node whose price is at or above `price`.
    pub fn nearest_above(&self, price: f64) -> Option<f64> {
        self.nodes.iter().map(|n| n.price).find(|&p| p >= price)
    }

    /// The nearest node whose price is at or below `price`.
    pub fn nearest_below(&self, price: f64) -> Option<f64> {
        self.nodes
            .iter()
            .rev()
            .map(|n| n.price)
            .find(|&p| p <= price)
    }

    /// Distance from `price` to the nearest node, in percent of `price`; `None` without nodes
    /// or for a price that is not positive.
    pub fn distance_pct(&self, price: f64) -> Option<f64> {
        if price.is_nan() || price <= 0.0 {
            return None;
        }
        let above = self.nearest_above(price).map(|p| p - price);
        let below = self.nearest_below(price).map(|p| price - p);
        let nearest = match (above, below) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(nearest / price * 100.0)
    }

    /// Whether a node lies within `tolerance_pct` percent of `price`.
    pub fn is_near_node(&self, price: f64, tolerance_pct: f64) -> bool {
        self.distance_pct(price).is_some_and(|d| d <= tolerance_pct)
    }

    fn rebuild(&mut self, edges: (f64, f64)) {
        self.grid.set(edges.0, edges.1);
        self.low = edges.0;
        self.step = (edges.1 - edges.0) / self.bins as f64;
        self.grid.build(&mut self.histogram, self.bars.as_slice());
        self.edges = Some(edges);
        self.updates_since_rebuild = 0;
    }

    /// Finds the point of control and the nodes; a bin's neighbourhood is only compared when
    /// the bin passes the threshold, which most bins do not.
    /// Finds the point of control and the nodes in O(bins): the dominance test compares each
    /// bin with the maximum of the bins within `min_strength` of it, which a monotonic deque
    /// of bin indices (`window`, decreasing volumes from `head` on) slides along the histogram.
    fn find_nodes(&mut self) {
        self.nodes.clear();
        let histogram = &self.histogram;
        let mean = sum(histogram) / self.bins as f64;
        let cut = self.threshold * mean;
        let radius = self.min_strength.min(self.bins);
        let window = &mut self.window;
        window.clear();
        let (mut head, mut next) = (0, 0);
        let mut poc = 0;
        let mut most = histogram[0];
        for (k, &v) in histogram.iter().enumerate() {
            if v > most {
                most = v;
                poc = k;
            }
            let last = k.saturating_add(radius).min(self.bins - 1);
            while next <= last {
                while window.len() > head && histogram[window[window.len() - 1]] <= histogram[next]
                {
                    window.pop();
                }
                window.push(next);
                next += 1;
            }
            while window[head] + radius < k {
                head += 1;
            }
            if v > 0.0 && v >= cut && v >= histogram[window[head]] {
                self.nodes.push(HvNode {
                    price: self.low + (k as f64 + 0.5) * self.step,
                    volume: v,
                    relative_volume: v / mean,
                });
            }
        }
        self.poc_bin = poc;
    }
}

/// The sum of `values` over four running sums, so the additions overlap instead of waiting on
/// each other.
fn sum(values: &[f64]) -> f64 {
    let mut lanes = [0.0; 4];
    let chunks = values.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + rest
}

impl Indicator for VolumeProfile {
    type Output = VolumeProfileOutput;

    fn update(&mut self, candle: &Candle) -> Option<VolumeProfileOutput> {
        let bar = Bar::new(candle.low, candle.high, candle.volume);
        let leaving = self.bars.push(bar);
        let edges = (
            self.min_low.push(candle.low),
            self.max_high.push(candle.high),
        );
        if !self.bars.is_full() {
            return None;
        }
        match leaving {
            Some(old)
                if self.edges == Some(edges) && self.updates_since_rebuild < self.lookback =>
            {
                self.grid.spread(&mut self.histogram, &old, -1.0);
                self.grid.spread(&mut self.histogram, &bar, 1.0);
                self.updates_since_rebuild += 1;
            }
            _ => self.rebuild(edges),
        }
        self.find_nodes();
        let close = candle.close;
        Some(VolumeProfileOutput {
            poc: self.poc().unwrap_or(f64::NAN),
            hvn_above: self.nearest_above(close).unwrap_or(f64::NAN),
            hvn_below: self.nearest_below(close).unwrap_or(f64::NAN),
            nearest_hvn_distance_pct: self.distance_pct(close).unwrap_or(f64::NAN),
        })
    }

    fn reset(&mut self) {
        self.bars.clear();
        self.max_high.clear();
        self.min_low.clear();
        self.edges = None;
        self.histogram.fill(0.0);
        self.poc_bin = 0;
        self.nodes.clear();
        self.updates_since_rebuild = 0;
    }
}

impl fmt::Display for VolumeProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "VOLUME_PROFILE({}, {}, {}, {})",
            self.bins, self.lookback, self.threshold, self.min_strength
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative tolerance for values that went through a few float operations.
    const TOL: f64 = 1e-12;

    fn close_to(a: f64, b: f64) -> bool {
        (a - b).abs() <= TOL * a.abs().max(b.abs()).max(1.0)
    }

    fn candle(low: f64, high: f64, volume: f64, close: f64) -> Candle {
        Candle::ohlcv(0, close, high, low, close, volume)
    }

    /// The three candles of the worked example: window [10, 14], bins of width 1.
    fn example() -> [Candle; 3] {
        [
            candle(10.0, 14.0, 40.0, 13.0),
            candle(12.0, 13.0, 30.0, 12.5),
            candle(11.0, 12.0, 10.0, 11.5),
        ]
    }

    #[test]
    fn spreads_volume_by_overlap_and_finds_the_nodes() {
        // Candle 1 puts 10 in each bin; candle 2 fills [12, 13) only (its overlap with [13, 14]
        // is the single point 13); candle 3 fills [11, 12). Histogram [10, 20, 40, 10], mean 20:
        // only bin 2 (centre 12.5) is a local maximum at least 1.0 × the mean.
        let mut vp = VolumeProfile::new(4, 3, 1.0, 1).unwrap();
        let out = crate::batch(&mut vp, &example());
        assert_eq!(out[..2], [None, None]);
        let row = out[2].unwrap();
        assert_eq!(vp.bin_volumes(), &[10.0, 20.0, 40.0, 10.0]);
        assert_eq!(
            vp.nodes(),
            &[HvNode {
                price: 12.5,
                volume: 40.0,
                relative_volume: 2.0
            }]
        );
        assert_eq!(row.poc, 12.5);
        assert_eq!(row.hvn_above, 12.5);
        assert!(row.hvn_below.is_nan());
        assert!(close_to(row.nearest_hvn_distance_pct, 1.0 / 11.5 * 100.0));
        assert_eq!(vp.nearest_below(12.5), Some(12.5));
        assert!(vp.is_near_node(12.4, 1.0));
        assert!(!vp.is_near_node(12.0, 1.0));
    }

    #[test]
    fn rebuilds_when_the_window_range_changes() {
        // The 4th candle evicts the first: the window becomes [11, 14] with bins of 0.75.
        // [12, 13] splits 15/15 over bins 1 and 2, [11, 12] 7.5/2.5 over bins 0 and 1,
        // [13, 14] 5/15 over bins 2 and 3: [7.5, 17.5, 20, 15], mean 15, POC 11 + 2.5 × 0.75.
        let mut vp = VolumeProfile::new(4, 3, 1.0, 1).unwrap();
        crate::batch(&mut vp, &example());
        let row = vp.update(&candle(13.0, 14.0, 20.0, 13.5)).unwrap();
        assert_eq!(vp.range(), Some((11.0, 14.0)));
        assert_eq!(vp.bin_volumes(), &[7.5, 17.5, 20.0, 15.0]);
        assert_eq!(row.poc, 12.875);
        assert_eq!(row.hvn_below, 12.875);
        assert!(row.hvn_above.is_nan());
        assert!(close_to(row.nearest_hvn_distance_pct, 0.625 / 13.5 * 100.0));
        assert!(close_to(vp.nodes()[0].relative_volume, 20.0 / 15.0));
    }

    #[test]
    fn updates_incrementally_while_the_range_holds() {
        // The 5th candle evicts [12, 13] (15 from bins 1 and 2) and adds [11.5, 14], which
        // overlaps the bins by 0.25, 0.75, 0.75, 0.75: 1, 3, 3, 3. The range stays [11, 14].
        let mut vp = VolumeProfile::new(4, 3, 1.0, 1).unwrap();
        crate::batch(&mut vp, &example());
        vp.update(&candle(13.0, 14.0, 20.0, 13.5));
        let row = vp.update(&candle(11.5, 14.0, 10.0, 13.0)).unwrap();
        assert_eq!(vp.bin_volumes(), &[8.5, 5.5, 8.0, 18.0]);
        assert_eq!(row.poc, 13.625);
        // Bin 0 (8.5 > 5.5) is a local maximum but below the mean 10; bin 3 is a node.
        assert_eq!(vp.nodes().len(), 1);
        assert_eq!(row.hvn_above, 13.625);
        assert!(close_to(row.nearest_hvn_distance_pct, 0.625 / 13.0 * 100.0));
        assert!(row.hvn_below.is_nan());
    }

    #[test]
    fn min_strength_widens_the_neighbourhood_and_zero_drops_it() {
        // Bins [0, 4): volumes 1, 5, 4, 6 from zero-range candles at 0.5, 1.5, 2.5, 3.5
        // (window [0.5, 3.5], width 0.75). Mean 4: with radius 1 bins 1 and 3 are nodes,
        // with radius 2 only bin 3, with radius 0 every bin with at least 4.
        let candles: Vec<_> = [(0.5, 1.0), (1.5, 5.0), (2.5, 4.0), (3.5, 6.0)]
            .iter()
            .map(|&(p, v)| candle(p, p, v, 2.0))
            .collect();
        let node_prices = |strength| {
            let mut vp = VolumeProfile::new(4, 4, 1.0, strength).unwrap();
            crate::batch(&mut vp, &candles);
            vp.nodes().iter().map(|n| n.price).collect::<Vec<_>>()
        };
        assert_eq!(node_prices(1), vec![1.625, 3.125]);
        assert_eq!(node_prices(2), vec![3.125]);
        assert_eq!(node_prices(0), vec![1.625, 2.375, 3.125]);
    }

    #[test]
    fn threshold_filters_weak_nodes() {
        let mut vp = VolumeProfile::new(4, 3, 2.5, 1).unwrap();
        let row = crate::batch(&mut vp, &example())[2].unwrap();
        assert!(vp.nodes().is_empty());
        assert_eq!(row.poc, 12.5);
        assert!(row.nearest_hvn_distance_pct.is_nan());
        assert_eq!(vp.distance_pct(12.0), None);
    }

    #[test]
    fn a_flat_window_puts_everything_in_the_first_bin() {
        let mut vp = VolumeProfile::new(3, 2, 1.5, 1).unwrap();
        vp.update(&candle(5.0, 5.0, 1.0, 5.0));
        let row = vp.update(&candle(5.0, 5.0, 2.0, 5.0)).unwrap();
        assert_eq!(vp.bin_volumes(), &[3.0, 0.0, 0.0]);
        assert_eq!((row.poc, row.hvn_above, row.hvn_below), (5.0, 5.0, 5.0));
        assert_eq!(row.nearest_hvn_distance_pct, 0.0);
    }

    #[test]
    fn candles_touching_the_window_edges_stay_in_the_end_bins() {
        // Window [10, 14], bins of width 1: points at L and H, a candle from L ending on the
        // edge 11 and one from the edge 13 to H. Nothing reaches bins 1 and 2.
        let mut vp = VolumeProfile::new(4, 4, 1.0, 1).unwrap();
        let candles = [
            candle(10.0, 10.0, 1.0, 10.0),
            candle(14.0, 14.0, 2.0, 14.0),
            candle(10.0, 11.0, 4.0, 10.5),
            candle(13.0, 14.0, 8.0, 12.0),
        ];
        let row = crate::batch(&mut vp, &candles)[3].unwrap();
        assert_eq!(vp.bin_volumes(), &[5.0, 0.0, 0.0, 10.0]);
        assert_eq!((row.poc, row.hvn_below, row.hvn_above), (13.5, 10.5, 13.5));
        // The point at L leaves, [10, 14] adds 1 per bin; the range holds.
        vp.update(&candle(10.0, 14.0, 4.0, 12.0));
        assert_eq!(vp.range(), Some((10.0, 14.0)));
        assert_eq!(vp.bin_volumes(), &[5.0, 1.0, 1.0, 11.0]);
    }

    #[test]
    fn zero_volume_leaves_the_bins_empty_and_no_nodes() {
        let mut vp = VolumeProfile::new(4, 3, 0.0, 1).unwrap();
        let candles = [
            candle(10.0, 14.0, 0.0, 12.0),
            candle(11.0, 11.0, 0.0, 11.0),
            candle(12.0, 13.0, 0.0, 12.5),
        ];
        let row = crate::batch(&mut vp, &candles)[2].unwrap();
        assert_eq!(vp.bin_volumes(), &[0.0; 4]);
        assert!(vp.nodes().is_empty());
        assert_eq!(row.poc, 10.5);
        assert!(row.hvn_above.is_nan() && row.hvn_below.is_nan());
        assert!(row.nearest_hvn_distance_pct.is_nan());
    }

    #[test]
    fn a_window_turns_flat_and_back() {
        let mut vp = VolumeProfile::new(3, 2, 1.0, 1).unwrap();
        vp.update(&candle(5.0, 6.0, 1.0, 5.5));
        vp.update(&candle(5.0, 5.0, 2.0, 5.0));
        assert_eq!(vp.range(), Some((5.0, 6.0)));
        let flat = vp.update(&candle(5.0, 5.0, 3.0, 5.0)).unwrap();
        assert_eq!(vp.bin_volumes(), &[5.0, 0.0, 0.0]);
        assert_eq!((flat.poc, flat.hvn_above), (5.0, 5.0));
        vp.update(&candle(5.0, 8.0, 3.0, 6.0));
        assert_eq!(vp.range(), Some((5.0, 8.0)));
        assert_eq!(vp.bin_volumes(), &[4.0, 1.0, 1.0]);
        assert_eq!(vp.poc(), Some(5.5));
    }

    #[test]
    fn invalid_parameters_are_errors() {
        assert!(VolumeProfile::new(0, 200, 1.5, 2).is_err());
        assert!(VolumeProfile::new(24, 0, 1.5, 2).is_err());
        assert!(VolumeProfile::new(24, 200, -1.0, 2).is_err());
        assert!(VolumeProfile::new(24, 200, f64::NAN, 2).is_err());
        assert!(VolumeProfile::new(24, 200, 0.0, 0).is_ok());
    }

    #[test]
    fn displays_its_parameters() {
        let vp = VolumeProfile::new(24, 200, 1.5, 2).unwrap();
        assert_eq!(vp.to_string(), "VOLUME_PROFILE(24, 200, 1.5, 2)");
    }
}
