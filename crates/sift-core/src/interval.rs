//! Kline intervals and the calendar arithmetic that buckets timestamps into candles.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use crate::Error;

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;
/// 1970-01-01 was a Thursday; weeks start on the Monday three days earlier.
const MONDAY_BEFORE_EPOCH_DAYS: i64 = -3;

/// A Binance kline interval.
///
/// Variants are declared (and ordered) from shortest to longest. The text form is Binance's and is
/// case-sensitive: `1m` is one minute, `1M` one calendar month.
///
/// Candle boundaries, all in UTC:
/// - fixed intervals (`1s` to `3d`) start at multiples of their length since the Unix epoch, so
///   `3d` candles start on days 0, 3, 6, ... after 1970-01-01, as Binance's do;
/// - `1w` candles start on Monday 00:00;
/// - `1M` candles start on the first day of each calendar month at 00:00.
///
/// Timestamps are epoch milliseconds. The bucketing methods clamp their input to
/// [`MIN_TIME_MS`](Self::MIN_TIME_MS)..=[`MAX_TIME_MS`](Self::MAX_TIME_MS) so that no input,
/// however absurd, can overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum Interval {
    S1,
    M1,
    M3,
    M5,
    M15,
    M30,
    H1,
    H2,
    H4,
    H6,
    H8,
    H12,
    D1,
    D3,
    W1,
    /// One calendar month (`1M`).
    Month1,
}

impl Interval {
    /// Every interval, shortest first.
    pub const ALL: [Interval; 16] = [
        Self::S1,
        Self::M1,
        Self::M3,
        Self::M5,
        Self::M15,
        Self::M30,
        Self::H1,
        Self::H2,
        Self::H4,
        Self::H6,
        Self::H8,
        Self::H12,
        Self::D1,
        Self::D3,
        Self::W1,
        Self::Month1,
    ];

    /// Earliest timestamp the bucketing methods distinguish: 100 million days before the epoch
    /// (the range of JavaScript's `Date`, about 273,790 BC).
    pub const MIN_TIME_MS: i64 = -100_000_000 * DAY;
    /// Latest timestamp the bucketing methods distinguish: 100 million days after the epoch.
    pub const MAX_TIME_MS: i64 = 100_000_000 * DAY;

    /// Binance's name: `1s`, `1m`, ..., `1w`, `1M`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::S1 => "1s",
            Self::M1 => "1m",
            Self::M3 => "3m",
            Self::M5 => "5m",
            Self::M15 => "15m",
            Self::M30 => "30m",
            Self::H1 => "1h",
            Self::H2 => "2h",
            Self::H4 => "4h",
            Self::H6 => "6h",
            Self::H8 => "8h",
            Self::H12 => "12h",
            Self::D1 => "1d",
            Self::D3 => "3d",
            Self::W1 => "1w",
            Self::Month1 => "1M",
        }
    }

    /// Length of every candle in milliseconds, or `None` for `1M`, whose months last 28 to 31
    /// days.
    pub const fn fixed_duration_ms(self) -> Option<i64> {
        Some(match self {
            Self::S1 => SECOND,
            Self::M1 => MINUTE,
            Self::M3 => 3 * MINUTE,
            Self::M5 => 5 * MINUTE,
            Self::M15 => 15 * MINUTE,
            Self::M30 => 30 * MINUTE,
            Self::H1 => HOUR,
            Self::H2 => 2 * HOUR,
            Self::H4 => 4 * HOUR,
            Self::H6 => 6 * HOUR,
            Self::H8 => 8 * HOUR,
            Self::H12 => 12 * HOUR,
            Self::D1 => DAY,
            Self::D3 => 3 * DAY,
            Self::W1 => WEEK,
            Self::Month1 => return None,
        })
    }

    /// Length in milliseconds for estimates (sizing buffers, ordering intervals): the fixed
    /// duration, and 30 days for `1M`. Never use it to compute candle boundaries.
    pub const fn nominal_duration_ms(self) -> i64 {
        match self.fixed_duration_ms() {
            Some(ms) => ms,
            None => 30 * DAY,
        }
    }

    /// Open time of the candle containing `ts_ms`: the latest boundary `<= ts_ms`.
    pub fn open_time(self, ts_ms: i64) -> i64 {
        let ts = ts_ms.clamp(Self::MIN_TIME_MS, Self::MAX_TIME_MS);
        match self {
            Self::W1 => {
                let monday = MONDAY_BEFORE_EPOCH_DAYS * DAY;
                (ts - monday).div_euclid(WEEK) * WEEK + monday
            }
            Self::Month1 => month_start(month_index(ts)),
            fixed => {
                let len = fixed.nominal_duration_ms();
                ts.div_euclid(len) * len
            }
        }
    }

    /// Open time of the candle after the one containing `ts_ms`.
    pub fn next_open(self, ts_ms: i64) -> i64 {
        match self {
            Self::Month1 => {
                month_start(month_index(ts_ms.clamp(Self::MIN_TIME_MS, Self::MAX_TIME_MS)) + 1)
            }
            fixed => self.open_time(ts_ms) + fixed.nominal_duration_ms(),
        }
    }

    /// Close time of the candle containing `ts_ms`, as Binance reports it: the next open time
    /// minus one millisecond.
    pub fn close_time(self, ts_ms: i64) -> i64 {
        self.next_open(ts_ms) - 1
    }

    /// How many candles later the candle containing `to_ms` opens than the one containing
    /// `from_ms`: 0 within one candle, 1 for consecutive candles, negative when `to_ms` is
    /// earlier. A gap between two consecutive rows holds `periods_between(a, b) - 1` candles.
    pub fn periods_between(self, from_ms: i64, to_ms: i64) -> i64 {
        match self {
            Self::Month1 => {
                let clamp = |ts: i64| ts.clamp(Self::MIN_TIME_MS, Self::MAX_TIME_MS);
                month_index(clamp(to_ms)) - month_index(clamp(from_ms))
            }
            fixed => {
                (self.open_time(to_ms) - self.open_time(from_ms)) / fixed.nominal_duration_ms()
            }
        }
    }
}

