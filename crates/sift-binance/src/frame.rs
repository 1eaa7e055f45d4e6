//! Stream frames to values: what the WebSocket client calls for every text message.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use sift_core::Ticker;

use crate::convert::{kline_update, mini_ticker};
use crate::fast_kline;
use crate::market::KlineUpdate;
use crate::wire::{
    Combined, ControlError, ControlResponse, EventType, KlineEvent, MiniTickerArray,
    MiniTickerEvent, ServerShutdown,
};
use crate::{ConvertError, DecodeError};

/// One decoded text frame of a raw (`/ws/...`) or combined (`/stream?streams=...`) connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A forming or final kline update.
    Kline(KlineUpdate),
    /// One `<symbol>@miniTicker` event or a whole `!miniTicker@arr` batch.
    MiniTickers(Vec<Ticker>),
    /// The server will close this connection for maintenance; open a replacement now.
    ServerShutdown { event_time: i64 },
    /// A control message succeeded.
    Response(ControlResponse),
    /// A control message was rejected.
    Error(ControlError),
}

/// Decodes one text frame. Never panics; a frame that is not valid JSON, has the wrong shape or
/// carries invalid values is an error (see [`DecodeError::is_malformed`]), to be counted and
/// skipped.
///
/// Binance writes compact JSON with the wrapper's `stream` first, so the decoder first reads the
/// stream name (or the event type `e`) from that fixed prefix and parses straight into the typed
/// struct in one pass. Any other layout (whitespace, reordered keys) takes a general path that
/// looks at the keys first, with the same result.
pub fn decode_frame(text: &str) -> Result<Frame, DecodeError> {
    if let Some(stream) = quoted_after(text, r#"{"stream":""#) {
        if let Some(frame) = combined_fast(text, stream) {
            return frame;
        }
    } else if let Some(event) = quoted_after(text, r#"{"e":""#) {
        if event == "kline" {
            if let Some(event) = fast_kline::raw(text) {
                return Ok(Frame::Kline(kline_update(&event)?));
            }
        }
        return event_frame(text, event);
    }
    general(text)
}

/// The stream families Sift consumes, told apart by name and parsed in one pass. `None` when the
/// name is of another family or the payload does not have the shape the name promises; the
/// general path then decides, so the outcome never depends on the stream name alone.
fn combined_fast(text: &str, stream: &str) -> Option<Result<Frame, DecodeError>> {
    if stream.contains("@kline_") {
        let event = match fast_kline::combined(text) {
            Some((_, event)) => event,
            None => {
                serde_json::from_str::<Combined<'_, KlineEvent<'_>>>(text)
                    .ok()?
                    .data
            }
        };
        Some(
            kline_update(&event)
                .map(Frame::Kline)
                .map_err(DecodeError::from),
        )
    } else if stream == "!miniTicker@arr" {
        let combined = serde_json::from_str::<Combined<'_, MiniTickerArray<'_>>>(text).ok()?;
        Some(tickers(&combined.data))
    } else if stream.ends_with("@miniTicker") {
        let combined = serde_json::from_str::<Combined<'_, MiniTickerEvent<'_>>>(text).ok()?;
        Some(tickers(std::slice::from_ref(&combined.data)))
    } else {
        None
    }
}

/// The keys that tell frame kinds apart; values other than `data` are skipped.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    e: Option<&'a str>,
    #[serde(default)]
    code: Option<IgnoredAny>,
    #[serde(default)]
    id: Option<IgnoredAny>,
}

fn general(text: &str) -> Result<Frame, DecodeError> {
    if text.trim_ascii_start().starts_with('[') {
        return payload(text);
    }
    let probe: Probe<'_> = serde_json::from_str(text)?;
    if let Some(data) = probe.data {
        payload(data.get())
    } else if let Some(event) = probe.e {
        event_frame(text, event)
    } else if probe.code.is_some() {
        Ok(Frame::Error(serde_json::from_str(text)?))
    } else if probe.id.is_some() {
        Ok(Frame::Response(serde_json::from_str(text)?))
    } else {
        Err(DecodeError::Unrecognised)
    }
}

