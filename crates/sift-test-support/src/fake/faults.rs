//! Faults the fake server injects on demand: the JSON of `POST /fake/faults` and the set in
//! force.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use sift_core::{Interval, Symbol};
use tokio::time::Instant;

/// Faults to inject, as `POST /fake/faults` takes them and `GET /fake/faults` shows them.
///
/// Posting merges into the set in force: a field left out changes nothing; a ratio or a
/// duration of 0 ends that fault; `kline_gap` adds to the gaps; `clear` first ends every fault
/// (including a REST ban). Durations are wall-clock seconds from the moment they are set; the
/// view shows the seconds left. `disconnect_all`, `server_shutdown` and `clear` act once and
/// always read `false`.
///
/// ```json
/// {"disconnect_all": true}          every WebSocket connection dropped at once (no close frame)
/// {"silence_s": 90}                 half-open: the connections open now send nothing (pings
///                                   included) and close nothing; new connections are served
/// {"rest_429_for_s": 10}            REST answers 429; a request after that 429 earns a 418 ban
/// {"ban_418_for_s": 30}             REST answers 418 (banned)
/// {"drop_ratio": 0.1}               data events lost
/// {"duplicate_ratio": 0.1}          data events sent twice
/// {"reorder_ratio": 0.1}            a data event held back and sent after the next one
/// {"malformed_ratio": 0.05}         data events cut in half (invalid JSON)
/// {"max_connection_age_s": 20}      connections closed (close frame) at this age
/// {"server_shutdown": true}         serverShutdown sent to all, connections closed after a grace
/// {"kline_gap": {"symbol": "BTCUSDT", "interval": "1m", "from": T, "to": T}}
///                                   final updates of candles opening in [from, to] not sent
/// {"clear": true}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    #[serde(skip_serializing_if = "is_false")]
    pub clear: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub disconnect_all: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub server_shutdown: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silence_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rest_429_for_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ban_418_for_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reorder_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malformed_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connection_age_s: Option<f64>,
    /// One gap or a list of them.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "one_or_many"
    )]
    pub kline_gap: Vec<KlineGap>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Candles of one stream whose final update (`x=true`) the WebSocket does not send: those
/// opening in `[from, to]`. REST still serves them, so gap repair can be checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KlineGap {
    pub symbol: Symbol,
    pub interval: Interval,
    pub from: i64,
    pub to: i64,
}

impl KlineGap {
    pub fn covers(&self, symbol: &Symbol, interval: Interval, open_time: i64) -> bool {
        self.interval == interval
            && self.symbol == *symbol
            && (self.from..=self.to).contains(&open_time)
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<KlineGap>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(KlineGap),
        Many(Vec<KlineGap>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(gap) => vec![gap],
        OneOrMany::Many(gaps) => gaps,
    })
}

/// How often each per-message fault strikes, 0 to 1.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Ratios {
    pub(crate) drop: f64,
    pub(crate) duplicate: f64,
    pub(crate) reorder: f64,
    pub(crate) malformed: f64,
}

/// The WebSocket faults in force (REST's are the limiter's).
#[derive(Debug, Default)]
pub(crate) struct ActiveFaults {
    /// When the silence was set (connections opened later are not silent) and until when.
    silence_since: Option<Instant>,
    silence_until: Option<Instant>,
    max_connection_age: Option<Duration>,
    ratios: Ratios,
    kline_gaps: Vec<KlineGap>,
}

/// `seconds` from `now`, or `None` for 0, a negative number or NaN.
pub(crate) fn deadline(now: Instant, seconds: f64) -> Option<Instant> {
    (seconds > 0.0 && seconds.is_finite()).then(|| now + Duration::from_secs_f64(seconds))
}

/// Seconds left until `until`, to the millisecond, if still ahead.
pub(crate) fn seconds_left(now: Instant, until: Option<Instant>) -> Option<f64> {
    let left = until?.checked_duration_since(now)?;
    (!left.is_zero()).then(|| (left.as_secs_f64() * 1_000.0).round() / 1_000.0)
}

