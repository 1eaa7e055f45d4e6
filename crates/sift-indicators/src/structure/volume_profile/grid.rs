//! The price grid of a volume profile and the two ways volume is put on it.

use super::bars::Bar;

/// Grids whose bin width is below this fraction of their prices are "coarse": there a bin
/// estimated by multiplication may be several bins off, instead of at most one.
const FINE_WIDTH: f64 = 1.0 / (1u64 << 40) as f64;

/// Adding 2^52 to a number in `[0, 2^51)` rounds it to the nearest integer and leaves that
/// integer in the low bits of the sum's representation: a float-to-integer conversion without
/// the range checks of `as`, which cost as much as the rest of a bin lookup.
const ROUND_TO_INTEGER: f64 = (1u64 << 52) as f64;

/// In [`Grid::build`], candles narrower than this fraction of a bin are spread directly rather
/// than as two events, whose difference would lose `width / span` ulps of the volume.
const NARROW_SPAN: f64 = 1.0 / 1024.0;

/// `bins` equal bins over `[low, high]`: bin `k` covers `[edge(k), edge(k + 1))` with
/// `edge(k) = low + k·((high - low) / bins)` and `edge(bins) = high`, the last bin also holding
/// `high`. A flat grid (`high == low`) puts everything in bin 0.
///
/// The edges are computed once per grid and every bin lookup and overlap is measured against
/// those stored values, so a price's bin and the overlaps around it never disagree by a
/// rounding error.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    low: f64,
    /// `bins / (high - low)`: a price's bin is estimated by one multiplication, then checked
    /// against the stored edges.
    scale: f64,
    flat: bool,
    coarse: bool,
    /// `edge(0..=bins)`.
    edges: Vec<f64>,
    /// `edge(k + 1) - edge(k)`: the overlap of a candle that covers bin `k` entirely.
    widths: Vec<f64>,
    /// Scratch for [`Grid::build`], one slot per bin.
    events: Vec<Event>,
}

/// What the candles starting or stopping in one bin leave there, for [`Grid::build`].
#[derive(Debug, Clone, Copy, Default)]
struct Event {
    /// Volume of the bin's partial overlaps.
    partial: f64,
    /// Change of the volume per unit of price covering whole bins after this bin.
    density: f64,
    /// Change of the number of candles covering whole bins after this bin.
    open: i32,
}

impl Grid {
    /// A flat grid at 0; `bins` must be positive.
    pub(crate) fn new(bins: usize) -> Self {
        let mut grid = Self {
            low: 0.0,
            scale: 0.0,
            flat: true,
            coarse: true,
            edges: vec![0.0; bins + 1],
            widths: vec![0.0; bins],
            events: vec![Event::default(); bins],
        };
        grid.set(0.0, 0.0);
        grid
    }

    /// Moves the grid to `[low, high]`, in O(bins).
    pub(crate) fn set(&mut self, low: f64, high: f64) {
        let bins = self.widths.len();
        let width = (high - low) / bins as f64;
        for (k, edge) in self.edges.iter_mut().enumerate() {
            *edge = low + k as f64 * width;
        }
        self.edges[bins] = high;
        for (k, w) in self.widths.iter_mut().enumerate() {
            *w = self.edges[k + 1] - self.edges[k];
        }
        self.low = low;
        self.scale = bins as f64 / (high - low);
        let range = high - low;
        self.flat = range.is_nan() || range <= 0.0;
        self.coarse = self.flat || width <= FINE_WIDTH * low.abs().max(high.abs());
    }

    /// The bin holding `price`: the `k` with `edge(k) <= price < edge(k + 1)`. A price a little
    /// above the grid lands in the last bin; one below it (which no candle of the window has),
    /// far above it, or NaN lands in some bin.
    #[inline]
    pub(crate) fn bin(&self, price: f64) -> usize {
        if self.coarse {
            self.bin_on_coarse_grid(price)
        } else {
            let k = self.estimate(price);
            k.saturating_sub(usize::from(price < self.edges[k]))
        }
    }

    /// On a fine grid: the bin with `edge(k) < price <= edge(k + 1)`, so a price on an edge
    /// belongs to the bin below (the bin a candle's range ends in).
    #[inline]
    fn bin_ending_at(&self, price: f64) -> usize {
        let k = self.estimate(price);
        k.saturating_sub(usize::from(price <= self.edges[k]))
    }

    /// On a fine grid, the price's place rounded to the nearest edge, clamped to the bins:
    /// the estimate and the stored edges are both within a tiny fraction of a bin of exact,
    /// so this is the price's bin or the one above.
    #[inline(always)]
    fn estimate(&self, price: f64) -> usize {
        let place = (price - self.low) * self.scale + ROUND_TO_INTEGER;
        (place.to_bits() as u32 as usize).min(self.widths.len() - 1)
    }

    #[cold]
    fn bin_on_coarse_grid(&self, price: f64) -> usize {
        if self.flat {
            return 0;
        }
        let last = self.widths.len() - 1;
        // `as` saturates: NaN and negatives give 0.
        let mut k = (((price - self.low) * self.scale) as usize).min(last);
        while k > 0 && price < self.edges[k] {
            k -= 1;
        }
        while k < last && price >= self.edges[k + 1] {
            k += 1;
        }
        k
    }

