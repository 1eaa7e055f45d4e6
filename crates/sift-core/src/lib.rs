//! Sift's market types: the vocabulary every other crate speaks.
//!
//! Pure and synchronous: no IO, no clock reads. Timestamps are UTC epoch milliseconds (`i64`).
//!
//! # Layout
//! - [`symbol`]: [`Symbol`], a validated upper-case trading pair name.
//! - [`interval`]: [`Interval`], every Binance kline interval with calendar-aware bucketing.
//! - [`candle`]: [`Candle`], one kline (open or closed).
//! - [`ticker`]: [`Ticker`], rolling 24 h statistics of one symbol.
//! - [`tier`]: [`Tier`], the access tiers anonymous < free < pro < elite.
//! - [`error`]: [`Error`], what parsing these types can reject.

pub mod candle;
pub mod error;
pub mod interval;
pub mod symbol;
pub mod ticker;
pub mod tier;

pub use candle::Candle;
pub use error::Error;
pub use interval::Interval;
pub use symbol::Symbol;
pub use ticker::Ticker;
pub use tier::Tier;
