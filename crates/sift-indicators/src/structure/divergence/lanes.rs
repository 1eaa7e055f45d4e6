//! Many divergences of one call side by side, for an engine that feeds them together.

use super::{Bars, Cursor, Divergence, DivergenceKind, Shape, advance};
use crate::Error;

/// `width` [`Divergence`]s of the same kind and parameters (its *lanes*), in two allocations
/// walked in order when every lane is fed a bar in turn: the lanes' rings one after the other
/// (a lane's window, which a new extreme scans, is contiguous), and their suffix extremes side
/// by side (each bar reads one of them, so neighbouring lanes read neighbouring values rather
/// than a cache line each). Lane `l` computes exactly what a lone [`Divergence`] fed the same
/// values computes; lanes need not have been fed equally often.
///
/// Fresh lanes cut their bars into runs at different bars (lane `l` ends its first run after
/// `lookback - l % lookback` bars), which changes no result but spreads the passes over a
/// run's bars that end each run: lanes fed together do not all pay for theirs at the same bar.
#[derive(Debug, Clone)]
pub struct DivergenceLanes {
    shape: Shape,
    width: usize,
    /// The rings of lane `l` at `l * shape.rings()..`.
    rings: Vec<f64>,
    /// Suffix extreme `j` of lane `l` at `j * width + l`.
    suffixes: Vec<f64>,
    /// By lane.
    cursors: Vec<Cursor>,
}

impl DivergenceLanes {
    /// `width` fresh lanes; the parameters as [`Divergence::new`] takes them.
    pub fn new(
        kind: DivergenceKind,
        lookback: usize,
        min_sep: usize,
        width: usize,
    ) -> Result<Self, Error> {
        let shape = Shape::new(kind, lookback, min_sep)?;
        Ok(Self {
            rings: vec![f64::NAN; shape.rings() * width],
            suffixes: vec![f64::NAN; shape.lookback * width],
            cursors: (0..width).map(|l| fresh(&shape, l)).collect(),
            shape,
            width,
        })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// [`Divergence::next`] on lane `lane`.
    ///
    /// # Panics
    /// When `lane` is not below the width.
    #[inline]
    pub fn next(&mut self, lane: usize, price: f64, oscillator: f64) -> Option<bool> {
        let rings = self.shape.rings();
        let bars = Bars {
            rings: &mut self.rings[lane * rings..][..rings],
            suffixes: &mut self.suffixes[lane..],
            stride: self.width,
        };
        advance(
            &self.shape,
            &mut self.cursors[lane],
            bars,
            price,
            oscillator,
        )
    }

    /// [`Divergence::anchor`] of lane `lane`.
    ///
    /// # Panics
    /// When `lane` is not below the width.
    pub fn anchor(&self, lane: usize) -> Option<usize> {
        self.cursors[lane].anchor
    }

    /// Lane `lane` as a lone [`Divergence`] in the same state.
    ///
    /// # Panics
    /// When `lane` is not below the width.
    pub fn get(&self, lane: usize) -> Divergence {
        let rings = self.shape.rings();
        let suffixes = (0..self.shape.lookback).map(|j| self.suffixes[j * self.width + lane]);
        Divergence {
            shape: self.shape,
            bars: self.rings[lane * rings..][..rings]
                .iter()
                .copied()
                .chain(suffixes)
                .collect(),
            cursor: self.cursors[lane],
        }
    }

    /// Gives lane `lane` the state of `divergence`.
    ///
    /// # Panics
    /// When `lane` is not below the width, or `divergence` has another kind or other
    /// parameters.
    pub fn set(&mut self, lane: usize, divergence: &Divergence) {
        assert_eq!(
            self.shape, divergence.shape,
            "a lane takes a divergence of the same kind and parameters"
        );
        let rings = self.shape.rings();
        let (from_rings, from_suffixes) = divergence.bars.split_at(rings);
        self.rings[lane * rings..][..rings].copy_from_slice(from_rings);
        for (j, &x) in from_suffixes.iter().enumerate() {
            self.suffixes[j * self.width + lane] = x;
        }
        self.cursors[lane] = divergence.cursor;
    }

    /// Forgets the history of lane `lane`, as [`Divergence::reset`].
    ///
    /// # Panics
    /// When `lane` is not below the width.
    pub fn reset(&mut self, lane: usize) {
        self.cursors[lane] = fresh(&self.shape, lane);
    }

    /// Changes the width to `width`, keeping lanes `0..width` of the current ones; new lanes
    /// are fresh.
    pub fn resize(&mut self, width: usize) {
        self.rings.resize(self.shape.rings() * width, f64::NAN);
        let mut suffixes = vec![f64::NAN; self.shape.lookback * width];
        let kept = self.width.min(width);
        for j in 0..self.shape.lookback {
            suffixes[j * width..][..kept].copy_from_slice(&self.suffixes[j * self.width..][..kept]);
        }
        self.suffixes = suffixes;
        let shape = self.shape;
        self.cursors.truncate(width);
        let more = self.cursors.len()..width;
        self.cursors.extend(more.map(|l| fresh(&shape, l)));
        self.width = width;
    }
}

/// The cursor of lane `lane` fed nothing.
fn fresh(shape: &Shape, lane: usize) -> Cursor {
    Cursor::new(shape.kind, lane % shape.lookback)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn lanes_compute_what_lone_divergences_compute(
            bars in prop::collection::vec((0u8..22, 0u8..20, 0u8..4), 0..160),
            lookback in 1usize..15,
            sep_fraction in 0.0..1.0f64,
            bullish in any::<bool>(),
        ) {
            let min_sep = 1 + ((lookback - 1) as f64 * sep_fraction) as usize;
            let kind = if bullish { DivergenceKind::Bullish } else { DivergenceKind::Bearish };
            let mut lone: Vec<Divergence> =
                (0..4).map(|_| Divergence::new(kind, lookback, min_sep).unwrap()).collect();
            let mut lanes = DivergenceLanes::new(kind, lookback, min_sep, 2).unwrap();
            for (i, &(p, o, which)) in bars.iter().enumerate() {
                // Lanes fed unequally often; halfway, two more lanes join with the state of
                // what they were fed alone.
                if i == bars.len() / 2 {
                    lanes.resize(4);
                    lanes.set(2, &lone[2]);
                    lanes.set(3, &lone[3]);
                }
                let lane = usize::from(which);
                // 20 and 21 stand for NaN.
                let p = if p >= 20 { f64::NAN } else { f64::from(p) };
                let o = f64::from(o) + lane as f64;
                let want = lone[lane].next(p, o);
                if lane < lanes.width() {
                    prop_assert_eq!(lanes.next(lane, p, o), want);
                    prop_assert_eq!(lanes.anchor(lane), lone[lane].anchor());
                }
            }
            for (lane, d) in lone.iter_mut().enumerate().take(lanes.width()) {
                let mut copy = lanes.get(lane);
                prop_assert_eq!(copy.next(3.0, 4.0), d.next(3.0, 4.0));
            }
            lanes.reset(0);
            lone[0].reset();
            prop_assert_eq!(lanes.next(0, 1.0, 1.0), lone[0].next(1.0, 1.0));
        }
    }
}
