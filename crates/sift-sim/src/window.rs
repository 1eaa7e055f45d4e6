//! The rolling 24 h window of closed 1m candles behind a symbol's ticker, kept incrementally.

use std::collections::VecDeque;

use crate::bar::Bar;

/// Closed 1m candles a 24 h window holds besides the forming one.
pub(crate) const WINDOW_MINUTES: i32 = 1_439;

/// Sums and extremes of the newest `len` candles of a symbol's 1m ring: those opening in the
/// 1,439 minutes before the forming one. Sums are updated as candles enter and leave; the
/// extremes are rescanned only when a candle holding one of them leaves.
#[derive(Debug, Clone, Default)]
pub(crate) struct Window {
    len: usize,
    high: u32,
    low: u32,
    trades: u64,
    volume: u64,
    quote: u64,
}

/// What [`Window::stats`] reports, in the symbol's integer units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WindowStats {
    pub(crate) open: u32,
    pub(crate) high: u32,
    pub(crate) low: u32,
    pub(crate) trades: u64,
    pub(crate) volume: u64,
    pub(crate) quote: u64,
}

impl Window {
    /// After `added` (if any) was pushed onto `ring`, drops the candles opening before
    /// `start_minute`. The ring must hold at least the window.
    pub(crate) fn slide(&mut self, ring: &VecDeque<Bar>, added: Option<&Bar>, start_minute: i32) {
        if let Some(bar) = added {
            if self.len == 0 {
                self.high = bar.high;
                self.low = bar.low;
            } else {
                self.high = self.high.max(bar.high);
                self.low = self.low.min(bar.low);
            }
            self.len += 1;
            self.trades += u64::from(bar.trades);
            self.volume += bar.volume;
            self.quote += bar.quote;
        }
        self.len = self.len.min(ring.len());
        let mut rescan = false;
        while let Some(oldest) = ring.get(ring.len() - self.len) {
            if oldest.minute >= start_minute {
                break;
            }
            rescan |= oldest.high >= self.high || oldest.low <= self.low;
            self.len -= 1;
            self.trades -= u64::from(oldest.trades);
            self.volume -= oldest.volume;
            self.quote -= oldest.quote;
        }
        if rescan {
            let bars = ring.range(ring.len() - self.len..);
            self.high = bars.clone().map(|b| b.high).max().unwrap_or(0);
            self.low = bars.map(|b| b.low).min().unwrap_or(0);
        }
    }

    /// The window's candles as one, or `None` when it is empty.
    pub(crate) fn stats(&self, ring: &VecDeque<Bar>) -> Option<WindowStats> {
        if self.len == 0 {
            return None;
        }
        let oldest = ring.get(ring.len().checked_sub(self.len)?)?;
        Some(WindowStats {
            open: oldest.open,
            high: self.high,
            low: self.low,
            trades: self.trades,
            volume: self.volume,
            quote: self.quote,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(minute: i32, high: u32, low: u32) -> Bar {
        Bar {
            minute,
            open: low,
            high,
            low,
            close: high,
            trades: 2,
            volume: 10,
            taker_volume: 5,
            quote: 100,
            taker_quote: 50,
        }
    }

    #[test]
    fn matches_a_full_rescan() {
        let mut ring = VecDeque::new();
        let mut window = Window::default();
        for minute in 0..5_000 {
            // Skip some minutes, as a halted market does.
            if minute % 97 < 5 {
                window.slide(&ring, None, minute + 1 - WINDOW_MINUTES);
                continue;
            }
            let high = 1_000 + ((minute * 7919) % 500) as u32;
            ring.push_back(bar(minute, high, high - 50));
            if ring.len() > 1_500 {
                ring.pop_front();
            }
            let added = ring.back().copied();
            window.slide(&ring, added.as_ref(), minute + 1 - WINDOW_MINUTES);
            let inside: Vec<&Bar> = ring
                .iter()
                .filter(|b| b.minute > minute - WINDOW_MINUTES)
                .collect();
            let stats = window.stats(&ring).unwrap();
            assert_eq!(stats.open, inside[0].open);
            assert_eq!(stats.high, inside.iter().map(|b| b.high).max().unwrap());
            assert_eq!(stats.low, inside.iter().map(|b| b.low).min().unwrap());
            assert_eq!(stats.volume, 10 * inside.len() as u64);
        }
    }
}
