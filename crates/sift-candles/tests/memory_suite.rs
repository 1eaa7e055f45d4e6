//! The behavioural suite run from outside the crate, as another backend's tests will run it.

use sift_candles::{Capacities, MemoryCandleStore};

sift_candles::candle_store_suite!(|caps: Capacities| MemoryCandleStore::new(caps));
