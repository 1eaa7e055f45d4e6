//! The built-in traders shipped with Sift, embedded from `traders/builtin/`.

use crate::{Error, TraderDef, parse_toml};

/// `(file name, TOML text)` of every built-in trader.
pub const FILES: &[(&str, &str)] = &[
    builtin_file!("rsi-oversold-bounce.toml"),
    builtin_file!("volume-spike.toml"),
    builtin_file!("golden-cross.toml"),
    builtin_file!("macd-bullish-divergence.toml"),
    builtin_file!("bollinger-squeeze-exit.toml"),
    builtin_file!("multi-timeframe-momentum.toml"),
    builtin_file!("market-structure-break.toml"),
    builtin_file!("downside-break-scalp.toml"),
    builtin_file!("thirty-candle-breakout.toml"),
    builtin_file!("three-bar-drop-momentum.toml"),
    builtin_file!("bb-mean-reversion-scalp.toml"),
    builtin_file!("three-red-candles.toml"),
];

macro_rules! builtin_file {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../traders/builtin/",
                $name
            )),
        )
    };
}
use builtin_file;

/// Every built-in trader, parsed and validated (rules not yet checked).
pub fn all() -> Result<Vec<TraderDef>, Error> {
    Ok(keyed()?.into_iter().map(|(_, def)| def).collect())
}

/// Every built-in trader with its file name (`rsi-oversold-bounce.toml`), its stable key.
pub fn keyed() -> Result<Vec<(String, TraderDef)>, Error> {
    FILES
        .iter()
        .map(|(name, text)| Ok(((*name).to_owned(), parse_toml(name, text)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_the_directory_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../traders/builtin");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = FILES.iter().map(|(n, _)| (*n).to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn every_builtin_parses_checks_and_has_a_tier() {
        for (def, (name, _)) in all().unwrap().iter().zip(FILES) {
            assert!(def.access_tier.is_some(), "{name}: access_tier");
            assert!(def.category.is_some(), "{name}: category");
            if let Err(diagnostics) = def.check_rule() {
                let rendered: Vec<String> = diagnostics
                    .iter()
                    .map(|d| d.render(&def.rule, name))
                    .collect();
                panic!("{name}:\n{}", rendered.join("\n"));
            }
        }
    }
}
