//! Wire structs to Sift's market types. Decimal strings are parsed here, at the edge; nothing in
//! this module panics on bad data: every rejection is a [`ConvertError`].

pub mod exchange;
pub mod kline;
pub mod ticker;

pub use exchange::symbol_info;
pub use kline::{candle, kline_update, rest_candle};
pub use ticker::{mini_ticker, ticker_24hr_full, ticker_24hr_mini};

use sift_core::{Interval, Symbol};

use crate::ConvertError;
use crate::decimal::parse_decimal;

/// A Binance decimal string as a finite `f64`; `field` names it in the error.
pub fn decimal(field: &'static str, text: &str) -> Result<f64, ConvertError> {
    parse_decimal(text)
        .filter(|value| value.is_finite())
        .ok_or_else(|| ConvertError::Decimal {
            field,
            value: text.to_owned(),
        })
}

/// A symbol as Binance spells it (upper case in events and REST, lower case in stream names).
pub fn symbol(text: &str) -> Result<Symbol, ConvertError> {
    Ok(Symbol::new(text)?)
}

/// An interval name, `1s` to `1M` (case-sensitive).
pub fn interval(text: &str) -> Result<Interval, ConvertError> {
    Ok(text.parse()?)
}

/// Checks the event type `e` of a message family.
pub(crate) fn expect_event(expected: &'static str, got: &str) -> Result<(), ConvertError> {
    if got == expected {
        Ok(())
    } else {
        Err(ConvertError::EventType {
            expected,
            got: got.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_rejects_non_finite_and_names_the_field() {
        assert_eq!(decimal("c", "0.5"), Ok(0.5));
        let huge = "9".repeat(400);
        assert!(matches!(
            decimal("v", &huge),
            Err(ConvertError::Decimal { field: "v", .. })
        ));
        assert!(decimal("o", "1e3").is_err());
    }

    #[test]
    fn symbol_and_interval() {
        assert_eq!(symbol("btcusdt").unwrap().as_str(), "BTCUSDT");
        assert!(symbol("BTC-USDT").is_err());
        assert_eq!(interval("1M"), Ok(Interval::Month1));
        assert!(interval("2m").is_err());
    }
}
