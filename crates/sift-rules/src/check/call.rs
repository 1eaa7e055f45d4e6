//! Calls: dispatching a call to a builtin or an indicator, and binding a builtin's arguments
//! to its parameter table.

use std::ops::Range;

use sift_core::Interval;

use super::names::Meaning;
use super::{Lowered, Lowerer, Reported};
use crate::ast::{Arg, Expr, ExprKind, UnOp};
use crate::builtins::{Builtin, Call, ParamKind, Value};
use crate::diagnostic::{Code, Diagnostic};
use crate::program::Type;

impl Lowerer<'_> {
    /// Lowers `name(args)` spanning `span`, with `.field` when given.
    pub(super) fn call(
        &mut self,
        name: &str,
        name_span: Range<usize>,
        args: &[Arg],
        span: Range<usize>,
        field: Option<(&str, Range<usize>)>,
        tf: Interval,
    ) -> Lowered {
        match self.meaning(name) {
            Meaning::Indicator(def) => {
                let id = self.indicator_call(def, args, span.clone(), field.clone(), tf)?;
                let whole = match &field {
                    Some((_, field_span)) => span.start..field_span.end,
                    None => span,
                };
                self.reference(whole, id, tf);
                Ok(id)
            }
            Meaning::Builtin(b) => {
                let id = self.builtin_call(b, args, span.clone(), tf)?;
                if b.reference {
                    self.reference(span, id, tf);
                }
                Ok(id)
            }
            Meaning::Series(_) | Meaning::Ticker(_) | Meaning::Binding(_) => {
                let _ = self.lower_args(args, tf);
                Err(self.report(
                    Diagnostic::new(
                        Code::NotCallable,
                        name_span,
                        format!("`{name}` is a value, not a function"),
                    )
                    .with_help(format!(
                        "for a previous value write `{name}[1]`; for a timeframe `{name} @ 1h`"
                    )),
                ))
            }
            Meaning::Unknown => {
                let _ = self.lower_args(args, tf);
                let mut d = Diagnostic::new(
                    Code::UnknownName,
                    name_span,
                    format!("unknown function or indicator `{name}`"),
                );
                if let Some(help) = self.suggestion(name, true) {
                    d = d.with_help(help);
                }
                Err(self.report(d))
            }
        }
    }

    /// Lowers every argument expression to report the problems inside them.
    fn lower_args(&mut self, args: &[Arg], tf: Interval) -> Result<(), Reported> {
        let mut result = Ok(());
        for arg in args {
            if let Err(e) = self.lower(&arg.value, tf) {
                result = Err(e);
            }
        }
        result
    }

    fn builtin_call(
        &mut self,
        b: &'static Builtin,
        args: &[Arg],
        span: Range<usize>,
        tf: Interval,
    ) -> Lowered {
        let usage = || format!("usage: {}", b.signature());
        // Which argument fills which parameter.
        let mut slots: Vec<Option<&Arg>> = vec![None; b.params.len()];
        let mut failed = false;
        for (i, arg) in args.iter().enumerate() {
            let slot = match &arg.name {
                None if i < b.params.len() => i,
                None => {
                    failed = true;
                    self.report(
                        Diagnostic::new(
                            Code::Arity,
                            arg.span(),
                            format!("`{}` takes at most {} arguments", b.name, b.params.len()),
                        )
                        .with_help(usage()),
                    );
                    continue;
                }
                Some((key, key_span)) => match b.params.iter().position(|p| p.name == key) {
                    Some(slot) => slot,
                    None => {
                        failed = true;
                        let names = b.params.iter().map(|p| p.name);
                        let help = match super::names::suggest(key, names) {
                            Some(best) => format!("did you mean `{best}`? {}", usage()),
                            None => usage(),
                        };
                        self.report(
                            Diagnostic::new(
                                Code::BadNamedArgument,
                                key_span.clone(),
                                format!("`{}` has no parameter `{key}`", b.name),
                            )
                            .with_help(help),
                        );
                        continue;
                    }
                },
            };
            if slots[slot].is_some() {
                failed = true;
                self.report(
                    Diagnostic::new(
                        Code::BadNamedArgument,
                        arg.span(),
                        format!("parameter `{}` is given twice", b.params[slot].name),
                    )
                    .with_help(usage()),
                );
                continue;
            }
            slots[slot] = Some(arg);
        }
        let mut values = Vec::with_capacity(b.params.len());
        for (param, slot) in b.params.iter().zip(&slots) {
            let value = match (slot, param.default) {
                (Some(arg), _) => self.bind(b, param.kind, param.min, param.name, &arg.value, tf),
                (None, Some(default)) => Ok(match param.kind {
                    ParamKind::Choice(_) => Value::Choice(default as usize),
                    _ => Value::Literal(default),
                }),
                (None, None) => Err(self.report(
                    Diagnostic::new(
                        Code::Arity,
                        span.clone(),
                        format!("`{}` is missing its argument `{}`", b.name, param.name),
                    )
                    .with_help(usage()),
                )),
            };
            match value {
                Ok(v) => values.push(v),
                Err(_) => failed = true,
            }
        }
        if failed {
            return Err(Reported);
        }
        (b.lower)(self, &Call { span, tf, values })
    }

    /// Checks one argument against its parameter.
    fn bind(
        &mut self,
        b: &Builtin,
        kind: ParamKind,
        min: f64,
        param: &str,
        expr: &Expr,
        tf: Interval,
    ) -> Result<Value, Reported> {
        let what = format!("`{}` argument `{param}`", b.name);
        match kind {
            ParamKind::Number | ParamKind::Bool => {
                let want = if kind == ParamKind::Bool {
                    Type::Bool
                } else {
                    Type::Number
                };
                let id = self.lower(expr, tf)?;
                self.expect_type(id, want, expr, &what)?;
                Ok(Value::Node(id))
            }
            _ => self.bind_literal(b, kind, min, expr, &what),
        }
    }

    /// Checks a choice or literal argument.
    fn bind_literal(
        &mut self,
        b: &Builtin,
        kind: ParamKind,
        min: f64,
        expr: &Expr,
        what: &str,
    ) -> Result<Value, Reported> {
        let usage = format!("usage: {}", b.signature());
        match kind {
            ParamKind::Number | ParamKind::Bool => Err(Reported),
            ParamKind::Choice(names) => match &expr.kind {
                ExprKind::Name(name) if names.contains(&name.as_str()) => Ok(Value::Choice(
                    names.iter().position(|n| n == name).unwrap_or(0),
                )),
                _ => Err(self.report(
                    Diagnostic::new(
                        Code::InvalidArgument,
                        expr.span.clone(),
                        format!("{what} must be one of {}", names.join(", ")),
                    )
                    .with_help(usage),
                )),
            },
            ParamKind::Bars | ParamKind::Real => {
                let whole = kind == ParamKind::Bars;
                let max = if whole {
                    sift_indicators::MAX_PERIOD as f64
                } else {
                    sift_indicators::MAX_REAL
                };
                match literal(expr) {
                    Some(x) if (!whole || x.fract() == 0.0) && (min..=max).contains(&x) => {
                        Ok(Value::Literal(x))
                    }
                    Some(x) => Err(self.report(
                        Diagnostic::new(
                            Code::InvalidArgument,
                            expr.span.clone(),
                            format!(
                                "{what} = {x} is invalid: expected {} from {min} to {max}",
                                if whole { "a whole number" } else { "a number" }
                            ),
                        )
                        .with_help(usage),
                    )),
                    None => Err(self.report(
                        Diagnostic::new(
                            Code::InvalidArgument,
                            expr.span.clone(),
                            format!("{what} must be a number literal"),
                        )
                        .with_help(format!(
                            "lengths and thresholds are number literals; {usage}"
                        )),
                    )),
                }
            }
        }
    }
}

/// The value of a number literal, possibly negated (`-2`).
pub(super) fn literal(expr: &Expr) -> Option<f64> {
    match &expr.kind {
        ExprKind::Number(x) => Some(*x),
        ExprKind::Unary(UnOp::Neg, inner) => match inner.kind {
            ExprKind::Number(x) => Some(-x),
            _ => None,
        },
        ExprKind::Paren(inner) => literal(inner),
        _ => None,
    }
}
