//! Test support shared by the IO crates' tests and by `sift fake-binance`.
//!
//! # Layout
//! - [`wait`]: [`wait_until`], polling a condition instead of sleeping a fixed time.
//! - [`fake`]: the fake Binance server (REST, WebSocket, faults) on top of `sift-sim`.
//! - [`postgres`]: a fresh PostgreSQL database per test.
//! - [`redis`]: a Redis connection with a key prefix of its own per test.

pub mod fake;
pub mod postgres;
pub mod redis;
pub mod wait;

pub use wait::wait_until;
