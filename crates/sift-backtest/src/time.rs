//! Times on the command line and in output: RFC 3339, dates, epoch milliseconds.

use chrono::{DateTime, NaiveDate, SecondsFormat};
use sift_core::Interval;

use crate::Error;

/// Parses a `--from`/`--to` time into UTC epoch milliseconds.
///
/// Accepts RFC 3339 with any offset (`2025-01-31T12:00:00Z`, `2025-01-31T13:00:00+01:00`), a
/// bare date meaning 00:00 UTC (`2025-01-31`), or an integer of epoch milliseconds (possibly
/// negative). Times outside [`Interval::MIN_TIME_MS`]..=[`Interval::MAX_TIME_MS`] are
/// rejected, so that no window bound can overflow interval arithmetic.
pub fn parse_time(text: &str) -> Result<i64, Error> {
    let text = text.trim();
    let ms = if let Ok(ms) = text.parse::<i64>() {
        Some(ms)
    } else if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        Some(time.timestamp_millis())
    } else {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|date| date.and_hms_opt(0, 0, 0))
            .map(|time| time.and_utc().timestamp_millis())
    };
    ms.filter(|ms| (Interval::MIN_TIME_MS..=Interval::MAX_TIME_MS).contains(ms))
        .ok_or_else(|| Error::Time {
            text: text.to_owned(),
        })
}

/// RFC 3339 in UTC with a `Z` and only the fraction of a second that is there
/// (`2025-01-01T00:05:00Z`, `2025-01-01T00:05:00.500Z`); the number itself when out of
/// chrono's range.
pub fn format_time(ms: i64) -> String {
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
    #[case("1735689600000", 1_735_689_600_000)]
    #[case("-60000", -60_000)]
    #[case("2025-01-01T00:00:00Z", 1_735_689_600_000)]
    #[case("2025-01-01T01:00:00+01:00", 1_735_689_600_000)]
    #[case(" 2025-01-01T00:00:00.250Z ", 1_735_689_600_250)]
    #[case("2025-01-01", 1_735_689_600_000)]
    fn parses(#[case] text: &str, #[case] ms: i64) {
        assert_eq!(parse_time(text).unwrap(), ms);
    }

    #[rstest]
    #[case("")]
    #[case("yesterday")]
    #[case("2025-13-01")]
    #[case("2025-01-01 00:00")]
    #[case("1.5")]
    #[case("99999999999999999")]
    fn rejects(#[case] text: &str) {
        assert!(
            matches!(parse_time(text), Err(Error::Time { .. })),
            "{text}"
        );
    }

    #[test]
    fn formats_as_utc() {
        assert_eq!(format_time(1_735_689_900_000), "2025-01-01T00:05:00Z");
        assert_eq!(format_time(1_735_689_900_500), "2025-01-01T00:05:00.500Z");
        assert_eq!(format_time(i64::MAX), i64::MAX.to_string());
    }
}
