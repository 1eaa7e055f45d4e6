//! Reading the model's answer: the JSON object in its text, tolerant of code fences and
//! prose around it.

use serde_json::{Map, Value};

use crate::error::Rejection;

/// The fields of an answer, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) interval: Option<String>,
    pub(crate) rule: String,
}

/// Parses `text` into an answer: the whole text, else the inside of a ```` ``` ```` fence,
/// else the span from the first `{` to the last `}`.
pub(crate) fn parse(text: &str) -> Result<Answer, Rejection> {
    let mut first_error = None;
    let mut object = None;
    for candidate in candidates(text) {
        match serde_json::from_str::<Value>(candidate) {
            Ok(Value::Object(map)) => {
                object = Some(map);
                break;
            }
            Ok(_) => {}
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let Some(map) = object else {
        return Err(Rejection::NotJson {
            error: first_error.unwrap_or_else(|| "no JSON object found".to_owned()),
        });
    };
    let rule = string(&map, "rule").ok_or(Rejection::MissingField { field: "rule" })?;
    if rule.trim().is_empty() {
        return Err(Rejection::MissingField { field: "rule" });
    }
    Ok(Answer {
        name: string(&map, "name"),
        description: string(&map, "description"),
        interval: string(&map, "interval"),
        rule,
    })
}

fn string(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The texts that may hold the object, most likely first; the first that parses as an
/// object wins, and the error of the first candidate is reported when none does.
fn candidates(text: &str) -> Vec<&str> {
    let mut out = vec![text.trim()];
    if let Some(start) = text.find("```") {
        let after = &text[start + 3..];
        // Skip a language tag such as `json`.
        let body = after.find('\n').map_or(after, |i| &after[i + 1..]);
        if let Some(end) = body.find("```") {
            out.insert(0, body[..end].trim());
        }
    }
    if let (Some(a), Some(b)) = (text.find('{'), text.rfind('}'))
        && a < b
    {
        out.push(&text[a..=b]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_fenced_and_embedded_objects() {
        let plain =
            r#"{"name": "A", "description": "d", "interval": "1h", "rule": "rsi(14) < 30"}"#;
        let want = parse(plain).unwrap();
        assert_eq!(want.rule, "rsi(14) < 30");
        assert_eq!(want.interval.as_deref(), Some("1h"));
        assert_eq!(parse(&format!("```json\n{plain}\n```")).unwrap(), want);
        assert_eq!(
            parse(&format!("Here it is:\n```\n{plain}\n```\nEnjoy")).unwrap(),
            want
        );
        assert_eq!(
            parse(&format!("Sure! {plain} Hope that helps.")).unwrap(),
            want
        );
    }

    #[test]
    fn rejects_what_is_not_an_answer() {
        assert!(matches!(
            parse("I cannot do that"),
            Err(Rejection::NotJson { .. })
        ));
        assert!(matches!(
            parse("{\"rule\": "),
            Err(Rejection::NotJson { .. })
        ));
        assert_eq!(
            parse(r#"{"name": "x"}"#),
            Err(Rejection::MissingField { field: "rule" })
        );
        assert_eq!(
            parse(r#"{"rule": 3}"#),
            Err(Rejection::MissingField { field: "rule" })
        );
        assert_eq!(
            parse(r#"{"rule": "  "}"#),
            Err(Rejection::MissingField { field: "rule" })
        );
        let lenient = parse(r#"{"rule": "close > open"}"#).unwrap();
        assert_eq!(lenient.name, None);
    }
}
