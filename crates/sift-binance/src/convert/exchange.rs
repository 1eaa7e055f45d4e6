//! exchangeInfo symbols to [`SymbolInfo`].

use super::symbol;
use crate::ConvertError;
use crate::market::{SymbolInfo, SymbolStatus};
use crate::wire;

/// One listed pair. Fails only on a symbol name Sift cannot represent; unknown statuses are kept
/// as [`SymbolStatus::Other`].
pub fn symbol_info(info: &wire::SymbolInfo<'_>) -> Result<SymbolInfo, ConvertError> {
    Ok(SymbolInfo {
        symbol: symbol(info.symbol)?,
        status: SymbolStatus::parse(info.status),
        base_asset: info.base_asset.to_owned(),
        quote_asset: info.quote_asset.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_rejects_bad_names() {
        let mut info = wire::SymbolInfo {
            symbol: "ETHBTC",
            status: "HALT",
            base_asset: "ETH",
            quote_asset: "BTC",
        };
        let got = symbol_info(&info).unwrap();
        assert_eq!(got.symbol.as_str(), "ETHBTC");
        assert_eq!(got.status, SymbolStatus::Halt);
        assert_eq!(
            (got.base_asset.as_str(), got.quote_asset.as_str()),
            ("ETH", "BTC")
        );
        info.symbol = "ETH_BTC";
        assert!(symbol_info(&info).is_err());
    }
}