/// Months since 1970-01 (negative before) of the UTC calendar month containing `ts_ms`.
fn month_index(ts_ms: i64) -> i64 {
    let (year, month) = year_month(ts_ms.div_euclid(DAY));
    (year - 1970) * 12 + (month - 1)
}

/// Epoch milliseconds of 00:00 UTC on the first day of month `index` (see [`month_index`]).
fn month_start(index: i64) -> i64 {
    let year = 1970 + index.div_euclid(12);
    let month = index.rem_euclid(12) + 1;
    days_from_civil(year, month, 1) * DAY
}

/// Proleptic Gregorian (year, month 1..=12) of a day count since 1970-01-01, after Howard
/// Hinnant's `civil_from_days`: years are shifted to start in March so the leap day is last.
fn year_month(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_month = (5 * day_of_year + 2) / 153;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month)
}

/// Days since 1970-01-01 of a proleptic Gregorian date, after Hinnant's `days_from_civil`.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let march_month = (month + 9) % 12;
    let day_of_year = (153 * march_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

impl FromStr for Interval {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|interval| interval.as_str() == s)
            .ok_or_else(|| Error::UnknownInterval(s.to_owned()))
    }
}

impl TryFrom<String> for Interval {
    type Error = Error;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Interval {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Datelike, TimeZone, Utc};
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    /// Epoch milliseconds of an RFC 3339 UTC time such as `2024-02-29T23:59:59.999Z`.
    fn ms(rfc3339: &str) -> i64 {
        rfc3339.parse::<DateTime<Utc>>().unwrap().timestamp_millis()
    }

