//! Tokens to a [`Rule`]: statements, and a Pratt parser for expressions.
//!
//! Precedence, loosest first: `or` < `and` < `not` < comparisons (`< <= > >= == !=`, which
//! do not chain) < `+ -` < `* /` < unary `-` < postfix (call, `.field`, `[n]`, `@ tf`).
//! Binary operators are left-associative.
//!
//! A `let` line ends at its newline. A line that *starts* with a binary operator (`and`, `or`,
//! a comparison, `+`, `-`, `*`, `/`) continues the previous line, as does any line inside
//! parentheses or after a line ending with an operator. Calls accept a trailing comma.

use std::ops::Range;

use crate::ast::{Arg, BinOp, Expr, ExprKind, Let, Rule, UnOp};
use crate::diagnostic::{Code, Diagnostic};
use crate::lexer::{Token, TokenKind, lex};

/// Deepest expression tree accepted, counting every operator, call and postfix level.
pub const MAX_DEPTH: u32 = 100;

/// Binding power of `not`'s operand: tighter than `and`, looser than comparisons.
const NOT_BP: u8 = 5;
/// Binding power of unary minus's operand.
const NEG_BP: u8 = 12;

/// Parses a rule. Stops at the first syntax error.
pub fn parse(source: &str) -> Result<Rule, Diagnostic> {
    let tokens = lex(source)?;
    let mut parser = Parser {
        source,
        tokens,
        pos: 0,
        nesting: 0,
    };
    parser.rule()
}

struct Parser<'s> {
    source: &'s str,
    tokens: Vec<Token>,
    pos: usize,
    /// Recursion depth of [`Parser::expr`], bounding the stack.
    nesting: u32,
}

/// A parsed expression and its tree depth.
struct Parsed {
    expr: Expr,
    depth: u32,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // The token list always ends with Eof and `pos` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn kind(&self) -> &TokenKind {
        &self.peek().kind
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    fn skip_newlines(&mut self) {
        while *self.kind() == TokenKind::Newline {
            self.pos += 1;
        }
    }

    fn text(&self, span: &Range<usize>) -> &str {
        &self.source[span.clone()]
    }

