//! Writing signals and summaries: CSV, JSON and aligned text tables.
//!
//! Every writer takes any `io::Write`. Column names are shared: `trader, symbol, interval,
//! open_time, close`, then `fwd_<bars>` per horizon. Forward returns and means are percent,
//! rounded to six decimals in CSV and JSON (finer digits are float noise) and to two in
//! tables; hit rates are fractions in JSON and percent in tables.

mod csv;
mod json;
mod table;

pub use csv::CsvWriter;
pub use json::JsonWriter;
pub use table::{write_signals, write_summary};

/// The fixed columns before the forward returns.
const COLUMNS: [&str; 5] = ["trader", "symbol", "interval", "open_time", "close"];

/// The forward return column of a horizon: `fwd_5`.
fn forward_column(bars: u32) -> String {
    format!("fwd_{bars}")
}

/// `x` rounded to six decimals, without trailing zeros: `10`, `-3.5`, `0.333333`.
fn decimal(x: f64) -> String {
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" => "0".to_owned(),
        _ => text.to_owned(),
    }
}

/// `x` rounded to six decimals as a JSON number (`null` if not finite).
fn rounded(x: f64) -> serde_json::Value {
    serde_json::Value::from((x * 1e6).round() / 1e6)
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(10.000000000000009, "10")]
    #[case(-3.5, "-3.5")]
    #[case(1.0 / 3.0, "0.333333")]
    #[case(-0.0000001, "0")]
    #[case(0.0, "0")]
    #[case(123456.7, "123456.7")]
    fn decimals(#[case] x: f64, #[case] text: &str) {
        assert_eq!(decimal(x), text);
    }

    #[test]
    fn rounded_numbers() {
        assert_eq!(rounded(10.000000000000009), serde_json::json!(10.0));
        assert_eq!(rounded(f64::NAN), serde_json::Value::Null);
    }
}
