//! What one connection is subscribed to, and the control messages that bring it in line with
//! the streams wanted: `SUBSCRIBE`/`UNSUBSCRIBE` with ids, matched with Binance's
//! `{"result":null,"id":N}` answers or its errors.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde::Serialize;

/// Longest connect URL, to stay clear of HTTP servers' request-line limits (8 KiB is common);
/// streams that do not fit are subscribed with control messages after connecting.
pub(crate) const MAX_URL_LEN: usize = 8_000;

/// The combined-stream URL for as many of `streams` as fit in [`MAX_URL_LEN`], and those
/// streams.
pub(crate) fn stream_url(base: &str, streams: &BTreeSet<String>) -> (String, BTreeSet<String>) {
    let mut url = format!("{base}/stream?streams=");
    let mut included = BTreeSet::new();
    for stream in streams {
        let extra = stream.len() + usize::from(!included.is_empty());
        if !included.is_empty() && url.len() + extra > MAX_URL_LEN {
            break;
        }
        if !included.is_empty() {
            url.push('/');
        }
        url.push_str(stream);
        included.insert(stream.clone());
    }
    (url, included)
}

/// A control message as Binance documents it.
#[derive(Serialize)]
struct Request<'a> {
    method: &'a str,
    params: &'a [String],
    id: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Subscribe,
    Unsubscribe,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Self::Subscribe => "SUBSCRIBE",
            Self::Unsubscribe => "UNSUBSCRIBE",
        }
    }
}

/// A control message sent and not yet answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Op {
    pub(crate) method: Method,
    pub(crate) streams: Vec<String>,
    pub(crate) sent: Instant,
}

#[derive(Debug)]
pub(crate) struct Subscriptions {
    subscribed: BTreeSet<String>,
    pending: BTreeMap<u64, Op>,
    /// Streams Binance refused on this connection; not asked for again until it reconnects.
    rejected: BTreeSet<String>,
    next_id: u64,
    max_params: usize,
}

impl Subscriptions {
    /// After connecting with `in_url` in the URL: those are subscribed.
    pub(crate) fn new(in_url: BTreeSet<String>, max_params: usize) -> Self {
        Self {
            subscribed: in_url,
            pending: BTreeMap::new(),
            rejected: BTreeSet::new(),
            next_id: 1,
            max_params: max_params.max(1),
        }
    }

    pub(crate) fn subscribed(&self) -> &BTreeSet<String> {
        &self.subscribed
    }

    /// The next control message (id and JSON text) towards `desired`, registered as pending;
    /// `None` when nothing is left to send. Subscribing comes before unsubscribing; a stream with
    /// a message in flight waits for its answer.
    pub(crate) fn next_op(
        &mut self,
        desired: &BTreeSet<String>,
        now: Instant,
    ) -> Option<(u64, String)> {
        let in_flight: BTreeSet<&String> =
            self.pending.values().flat_map(|op| &op.streams).collect();
        let to_subscribe: Vec<String> = desired
            .iter()
            .filter(|s| {
                !self.subscribed.contains(*s)
                    && !self.rejected.contains(*s)
                    && !in_flight.contains(s)
            })
            .take(self.max_params)
            .cloned()
            .collect();
        let (method, streams) = if to_subscribe.is_empty() {
            let to_unsubscribe: Vec<String> = self
                .subscribed
                .iter()
                .filter(|s| !desired.contains(*s) && !in_flight.contains(s))
                .take(self.max_params)
                .cloned()
                .collect();
            if to_unsubscribe.is_empty() {
                return None;
            }
            (Method::Unsubscribe, to_unsubscribe)
        } else {
            (Method::Subscribe, to_subscribe)
        };
        let id = self.next_id;
        self.next_id += 1;
        let request = Request {
            method: method.as_str(),
            params: &streams,
            id,
        };
        // Serializing strings and a number cannot fail.
        let text = serde_json::to_string(&request).unwrap_or_default();
        self.pending.insert(
            id,
            Op {
                method,
                streams,
                sent: now,
            },
        );
        Some((id, text))
    }

