//! The candle series an indicator reads.

use std::fmt;
use std::str::FromStr;

use sift_core::Candle;

use crate::Error;

/// A series derived from each candle, as the rule language names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Open,
    High,
    Low,
    Close,
    Volume,
    QuoteVolume,
    Trades,
    TakerBuyVolume,
    TakerBuyQuoteVolume,
    /// (high + low) / 2
    Hl2,
    /// (high + low + close) / 3
    Hlc3,
    /// (open + high + low + close) / 4
    Ohlc4,
}

impl Source {
    /// Every source, in documentation order.
    pub const ALL: [Source; 12] = [
        Source::Open,
        Source::High,
        Source::Low,
        Source::Close,
        Source::Volume,
        Source::QuoteVolume,
        Source::Trades,
        Source::TakerBuyVolume,
        Source::TakerBuyQuoteVolume,
        Source::Hl2,
        Source::Hlc3,
        Source::Ohlc4,
    ];

    /// The value of this series for one candle.
    #[inline]
    pub fn of(self, c: &Candle) -> f64 {
        match self {
            Source::Open => c.open,
            Source::High => c.high,
            Source::Low => c.low,
            Source::Close => c.close,
            Source::Volume => c.volume,
            Source::QuoteVolume => c.quote_volume,
            Source::Trades => c.trades as f64,
            Source::TakerBuyVolume => c.taker_buy_volume,
            Source::TakerBuyQuoteVolume => c.taker_buy_quote_volume,
            Source::Hl2 => c.hl2(),
            Source::Hlc3 => c.hlc3(),
            Source::Ohlc4 => c.ohlc4(),
        }
    }

    /// The name the rule language uses.
    pub fn name(self) -> &'static str {
        match self {
            Source::Open => "open",
            Source::High => "high",
            Source::Low => "low",
            Source::Close => "close",
            Source::Volume => "volume",
            Source::QuoteVolume => "quote_volume",
            Source::Trades => "trades",
            Source::TakerBuyVolume => "taker_buy_volume",
            Source::TakerBuyQuoteVolume => "taker_buy_quote_volume",
            Source::Hl2 => "hl2",
            Source::Hlc3 => "hlc3",
            Source::Ohlc4 => "ohlc4",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Source {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Source::ALL
            .into_iter()
            .find(|src| src.name() == s)
            .ok_or_else(|| Error::UnknownSource(s.to_owned()))
    }
}
