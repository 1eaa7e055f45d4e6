//! Rule text to tokens with byte spans.
//!
//! - Whitespace separates tokens; a newline is a token (it ends a `let` line) except inside
//!   parentheses and brackets, where it is plain whitespace.
//! - `#` starts a comment running to the end of the line.
//! - Numbers: `2`, `0.5`, `.5` is not a number (write `0.5`), `1e-3`, `2E6`. A number
//!   immediately followed by letters is one [`TokenKind::Interval`] word (`1h`, `15m`, `1M`);
//!   the parser accepts it only after `@`.
//! - Identifiers: a letter or `_`, then letters, digits and `_`. `let and or not true false`
//!   are keywords.

use std::ops::Range;

use crate::diagnostic::{Code, Diagnostic};

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A finite number.
    Number(f64),
    Ident,
    /// Digits followed by letters: an interval such as `1h`.
    Interval,
    True,
    False,
    Let,
    And,
    Or,
    Not,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    At,
    Plus,
    Minus,
    Star,
    Slash,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    Assign,
    Newline,
    Eof,
}

impl TokenKind {
    /// How the parser names this token in "expected ..., found ..." messages.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            TokenKind::Number(_) => "a number",
            TokenKind::Ident => "a name",
            TokenKind::Interval => "an interval",
            TokenKind::True | TokenKind::False => "a boolean",
            TokenKind::Let => "`let`",
            TokenKind::And => "`and`",
            TokenKind::Or => "`or`",
            TokenKind::Not => "`not`",
            TokenKind::LParen => "`(`",
            TokenKind::RParen => "`)`",
            TokenKind::LBracket => "`[`",
            TokenKind::RBracket => "`]`",
            TokenKind::Comma => "`,`",
            TokenKind::Dot => "`.`",
            TokenKind::At => "`@`",
            TokenKind::Plus => "`+`",
            TokenKind::Minus => "`-`",
            TokenKind::Star => "`*`",
            TokenKind::Slash => "`/`",
            TokenKind::Lt => "`<`",
            TokenKind::Le => "`<=`",
            TokenKind::Gt => "`>`",
            TokenKind::Ge => "`>=`",
            TokenKind::EqEq => "`==`",
            TokenKind::Ne => "`!=`",
            TokenKind::Assign => "`=`",
            TokenKind::Newline => "the end of the line",
            TokenKind::Eof => "the end of the rule",
        }
    }
}

/// A token and the bytes it covers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) span: Range<usize>,
}

/// Splits `source` into tokens ending with [`TokenKind::Eof`], or the first lexical error.
pub(crate) fn lex(source: &str) -> Result<Vec<Token>, Diagnostic> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut depth: usize = 0;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        let single = |kind| Some((kind, 1));
        let two = |next: u8, long, short| {
            if bytes.get(i + 1) == Some(&next) {
                Some((long, 2))
            } else {
                Some((short, 1))
            }
        };
        let punct = match c {
            b'(' => single(TokenKind::LParen),
            b')' => single(TokenKind::RParen),
            b'[' => single(TokenKind::LBracket),
            b']' => single(TokenKind::RBracket),
            b',' => single(TokenKind::Comma),
            b'.' if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => single(TokenKind::Dot),
            b'@' => single(TokenKind::At),
            b'+' => single(TokenKind::Plus),
            b'-' => single(TokenKind::Minus),
            b'*' => single(TokenKind::Star),
            b'/' => single(TokenKind::Slash),
            b'<' => two(b'=', TokenKind::Le, TokenKind::Lt),
            b'>' => two(b'=', TokenKind::Ge, TokenKind::Gt),
            b'=' => two(b'=', TokenKind::EqEq, TokenKind::Assign),
            b'!' if bytes.get(i + 1) == Some(&b'=') => Some((TokenKind::Ne, 2)),
            _ => None,
        };
        if let Some((kind, len)) = punct {
            match kind {
                TokenKind::LParen | TokenKind::LBracket => depth += 1,
                TokenKind::RParen | TokenKind::RBracket => depth = depth.saturating_sub(1),
                _ => {}
            }
            i += len;
            tokens.push(Token {
                kind,
                span: start..i,
            });
            continue;
        }
        match c {
            b'\n' => {
                i += 1;
                if depth == 0 {
                    tokens.push(Token {
                        kind: TokenKind::Newline,
                        span: start..i,
                    });
                }
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'0'..=b'9' | b'.' => {
                let (kind, end) = number(source, start)?;
                i = end;
                tokens.push(Token {
                    kind,
                    span: start..end,
                });
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                let kind = match &source[start..i] {
                    "let" => TokenKind::Let,
                    "and" => TokenKind::And,
                    "or" => TokenKind::Or,
                    "not" => TokenKind::Not,
                    "true" => TokenKind::True,
                    "false" => TokenKind::False,
                    _ => TokenKind::Ident,
                };
                tokens.push(Token {
                    kind,
                    span: start..i,
                });
            }
            _ => return Err(unexpected_char(source, start)),
        }
    }
    tokens.push(Token {
        kind: TokenKind::Eof,
        span: source.len()..source.len(),
    });
    Ok(tokens)
}

