//! Wilder's directional movement: the +DI and -DI lines shared by ADX.

use crate::volatility::true_range;

/// The +DI and -DI of one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DirectionalIndex {
    pub(crate) plus: f64,
    pub(crate) minus: f64,
    /// Whether the smoothed true range was positive; when it is not, both lines are 0 and
    /// there is no DX for this bar.
    pub(crate) has_range: bool,
}

/// TA-Lib's `PLUS_DI` and `MINUS_DI` (period > 1), computed together.
///
/// Each bar after the first has a +DM (`high - previous high`) when that up-move is positive
/// and larger than the down-move (`previous low - low`), or a -DM when the down-move is
/// positive and larger; otherwise neither. The first `n - 1` DMs and true ranges are summed;
/// from then on each sum becomes `sum - sum / n + today's value` (Wilder's smoothing, kept as a
/// sum, with TA-Lib's division by `n`). `DI = (DM / TR) * 100`, first at bar `n` (index `n`),
/// or 0 when the smoothed true range is not positive.
#[derive(Debug, Clone)]
pub(crate) struct Directional {
    period: usize,
    /// The previous bar's high, low and close.
    prev: Option<(f64, f64, f64)>,
    /// Bars with a previous bar, counted up to `period`.
    bars: usize,
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
}

impl Directional {
    /// `period` must be at least 2 (checked by the indicator).
    pub(crate) fn new(period: usize) -> Self {
        Self {
            period,
            prev: None,
            bars: 0,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
        }
    }

    #[inline]
    pub(crate) fn next(&mut self, high: f64, low: f64, close: f64) -> Option<DirectionalIndex> {
        let (prev_high, prev_low, prev_close) = self.prev.replace((high, low, close))?;
        let up = high - prev_high;
        let down = prev_low - low;
        let n = self.period as f64;
        let smoothing = self.bars + 1 >= self.period;
        if smoothing {
            self.minus_dm -= self.minus_dm / n;
            self.plus_dm -= self.plus_dm / n;
        }
        if down > 0.0 && up < down {
            self.minus_dm += down;
        } else if up > 0.0 && up > down {
            self.plus_dm += up;
        }
        let range = true_range(high, low, prev_close);
        if smoothing {
            self.tr = (self.tr - self.tr / n) + range;
        } else {
            self.tr += range;
            self.bars += 1;
            return None;
        }
        self.bars = self.period;
        if self.tr > 0.0 {
            Some(DirectionalIndex {
                plus: (self.plus_dm / self.tr) * 100.0,
                minus: (self.minus_dm / self.tr) * 100.0,
                has_range: true,
            })
        } else {
            Some(DirectionalIndex {
                plus: 0.0,
                minus: 0.0,
                has_range: false,
            })
        }
    }

    pub(crate) fn reset(&mut self) {
        *self = Self::new(self.period);
    }
}