    /// `{"result":null,"id":id}`: the pending message succeeded; returns it.
    pub(crate) fn on_response(&mut self, id: u64) -> Option<Op> {
        let op = self.pending.remove(&id)?;
        match op.method {
            Method::Subscribe => self.subscribed.extend(op.streams.iter().cloned()),
            Method::Unsubscribe => {
                for stream in &op.streams {
                    self.subscribed.remove(stream);
                }
            }
        }
        Some(op)
    }

    /// An error answer to message `id`: returns the message; refused streams are not asked for
    /// again on this connection.
    pub(crate) fn on_error(&mut self, id: u64) -> Option<Op> {
        let op = self.pending.remove(&id)?;
        if op.method == Method::Subscribe {
            self.rejected.extend(op.streams.iter().cloned());
        }
        Some(op)
    }

    /// When the oldest unanswered message was sent.
    pub(crate) fn oldest_pending(&self) -> Option<Instant> {
        self.pending.values().map(|op| op.sent).min()
    }

    /// Whether every stream of `initial` still wanted is subscribed (or was refused).
    pub(crate) fn covers(&self, initial: &BTreeSet<String>, desired: &BTreeSet<String>) -> bool {
        initial
            .iter()
            .filter(|s| desired.contains(*s))
            .all(|s| self.subscribed.contains(s) || self.rejected.contains(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn url_holds_what_fits() {
        let (url, included) = stream_url("wss://h:9443", &set(&["a@kline_1m", "b@kline_1m"]));
        assert_eq!(url, "wss://h:9443/stream?streams=a@kline_1m/b@kline_1m");
        assert_eq!(included.len(), 2);
        let many: BTreeSet<String> = (0..2000).map(|i| format!("sym{i:05}@kline_1m")).collect();
        let (url, included) = stream_url("wss://h:9443", &many);
        assert!(url.len() <= MAX_URL_LEN);
        assert!(included.len() > 400 && included.len() < 2000);
        assert!(url.ends_with(included.iter().next_back().unwrap().as_str()));
    }

    #[test]
    fn subscribe_then_unsubscribe_in_batches() {
        let now = Instant::now();
        let mut subs = Subscriptions::new(set(&["a"]), 2);
        let desired = set(&["a", "b", "c", "d"]);
        assert!(!subs.covers(&desired, &desired));
        let (id1, text) = subs.next_op(&desired, now).unwrap();
        assert_eq!(text, r#"{"method":"SUBSCRIBE","params":["b","c"],"id":1}"#);
        let (id2, text) = subs.next_op(&desired, now).unwrap();
        assert_eq!(text, r#"{"method":"SUBSCRIBE","params":["d"],"id":2}"#);
        assert_eq!(subs.next_op(&desired, now), None);
        assert_eq!(subs.oldest_pending(), Some(now));
        subs.on_response(id1).unwrap();
        subs.on_response(id2).unwrap();
        assert!(subs.covers(&desired, &desired));
        assert_eq!(subs.oldest_pending(), None);
        let fewer = set(&["c"]);
        let (id3, text) = subs.next_op(&fewer, now).unwrap();
        assert_eq!(
            text,
            r#"{"method":"UNSUBSCRIBE","params":["a","b"],"id":3}"#
        );
        let (_, text) = subs.next_op(&fewer, now).unwrap();
        assert_eq!(text, r#"{"method":"UNSUBSCRIBE","params":["d"],"id":4}"#);
        assert!(subs.on_response(id3).is_some());
        assert!(subs.on_response(id3).is_none());
        assert_eq!(subs.subscribed(), &set(&["c", "d"]));
    }

    #[test]
    fn refused_streams_are_not_asked_for_again() {
        let now = Instant::now();
        let mut subs = Subscriptions::new(BTreeSet::new(), 10);
        let desired = set(&["bad"]);
        let (id, _) = subs.next_op(&desired, now).unwrap();
        let op = subs.on_error(id).unwrap();
        assert_eq!(op.streams, ["bad"]);
        assert_eq!(subs.next_op(&desired, now), None);
        assert!(subs.covers(&desired, &desired));
    }
}
