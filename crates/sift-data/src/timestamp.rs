//! Timestamps in candle files: milliseconds or microseconds, told apart by magnitude.

use chrono::{DateTime, SecondsFormat};

/// Raw timestamps whose magnitude exceeds this are microseconds; smaller ones are milliseconds.
///
/// 1e14 ms is the year 5138 and 1e14 µs is 1973-03-03, so every real kline timestamp is
/// classified correctly. Binance's public files switched from milliseconds to microseconds in
/// 2025.
pub(crate) const MICROS_ABOVE: i64 = 100_000_000_000_000;

/// Raw timestamps whose magnitude reaches this are rejected: 1e17 µs is again the year 5138,
/// so anything larger is nanoseconds or junk, which taken as microseconds would be read as a
/// date tens of thousands of years away.
pub(crate) const REJECT_FROM: i64 = 100_000_000_000_000_000;

/// Epoch milliseconds of a raw millisecond or microsecond timestamp (see [`MICROS_ABOVE`]), or
/// `None` when its magnitude is [`REJECT_FROM`] or more.
///
/// Microseconds are floored, so a microsecond close time `...59_999_999` becomes the millisecond
/// close time `...59_999` that Binance reports. Accepted results lie within ±1e14 ms, well inside
/// the range [`sift_core::Interval`] buckets without clamping.
pub(crate) fn to_millis(raw: i64) -> Option<i64> {
    let magnitude = raw.unsigned_abs();
    if magnitude >= REJECT_FROM.unsigned_abs() {
        None
    } else if magnitude > MICROS_ABOVE.unsigned_abs() {
        Some(raw.div_euclid(1_000))
    } else {
        Some(raw)
    }
}

/// RFC 3339 text of epoch milliseconds for messages, e.g. `2025-01-01T00:03:00Z`; the raw
/// number when it is outside the calendar's range.
pub(crate) fn display(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
    )
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case::millis(1_735_689_600_000, Some(1_735_689_600_000))]
    #[case::micros(1_735_689_600_000_000, Some(1_735_689_600_000))]
    #[case::micros_close_time(1_735_689_659_999_999, Some(1_735_689_659_999))]
    #[case::threshold_is_millis(100_000_000_000_000, Some(100_000_000_000_000))]
    #[case::just_above_is_micros(100_000_000_000_001, Some(100_000_000_000))]
    #[case::largest_micros(99_999_999_999_999_999, Some(99_999_999_999_999))]
    #[case::zero(0, Some(0))]
    #[case::negative_millis(-1_000, Some(-1_000))]
    #[case::negative_micros_floor(-100_000_000_000_001, Some(-100_000_000_001))]
    #[case::smallest_negative_micros(-99_999_999_999_999_999, Some(-100_000_000_000_000))]
    #[case::nanos(1_735_689_600_000_000_000, None)]
    #[case::limit(100_000_000_000_000_000, None)]
    #[case::negative_limit(-100_000_000_000_000_000, None)]
    #[case::max(i64::MAX, None)]
    #[case::min(i64::MIN, None)]
    fn converts(#[case] raw: i64, #[case] ms: Option<i64>) {
        assert_eq!(to_millis(raw), ms);
    }

    #[rstest]
    #[case(1_735_689_780_000, "2025-01-01T00:03:00Z")]
    #[case(1_735_689_659_999, "2025-01-01T00:00:59.999Z")]
    #[case(-1, "1969-12-31T23:59:59.999Z")]
    #[case(i64::MAX, "9223372036854775807")]
    fn displays(#[case] ms: i64, #[case] text: &str) {
        assert_eq!(display(ms), text);
    }
}
