//! Binance spot market data at the edge of Sift: the wire formats and their conversion to
//! Sift's market types. No IO here; the WebSocket and REST clients call into this crate.
//!
//! Timestamps are taken as epoch milliseconds, Binance's default: clients must not request
//! `timeUnit=MICROSECOND`.
//!
//! # Layout
//! - [`wire`]: structs mirroring Binance's JSON exactly, one file per message family, each with
//!   a raw example. Decimal strings stay borrowed `&str`.
//! - [`convert`]: wire structs to [`sift_core`] types ([`Candle`](sift_core::Candle),
//!   [`Ticker`](sift_core::Ticker), [`Symbol`](sift_core::Symbol),
//!   [`Interval`](sift_core::Interval)) and to [`market`] types; decimals are parsed here.
//! - [`decimal`]: exact, fast parsing of Binance decimal strings.
//! - [`frame`]: [`decode_frame`], one stream text frame to a [`Frame`]; `fast_kline` is its
//!   single-pass scanner for kline frames in Binance's exact layout.
//! - [`rest`]: REST response bodies (klines, exchangeInfo, ticker/24hr, errors) to values.
//! - [`market`]: [`KlineUpdate`], [`SymbolInfo`], [`SymbolStatus`].
//! - [`error`]: [`ConvertError`] (valid JSON, invalid values) and [`DecodeError`].

pub mod convert;
pub mod decimal;
pub mod error;
mod fast_kline;
pub mod frame;
pub mod market;
pub mod rest;
pub mod wire;

pub use error::{ConvertError, DecodeError};
pub use frame::{Frame, decode_frame};
pub use market::{KlineUpdate, SymbolInfo, SymbolStatus};
pub use rest::{
    Listing, decode_exchange_info, decode_klines, decode_rest_error, decode_ticker_24hr,
};
