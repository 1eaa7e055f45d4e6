//! Placeholder: being written.

/// Rolling 24 h statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticker;