    /// Adds `sign` × the bar's volume to `histogram`, spread over the bins in proportion to
    /// their overlap with the bar's range, in O(bins it covers).
    #[inline]
    pub(crate) fn spread(&self, histogram: &mut [f64], bar: &Bar, sign: f64) {
        let first = self.bin(bar.low);
        let last = self.bin(bar.high);
        if last <= first {
            histogram[first] += sign * bar.volume;
            return;
        }
        let density = sign * bar.density;
        histogram[first] += density * (self.edges[first + 1] - bar.low);
        let whole = first + 1..last;
        for (slot, width) in histogram[whole.clone()].iter_mut().zip(&self.widths[whole]) {
            *slot += density * width;
        }
        histogram[last] += density * (bar.high - self.edges[last]);
    }

    /// Overwrites `histogram` with the volume of `bars` on this grid, in O(bars + bins)
    /// whatever the bars' ranges: the cumulative volume below each edge, differenced.
    ///
    /// A bar is two events. At its low, volume per unit of price `density` starts: the low's
    /// bin gets `density × (edge above - low)` and every later bin `density × width`. At its
    /// high the same stops: the high's bin (the one the range ends in, so a high on an edge
    /// touches nothing above it) gives back `density × (edge above - high)`. One sweep over
    /// the bins accumulates the densities, so a bar costs two lookups and two slot updates
    /// however many bins it covers, with no branch on how many.
    ///
    /// A bar within one bin thus adds `density × (high - low)`, its volume, as the difference
    /// of two terms up to `density × width`, which loses `width / (high - low)` ulps: bars
    /// narrower than [`NARROW_SPAN`] of a bin, points included, are put directly instead, so
    /// every bar lands within about a thousand ulps (2e-13) of its volume. Where no bar is
    /// open the running density restarts at exactly 0, so empty bins stay exactly empty.
    /// Coarse grids, rare, spread each bar in turn.
    pub(crate) fn build(&mut self, histogram: &mut [f64], bars: &[Bar]) {
        if self.coarse {
            histogram.fill(0.0);
            for bar in bars {
                self.spread(histogram, bar, 1.0);
            }
            return;
        }
        self.events.fill(Event::default());
        let narrow = self.widths[0] * NARROW_SPAN;
        for bar in bars {
            let first = self.bin(bar.low);
            if bar.high - bar.low < narrow {
                self.put_narrow(first, bar);
                continue;
            }
            let last = self.bin_ending_at(bar.high);
            let start = &mut self.events[first];
            start.partial += bar.density * (self.edges[first + 1] - bar.low);
            start.density += bar.density;
            start.open += 1;
            let stop = &mut self.events[last];
            stop.partial -= bar.density * (self.edges[last + 1] - bar.high);
            stop.density -= bar.density;
            stop.open -= 1;
        }
        let mut density = 0.0;
        let mut open = 0;
        for ((slot, event), width) in histogram.iter_mut().zip(&self.events).zip(&self.widths) {
            *slot = event.partial + density * width;
            open += event.open;
            density = if open == 0 {
                0.0
            } else {
                density + event.density
            };
        }
    }

