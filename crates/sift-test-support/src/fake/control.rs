//! WebSocket control messages (`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`,
//! `SET_PROPERTY`, `GET_PROPERTY`): parsing, with Binance's error codes, and the answers.

use serde_json::Value;

/// A valid control request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    Subscribe(Vec<String>),
    Unsubscribe(Vec<String>),
    List,
    SetCombined(bool),
    GetCombined,
}

/// A rejected request: Binance's code and message, and the id when it could be read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rejection {
    pub(crate) code: i64,
    pub(crate) msg: String,
    pub(crate) id: Option<Value>,
}

impl Rejection {
    fn new(code: i64, msg: impl Into<String>, id: Option<&Value>) -> Self {
        Self {
            code,
            msg: msg.into(),
            id: id.cloned(),
        }
    }

    /// `{"code":0,"msg":"Unknown property","id":1}` (no `id` when it could not be read).
    pub(crate) fn to_json(&self) -> String {
        let msg = Value::String(self.msg.clone());
        match &self.id {
            Some(id) => format!(r#"{{"code":{},"msg":{msg},"id":{id}}}"#, self.code),
            None => format!(r#"{{"code":{},"msg":{msg}}}"#, self.code),
        }
    }
}

const METHODS: &str = "expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`";

/// Parses one text frame into a request and its id (an unsigned integer or `null`).
///
/// Errors, as documented: code 3 invalid JSON; code 2 invalid request (bad or missing id,
/// unknown method, wrong or too many parameters, a property name that is no string); code 0
/// unknown property; code 1 a property value of the wrong type.
pub(crate) fn parse(text: &str) -> Result<(Value, Request), Rejection> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Rejection::new(3, format!("Invalid JSON: {e}"), None))?;
    let Value::Object(map) = value else {
        return Err(Rejection::new(
            2,
            "Invalid request: expected a JSON object",
            None,
        ));
    };
    let id = match map.get("id") {
        Some(id @ Value::Null) => id.clone(),
        Some(id @ Value::Number(n)) if n.is_u64() => id.clone(),
        _ => {
            return Err(Rejection::new(
                2,
                "Invalid request: request ID must be an unsigned integer",
                None,
            ));
        }
    };
    let reject = |code: i64, msg: &str| Rejection::new(code, msg, Some(&id));
    let method = match map.get("method") {
        None => return Err(reject(2, "Invalid request: missing field `method`")),
        Some(Value::String(m)) => m.as_str(),
        Some(other) => {
            return Err(reject(
                2,
                &format!("Invalid request: unknown variant `{other}`, {METHODS}"),
            ));
        }
    };
    let params: &[Value] = match map.get("params") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(_) => return Err(reject(2, "Invalid request: params must be an array")),
    };
    let request = match method {
        "SUBSCRIBE" | "UNSUBSCRIBE" => {
            let names: Option<Vec<String>> = params
                .iter()
                .map(|p| p.as_str().map(str::to_owned))
                .collect();
            let names =
                names.ok_or_else(|| reject(2, "Invalid request: stream names must be strings"))?;
            if method == "SUBSCRIBE" {
                Request::Subscribe(names)
            } else {
                Request::Unsubscribe(names)
            }
        }
        "LIST_SUBSCRIPTIONS" if params.is_empty() => Request::List,
        "LIST_SUBSCRIPTIONS" => return Err(reject(2, "Invalid request: too many parameters")),
        "SET_PROPERTY" | "GET_PROPERTY" => {
            let expected = if method == "SET_PROPERTY" { 2 } else { 1 };
            if params.len() > expected {
                return Err(reject(2, "Invalid request: too many parameters"));
            }
            match params.first() {
                Some(Value::String(name)) if name == "combined" => {}
                Some(Value::String(_)) => return Err(reject(0, "Unknown property")),
                _ => return Err(reject(2, "Invalid request: property name must be a string")),
            }
            if method == "GET_PROPERTY" {
                Request::GetCombined
            } else {
                match params.get(1) {
                    Some(Value::Bool(on)) => Request::SetCombined(*on),
                    _ => return Err(reject(1, "Invalid value type: expected Boolean")),
                }
            }
        }
        other => {
            return Err(reject(
                2,
                &format!("Invalid request: unknown variant `{other}`, {METHODS}"),
            ));
        }
    };
    Ok((id, request))
}

/// `{"result":<result>,"id":<id>}`, keys in Binance's order.
pub(crate) fn answer(id: &Value, result: &Value) -> String {
    format!(r#"{{"result":{result},"id":{id}}}"#)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn code(text: &str) -> (i64, Option<Value>) {
        let r = parse(text).unwrap_err();
        (r.code, r.id)
    }

    #[test]
    fn parses_requests() {
        let (id, request) =
            parse(r#"{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":1}"#).unwrap();
        assert_eq!(
            (id, request),
            (
                json!(1),
                Request::Subscribe(vec!["btcusdt@kline_1m".into()])
            )
        );
        assert_eq!(
            parse(r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#)
                .unwrap()
                .1,
            Request::List
        );
        assert_eq!(
            parse(r#"{"method":"SET_PROPERTY","params":["combined",true],"id":5}"#)
                .unwrap()
                .1,
            Request::SetCombined(true)
        );
        assert_eq!(
            parse(r#"{"method":"GET_PROPERTY","params":["combined"],"id":null}"#).unwrap(),
            (Value::Null, Request::GetCombined)
        );
        assert_eq!(answer(&json!(1), &Value::Null), r#"{"result":null,"id":1}"#);
        assert_eq!(
            answer(&json!(2), &json!(["a@kline_1m"])),
            r#"{"result":["a@kline_1m"],"id":2}"#
        );
    }

    #[test]
    fn rejects_with_binance_codes() {
        assert_eq!(code("{nope"), (3, None));
        assert_eq!(
            code(r#"{"method":"SUBSCRIBE","params":[],"id":-1}"#),
            (2, None)
        );
        assert_eq!(
            code(r#"{"method":"SUBSCRIB","params":[],"id":1}"#),
            (2, Some(json!(1)))
        );
        assert_eq!(code(r#"{"params":[],"id":1}"#), (2, Some(json!(1))));
        assert_eq!(
            code(r#"{"method":"SET_PROPERTY","params":["combined",1],"id":2}"#),
            (1, Some(json!(2)))
        );
        assert_eq!(
            code(r#"{"method":"SET_PROPERTY","params":["bogus",true],"id":2}"#),
            (0, Some(json!(2)))
        );
        assert_eq!(
            code(r#"{"method":"GET_PROPERTY","params":[7],"id":2}"#),
            (2, Some(json!(2)))
        );
        assert_eq!(
            code(r#"{"method":"GET_PROPERTY","params":["combined","x"],"id":2}"#),
            (2, Some(json!(2)))
        );
        let r = parse(r#"{"method":"SET_PROPERTY","params":["x",true],"id":3}"#).unwrap_err();
        assert_eq!(r.to_json(), r#"{"code":0,"msg":"Unknown property","id":3}"#);
    }
}
