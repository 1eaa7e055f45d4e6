//! The volume profile's histogram computed from scratch, straight from its definition, in
//! O(candles × bins), and the property tests that hold [`VolumeProfile`] to it.

use sift_core::Candle;

#[cfg(test)]
use super::VolumeProfile;

/// The lower edge of bin `k` of `bins` equal bins over `[low, high]`; `edge(bins)` is `high`.
fn edge(low: f64, high: f64, bins: usize, k: usize) -> f64 {
    if k == bins {
        high
    } else {
        low + k as f64 * ((high - low) / bins as f64)
    }
}

/// Volume per bin over the window's `[lowest low, highest high]`.
pub(crate) fn histogram(window: &[Candle], bins: usize) -> Vec<f64> {
    let low = window.iter().map(|c| c.low).fold(f64::INFINITY, f64::min);
    let high = window
        .iter()
        .map(|c| c.high)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut histogram = vec![0.0; bins];
    for c in window {
        if high <= low {
            histogram[0] += c.volume;
            continue;
        }
        let overlaps: Vec<f64> = (0..bins)
            .map(|k| {
                let from = c.low.max(edge(low, high, bins, k));
                let to = c.high.min(edge(low, high, bins, k + 1));
                (to - from).max(0.0)
            })
            .collect();
        let total: f64 = overlaps.iter().sum();
        if total > 0.0 {
            for (slot, overlap) in histogram.iter_mut().zip(overlaps) {
                *slot += c.volume * (overlap / total);
            }
        } else {
            // A point: the last bin whose lower edge is at or below it.
            let k = (0..bins)
                .rev()
                .find(|&k| edge(low, high, bins, k) <= c.low)
                .unwrap_or(0);
            histogram[k] += c.volume;
        }
    }
    histogram
}

