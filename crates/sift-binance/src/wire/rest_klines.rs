//! `GET /api/v3/klines` rows (and the same 12 columns of the public kline files).

use serde::Deserialize;

/// One row of `GET /api/v3/klines`: a 12-element array, decimals as strings.
///
/// ```json
/// [1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",
///  1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"]
/// ```
/// Columns: open time, open, high, low, close, volume, close time, quote volume, trades,
/// taker-buy base volume, taker-buy quote volume, ignore. Rows are chronological; the newest may
/// still be forming.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KlineRow<'a>(
    pub i64,
    pub &'a str,
    pub &'a str,
    pub &'a str,
    pub &'a str,
    pub &'a str,
    pub i64,
    pub &'a str,
    pub u64,
    pub &'a str,
    pub &'a str,
    pub &'a str,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_row() {
        let body = r#"[[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"]]"#;
        let rows: Vec<KlineRow<'_>> = serde_json::from_str(body).unwrap();
        assert_eq!(rows[0].0, 1_499_040_000_000);
        assert_eq!(rows[0].4, "0.01577100");
        assert_eq!(rows[0].8, 308);
        assert!(serde_json::from_str::<Vec<KlineRow<'_>>>("[[1,\"2\"]]").is_err());
    }
}
