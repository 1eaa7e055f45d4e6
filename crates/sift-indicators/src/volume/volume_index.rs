//! The running index shared by the positive and negative volume indices.

use sift_core::Candle;

/// The value both volume indices start from.
const VOLUME_INDEX_START: f64 = 1000.0;

/// One step of a volume index: the index moved by the close's percentage change,
/// `index + (close - prev_close) / prev_close * index`, written as TA-Lib writes it. The index
/// is carried unchanged when `prev_close` is 0 (no percentage change exists) or when the step
/// would overflow to a non-finite number.
#[inline]
pub(crate) fn volume_index_step(index: f64, close: f64, prev_close: f64) -> f64 {
    if prev_close == 0.0 {
        return index;
    }
    let mut next = index;
    next += (close - prev_close) / prev_close * next;
    if next.is_finite() { next } else { index }
}

/// What PVI and NVI carry from one candle to the next.
#[derive(Debug, Clone, Copy)]
pub(crate) struct State {
    pub(crate) prev_close: f64,
    pub(crate) prev_volume: f64,
    pub(crate) index: f64,
}

impl State {
    pub(crate) fn first(candle: &Candle) -> Self {
        Self {
            prev_close: candle.close,
            prev_volume: candle.volume,
            index: VOLUME_INDEX_START,
        }
    }
}
