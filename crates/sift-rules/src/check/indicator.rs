//! Calls of registry indicators: `rsi(14)`, `sma(volume, 20)`, `sma(obv(), 20)`,
//! `bb(20, mult=2.5).upper`.
//!
//! For an indicator that reads one series, a first positional argument that is not a number
//! literal (nor a choice name) is the series: a candle series name becomes the spec's source,
//! any other Number expression a derived source node. Every other argument must be a number
//! literal or a choice name; `sift_indicators::Spec` validates them and its error messages
//! become diagnostics at the offending argument.

use std::ops::Range;

use sift_core::Interval;
use sift_indicators::registry::{Def, ParamKind};
use sift_indicators::{Error, Source, Spec};

use super::call::literal;
use super::names::{Meaning, suggest};
use super::{Lowered, Lowerer, Reported};
use crate::ast::{Arg, Expr, ExprKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::program::{NodeId, Type};

/// The indicator's input: its spec source, or a derived series node.
enum Input {
    Spec(Option<Source>),
    Node(NodeId),
}

impl Lowerer<'_> {
    /// Lowers a call of `def` (with `.field` when given) on `tf`.
    pub(super) fn indicator_call(
        &mut self,
        def: &'static Def,
        args: &[Arg],
        span: Range<usize>,
        field: Option<(&str, Range<usize>)>,
        tf: Interval,
    ) -> Lowered {
        let usage = format!("usage: {}", def.signature());
        let positional: Vec<&Arg> = args.iter().filter(|a| a.name.is_none()).collect();
        let named: Vec<&Arg> = args.iter().filter(|a| a.name.is_some()).collect();
        let (input, params) = match positional.split_first() {
            Some((first, rest)) if !is_param(def, &first.value) => {
                (self.input(def, &first.value, &usage, tf), rest)
            }
            _ => (Ok(Input::Spec(None)), positional.as_slice()),
        };
        let spec_args: Result<Vec<sift_indicators::Arg<'_>>, Reported> = params
            .iter()
            .map(|a| self.spec_arg(def, &a.value, &usage))
            .collect();
        let named_args: Result<Vec<(&str, sift_indicators::Arg<'_>)>, Reported> = named
            .iter()
            .filter_map(|a| a.name.as_ref().map(|(key, _)| (key.as_str(), &a.value)))
            .map(|(key, value)| Ok((key, self.spec_arg(def, value, &usage)?)))
            .collect();
        let field = self.field(def, field, &span);
        let (input, spec_args, named_args, field) = (input?, spec_args?, named_args?, field?);
        let (source, node) = match input {
            Input::Spec(source) => (source, None),
            Input::Node(id) => (None, Some(id)),
        };
        let spec = Spec::for_def(def, source, &spec_args, &named_args).map_err(|e| {
            let at = blame(&e, def, args, params, &span);
            self.report(spec_error(&e, at, &usage))
        })?;
        self.indicator_node(spec, field, node, tf, span)
    }

    /// The leading series argument of `def`.
    fn input(
        &mut self,
        def: &Def,
        expr: &Expr,
        usage: &str,
        tf: Interval,
    ) -> Result<Input, Reported> {
        if def.source.is_none() {
            let _ = self.lower(expr, tf);
            return Err(self.report(
                Diagnostic::new(
                    Code::SourceNotAllowed,
                    expr.span.clone(),
                    format!(
                        "`{}` reads whole candles and takes no source series",
                        def.name
                    ),
                )
                .with_help(usage.to_owned()),
            ));
        }
        if let ExprKind::Name(name) = &expr.kind
            && let Meaning::Series(source) = self.meaning(name)
        {
            return Ok(Input::Spec(Some(source)));
        }
        let id = self.lower(expr, tf)?;
        self.expect_type(id, Type::Number, expr, &format!("`{}`'s source", def.name))?;
        Ok(match self.as_series(id, tf) {
            Some(source) => Input::Spec(Some(source)),
            None => Input::Node(id),
        })
    }

    /// A parameter argument as the spec parser takes it: a number literal or a name.
    fn spec_arg<'e>(
        &mut self,
        def: &Def,
        expr: &'e Expr,
        usage: &str,
    ) -> Result<sift_indicators::Arg<'e>, Reported> {
        if let Some(x) = literal(expr) {
            return Ok(sift_indicators::Arg::Number(x));
        }
        if let ExprKind::Name(name) = &expr.kind
            && (takes_names(def) || (def.source.is_none() && name.parse::<Source>().is_ok()))
        {
            return Ok(sift_indicators::Arg::Ident(name));
        }
        Err(self.report(
            Diagnostic::new(
                Code::InvalidArgument,
                expr.span.clone(),
                format!("`{}`'s parameters must be number literals", def.name),
            )
            .with_help(usage.to_owned()),
        ))
    }

    /// The output index for `.field`, or an error when it is missing or unknown.
    fn field(
        &mut self,
        def: &Def,
        field: Option<(&str, Range<usize>)>,
        span: &Range<usize>,
    ) -> Result<usize, Reported> {
        match field {
            None if def.fields.is_empty() => Ok(0),
            None => Err(self.report(
                Diagnostic::new(
                    Code::MissingField,
                    span.clone(),
                    format!(
                        "`{}` has several outputs; pick one with `.field`: {}",
                        def.name,
                        def.fields.join(", ")
                    ),
                )
                .with_help(format!(
                    "for example `{}.{}`",
                    self.source.get(span.clone()).unwrap_or(def.name),
                    def.fields[0]
                )),
            )),
            Some((name, name_span)) if def.fields.is_empty() => Err(self.report(
                Diagnostic::new(
                    Code::UnknownField,
                    name_span,
                    format!("`{}` has a single output and no field `{name}`", def.name),
                )
                .with_help("remove the field"),
            )),
            Some((name, name_span)) => match def.fields.iter().position(|f| *f == name) {
                Some(i) => Ok(i),
                None => {
                    let mut help = format!("fields of `{}`: {}", def.name, def.fields.join(", "));
                    if let Some(best) = suggest(name, def.fields.iter().copied()) {
                        help = format!("did you mean `{best}`? {help}");
                    }
                    Err(self.report(
                        Diagnostic::new(
                            Code::UnknownField,
                            name_span,
                            format!("`{}` has no field `{name}`", def.name),
                        )
                        .with_help(help),
                    ))
                }
            },
        }
    }
}