    /// A bar narrower than a bin: its volume, or its two partial overlaps if it straddles an
    /// edge.
    fn put_narrow(&mut self, first: usize, bar: &Bar) {
        let last = self.bin(bar.high);
        if last <= first {
            self.events[first].partial += bar.volume;
        } else {
            self.events[first].partial += bar.density * (self.edges[first + 1] - bar.low);
            self.events[last].partial += bar.density * (bar.high - self.edges[last]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bins built two ways agree to this fraction of the bars' total volume.
    const TOL: f64 = 1e-12;

    fn grid(low: f64, high: f64, bins: usize) -> Grid {
        let mut grid = Grid::new(bins);
        grid.set(low, high);
        grid
    }

    /// The bin by definition: the last one whose stored lower edge is at or below the price.
    fn scanned_bin(grid: &Grid, price: f64) -> usize {
        if grid.flat {
            return 0;
        }
        (0..grid.widths.len())
            .rev()
            .find(|&k| grid.edges[k] <= price)
            .unwrap_or(0)
    }

    /// Prices at, just below and just above every edge, and between edges.
    fn probes(grid: &Grid) -> Vec<f64> {
        let mut prices = Vec::new();
        for window in grid.edges.windows(2) {
            let (a, b) = (window[0], window[1]);
            prices.extend([a, a.next_up(), b.next_down(), a + (b - a) / 3.0]);
        }
        prices.push(*grid.edges.last().unwrap());
        prices
    }

    #[test]
    fn a_price_on_an_edge_starts_a_bin_and_ends_the_one_below() {
        let g = grid(10.0, 14.0, 4);
        assert_eq!(
            [10.0, 11.0, 12.999, 13.0, 14.0].map(|p| g.bin(p)),
            [0, 1, 2, 3, 3]
        );
        assert_eq!(
            [10.5, 11.0, 11.5, 14.0].map(|p| g.bin_ending_at(p)),
            [0, 0, 1, 3]
        );
    }

    #[test]
    fn lookups_agree_with_the_stored_edges_on_awkward_grids() {
        let grids = [
            (0.1, 0.7, 7),
            (1.0, 4.0, 9),
            (0.0, 3.0, 7),
            (1e-8, 3.1e-8, 24),
            (1e6, 1e6 + 0.03, 24),
            (99.123, 101.77, 1000),
            // Coarse: the bins are a few ulps of the prices wide.
            (1e6, 1e6 + 1e-9, 24),
            (-5.0, 5.0, 3),
        ];
        for (low, high, bins) in grids {
            let g = grid(low, high, bins);
            for price in probes(&g) {
                let want = scanned_bin(&g, price);
                assert_eq!(g.bin(price), want, "{price} on [{low}, {high}] / {bins}");
                if !g.coarse && price > low {
                    let ending = (0..bins).find(|&k| price <= g.edges[k + 1]).unwrap();
                    assert_eq!(g.bin_ending_at(price), ending, "{price} ends in {ending}");
                }
            }
        }
    }

    #[test]
    fn flat_grids_and_stray_prices_stay_in_the_grid() {
        let flat = grid(5.0, 5.0, 3);
        assert_eq!([5.0, 4.0, 6.0, f64::NAN].map(|p| flat.bin(p)), [0; 4]);
        let g = grid(10.0, 14.0, 4);
        assert_eq!([14.5, 15.0, 30.0].map(|p| g.bin(p)), [3; 3]);
        let strays = [9.0, 1e300, -1e300, f64::INFINITY, f64::NAN];
        assert!(strays.iter().all(|&p| g.bin(p) < 4));
    }

    /// Bars of every kind over `[10, 20]`: points (on edges too), bars narrower than a
    /// thousandth of a bin straddling an edge, bars ending on edges, bars covering many bins.
    fn bars() -> Vec<Bar> {
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut bars = vec![
            Bar::new(10.0, 20.0, 7.0),
            Bar::new(10.0, 10.0, 3.0),
            Bar::new(20.0, 20.0, 2.0),
            Bar::new(12.5, 12.5, 1.0),
            Bar::new(12.5 - 1e-9, 12.5 + 3e-9, 4.0),
            Bar::new(11.25, 12.5, 5.0),
            Bar::new(13.0, 14.0, 0.0),
        ];
        for _ in 0..300 {
            let low = 10.0 + 10.0 * next();
            let span = (20.0 - low) * next() * next();
            bars.push(Bar::new(low, low + span, 100.0 * next()));
        }
        bars
    }

    #[test]
    fn building_equals_spreading_bar_by_bar() {
        let bars = bars();
        let total: f64 = bars.iter().map(|b| b.volume).sum();
        for bins in [1, 2, 8, 24, 200] {
            let mut g = grid(10.0, 20.0, bins);
            let mut built = vec![f64::NAN; bins];
            g.build(&mut built, &bars);
            let mut spread = vec![0.0; bins];
            for bar in &bars {
                g.spread(&mut spread, bar, 1.0);
            }
            for (b, s) in built.iter().zip(&spread) {
                assert!((b - s).abs() <= TOL * total, "{bins} bins: {b} vs {s}");
            }
            let sum: f64 = built.iter().sum();
            assert!((sum - total).abs() <= TOL * total);
        }
    }

    #[test]
    fn bins_no_bar_reaches_stay_exactly_empty() {
        // Overlapping bars in bins 0-1 and a bar in bin 3 only; bin 2 is empty, and the bar
        // ending exactly on edge 2 (15) touches nothing above it (these volumes make the
        // running density after the first bar closes differ from the second's by an ulp).
        let bars = [
            Bar::new(10.0, 14.9, 3.0),
            Bar::new(10.3, 15.0, 2.9),
            Bar::new(17.5, 20.0, 1.0),
        ];
        let mut g = grid(10.0, 20.0, 4);
        let mut histogram = vec![f64::NAN; 4];
        g.build(&mut histogram, &bars);
        assert_eq!(histogram[2], 0.0);
        assert_eq!(histogram[3], 1.0);
        assert!((histogram[0] + histogram[1] - 5.9).abs() <= TOL * 5.9);
    }

    #[test]
    fn a_narrow_bar_straddling_an_edge_splits_by_overlap() {
        // A quarter of the bar lies below 12.5, three quarters above.
        let bars = [Bar::new(12.5 - 1e-9, 12.5 + 3e-9, 8.0)];
        let mut g = grid(10.0, 20.0, 4);
        let mut histogram = vec![0.0; 4];
        g.build(&mut histogram, &bars);
        assert!((histogram[0] - 2.0).abs() < 1e-6);
        assert!((histogram[1] - 6.0).abs() < 1e-6);
        assert_eq!(histogram[0] + histogram[1], 8.0);
    }
}
