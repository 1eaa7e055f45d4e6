//! Answers to control messages (`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`,
//! `SET_PROPERTY`, `GET_PROPERTY`).

use serde::Deserialize;

/// A successful answer to the control message with the same `id`.
///
/// ```json
/// {"result":null,"id":1}
/// {"result":["btcusdt@kline_1m","ethusdt@kline_1m"],"id":2}
/// {"result":true,"id":5}
/// ```
/// `SUBSCRIBE`, `UNSUBSCRIBE` and `SET_PROPERTY` answer `null`, `LIST_SUBSCRIPTIONS` the stream
/// names and `GET_PROPERTY ["combined"]` a boolean.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ControlResponse {
    pub result: Option<ControlResult>,
    pub id: u64,
}

/// The non-null `result` of a [`ControlResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ControlResult {
    /// `LIST_SUBSCRIPTIONS`: the subscribed stream names.
    Streams(Vec<String>),
    /// `GET_PROPERTY`: the property's value.
    Flag(bool),
}

/// A rejected control message.
///
/// ```json
/// {"code":0,"msg":"Unknown property","id":1}
/// {"code":2,"msg":"Invalid request: unknown variant `SUBSCRIB`","id":null}
/// ```
/// Codes: 0 unknown property, 1 invalid value type, 2 invalid request (bad id, unknown method,
/// too many parameters), 3 invalid JSON. `id` is absent or null when the request's id could not
/// be read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ControlError {
    pub code: i64,
    pub msg: String,
    #[serde(default)]
    pub id: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_and_errors() {
        let r: ControlResponse = serde_json::from_str(r#"{"result":null,"id":1}"#).unwrap();
        assert_eq!(
            r,
            ControlResponse {
                result: None,
                id: 1
            }
        );
        let r: ControlResponse =
            serde_json::from_str(r#"{"result":["btcusdt@kline_1m"],"id":2}"#).unwrap();
        assert_eq!(
            r.result,
            Some(ControlResult::Streams(vec!["btcusdt@kline_1m".to_owned()]))
        );
        let r: ControlResponse = serde_json::from_str(r#"{"result":true,"id":5}"#).unwrap();
        assert_eq!(r.result, Some(ControlResult::Flag(true)));
        let e: ControlError =
            serde_json::from_str(r#"{"code":3,"msg":"Invalid JSON: \"x\""}"#).unwrap();
        assert_eq!(
            (e.code, e.msg.as_str(), e.id),
            (3, r#"Invalid JSON: "x""#, None)
        );
    }
}