    /// "expected `what`, found ..." at the current token.
    fn expected(&self, what: &str) -> Diagnostic {
        let token = self.peek();
        let found = match token.kind {
            TokenKind::Newline | TokenKind::Eof => token.kind.describe().to_owned(),
            _ => format!("`{}`", self.text(&token.span)),
        };
        Diagnostic::new(
            Code::UnexpectedToken,
            token.span.clone(),
            format!("expected {what}, found {found}"),
        )
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> Result<Token, Diagnostic> {
        if *self.kind() == kind {
            Ok(self.bump())
        } else {
            Err(self.expected(what))
        }
    }

    fn rule(&mut self) -> Result<Rule, Diagnostic> {
        let mut lets = Vec::new();
        self.skip_newlines();
        while *self.kind() == TokenKind::Let {
            lets.push(self.let_line()?);
            self.skip_newlines();
        }
        if *self.kind() == TokenKind::Eof {
            return Ok(Rule { lets, expr: None });
        }
        let expr = self.expr(0)?.expr;
        self.skip_newlines();
        match self.kind() {
            TokenKind::Eof => Ok(Rule {
                lets,
                expr: Some(expr),
            }),
            TokenKind::Let => Err(self
                .expected("the end of the rule")
                .with_help("`let` lines come first; the rule expression is the last line")),
            _ => Err(self.expected("an operator or the end of the rule")),
        }
    }

    fn let_line(&mut self) -> Result<Let, Diagnostic> {
        self.bump();
        let name = self.expect(TokenKind::Ident, "a name after `let`")?;
        self.expect(TokenKind::Assign, "`=`")?;
        self.skip_newlines();
        let value = self.expr(0)?.expr;
        match self.kind() {
            TokenKind::Newline | TokenKind::Eof => Ok(Let {
                name: self.text(&name.span).to_owned(),
                name_span: name.span,
                value,
            }),
            _ => Err(self.expected("an operator or the end of the line")),
        }
    }

    /// An expression whose operators bind at least as tightly as `min_bp`.
    fn expr(&mut self, min_bp: u8) -> Result<Parsed, Diagnostic> {
        self.nesting += 1;
        let result = if self.nesting > MAX_DEPTH {
            Err(too_deep(self.peek().span.clone()))
        } else {
            self.expr_inner(min_bp)
        };
        self.nesting -= 1;
        result
    }

    fn expr_inner(&mut self, min_bp: u8) -> Result<Parsed, Diagnostic> {
        let mut lhs = self.prefix()?;
        loop {
            lhs = self.postfix(lhs)?;
            self.continue_line();
            let Some(op) = infix(self.kind()) else {
                break;
            };
            let (l_bp, r_bp) = binding_power(op);
            if l_bp < min_bp {
                break;
            }
            let op_token = self.bump();
            self.skip_newlines();
            let rhs = self.expr(r_bp)?;
            let span = lhs.expr.span.start..rhs.expr.span.end;
            if op.is_comparison() && is_comparison(&lhs.expr) {
                return Err(Diagnostic::new(
                    Code::ChainedComparison,
                    span,
                    "comparisons do not chain",
                )
                .with_label(op_token.span, "second comparison")
                .with_help("write `a < b and b < c`, or `between(b, a, c)`"));
            }
            lhs = node(
                ExprKind::Binary(op, Box::new(lhs.expr), Box::new(rhs.expr)),
                span,
                lhs.depth.max(rhs.depth),
            )?;
        }
        Ok(lhs)
    }

    /// Skips newlines when the next line starts with a binary operator.
    fn continue_line(&mut self) {
        let mut at = self.pos;
        while self
            .tokens
            .get(at)
            .is_some_and(|t| t.kind == TokenKind::Newline)
        {
            at += 1;
        }
        if at != self.pos
            && self
                .tokens
                .get(at)
                .is_some_and(|t| infix(&t.kind).is_some())
        {
            self.pos = at;
        }
    }

    fn prefix(&mut self) -> Result<Parsed, Diagnostic> {
        let token = self.bump();
        let leaf = |kind| {
            Ok(Parsed {
                expr: Expr {
                    kind,
                    span: token.span.clone(),
                },
                depth: 1,
            })
        };
        match token.kind {
            TokenKind::Number(value) => leaf(ExprKind::Number(value)),
            TokenKind::True => leaf(ExprKind::Bool(true)),
            TokenKind::False => leaf(ExprKind::Bool(false)),
            TokenKind::Ident if *self.kind() == TokenKind::LParen => self.call(token),
            TokenKind::Ident => leaf(ExprKind::Name(self.text(&token.span).to_owned())),
            TokenKind::LParen => {
                self.skip_newlines();
                let inner = self.expr(0)?;
                let close = self.expect(TokenKind::RParen, "`)`")?;
                node(
                    ExprKind::Paren(Box::new(inner.expr)),
                    token.span.start..close.span.end,
                    inner.depth,
                )
            }
            TokenKind::Minus | TokenKind::Not => {
                let (op, bp) = if token.kind == TokenKind::Minus {
                    (UnOp::Neg, NEG_BP)
                } else {
                    (UnOp::Not, NOT_BP)
                };
                let operand = self.expr(bp)?;
                let span = token.span.start..operand.expr.span.end;
                node(
                    ExprKind::Unary(op, Box::new(operand.expr)),
                    span,
                    operand.depth,
                )
            }
            _ => {
                self.pos -= usize::from(token.kind != TokenKind::Eof);
                let mut d = self.expected("an expression");
                if token.kind == TokenKind::Interval {
                    d = d.with_help("an interval such as `1h` only follows `@`: `close @ 1h`");
                }
                Err(d)
            }
        }
    }

    /// `name(args)`; the name is consumed, the current token is `(`.
    fn call(&mut self, name: Token) -> Result<Parsed, Diagnostic> {
        self.bump();
        let mut args: Vec<Arg> = Vec::new();
        let mut depth = 1;
        while *self.kind() != TokenKind::RParen {
            let named = *self.kind() == TokenKind::Ident
                && self.tokens.get(self.pos + 1).map(|t| &t.kind) == Some(&TokenKind::Assign);
            let arg_name = if named {
                let ident = self.bump();
                self.bump();
                Some((self.text(&ident.span).to_owned(), ident.span))
            } else {
                None
            };
            let value = self.expr(0)?;
            depth = depth.max(value.depth);
            let arg = Arg {
                name: arg_name,
                value: value.expr,
            };
            if arg.name.is_none() && args.iter().any(|a| a.name.is_some()) {
                return Err(Diagnostic::new(
                    Code::UnexpectedToken,
                    arg.span(),
                    "positional argument after a named one",
                )
                .with_help("put positional arguments first"));
            }
            args.push(arg);
            if *self.kind() == TokenKind::Comma {
                self.bump();
            } else if *self.kind() != TokenKind::RParen {
                return Err(self.expected("`,` or `)`"));
            }
        }
        let close = self.bump();
        node(
            ExprKind::Call {
                name: self.text(&name.span).to_owned(),
                name_span: name.span.clone(),
                args,
            },
            name.span.start..close.span.end,
            depth,
        )
    }

    /// Applies `.field`, `[n]` and `@ tf` to `lhs` as long as they follow.
    fn postfix(&mut self, mut lhs: Parsed) -> Result<Parsed, Diagnostic> {
        loop {
            match self.kind() {
                TokenKind::Dot => {
                    self.bump();
                    let field = self.expect(TokenKind::Ident, "a field name after `.`")?;
                    let span = lhs.expr.span.start..field.span.end;
                    lhs = node(
                        ExprKind::Field {
                            of: Box::new(lhs.expr),
                            name: self.text(&field.span).to_owned(),
                            name_span: field.span,
                        },
                        span,
                        lhs.depth,
                    )?;
                }
                TokenKind::LBracket => {
                    self.bump();
                    let index = self.expr(0)?;
                    let close = self.expect(TokenKind::RBracket, "`]`")?;
                    let span = lhs.expr.span.start..close.span.end;
                    lhs = node(
                        ExprKind::History {
                            of: Box::new(lhs.expr),
                            index: Box::new(index.expr),
                        },
                        span,
                        lhs.depth.max(index.depth),
                    )?;
                }
                TokenKind::At => {
                    self.bump();
                    let tf = match self.kind() {
                        TokenKind::Interval | TokenKind::Ident | TokenKind::Number(_) => {
                            self.bump()
                        }
                        _ => {
                            return Err(self
                                .expected("an interval after `@`")
                                .with_help("for example `close @ 1h`"));
                        }
                    };
                    let span = lhs.expr.span.start..tf.span.end;
                    lhs = node(
                        ExprKind::At {
                            of: Box::new(lhs.expr),
                            interval: self.text(&tf.span).to_owned(),
                            interval_span: tf.span,
                        },
                        span,
                        lhs.depth,
                    )?;
                }
                _ => return Ok(lhs),
            }
        }
    }
}

/// An expression one level above children of depth `depth`, unless that is too deep.
fn node(kind: ExprKind, span: Range<usize>, depth: u32) -> Result<Parsed, Diagnostic> {
    if depth + 1 > MAX_DEPTH {
        return Err(too_deep(span));
    }
    Ok(Parsed {
        expr: Expr { kind, span },
        depth: depth + 1,
    })
}

fn too_deep(span: Range<usize>) -> Diagnostic {
    Diagnostic::new(
        Code::TooDeep,
        span,
        format!("expression nests deeper than {MAX_DEPTH} levels"),
    )
    .with_help("split it with `let` lines")
}

/// The comparison `a < b` (not parenthesised), for the no-chaining check.
fn is_comparison(expr: &Expr) -> bool {
    matches!(&expr.kind, ExprKind::Binary(op, _, _) if op.is_comparison())
}

fn infix(kind: &TokenKind) -> Option<BinOp> {
    Some(match kind {
        TokenKind::Or => BinOp::Or,
        TokenKind::And => BinOp::And,
        TokenKind::Lt => BinOp::Lt,
        TokenKind::Le => BinOp::Le,
        TokenKind::Gt => BinOp::Gt,
        TokenKind::Ge => BinOp::Ge,
        TokenKind::EqEq => BinOp::Eq,
        TokenKind::Ne => BinOp::Ne,
        TokenKind::Plus => BinOp::Add,
        TokenKind::Minus => BinOp::Sub,
        TokenKind::Star => BinOp::Mul,
        TokenKind::Slash => BinOp::Div,
        _ => return None,
    })
}

/// Left and right binding powers; left < right makes operators left-associative.
fn binding_power(op: BinOp) -> (u8, u8) {
    match op {
        BinOp::Or => (1, 2),
        BinOp::And => (3, 4),
        op if op.is_comparison() => (6, 7),
        BinOp::Add | BinOp::Sub => (8, 9),
        _ => (10, 11),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    /// A compact prefix form of an expression, for precedence tests.
    fn sexpr(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Number(x) => x.to_string(),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Paren(inner) => format!("(paren {})", sexpr(inner)),
            ExprKind::Unary(UnOp::Neg, x) => format!("(neg {})", sexpr(x)),
            ExprKind::Unary(UnOp::Not, x) => format!("(not {})", sexpr(x)),
            ExprKind::Binary(op, a, b) => format!("({op:?} {} {})", sexpr(a), sexpr(b)),
            ExprKind::Call { name, args, .. } => {
                let mut parts = vec![name.clone()];
                for arg in args {
                    parts.push(match &arg.name {
                        Some((key, _)) => format!("{key}={}", sexpr(&arg.value)),
                        None => sexpr(&arg.value),
                    });
                }
                format!("(call {})", parts.join(" "))
            }
            ExprKind::Field { of, name, .. } => format!("(. {} {name})", sexpr(of)),
            ExprKind::History { of, index } => format!("([] {} {})", sexpr(of), sexpr(index)),
            ExprKind::At { of, interval, .. } => format!("(@ {} {interval})", sexpr(of)),
        }
    }

    fn parsed(source: &str) -> String {
        let rule = parse(source).unwrap();
        let lets: Vec<String> = rule
            .lets
            .iter()
            .map(|l| format!("let {} = {}; ", l.name, sexpr(&l.value)))
            .collect();
        format!(
            "{}{}",
            lets.concat(),
            rule.expr.as_ref().map(sexpr).unwrap_or_default()
        )
    }

    #[rstest]
    #[case("a or b and c", "(Or a (And b c))")]
    #[case("a and b or c", "(Or (And a b) c)")]
    #[case("not a and b", "(And (not a) b)")]
    #[case("not a < b", "(not (Lt a b))")]
    #[case("a + b * c", "(Add a (Mul b c))")]
    #[case("a - b - c", "(Sub (Sub a b) c)")]
    #[case("a / b / c", "(Div (Div a b) c)")]
    #[case("-a * b", "(Mul (neg a) b)")]
    #[case("- -a", "(neg (neg a))")]
    #[case("-x[1]", "(neg ([] x 1))")]
    #[case("a + b > c * 2", "(Gt (Add a b) (Mul c 2))")]
    #[case("rsi(14)[1] @ 1h", "(@ ([] (call rsi 14) 1) 1h)")]
    #[case("macd().hist @ 4h", "(@ (. (call macd) hist) 4h)")]
    #[case(
        "close @ 1h > ema(200) @ 1h",
        "(Gt (@ close 1h) (@ (call ema 200) 1h))"
    )]
    #[case("(a > b) @ 1h", "(@ (paren (Gt a b)) 1h)")]
    #[case("bb(20, mult=2.5).upper", "(. (call bb 20 mult=2.5) upper)")]
    #[case("f(\n  a,\n  b)", "(call f a b)")]
    #[case("f(a, b,)", "(call f a b)")]
    #[case("a > b\n  and c", "(And (Gt a b) c)")]
    #[case("a > b and\n  c", "(And (Gt a b) c)")]
    #[case("(a\n > b)", "(paren (Gt a b))")]
    #[case("(a < b) == c", "(Eq (paren (Lt a b)) c)")]
    #[case(
        "let x = 1\n\nlet y = x # note\ny > 1\n",
        "let x = 1; let y = x; (Gt y 1)"
    )]
    #[case("# nothing\n", "")]
    fn parses_with_precedence(#[case] source: &str, #[case] want: &str) {
        assert_eq!(parsed(source), want, "{source}");
    }

    #[test]
    fn spans_cover_the_text() {
        let rule = parse("  rsi(14)[1] @ 1h > 2").unwrap();
        let expr = rule.expr.unwrap();
        assert_eq!(expr.span, 2..21);
        let ExprKind::Binary(_, lhs, _) = expr.kind else {
            panic!()
        };
        assert_eq!(lhs.span, 2..17);
    }

    #[rstest]
    #[case("a < b < c", Code::ChainedComparison, 0..9)]
    #[case("a == b != c", Code::ChainedComparison, 0..11)]
    #[case("f(x=1, 2)", Code::UnexpectedToken, 7..8)]
    #[case("f(,1)", Code::UnexpectedToken, 2..3)]
    #[case("f(1 2)", Code::UnexpectedToken, 4..5)]
    #[case("(a > b", Code::UnexpectedToken, 6..6)]
    #[case("close @", Code::UnexpectedToken, 7..7)]
    #[case("close @ (1h)", Code::UnexpectedToken, 8..9)]
    #[case("1h > 0", Code::UnexpectedToken, 0..2)]
    #[case("x.", Code::UnexpectedToken, 2..2)]
    #[case("x[1", Code::UnexpectedToken, 3..3)]
    #[case("let = 1", Code::UnexpectedToken, 4..5)]
    #[case("let x 1", Code::UnexpectedToken, 6..7)]
    #[case("let x = 1 2\nx", Code::UnexpectedToken, 10..11)]
    #[case("a > b\nlet x = 1", Code::UnexpectedToken, 6..9)]
    #[case("a > b\nc", Code::UnexpectedToken, 6..7)]
    fn rejects_bad_syntax(#[case] source: &str, #[case] code: Code, #[case] span: Range<usize>) {
        let err = parse(source).unwrap_err();
        assert_eq!(
            (err.code, err.span.clone()),
            (code, span),
            "{source}: {err}"
        );
    }

    #[test]
    fn depth_is_bounded() {
        let nested = "-".repeat(MAX_DEPTH as usize + 5) + "x";
        assert_eq!(parse(&nested).unwrap_err().code, Code::TooDeep);
        let chain = "x + ".repeat(MAX_DEPTH as usize + 5) + "x";
        assert_eq!(parse(&chain).unwrap_err().code, Code::TooDeep);
        let fine = "x + ".repeat(MAX_DEPTH as usize - 5) + "x";
        assert!(parse(&fine).is_ok());
    }
}
