//! What converting and decoding Binance messages can reject.

/// A well-formed Binance message whose content does not make a valid market value.
///
/// Each variant carries the offending text so the caller can log it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConvertError {
    /// A price, quantity or volume that is not a plain decimal (`-`? digits, optionally `.` digits).
    #[error("field {field}: {value:?} is not a decimal number")]
    Decimal { field: &'static str, value: String },
    /// An invalid symbol or an unknown interval name.
    #[error(transparent)]
    Market(#[from] sift_core::Error),
    /// The event type `e` is not the one this message family carries.
    #[error("expected event {expected:?}, got {got:?}")]
    EventType { expected: &'static str, got: String },
    /// A kline whose high is below its low.
    #[error("kline opening at {open_time}: high {high} below low {low}")]
    HighBelowLow { open_time: i64, high: f64, low: f64 },
    /// A kline whose close time is before its open time.
    #[error("kline opening at {open_time}: close time {close_time} is before it")]
    CloseBeforeOpen { open_time: i64, close_time: i64 },
}

/// Why a frame or response body could not be turned into market values.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or JSON of the wrong shape for the message it claims to be.
    #[error("malformed json: {0}")]
    Json(#[from] serde_json::Error),
    /// Valid JSON that is none of the messages Sift knows (no `stream`, `e`, `result` or `code`).
    #[error("unrecognised frame")]
    Unrecognised,
    /// A well-formed event of a type Sift does not consume (for example `24hrTicker`).
    #[error("unsupported event {0:?}")]
    UnsupportedEvent(String),
    /// The message parsed but its values are invalid.
    #[error(transparent)]
    Convert(#[from] ConvertError),
}

impl DecodeError {
    /// Whether the frame was broken (count it as malformed) rather than merely of a kind Sift
    /// ignores. Both are skipped; only malformed frames indicate a problem worth alerting on.
    pub fn is_malformed(&self) -> bool {
        !matches!(self, Self::UnsupportedEvent(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_input() {
        let err = ConvertError::Decimal {
            field: "o",
            value: "1e5".to_owned(),
        };
        assert_eq!(err.to_string(), r#"field o: "1e5" is not a decimal number"#);
        let err = ConvertError::from(sift_core::Error::UnknownInterval("2m".to_owned()));
        assert!(err.to_string().starts_with(r#"unknown interval "2m""#));
    }

    #[test]
    fn only_unsupported_events_are_not_malformed() {
        assert!(!DecodeError::UnsupportedEvent("24hrTicker".to_owned()).is_malformed());
        assert!(DecodeError::Unrecognised.is_malformed());
        let json = serde_json::from_str::<u8>("x").unwrap_err();
        assert!(DecodeError::from(json).is_malformed());
    }
}