    #[rstest]
    #[case("1s", Interval::S1, Some(1_000))]
    #[case("1m", Interval::M1, Some(60_000))]
    #[case("3m", Interval::M3, Some(180_000))]
    #[case("5m", Interval::M5, Some(300_000))]
    #[case("15m", Interval::M15, Some(900_000))]
    #[case("30m", Interval::M30, Some(1_800_000))]
    #[case("1h", Interval::H1, Some(3_600_000))]
    #[case("2h", Interval::H2, Some(7_200_000))]
    #[case("4h", Interval::H4, Some(14_400_000))]
    #[case("6h", Interval::H6, Some(21_600_000))]
    #[case("8h", Interval::H8, Some(28_800_000))]
    #[case("12h", Interval::H12, Some(43_200_000))]
    #[case("1d", Interval::D1, Some(86_400_000))]
    #[case("3d", Interval::D3, Some(259_200_000))]
    #[case("1w", Interval::W1, Some(604_800_000))]
    #[case("1M", Interval::Month1, None)]
    fn parses_displays_and_measures(
        #[case] text: &str,
        #[case] interval: Interval,
        #[case] fixed_ms: Option<i64>,
    ) {
        assert_eq!(text.parse::<Interval>(), Ok(interval));
        assert_eq!(interval.to_string(), text);
        assert_eq!(interval.fixed_duration_ms(), fixed_ms);
        assert_eq!(interval.nominal_duration_ms(), fixed_ms.unwrap_or(30 * DAY));
        let json = serde_json::to_string(&interval).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<Interval>(&json).unwrap(), interval);
    }

    #[rstest]
    #[case("")]
    #[case("1")]
    #[case("1H")]
    #[case("1D")]
    #[case("60m")]
    #[case("2w")]
    #[case("1mo")]
    #[case(" 1m")]
    #[case("1m ")]
    fn rejects_unknown(#[case] text: &str) {
        assert_eq!(
            text.parse::<Interval>(),
            Err(Error::UnknownInterval(text.to_owned()))
        );
        assert!(serde_json::from_str::<Interval>(&format!("\"{text}\"")).is_err());
    }

    #[test]
    fn all_is_complete_sorted_and_distinct() {
        assert!(Interval::ALL.windows(2).all(|w| w[0] < w[1]));
        assert!(
            Interval::ALL
                .windows(2)
                .all(|w| w[0].nominal_duration_ms() < w[1].nominal_duration_ms())
        );
        assert_eq!(Interval::ALL.last(), Some(&Interval::Month1));
    }

    #[rstest]
    // Start, inside and last millisecond of a candle for each interval.
    #[case(
        Interval::S1,
        "2025-01-01T00:00:00.999Z",
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:01Z"
    )]
    #[case(
        Interval::M1,
        "2025-01-01T00:00:59.999Z",
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:01:00Z"
    )]
    #[case(
        Interval::M1,
        "2025-01-01T00:01:00Z",
        "2025-01-01T00:01:00Z",
        "2025-01-01T00:02:00Z"
    )]
    #[case(
        Interval::M3,
        "2025-01-01T00:05:00Z",
        "2025-01-01T00:03:00Z",
        "2025-01-01T00:06:00Z"
    )]
    #[case(
        Interval::M5,
        "2025-01-01T00:04:59.999Z",
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:05:00Z"
    )]
    #[case(
        Interval::M15,
        "2025-01-01T13:44:59.999Z",
        "2025-01-01T13:30:00Z",
        "2025-01-01T13:45:00Z"
    )]
    #[case(
        Interval::M30,
        "2025-01-01T13:30:00Z",
        "2025-01-01T13:30:00Z",
        "2025-01-01T14:00:00Z"
    )]
    #[case(
        Interval::H1,
        "2025-01-01T23:59:59.999Z",
        "2025-01-01T23:00:00Z",
        "2025-01-02T00:00:00Z"
    )]
    #[case(
        Interval::H2,
        "2025-01-01T01:59:00Z",
        "2025-01-01T00:00:00Z",
        "2025-01-01T02:00:00Z"
    )]
    #[case(
        Interval::H4,
        "2025-01-01T07:59:00Z",
        "2025-01-01T04:00:00Z",
        "2025-01-01T08:00:00Z"
    )]
    #[case(
        Interval::H6,
        "2025-01-01T23:59:00Z",
        "2025-01-01T18:00:00Z",
        "2025-01-02T00:00:00Z"
    )]
    #[case(
        Interval::H8,
        "2025-01-01T15:59:59.999Z",
        "2025-01-01T08:00:00Z",
        "2025-01-01T16:00:00Z"
    )]
    #[case(
        Interval::H12,
        "2025-01-01T12:00:00Z",
        "2025-01-01T12:00:00Z",
        "2025-01-02T00:00:00Z"
    )]
    #[case(
        Interval::D1,
        "2024-12-31T23:59:59.999Z",
        "2024-12-31T00:00:00Z",
        "2025-01-01T00:00:00Z"
    )]
    // 2025-01-01 is day 20089 since the epoch; 3d candles start on multiples of 3 days.
    #[case(
        Interval::D3,
        "2025-01-01T12:00:00Z",
        "2024-12-31T00:00:00Z",
        "2025-01-03T00:00:00Z"
    )]
    #[case(
        Interval::D3,
        "1970-01-03T23:59:59.999Z",
        "1970-01-01T00:00:00Z",
        "1970-01-04T00:00:00Z"
    )]
    // 2025-01-01 is a Wednesday; its week starts Monday 2024-12-30.
    #[case(
        Interval::W1,
        "2025-01-01T12:00:00Z",
        "2024-12-30T00:00:00Z",
        "2025-01-06T00:00:00Z"
    )]
    #[case(
        Interval::W1,
        "2024-12-30T00:00:00Z",
        "2024-12-30T00:00:00Z",
        "2025-01-06T00:00:00Z"
    )]
    #[case(
        Interval::W1,
        "2025-01-05T23:59:59.999Z",
        "2024-12-30T00:00:00Z",
        "2025-01-06T00:00:00Z"
    )]
    #[case(
        Interval::W1,
        "1970-01-01T00:00:00Z",
        "1969-12-29T00:00:00Z",
        "1970-01-05T00:00:00Z"
    )]
    // Calendar months, including leap and non-leap Februaries and the year end.
    #[case(
        Interval::Month1,
        "2024-02-29T23:59:59.999Z",
        "2024-02-01T00:00:00Z",
        "2024-03-01T00:00:00Z"
    )]
    #[case(
        Interval::Month1,
        "2023-02-28T23:59:59.999Z",
        "2023-02-01T00:00:00Z",
        "2023-03-01T00:00:00Z"
    )]
    #[case(
        Interval::Month1,
        "2000-02-29T00:00:00Z",
        "2000-02-01T00:00:00Z",
        "2000-03-01T00:00:00Z"
    )]
    #[case(
        Interval::Month1,
        "1900-02-28T12:00:00Z",
        "1900-02-01T00:00:00Z",
        "1900-03-01T00:00:00Z"
    )]
    #[case(
        Interval::Month1,
        "2024-12-31T23:59:59.999Z",
        "2024-12-01T00:00:00Z",
        "2025-01-01T00:00:00Z"
    )]
    #[case(
        Interval::Month1,
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00Z",
        "2025-02-01T00:00:00Z"
    )]
    #[case(
        Interval::Month1,
        "2024-04-30T10:00:00Z",
        "2024-04-01T00:00:00Z",
        "2024-05-01T00:00:00Z"
    )]
    // Before the epoch: floor, not truncation towards zero.
    #[case(
        Interval::S1,
        "1969-12-31T23:59:59.999Z",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z"
    )]
    #[case(
        Interval::M1,
        "1969-12-31T23:59:59.999Z",
        "1969-12-31T23:59:00Z",
        "1970-01-01T00:00:00Z"
    )]
    #[case(
        Interval::H4,
        "1969-12-31T19:00:00Z",
        "1969-12-31T16:00:00Z",
        "1969-12-31T20:00:00Z"
    )]
    #[case(
        Interval::D1,
        "1969-12-31T00:00:00.001Z",
        "1969-12-31T00:00:00Z",
        "1970-01-01T00:00:00Z"
    )]
    #[case(
        Interval::D3,
        "1969-12-31T23:59:59.999Z",
        "1969-12-29T00:00:00Z",
        "1970-01-01T00:00:00Z"
    )]
    #[case(
        Interval::W1,
        "1969-12-28T23:59:59.999Z",
        "1969-12-22T00:00:00Z",
        "1969-12-29T00:00:00Z"
    )]
    #[case(
        Interval::Month1,
        "1969-12-31T23:59:59.999Z",
        "1969-12-01T00:00:00Z",
        "1970-01-01T00:00:00Z"
    )]
    #[case(
        Interval::Month1,
        "1968-02-29T00:00:00Z",
        "1968-02-01T00:00:00Z",
        "1968-03-01T00:00:00Z"
    )]
    fn buckets(
        #[case] interval: Interval,
        #[case] ts: &str,
        #[case] open: &str,
        #[case] next: &str,
    ) {
        let (ts, open, next) = (ms(ts), ms(open), ms(next));
        assert_eq!(interval.open_time(ts), open);
        assert_eq!(interval.next_open(ts), next);
        assert_eq!(interval.next_open(open), next);
        assert_eq!(interval.close_time(ts), next - 1);
        assert_eq!(interval.open_time(next - 1), open);
        assert_eq!(interval.open_time(next), next);
        assert_eq!(interval.periods_between(open, next), 1);
        assert_eq!(interval.periods_between(ts, ts), 0);
    }

    #[rstest]
    #[case(Interval::M1, "2025-01-01T00:00:00Z", "2025-01-01T00:03:00Z", 3)]
    #[case(Interval::M1, "2025-01-01T00:03:59Z", "2025-01-01T00:00:00Z", -3)]
    #[case(Interval::H1, "1969-12-31T22:30:00Z", "1970-01-01T01:00:00Z", 3)]
    #[case(Interval::W1, "2024-12-29T23:59:59Z", "2024-12-30T00:00:00Z", 1)]
    #[case(Interval::Month1, "2023-11-30T00:00:00Z", "2024-02-29T00:00:00Z", 3)]
    #[case(Interval::Month1, "1969-12-31T00:00:00Z", "1971-01-01T00:00:00Z", 13)]
    #[case(Interval::Month1, "2024-03-01T00:00:00Z", "2024-02-29T23:59:59.999Z", -1)]
    fn counts_periods(
        #[case] interval: Interval,
        #[case] from: &str,
        #[case] to: &str,
        #[case] expected: i64,
    ) {
        assert_eq!(interval.periods_between(ms(from), ms(to)), expected);
    }

    #[test]
    fn extreme_timestamps_are_clamped_not_overflowed() {
        for interval in Interval::ALL {
            for ts in [i64::MIN, i64::MAX] {
                let clamped = ts.clamp(Interval::MIN_TIME_MS, Interval::MAX_TIME_MS);
                assert_eq!(interval.open_time(ts), interval.open_time(clamped));
                assert!(interval.next_open(ts) > interval.open_time(ts));
                let _ = interval.periods_between(i64::MIN, i64::MAX);
            }
        }
    }

    fn any_interval() -> impl Strategy<Value = Interval> {
        proptest::sample::select(Interval::ALL.to_vec())
    }

    /// Years 1 to 9999, where chrono's calendar serves as the reference.
    fn common_era() -> std::ops::Range<i64> {
        ms("0001-01-01T00:00:00Z")..ms("9999-12-31T23:59:59.999Z")
    }

    proptest! {
        #[test]
        fn open_time_contains_ts(
            interval in any_interval(),
            ts in Interval::MIN_TIME_MS..=Interval::MAX_TIME_MS,
        ) {
            let open = interval.open_time(ts);
            let next = interval.next_open(open);
            prop_assert!(open <= ts && ts < next);
            prop_assert_eq!(interval.open_time(open), open);
            prop_assert_eq!(interval.next_open(ts), next);
            prop_assert_eq!(interval.close_time(ts), next - 1);
            prop_assert_eq!(interval.periods_between(open, next), 1);
            if let Some(len) = interval.fixed_duration_ms() {
                prop_assert_eq!(next - open, len);
            }
        }

        #[test]
        fn months_agree_with_chrono(ts in common_era()) {
            let date = DateTime::from_timestamp_millis(ts).unwrap();
            let first = Utc.with_ymd_and_hms(date.year(), date.month(), 1, 0, 0, 0).unwrap();
            prop_assert_eq!(Interval::Month1.open_time(ts), first.timestamp_millis());
            let (year, month) = if date.month() == 12 {
                (date.year() + 1, 1)
            } else {
                (date.year(), date.month() + 1)
            };
            let next = Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).unwrap();
            prop_assert_eq!(Interval::Month1.next_open(ts), next.timestamp_millis());
        }

        #[test]
        fn weeks_start_on_monday(ts in common_era()) {
            let open = DateTime::from_timestamp_millis(Interval::W1.open_time(ts)).unwrap();
            prop_assert_eq!(open.weekday(), chrono::Weekday::Mon);
            prop_assert_eq!(open.timestamp_millis().rem_euclid(DAY), 0);
        }
    }
}