/// The payload of a combined frame, or a whole raw frame: an event or a `!miniTicker@arr` array.
fn payload(text: &str) -> Result<Frame, DecodeError> {
    if text.trim_ascii_start().starts_with('[') {
        return tickers(&serde_json::from_str::<MiniTickerArray<'_>>(text)?);
    }
    let kind: EventType<'_> = serde_json::from_str(text)?;
    event_frame(text, kind.event_type)
}

fn event_frame(text: &str, event: &str) -> Result<Frame, DecodeError> {
    match event {
        "kline" => Ok(Frame::Kline(kline_update(&serde_json::from_str(text)?)?)),
        "24hrMiniTicker" => {
            let one: MiniTickerEvent<'_> = serde_json::from_str(text)?;
            tickers(std::slice::from_ref(&one))
        }
        "serverShutdown" => {
            let shutdown: ServerShutdown<'_> = serde_json::from_str(text)?;
            Ok(Frame::ServerShutdown {
                event_time: shutdown.event_time,
            })
        }
        other => Err(DecodeError::UnsupportedEvent(other.to_owned())),
    }
}

fn tickers(events: &[MiniTickerEvent<'_>]) -> Result<Frame, DecodeError> {
    let tickers = events
        .iter()
        .map(mini_ticker)
        .collect::<Result<Vec<_>, ConvertError>>()?;
    Ok(Frame::MiniTickers(tickers))
}

/// The string right after `prefix` up to the next quote, if `text` starts with `prefix`. Stream
/// names and event types never contain quotes or escapes.
fn quoted_after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(prefix)?;
    rest.find('"').map(|end| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const KLINE: &str = r#"{"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,"s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"#;
    const MINI: &str = r#"{"e":"24hrMiniTicker","E":1672515782136,"s":"BNBBTC","c":"0.0025","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000","q":"18"}"#;

    fn wrap(stream: &str, data: &str) -> String {
        format!(r#"{{"stream":"{stream}","data":{data}}}"#)
    }

    #[test]
    fn raw_and_combined_klines_agree() {
        let raw = decode_frame(KLINE).unwrap();
        assert!(
            matches!(&raw, Frame::Kline(u) if u.symbol.as_str() == "BNBBTC" && !u.candle.closed)
        );
        assert_eq!(decode_frame(&wrap("bnbbtc@kline_1m", KLINE)).unwrap(), raw);
        // Reordered keys and whitespace take the general path and agree.
        let reordered = format!(r#"{{ "data" : {KLINE}, "stream" : "bnbbtc@kline_1m" }}"#);
        assert_eq!(decode_frame(&reordered).unwrap(), raw);
    }

    #[test]
    fn mini_tickers_single_and_array() {
        let one = decode_frame(MINI).unwrap();
        assert!(matches!(&one, Frame::MiniTickers(t) if t.len() == 1));
        assert_eq!(decode_frame(&wrap("bnbbtc@miniTicker", MINI)).unwrap(), one);
        let arr = format!("[{MINI},{MINI}]");
        let both = decode_frame(&arr).unwrap();
        assert!(matches!(&both, Frame::MiniTickers(t) if t.len() == 2));
        assert_eq!(decode_frame(&wrap("!miniTicker@arr", &arr)).unwrap(), both);
        assert_eq!(decode_frame("[]").unwrap(), Frame::MiniTickers(Vec::new()));
    }

    #[test]
    fn shutdown_and_control() {
        let shutdown = r#"{"e":"serverShutdown","E":7}"#;
        assert_eq!(
            decode_frame(shutdown).unwrap(),
            Frame::ServerShutdown { event_time: 7 }
        );
        assert_eq!(
            decode_frame(&wrap("!serverShutdown", shutdown)).unwrap(),
            Frame::ServerShutdown { event_time: 7 }
        );
        assert_eq!(
            decode_frame(r#"{"result":null,"id":1}"#).unwrap(),
            Frame::Response(ControlResponse {
                result: None,
                id: 1
            })
        );
        assert!(matches!(
            decode_frame(r#"{"code":0,"msg":"Unknown property","id":1}"#).unwrap(),
            Frame::Error(ControlError {
                code: 0,
                id: Some(1),
                ..
            })
        ));
    }

    #[test]
    fn errors_are_values() {
        for text in [
            "",
            "{",
            "null",
            "{}",
            r#"{"stream":"x@kline_1m","data":{}}"#,
            r#"{"e":"kline"}"#,
        ] {
            assert!(decode_frame(text).unwrap_err().is_malformed(), "{text}");
        }
        assert!(matches!(decode_frame("{}"), Err(DecodeError::Unrecognised)));
        let trade = r#"{"e":"trade","E":1,"s":"BNBBTC"}"#;
        let err = decode_frame(&wrap("bnbbtc@trade", trade)).unwrap_err();
        assert!(!err.is_malformed());
        let bad_value = KLINE.replace(r#""o":"0.0010""#, r#""o":"x""#);
        assert!(matches!(
            decode_frame(&bad_value),
            Err(DecodeError::Convert(_))
        ));
    }
}
