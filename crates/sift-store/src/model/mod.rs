//! The records the store reads and writes.
//!
//! Ids are `i64`, times are UTC epoch milliseconds (`i64`). Records serialize to the JSON the API
//! answers with; secrets (password and token hashes, channel secrets) are never serialized.
//! `New*` structs are what callers insert; the store assigns ids and bookkeeping times.
//!
//! One file per concept; everything is re-exported here and at the crate root.

mod accounts;
mod notify;
mod signals;
mod traders;

pub use accounts::*;
pub use notify::*;
pub use signals::*;
pub use traders::*;

/// Most rows one list call answers, whatever limit the caller asks for.
pub const MAX_PAGE: u32 = 1_000;
