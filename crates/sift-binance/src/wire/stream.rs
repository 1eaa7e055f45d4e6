//! Stream framing: the combined-stream wrapper and `serverShutdown`.

use serde::Deserialize;
use serde_json::value::RawValue;

/// One event on a combined-stream connection (`/stream?streams=...`).
///
/// ```json
/// {"stream":"bnbbtc@kline_1m","data":{"e":"kline","E":1672515782136,"s":"BNBBTC","k":{...}}}
/// ```
/// Stream names use lower-case symbols. `T` is the payload: a typed event when the stream name
/// already told the decoder what to expect, or [`RawValue`] to look first and parse later.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Combined<'a, T> {
    #[serde(borrow)]
    pub stream: &'a str,
    pub data: T,
}

/// A [`Combined`] event whose payload is kept unparsed.
pub type CombinedRaw<'a> = Combined<'a, &'a RawValue>;

/// Sent before maintenance; the connection will be closed (combined stream `!serverShutdown`).
///
/// ```json
/// {"e":"serverShutdown","E":1672515782136}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerShutdown<'a> {
    /// Event type, always `serverShutdown`.
    #[serde(rename = "e")]
    pub event_type: &'a str,
    /// Event time, epoch milliseconds.
    #[serde(rename = "E")]
    pub event_time: i64,
}

/// Just the event type of a raw event, to choose the struct to parse it into.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventType<'a> {
    #[serde(rename = "e")]
    pub event_type: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapper_borrows_name_and_payload() {
        let raw = r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":5}}"#;
        let frame: CombinedRaw<'_> = serde_json::from_str(raw).unwrap();
        assert_eq!(frame.stream, "!serverShutdown");
        assert_eq!(frame.data.get(), r#"{"e":"serverShutdown","E":5}"#);
        let typed: Combined<'_, ServerShutdown<'_>> = serde_json::from_str(raw).unwrap();
        assert_eq!(typed.data.event_time, 5);
        let kind: EventType<'_> = serde_json::from_str(frame.data.get()).unwrap();
        assert_eq!(kind.event_type, "serverShutdown");
    }
}
