//! Value semantics of rule nodes, on a plain `f64` where NaN means **undefined**.
//!
//! The rule language defines (see `sift_rules::program`): undefined propagates through
//! arithmetic; a non-finite result (overflow, division by zero) is undefined; comparisons with
//! an undefined operand are false; `and`, `or` and `not` treat undefined as false and always
//! give a defined Bool. Booleans are `1.0` and `0.0`.
//!
//! NaN is the engine's internal encoding only: IEEE arithmetic already propagates it and makes
//! `<`, `<=`, `>`, `>=` and `==` false, so the hot loop stays branch-light. The few places where
//! IEEE differs from the rules (`!=` is true for NaN, `x / 0` is infinite, overflow is
//! infinite) are handled here, and nothing undefined ever leaves the engine: a
//! [`Match`](crate::Match) omits undefined values.

use sift_rules::program::{BinaryOp, UnaryOp};

/// The undefined value.
pub(crate) const UNDEFINED: f64 = f64::NAN;

/// `x` when finite, else undefined.
///
/// One comparison (NaN compares false) and a [`select`], without a branch, so loops over many
/// values vectorise.
#[inline]
pub(crate) fn finite(x: f64) -> f64 {
    select(x.abs() < f64::INFINITY, x, UNDEFINED)
}

/// `a` when `pick`, else `b`, by masking bits rather than branching, so loops over many values
/// vectorise.
#[inline]
pub(crate) fn select(pick: bool, a: f64, b: f64) -> f64 {
    let mask = u64::from(pick).wrapping_neg();
    f64::from_bits((a.to_bits() & mask) | (b.to_bits() & !mask))
}

/// Whether a Bool value counts as true: defined and non-zero.
///
/// One comparison without a branch (NaN compares false, and `±0.0` has magnitude 0), so loops
/// over many values vectorise.
#[inline]
pub(crate) fn truthy(x: f64) -> bool {
    x.abs() > 0.0
}

/// A Bool as a value.
#[inline]
pub(crate) fn from_bool(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Applies a one-operand operation.
#[inline]
pub(crate) fn unary(op: UnaryOp, a: f64) -> f64 {
    match op {
        UnaryOp::Neg => -a,
        UnaryOp::Abs => a.abs(),
        UnaryOp::Not => from_bool(!truthy(a)),
    }
}

/// Applies a two-operand operation.
#[inline]
pub(crate) fn binary(op: BinaryOp, a: f64, b: f64) -> f64 {
    match op {
        BinaryOp::Add => finite(a + b),
        BinaryOp::Sub => finite(a - b),
        BinaryOp::Mul => finite(a * b),
        BinaryOp::Div => {
            if b == 0.0 {
                UNDEFINED
            } else {
                finite(a / b)
            }
        }
        BinaryOp::Min => {
            if a.is_nan() || b.is_nan() {
                UNDEFINED
            } else if a <= b {
                a
            } else {
                b
            }
        }
        BinaryOp::Max => {
            if a.is_nan() || b.is_nan() {
                UNDEFINED
            } else if a >= b {
                a
            } else {
                b
            }
        }
        BinaryOp::Lt => from_bool(a < b),
        BinaryOp::Le => from_bool(a <= b),
        BinaryOp::Gt => from_bool(a > b),
        BinaryOp::Ge => from_bool(a >= b),
        BinaryOp::Eq => from_bool(a == b),
        BinaryOp::Ne => from_bool(!a.is_nan() && !b.is_nan() && a != b),
        BinaryOp::And => from_bool(truthy(a) && truthy(b)),
        BinaryOp::Or => from_bool(truthy(a) || truthy(b)),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const U: f64 = UNDEFINED;

    /// Compares values where undefined equals undefined.
    fn same(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a == b
    }

    #[rstest]
    #[case(BinaryOp::Add, 1.0, 2.0, 3.0)]
    #[case(BinaryOp::Add, U, 2.0, U)]
    #[case(BinaryOp::Sub, 1.0, U, U)]
    #[case(BinaryOp::Mul, 1e300, 1e300, U)]
    #[case(BinaryOp::Div, 1.0, 0.0, U)]
    #[case(BinaryOp::Div, 0.0, 0.0, U)]
    #[case(BinaryOp::Div, 1.0, -0.0, U)]
    #[case(BinaryOp::Div, 6.0, 3.0, 2.0)]
    #[case(BinaryOp::Div, 1e300, 1e-300, U)]
    #[case(BinaryOp::Min, 1.0, 2.0, 1.0)]
    #[case(BinaryOp::Min, U, 2.0, U)]
    #[case(BinaryOp::Max, 1.0, 2.0, 2.0)]
    #[case(BinaryOp::Max, 1.0, U, U)]
    #[case(BinaryOp::Lt, 1.0, 2.0, 1.0)]
    #[case(BinaryOp::Lt, U, 2.0, 0.0)]
    #[case(BinaryOp::Ge, 2.0, U, 0.0)]
    #[case(BinaryOp::Eq, 2.0, 2.0, 1.0)]
    #[case(BinaryOp::Eq, U, U, 0.0)]
    #[case(BinaryOp::Ne, 1.0, 2.0, 1.0)]
    #[case(BinaryOp::Ne, U, 2.0, 0.0)]
    #[case(BinaryOp::Ne, U, U, 0.0)]
    #[case(BinaryOp::And, 1.0, 1.0, 1.0)]
    #[case(BinaryOp::And, 1.0, U, 0.0)]
    #[case(BinaryOp::Or, U, 1.0, 1.0)]
    #[case(BinaryOp::Or, U, U, 0.0)]
    #[case(BinaryOp::Or, 0.0, 0.0, 0.0)]
    fn binary_operations(#[case] op: BinaryOp, #[case] a: f64, #[case] b: f64, #[case] want: f64) {
        assert!(same(binary(op, a, b), want), "{op:?}({a}, {b})");
    }

    #[rstest]
    #[case(UnaryOp::Neg, 2.0, -2.0)]
    #[case(UnaryOp::Neg, U, U)]
    #[case(UnaryOp::Abs, -2.0, 2.0)]
    #[case(UnaryOp::Abs, U, U)]
    #[case(UnaryOp::Not, 1.0, 0.0)]
    #[case(UnaryOp::Not, 0.0, 1.0)]
    #[case(UnaryOp::Not, U, 1.0)]
    fn unary_operations(#[case] op: UnaryOp, #[case] a: f64, #[case] want: f64) {
        assert!(same(unary(op, a), want), "{op:?}({a})");
    }

    #[test]
    fn helpers() {
        assert!(same(finite(f64::INFINITY), U));
        for x in [0.0, -0.0, 1.5, -1e308, f64::MAX, f64::MIN_POSITIVE, 5e-324] {
            assert_eq!(finite(x).to_bits(), x.to_bits());
        }
        for x in [f64::INFINITY, f64::NEG_INFINITY, U, -U] {
            assert!(finite(x).is_nan());
        }
        assert_eq!(select(true, -0.0, 1.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(select(false, -0.0, 1.0), 1.0);
        assert_eq!(finite(-3.0), -3.0);
        assert!(truthy(2.0) && !truthy(0.0) && !truthy(U));
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e-310,
            f64::INFINITY,
            f64::NEG_INFINITY,
            U,
            -U,
        ] {
            assert_eq!(truthy(x), !x.is_nan() && x != 0.0, "{x}");
        }
    }
}