/// The point of control and the node bins of `histogram` by the definition's rules, with the
/// indicator's own sum for the mean (a bin equal to the threshold is decided by its rounding).
#[cfg(test)]
fn poc_and_nodes(histogram: &[f64], threshold: f64, min_strength: usize) -> (usize, Vec<usize>) {
    let mut poc = 0;
    for (k, &v) in histogram.iter().enumerate() {
        if v > histogram[poc] {
            poc = k;
        }
    }
    let mean = super::sum(histogram) / histogram.len() as f64;
    let nodes = (0..histogram.len())
        .filter(|&k| {
            let v = histogram[k];
            let near = k.saturating_sub(min_strength)..=(k + min_strength).min(histogram.len() - 1);
            v > 0.0 && v >= threshold * mean && histogram[near].iter().all(|&n| v >= n)
        })
        .collect();
    (poc, nodes)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::Indicator;
    use crate::structure::VolumeProfileOutput;

    /// Each bin agrees with the reference to this fraction of the volume that went through
    /// the window lately (the running sums keep a few ulps of the candles that left).
    const TOL: f64 = 1e-9;

    fn candle(low: f64, high: f64, volume: f64, close: f64) -> Candle {
        Candle::ohlcv(0, close, high, low, close, volume)
    }

    /// Integer prices: extremes repeat, so the incremental path runs often, and prices fall
    /// on bin edges.
    fn coarse_candles() -> impl Strategy<Value = Vec<Candle>> {
        let bar = (1.0..100.0f64, 0.0..5.0f64, 0.0..1.0f64, 0.0..1000.0f64);
        prop::collection::vec(bar, 1..80).prop_map(|bars| {
            bars.into_iter()
                .map(|(low, span, at, volume)| {
                    let low = low.round();
                    let high = low + span.round();
                    candle(low, high, volume, low + at * (high - low))
                })
                .collect()
        })
    }

    /// A random walk around `scale` (1e-8, 1 or 1e6): wide and narrow candles, points, zero
    /// volumes, candles repeating the window's extremes.
    fn walks() -> impl Strategy<Value = Vec<Candle>> {
        let step = (-1.0..1.0f64, 0.0..1.0f64, 0..8u8, 0.0..100.0f64);
        let scale = prop::sample::select(vec![1e-8, 1.0, 1e6]);
        (scale, prop::collection::vec(step, 1..120)).prop_map(|(scale, steps)| {
            let mut price = 1.0;
            let mut candles: Vec<Candle> = Vec::new();
            for (drift, width, kind, volume) in steps {
                price *= 1.0 + 0.01 * drift;
                let (low, high, volume) = match kind {
                    0 => (price, price, volume),
                    1 => (price, price * (1.0 + 1e-12), volume),
                    2 => (price, price * (1.0 + 0.02 * width), 0.0),
                    3 if !candles.is_empty() => {
                        let last = candles[candles.len() - 1];
                        (last.low, last.high, volume)
                    }
                    _ => (
                        price * (1.0 - 0.01 * width),
                        price * (1.0 + 0.01 * width),
                        volume,
                    ),
                };
                candles.push(candle(low * scale, high * scale, volume, price * scale));
            }
            candles
        })
    }

    /// Feeds `candles` and checks every row against the reference histogram of its window,
    /// and the point of control and nodes against the rules applied to the indicator's bins.
    fn check(candles: &[Candle], bins: usize, lookback: usize, threshold: f64, strength: usize) {
        let mut vp = VolumeProfile::new(bins, lookback, threshold, strength).unwrap();
        for (i, c) in candles.iter().enumerate() {
            let Some(row) = vp.update(c) else { continue };
            let window = &candles[i + 1 - lookback..=i];
            let low = window.iter().map(|c| c.low).fold(f64::INFINITY, f64::min);
            let high = window
                .iter()
                .map(|c| c.high)
                .fold(f64::NEG_INFINITY, f64::max);
            assert!(
                low <= row.poc && row.poc <= high,
                "poc {} in [{low}, {high}]",
                row.poc
            );
            // The histogram is rebuilt at least every `lookback` updates.
            let recent = &candles[(i + 1).saturating_sub(2 * lookback)..=i];
            let flow: f64 = recent.iter().map(|c| c.volume).sum();
            let want = histogram(window, bins);
            for (k, (got, want)) in vp.bin_volumes().iter().zip(&want).enumerate() {
                assert!(
                    (got - want).abs() <= TOL * flow,
                    "bin {k} of {i}: {got} vs {want}"
                );
            }
            let (poc, nodes) = poc_and_nodes(vp.bin_volumes(), threshold, strength);
            assert_eq!(vp.poc(), vp.bin_price(poc));
            let prices: Vec<_> = nodes.iter().filter_map(|&k| vp.bin_price(k)).collect();
            let got: Vec<_> = vp.nodes().iter().map(|n| n.price).collect();
            assert_eq!(got, prices);
            for node in vp.nodes() {
                assert!(low <= node.price && node.price <= high);
            }
        }
    }

    proptest! {
        #[test]
        fn matches_a_fresh_histogram_on_integer_prices(
            candles in coarse_candles(),
            bins in 1usize..30,
            lookback in 1usize..20,
        ) {
            check(&candles, bins, lookback, 1.0, 1);
        }

        #[test]
        fn matches_a_fresh_histogram_on_random_walks_at_any_price_scale(
            candles in walks(),
            bins in 1usize..50,
            lookback in 1usize..40,
            threshold in prop::sample::select(vec![0.0, 0.8, 1.5, 3.0]),
            strength in 0usize..4,
        ) {
            check(&candles, bins, lookback, threshold, strength);
        }

        #[test]
        fn reset_then_replay_gives_identical_rows(candles in coarse_candles()) {
            let mut vp = VolumeProfile::new(8, 10, 1.2, 1).unwrap();
            let first = crate::batch(&mut vp, &candles);
            vp.reset();
            let second = crate::batch(&mut vp, &candles);
            // Bit-identical, NaN included.
            let bits = |rows: &[Option<VolumeProfileOutput>]| -> Vec<Option<[u64; 4]>> {
                rows.iter()
                    .map(|r| r.map(|o| [o.poc, o.hvn_above, o.hvn_below, o.nearest_hvn_distance_pct]
                        .map(f64::to_bits)))
                    .collect()
            };
            prop_assert_eq!(bits(&first), bits(&second));
        }
    }
}
