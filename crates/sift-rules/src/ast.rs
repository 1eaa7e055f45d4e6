//! The syntax tree of a rule, every node with its byte span.

use std::ops::Range;

/// A whole rule: `let` lines, then the rule expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub lets: Vec<Let>,
    /// `None` when the text has no rule expression (only comments or `let` lines).
    pub expr: Option<Expr>,
}

/// `let name = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    pub name: String,
    pub name_span: Range<usize>,
    pub value: Expr,
}

/// An expression and the bytes it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Range<usize>,
}

/// A prefix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

/// An infix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinOp {
    /// A comparison (these do not chain).
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne
        )
    }
}

/// One argument of a call: positional, or `name = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The parameter name and its span for a named argument.
    pub name: Option<(String, Range<usize>)>,
    pub value: Expr,
}

impl Arg {
    /// The span of the whole argument, name included.
    pub fn span(&self) -> Range<usize> {
        match &self.name {
            Some((_, span)) => span.start..self.value.span.end,
            None => self.value.span.clone(),
        }
    }
}

/// What an expression is.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Bool(bool),
    /// A name: a series, a ticker value, a `let` binding (or a misused function).
    Name(String),
    /// `( expr )`, kept so `(a < b) < c` is not mistaken for a chain.
    Paren(Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `name(args)`.
    Call {
        name: String,
        name_span: Range<usize>,
        args: Vec<Arg>,
    },
    /// `of.name`.
    Field {
        of: Box<Expr>,
        name: String,
        name_span: Range<usize>,
    },
    /// `of[index]`; the checker requires a whole-number literal.
    History {
        of: Box<Expr>,
        index: Box<Expr>,
    },
    /// `of @ interval`, the interval as written.
    At {
        of: Box<Expr>,
        interval: String,
        interval_span: Range<usize>,
    },
}
