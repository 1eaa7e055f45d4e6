//! Errors from parsing market types.

/// What parsing a market type can reject. Each variant carries the rejected input verbatim so
/// the caller can show it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Not 2 to 20 characters from `A-Z a-z 0-9`; see [`Symbol`](crate::Symbol).
    #[error("invalid symbol {0:?}: expected 2 to 20 characters A-Z or 0-9")]
    InvalidSymbol(String),
    /// Not one of Binance's interval names (case-sensitive); see [`Interval`](crate::Interval).
    #[error(
        "unknown interval {0:?}: expected one of 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M"
    )]
    UnknownInterval(String),
    /// Not one of the access tiers.
    #[error("unknown tier {0:?}: expected one of anonymous free pro elite")]
    UnknownTier(String),
}

#[cfg(test)]
mod tests {
    use crate::Interval;

    #[test]
    fn unknown_interval_lists_every_interval() {
        let names: Vec<&str> = Interval::ALL.iter().map(|i| i.as_str()).collect();
        let message = "1H".parse::<Interval>().unwrap_err().to_string();
        assert_eq!(
            message,
            format!(
                "unknown interval \"1H\": expected one of {}",
                names.join(" ")
            )
        );
    }
}