fn ratio(x: f64) -> f64 {
    if x.is_finite() {
        x.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

impl ActiveFaults {
    /// Merges the WebSocket part of `faults` (`clear` included; one-shot actions are the
    /// caller's).
    pub(crate) fn apply(&mut self, faults: &Faults, now: Instant) {
        if faults.clear {
            *self = Self::default();
        }
        if let Some(s) = faults.silence_s {
            self.silence_since = Some(now);
            self.silence_until = deadline(now, s);
        }
        if let Some(s) = faults.max_connection_age_s {
            self.max_connection_age =
                (s > 0.0 && s.is_finite()).then(|| Duration::from_secs_f64(s));
        }
        let r = &mut self.ratios;
        for (field, value) in [
            (&mut r.drop, faults.drop_ratio),
            (&mut r.duplicate, faults.duplicate_ratio),
            (&mut r.reorder, faults.reorder_ratio),
            (&mut r.malformed, faults.malformed_ratio),
        ] {
            if let Some(v) = value {
                *field = ratio(v);
            }
        }
        self.kline_gaps.extend(faults.kline_gap.iter().cloned());
    }

    /// Whether a connection opened at `opened` must send nothing at all now.
    pub(crate) fn silent(&self, opened: Instant, now: Instant) -> bool {
        self.silence_until.is_some_and(|until| now < until)
            && self.silence_since.is_some_and(|since| opened <= since)
    }

    pub(crate) fn max_connection_age(&self) -> Option<Duration> {
        self.max_connection_age
    }

    pub(crate) fn ratios(&self) -> Ratios {
        self.ratios
    }

    pub(crate) fn kline_gaps(&self) -> &[KlineGap] {
        &self.kline_gaps
    }

    /// The WebSocket faults in force, as JSON shows them.
    pub(crate) fn view(&self, now: Instant) -> Faults {
        let positive = |x: f64| (x > 0.0).then_some(x);
        Faults {
            silence_s: seconds_left(now, self.silence_until),
            max_connection_age_s: self.max_connection_age.map(|d| d.as_secs_f64()),
            drop_ratio: positive(self.ratios.drop),
            duplicate_ratio: positive(self.ratios.duplicate),
            reorder_ratio: positive(self.ratios.reorder),
            malformed_ratio: positive(self.ratios.malformed),
            kline_gap: self.kline_gaps.clone(),
            ..Faults::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_fault() {
        let parse = |json: &str| serde_json::from_str::<Faults>(json).unwrap();
        assert!(parse(r#"{"disconnect_all": true}"#).disconnect_all);
        assert_eq!(parse(r#"{"silence_s": 90}"#).silence_s, Some(90.0));
        assert_eq!(
            parse(r#"{"rest_429_for_s": 10}"#).rest_429_for_s,
            Some(10.0)
        );
        assert_eq!(parse(r#"{"ban_418_for_s": 30}"#).ban_418_for_s, Some(30.0));
        assert_eq!(parse(r#"{"drop_ratio": 0.1}"#).drop_ratio, Some(0.1));
        assert_eq!(
            parse(r#"{"max_connection_age_s": 20}"#).max_connection_age_s,
            Some(20.0)
        );
        let gap = parse(
            r#"{"kline_gap": {"symbol": "BTCUSDT", "interval": "1m", "from": 60000, "to": 120000}}"#,
        );
        assert_eq!(gap.kline_gap.len(), 1);
        assert!(gap.kline_gap[0].covers(&"BTCUSDT".parse().unwrap(), Interval::M1, 120_000));
        assert!(!gap.kline_gap[0].covers(&"BTCUSDT".parse().unwrap(), Interval::M5, 120_000));
        assert!(serde_json::from_str::<Faults>(r#"{"silence": 1}"#).is_err());
    }

    #[test]
    fn merges_views_and_clears() {
        let now = Instant::now();
        let mut active = ActiveFaults::default();
        active.apply(
            &serde_json::from_str(r#"{"drop_ratio": 0.2, "silence_s": 5}"#).unwrap(),
            now,
        );
        active.apply(
            &serde_json::from_str(r#"{"duplicate_ratio": 2}"#).unwrap(),
            now,
        );
        assert!(active.silent(now, now) && !active.silent(now, now + Duration::from_secs(5)));
        assert!(!active.silent(
            now + Duration::from_millis(1),
            now + Duration::from_millis(2)
        ));
        let view = active.view(now);
        assert_eq!(
            (view.drop_ratio, view.duplicate_ratio, view.silence_s),
            (Some(0.2), Some(1.0), Some(5.0))
        );
        let json = serde_json::to_string(&view).unwrap();
        assert_eq!(
            json,
            r#"{"silence_s":5.0,"drop_ratio":0.2,"duplicate_ratio":1.0}"#
        );
        active.apply(
            &serde_json::from_str(r#"{"clear": true, "reorder_ratio": 0.5}"#).unwrap(),
            now,
        );
        assert_eq!(
            serde_json::to_string(&active.view(now)).unwrap(),
            r#"{"reorder_ratio":0.5}"#
        );
    }
}
