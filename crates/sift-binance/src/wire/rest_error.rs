//! The body of a failed REST call.

use serde::Deserialize;

/// An error body, for example after an unknown symbol or interval, or over the rate limit.
///
/// ```json
/// {"code":-1121,"msg":"Invalid symbol."}
/// ```
/// Codes seen by a market-data client: `-1003` too many requests, `-1120` invalid interval,
/// `-1121` invalid symbol. `msg` is owned because it may contain escapes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RestError {
    pub code: i64,
    pub msg: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_invalid_symbol() {
        let e: RestError =
            serde_json::from_str(r#"{"code":-1121,"msg":"Invalid symbol."}"#).unwrap();
        assert_eq!((e.code, e.msg.as_str()), (-1121, "Invalid symbol."));
    }
}
