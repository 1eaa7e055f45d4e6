//! Structs mirroring Binance's JSON exactly, one file per message family.
//!
//! Field names are Binance's (renamed to Rust names with `serde(rename)`); unknown fields are
//! ignored so that additions by Binance do not break decoding. Decimal strings stay strings here,
//! borrowed from the message; [`crate::convert`] parses them.

pub mod control;
pub mod exchange_info;
pub mod kline;
pub mod mini_ticker;
pub mod rest_error;
pub mod rest_klines;
pub mod stream;
pub mod ticker_24hr;

pub use control::{ControlError, ControlResponse, ControlResult};
pub use exchange_info::{ExchangeInfo, SymbolInfo};
pub use kline::{Kline, KlineEvent};
pub use mini_ticker::{MiniTickerArray, MiniTickerEvent};
pub use rest_error::RestError;
pub use rest_klines::KlineRow;
pub use stream::{Combined, CombinedRaw, EventType, ServerShutdown};
pub use ticker_24hr::{Ticker24hrFull, Ticker24hrMini};