fn is_word_byte(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

/// Scans a number starting at `start`: digits, an optional fraction, an optional exponent.
/// Letters right after it make it an interval word instead.
fn number(source: &str, start: usize) -> Result<(TokenKind, usize), Diagnostic> {
    let bytes = source.as_bytes();
    let digits = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut end = digits(start);
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end = digits(end + 1);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exp = end + 1;
        if matches!(bytes.get(exp), Some(b'+' | b'-')) {
            exp += 1;
        }
        if bytes.get(exp).is_some_and(u8::is_ascii_digit) {
            end = digits(exp);
        }
    }
    if bytes.get(end).copied().is_some_and(is_word_byte) {
        let mut word_end = end;
        while word_end < bytes.len() && is_word_byte(bytes[word_end]) {
            word_end += 1;
        }
        return Ok((TokenKind::Interval, word_end));
    }
    let text = &source[start..end];
    if text.starts_with('.') {
        return Err(Diagnostic::new(
            Code::InvalidNumber,
            start..end,
            format!("invalid number `{text}`"),
        )
        .with_help(format!("write `0{text}`")));
    }
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok((TokenKind::Number(value), end)),
        _ => Err(Diagnostic::new(
            Code::InvalidNumber,
            start..end,
            format!("number `{text}` is too large"),
        )),
    }
}

fn unexpected_char(source: &str, at: usize) -> Diagnostic {
    let c = source[at..].chars().next().unwrap_or(' ');
    let span = at..at + c.len_utf8();
    let help = match c {
        '&' => Some("write `and`"),
        '|' => Some("write `or`"),
        '!' => Some("write `not`, or `!=` for \"not equal\""),
        '\'' | '"' => Some("the rule language has no strings"),
        ';' => Some("put each `let` on its own line"),
        '{' | '}' => Some("group with parentheses `( )`"),
        _ => None,
    };
    let d = Diagnostic::new(
        Code::UnexpectedChar,
        span,
        format!("unexpected character `{}`", c.escape_debug()),
    );
    match help {
        Some(help) => d.with_help(help),
        None => d,
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        lex(source).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[rstest]
    #[case("2", 2.0)]
    #[case("0.5", 0.5)]
    #[case("1e-3", 1e-3)]
    #[case("2E6", 2e6)]
    #[case("1e+2", 100.0)]
    #[case("007", 7.0)]
    fn lexes_numbers(#[case] text: &str, #[case] value: f64) {
        assert_eq!(kinds(text), vec![TokenKind::Number(value), TokenKind::Eof]);
    }

    #[test]
    fn lexes_operators_keywords_and_spans() {
        use TokenKind::*;
        assert_eq!(
            kinds("a<=b>=c!=d==e<f>g=h @ 1h"),
            vec![
                Ident, Le, Ident, Ge, Ident, Ne, Ident, EqEq, Ident, Lt, Ident, Gt, Ident, Assign,
                Ident, At, Interval, Eof
            ]
        );
        assert_eq!(
            kinds("let x = not true and false or y"),
            vec![Let, Ident, Assign, Not, True, And, False, Or, Ident, Eof]
        );
        let tokens = lex("rsi(14) # comment\n").unwrap();
        let spans: Vec<_> = tokens.iter().map(|t| t.span.clone()).collect();
        assert_eq!(spans, vec![0..3, 3..4, 4..6, 6..7, 17..18, 18..18]);
    }

    #[test]
    fn newlines_inside_brackets_are_whitespace() {
        use TokenKind::*;
        assert_eq!(
            kinds("f(\n1,\n2)\nx[\n1]"),
            vec![
                Ident,
                LParen,
                Number(1.0),
                Comma,
                Number(2.0),
                RParen,
                Newline,
                Ident,
                LBracket,
                Number(1.0),
                RBracket,
                Eof
            ]
        );
    }

    #[test]
    fn a_number_followed_by_letters_is_an_interval_word() {
        assert_eq!(
            kinds("15m 1M 2x 1e5x"),
            vec![
                TokenKind::Interval,
                TokenKind::Interval,
                TokenKind::Interval,
                TokenKind::Interval,
                TokenKind::Eof
            ]
        );
        assert_eq!(
            kinds("a.b 1.5"),
            vec![
                TokenKind::Ident,
                TokenKind::Dot,
                TokenKind::Ident,
                TokenKind::Number(1.5),
                TokenKind::Eof
            ]
        );
    }

    #[rstest]
    #[case("close & open", Code::UnexpectedChar, 6..7)]
    #[case("close > .5", Code::InvalidNumber, 8..10)]
    #[case("1e999 > 1", Code::InvalidNumber, 0..5)]
    #[case("é", Code::UnexpectedChar, 0..2)]
    #[case("!close", Code::UnexpectedChar, 0..1)]
    fn rejects_bad_characters_and_numbers(
        #[case] text: &str,
        #[case] code: Code,
        #[case] span: Range<usize>,
    ) {
        let err = lex(text).unwrap_err();
        assert_eq!((err.code, err.span), (code, span));
    }
}
