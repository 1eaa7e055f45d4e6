//! Where anchored indicators (VWAP) restart their running sums.

use std::fmt;
use std::str::FromStr;

use sift_core::Interval;

use crate::Error;

/// The calendar period an anchored indicator accumulates over, in UTC.
///
/// A new period starts with the first candle whose open time falls in a later UTC day, ISO week
/// (Monday 00:00) or calendar month than the previous candle's. `Session` never restarts: the
/// whole stream, from the first candle (or the last reset), is one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Anchor {
    #[default]
    Day,
    Week,
    Month,
    Session,
}

impl Anchor {
    /// Every spelling [`FromStr`] accepts, in documentation order: the parameter choices of
    /// `vwap(anchor=...)`. `none` is another name for `session`.
    pub const CHOICES: &'static [&'static str] = &["day", "week", "month", "session", "none"];

    /// An identifier of the period containing `open_time` (UTC epoch ms): its start time, or 0
    /// for `Session`. It changes exactly when a new period begins.
    #[inline]
    pub(crate) fn period_of(self, open_time: i64) -> i64 {
        match self {
            Anchor::Day => Interval::D1.open_time(open_time),
            Anchor::Week => Interval::W1.open_time(open_time),
            Anchor::Month => Interval::Month1.open_time(open_time),
            Anchor::Session => 0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Anchor::Day => "day",
            Anchor::Week => "week",
            Anchor::Month => "month",
            Anchor::Session => "session",
        }
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Anchor {
    type Err = Error;

    /// `day`, `week`, `month`, and `session` (also spelled `none`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "day" => Ok(Anchor::Day),
            "week" => Ok(Anchor::Week),
            "month" => Ok(Anchor::Month),
            "session" | "none" => Ok(Anchor::Session),
            _ => Err(Error::UnknownAnchor(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    #[test]
    fn periods_change_at_utc_boundaries() {
        // 2024-01-01 was a Monday; 2024-01-31 23:00 and 2024-02-01 00:00 straddle a month.
        let jan1 = 1_704_067_200_000;
        assert_eq!(Anchor::Day.period_of(jan1 + 23 * HOUR), jan1);
        assert_ne!(Anchor::Day.period_of(jan1 + DAY), jan1);
        assert_eq!(Anchor::Week.period_of(jan1 + 6 * DAY + 23 * HOUR), jan1);
        assert_eq!(Anchor::Week.period_of(jan1 + 7 * DAY), jan1 + 7 * DAY);
        let feb1 = jan1 + 31 * DAY;
        assert_eq!(Anchor::Month.period_of(feb1 - HOUR), jan1);
        assert_eq!(Anchor::Month.period_of(feb1), feb1);
        assert_eq!(
            Anchor::Session.period_of(feb1),
            Anchor::Session.period_of(jan1)
        );
    }

    #[test]
    fn parses_and_displays() {
        for a in [Anchor::Day, Anchor::Week, Anchor::Month, Anchor::Session] {
            assert_eq!(a.to_string().parse::<Anchor>().unwrap(), a);
        }
        assert_eq!("none".parse::<Anchor>().unwrap(), Anchor::Session);
        assert_eq!(
            "hour".parse::<Anchor>().unwrap_err().to_string(),
            "unknown anchor \"hour\"; available: day week month session none"
        );
        for choice in Anchor::CHOICES {
            assert!(choice.parse::<Anchor>().is_ok(), "{choice}");
        }
    }
}
