//! Scanning spec text such as `bb(20, mult=2.5)` into a name and its arguments, with the
//! column of each syntax error. What the arguments mean is checked by [`Spec::new`](super::Spec::new).

use super::Arg;
use crate::Error;

/// A scanned call: `name(positional..., key=value...)`.
#[derive(Debug, PartialEq)]
pub(super) struct Call<'a> {
    pub(super) name: &'a str,
    pub(super) positional: Vec<Arg<'a>>,
    pub(super) named: Vec<(&'a str, Arg<'a>)>,
}

/// Scans `name`, `name()` or `name(arg, ..., key=value, ...)`; positional arguments come first.
pub(super) fn scan(text: &str) -> Result<Call<'_>, Error> {
    let body = text.trim_end();
    let start = body.len() - body.trim_start().len();
    let (name, args) = match body.find('(') {
        None => (&body[start..], None),
        Some(open) => {
            if !body.ends_with(')') {
                return Err(syntax(text, body.len(), "expected ')' at the end"));
            }
            let inner = open + 1..body.len() - 1;
            (body[start..open].trim_end(), Some(inner))
        }
    };
    if !is_identifier(name) {
        return Err(syntax(
            text,
            start,
            "expected an indicator name such as rsi",
        ));
    }
    let mut call = Call {
        name,
        positional: Vec::new(),
        named: Vec::new(),
    };
    let Some(inner) = args else {
        return Ok(call);
    };
    if text[inner.clone()].trim().is_empty() {
        return Ok(call);
    }
    let mut offset = inner.start;
    for item in text[inner].split(',') {
        scan_item(text, offset, item, &mut call)?;
        offset += item.len() + 1;
    }
    Ok(call)
}

/// Scans one comma-separated argument `item`, which starts at byte `offset` of `text`.
fn scan_item<'a>(
    text: &'a str,
    offset: usize,
    item: &'a str,
    call: &mut Call<'a>,
) -> Result<(), Error> {
    let (at, item) = trim(offset, item);
    if item.is_empty() {
        return Err(syntax(text, at, "empty argument"));
    }
    match item.split_once('=') {
        Some((raw_key, raw_value)) => {
            let key = raw_key.trim_end();
            if !is_identifier(key) {
                return Err(syntax(text, at, "expected a parameter name before '='"));
            }
            let (value_at, value) = trim(at + raw_key.len() + 1, raw_value);
            if value.is_empty() {
                return Err(syntax(text, value_at, "expected a value after '='"));
            }
            call.named.push((key, scan_value(text, value_at, value)?));
        }
        None => {
            if !call.named.is_empty() {
                return Err(syntax(text, at, "positional argument after a named one"));
            }
            call.positional.push(scan_value(text, at, item)?);
        }
    }
    Ok(())
}

/// A name (`week`, `hlc3`) or a finite number (`20`, `-1.5`, `2e-3`).
fn scan_value<'a>(text: &str, at: usize, value: &'a str) -> Result<Arg<'a>, Error> {
    if value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        if is_identifier(value) {
            return Ok(Arg::Ident(value));
        }
        let message = format!("expected a number or a name, found {value:?}");
        return Err(syntax(text, at, &message));
    }
    match value.parse::<f64>() {
        Ok(number) if number.is_finite() => Ok(Arg::Number(number)),
        _ => Err(syntax(
            text,
            at,
            &format!("expected a number, found {value:?}"),
        )),
    }
}

/// `part` without surrounding whitespace, and the byte offset where it now starts.
fn trim(offset: usize, part: &str) -> (usize, &str) {
    let start = part.len() - part.trim_start().len();
    (offset + start, part.trim())
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A syntax error at byte `offset` of `text`, reported as a 1-based character column.
fn syntax(text: &str, offset: usize, message: &str) -> Error {
    Error::Syntax {
        spec: text.to_owned(),
        column: text[..offset].chars().count() + 1,
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[test]
    fn scans_names_positional_and_named_arguments() {
        let call = scan("  bb ( hlc3, 20 , mult = -2.5e-1 )").unwrap();
        assert_eq!(
            call,
            Call {
                name: "bb",
                positional: vec![Arg::Ident("hlc3"), Arg::Number(20.0)],
                named: vec![("mult", Arg::Number(-0.25))],
            }
        );
        for bare in ["rsi", "rsi()", " rsi( ) "] {
            let call = scan(bare).unwrap();
            assert_eq!(
                (call.name, call.positional.len(), call.named.len()),
                ("rsi", 0, 0)
            );
        }
    }

    #[rstest]
    #[case("rsi(14", 7, "expected ')' at the end")]
    #[case("  rsi(14", 9, "expected ')' at the end")]
    #[case("(14)", 1, "expected an indicator name")]
    #[case("  r-si", 3, "expected an indicator name")]
    #[case("rsi(14,)", 8, "empty argument")]
    #[case("rsi(, 14)", 5, "empty argument")]
    #[case("rsi(14,  , 3)", 10, "empty argument")]
    #[case("rsi(n=14, 3)", 11, "positional argument after a named one")]
    #[case("bb(20,  mult=1,   2)", 19, "positional argument after a named one")]
    #[case("rsi(abc=)", 9, "expected a value after '='")]
    #[case("rsi(abc=  )", 9, "expected a value after '='")]
    #[case("rsi(=3)", 5, "expected a parameter name before '='")]
    #[case("sma(1e400)", 5, "expected a number, found \"1e400\"")]
    #[case("sma(20, 1x)", 9, "expected a number, found \"1x\"")]
    #[case(
        "vwap(anchor= we ek)",
        14,
        "expected a number or a name, found \"we ek\""
    )]
    #[case("sma(\u{3000}1x)", 6, "expected a number, found \"1x\"")]
    fn syntax_errors_name_the_column(
        #[case] text: &str,
        #[case] column: usize,
        #[case] message: &str,
    ) {
        match scan(text) {
            Err(Error::Syntax {
                column: got,
                message: got_message,
                ..
            }) => {
                assert_eq!(got, column, "{text}: {got_message}");
                assert!(got_message.contains(message), "{text}: {got_message}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}
