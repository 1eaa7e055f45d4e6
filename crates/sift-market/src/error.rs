//! What setting up the collector can reject.

/// An error from this crate's configuration and setup; running errors are `anyhow` with
/// context.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// A configuration value out of range.
    #[error("invalid market configuration: {0}")]
    Config(String),
    /// A candle file for the replay source could not be read.
    #[error("reading candle file")]
    Data(#[from] sift_data::Error),
    /// The candle files hold conflicting candles.
    #[error("merging candle files")]
    Merge(#[from] sift_backtest::Error),
}
