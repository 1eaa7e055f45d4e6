//! Binance spot market data at the edge of Sift: the wire formats, their conversion to Sift's
//! market types, and the REST and WebSocket clients. Decoding is pure; only [`client`] does IO.
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
//! - [`client`]: the networking clients.
//!   - `client/rest.rs`: [`RestClient`] ([`RestConfig`], [`RestStats`]): server time,
//!     exchangeInfo, ticker/24hr; `client/klines.rs`: klines, [`RestClient::klines_range`]
//!     (paging forwards), [`RestClient::closed_klines`] (paging backwards).
//!   - `client/weight.rs`: the request-weight budget shared by all clones
//!     (`X-MBX-USED-WEIGHT-1M`, 429 pause, 418 ban).
//!   - `client/backoff.rs`: [`Backoff`], jittered exponential delays.
//!   - `client/error.rs`: [`ClientError`], [`RestError`] (with `is_retryable`).
//!   - `client/ws/`: [`spawn_streams`], [`StreamHandle`], [`StreamEvent`], [`StreamStats`]:
//!     `pool.rs` (streams to connections, reconnects, rollovers), `connection.rs` (one
//!     connection), `subscriptions.rs` (control messages), `limits.rs` (messages per second,
//!     connection attempts), `stats.rs`.

pub mod client;
pub mod convert;
pub mod decimal;
pub mod error;
mod fast_kline;
pub mod frame;
pub mod market;
pub mod rest;
pub mod wire;

pub use client::{
    ALL_MINI_TICKERS, Backoff, CODE_INVALID_INTERVAL, CODE_INVALID_SYMBOL, ClientError,
    ConnectionState, ConnectionStats, RestClient, RestConfig, RestError, RestStats, StreamConfig,
    StreamEvent, StreamHandle, StreamStats, kline_stream, spawn_streams,
};
pub use error::{ConvertError, DecodeError};
pub use frame::{Frame, decode_frame};
pub use market::{KlineUpdate, SymbolInfo, SymbolStatus};
pub use rest::{
    Listing, decode_exchange_info, decode_klines, decode_rest_error, decode_ticker_24hr,
};
