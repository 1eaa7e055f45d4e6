//! What setting traders can reject. Processing candles never fails.

use sift_core::Interval;

use crate::TraderId;

/// Why [`Engine::set_traders`](crate::Engine::set_traders) rejected a trader set. The engine is
/// left unchanged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("trader {0} is given more than once")]
    DuplicateTrader(TraderId),
    #[error(
        "trader {trader} runs on {trader_interval} but its rule was checked for {rule_interval}"
    )]
    IntervalMismatch {
        trader: TraderId,
        trader_interval: Interval,
        rule_interval: Interval,
    },
    /// The program breaks the IR's invariants (forward references, a root out of range); a bug
    /// in whatever built it.
    #[error("trader {trader} has a malformed program: {reason}")]
    MalformedProgram { trader: TraderId, reason: String },
    /// An indicator or divergence of the rule cannot be built (constraints between parameters
    /// that the checker let through).
    #[error("trader {trader}: cannot build {what}: {source}")]
    Indicator {
        trader: TraderId,
        what: String,
        source: sift_indicators::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_trader() {
        let err = Error::IntervalMismatch {
            trader: TraderId(7),
            trader_interval: Interval::M5,
            rule_interval: Interval::M1,
        };
        assert_eq!(
            err.to_string(),
            "trader 7 runs on 5m but its rule was checked for 1m"
        );
        assert_eq!(
            Error::DuplicateTrader(TraderId(3)).to_string(),
            "trader 3 is given more than once"
        );
    }
}
