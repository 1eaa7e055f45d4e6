//! `GET /api/v3/exchangeInfo`, reduced to the symbol list.

use serde::Deserialize;

/// The exchangeInfo body; everything but `symbols` (rate limits, filters, permissions, ...) is
/// skipped.
///
/// ```json
/// {"timezone":"UTC","serverTime":1565246363776,"rateLimits":[],"exchangeFilters":[],
///  "symbols":[{"symbol":"ETHBTC","status":"TRADING","baseAsset":"ETH","baseAssetPrecision":8,
///  "quoteAsset":"BTC","quoteAssetPrecision":8,"orderTypes":["LIMIT","MARKET"],
///  "isSpotTradingAllowed":true,"filters":[],"permissionSets":[["SPOT"]]}]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExchangeInfo<'a> {
    #[serde(borrow)]
    pub symbols: Vec<SymbolInfo<'a>>,
}

/// One listed pair.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SymbolInfo<'a> {
    pub symbol: &'a str,
    /// `TRADING`, `END_OF_DAY`, `HALT`, `BREAK` or `CANCEL_ONLY` (older lists had more).
    pub status: &'a str,
    #[serde(rename = "baseAsset")]
    pub base_asset: &'a str,
    #[serde(rename = "quoteAsset")]
    pub quote_asset: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_unknown_fields() {
        let body = r#"{"timezone":"UTC","symbols":[{"symbol":"ETHBTC","status":"BREAK","baseAsset":"ETH","filters":[{"filterType":"PRICE_FILTER"}],"quoteAsset":"BTC"}]}"#;
        let info: ExchangeInfo<'_> = serde_json::from_str(body).unwrap();
        assert_eq!(
            info.symbols,
            [SymbolInfo {
                symbol: "ETHBTC",
                status: "BREAK",
                base_asset: "ETH",
                quote_asset: "BTC"
            }]
        );
    }
}