/// Whether `expr`, as the first positional argument of `def`, is a parameter rather than the
/// source series: a number literal, or a name among the first parameter's choices.
fn is_param(def: &Def, expr: &Expr) -> bool {
    if literal(expr).is_some() {
        return true;
    }
    let ExprKind::Name(name) = &expr.kind else {
        return false;
    };
    // Indicators without a source take names only as parameters (`vwap(week)`), and the spec
    // reports a source series given to them.
    def.source.is_none()
        || matches!(
            def.params.first().map(|p| p.kind),
            Some(ParamKind::Choice(choices)) if choices.contains(&name.as_str())
        )
}

/// Whether some parameter of `def` is a choice, spelled as a name.
fn takes_names(def: &Def) -> bool {
    def.params
        .iter()
        .any(|p| matches!(p.kind, ParamKind::Choice(_)))
}

/// The span a spec error is about: the argument of the parameter it names, else the call.
fn blame(
    error: &Error,
    def: &Def,
    args: &[Arg],
    positional: &[&Arg],
    call: &Range<usize>,
) -> Range<usize> {
    let param = match error {
        Error::OutOfRange { param, .. }
        | Error::InvalidChoice { param, .. }
        | Error::ExpectedNumber { param, .. }
        | Error::InvalidParameter { param, .. }
        | Error::MissingParameter { param, .. } => Some(*param),
        Error::UnknownParameter { param, .. } => {
            return named_span(args, param, false).unwrap_or(call.clone());
        }
        Error::RepeatedParameter { param, .. } => {
            return named_span(args, param, true).unwrap_or(call.clone());
        }
        Error::TooManyArguments { .. } | Error::NoSource { .. } => {
            return positional
                .get(def.params.len())
                .or(positional.first())
                .map_or(call.clone(), |a| a.span());
        }
        _ => None,
    };
    let Some(param) = param else {
        return call.clone();
    };
    if let Some(span) = named_span(args, param, false) {
        return span;
    }
    def.params
        .iter()
        .position(|p| p.name == param)
        .and_then(|i| positional.get(i))
        .map_or(call.clone(), |a| a.span())
}

/// The span of the named argument `key` (its last occurrence when `last`).
fn named_span(args: &[Arg], key: &str, last: bool) -> Option<Range<usize>> {
    let mut found = args
        .iter()
        .filter(|a| a.name.as_ref().is_some_and(|(k, _)| k == key));
    let arg = if last {
        found.next_back()
    } else {
        found.next()
    };
    arg.map(Arg::span)
}

/// A spec error as a diagnostic: its message without the usage suffix, which becomes help.
fn spec_error(error: &Error, span: Range<usize>, usage: &str) -> Diagnostic {
    let text = error.to_string();
    let message = text.split("; usage: ").next().unwrap_or(&text).to_owned();
    let code = match error {
        Error::UnknownParameter { .. } | Error::RepeatedParameter { .. } => Code::BadNamedArgument,
        Error::MissingParameter { .. } | Error::TooManyArguments { .. } => Code::Arity,
        Error::NoSource { .. } => Code::SourceNotAllowed,
        _ => Code::InvalidArgument,
    };
    Diagnostic::new(code, span, message).with_help(usage.to_owned())
}
