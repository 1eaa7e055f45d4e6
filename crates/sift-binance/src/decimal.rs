//! Binance decimal strings to `f64`, exactly and fast.
//!
//! Binance sends prices and quantities as plain decimal strings (`"0.00100000"`,
//! `"93576.01000000"`). The result must equal the correctly rounded `f64` of the decimal, which
//! is what `str::parse::<f64>` returns; this module adds a fast path for the common case and a
//! stricter grammar.

/// `10^k` for `k` in `0..=22`: every one is exactly representable as an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Largest integer below which every integer is exactly representable as an `f64`.
const MAX_EXACT_INT: u64 = 1 << 53;

/// Up to this many decimal digits always fit a `u64` (10^19 - 1 < 2^64).
const MAX_EXACT_DIGITS: usize = 19;

/// Parses a plain decimal: an optional `-`, one or more digits, then optionally `.` and one or
/// more digits. Exponents, `+`, `inf`, `NaN`, blanks and empty parts are rejected (`None`).
///
/// The result is the correctly rounded `f64`, identical to `str::parse::<f64>`. When the digits
/// form an integer `m < 2^53` with at most 22 fraction digits, `m / 10^k` is computed directly:
/// both operands are exact and IEEE division rounds correctly once (Clinger's fast path). Longer
/// strings fall back to the standard library's parser.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, unsigned) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    // One pass: accumulate every digit (wrapping; only trusted when there are at most 19, which
    // cannot overflow a u64) and note how many digits precede the point.
    let mut mantissa: u64 = 0;
    let mut digits = 0_usize;
    let mut int_digits = None;
    for &b in unsigned {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
            digits += 1;
        } else if b == b'.' && int_digits.is_none() {
            int_digits = Some(digits);
        } else {
            return None;
        }
    }
    let frac_digits = match int_digits {
        None if digits > 0 => 0,
        Some(int) if int > 0 && int < digits => digits - int,
        _ => return None,
    };
    let value =
        if digits <= MAX_EXACT_DIGITS && mantissa < MAX_EXACT_INT && frac_digits < POW10.len() {
            // Exact integer conversion: mantissa < 2^53.
            #[allow(clippy::cast_precision_loss)]
            let m = mantissa as f64;
            m / POW10[frac_digits]
        } else {
            // The grammar was checked above, so the standard parser sees only digits and one point.
            let digits = std::str::from_utf8(unsigned).ok()?;
            digits.parse::<f64>().ok()?
        };
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("0", 0.0)]
    #[case("0.00100000", 0.001)]
    #[case("93576.01000000", 93576.01)]
    #[case("-1.5", -1.5)]
    #[case("0.00000001", 1e-8)]
    #[case("123456789.12345678", 123_456_789.123_456_78)]
    #[case("18446744073709551616", 18_446_744_073_709_551_616.0)]
    #[case("0.1234567890123456789012345", 0.123_456_789_012_345_68)]
    fn parses_like_std(#[case] text: &str, #[case] expected: f64) {
        let got = parse_decimal(text).unwrap();
        assert_eq!(got.to_bits(), text.parse::<f64>().unwrap().to_bits());
        assert_eq!(got.to_bits(), expected.to_bits());
    }

    #[rstest]
    #[case("")]
    #[case("-")]
    #[case(".5")]
    #[case("5.")]
    #[case("1e5")]
    #[case("+1")]
    #[case("1.2.3")]
    #[case(" 1")]
    #[case("inf")]
    #[case("NaN")]
    #[case("--1")]
    #[case("1,5")]
    fn rejects(#[case] text: &str) {
        assert_eq!(parse_decimal(text), None);
    }

    proptest! {
        /// Any plain decimal, short or long, parses to exactly the bits `str::parse` gives.
        #[test]
        fn equals_std_bit_for_bit(
            negative in any::<bool>(),
            int in "[0-9]{1,25}",
            frac in proptest::option::of("[0-9]{1,30}"),
        ) {
            let text = format!(
                "{}{int}{}",
                if negative { "-" } else { "" },
                frac.map(|f| format!(".{f}")).unwrap_or_default()
            );
            let want = text.parse::<f64>().unwrap();
            prop_assert_eq!(parse_decimal(&text).map(f64::to_bits), Some(want.to_bits()));
        }

        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = parse_decimal(&text);
        }
    }
}
