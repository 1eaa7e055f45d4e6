//! Randomised traders from the built-in templates, for the benchmark.
//!
//! Each trader takes a built-in's rule, drawn uniformly. Half the traders run it as shipped
//! (built-ins are subscribed to as they are); the others vary its numbers, as users tune a
//! template: every distinct number of the rule keeps its value with probability one half, else
//! it is scaled, consistently wherever it appears (so `rsi(14) ... rsi(14)[1]` stays one
//! indicator).
//! Periods and other whole numbers of at least 2 are scaled by 0.8, 0.9, 1.1 or 1.25 and
//! rounded; fractions (thresholds such as `0.995` or `1.5`) by 0.98 to 1.02. History offsets
//! (`x[1]`), interval names (`@ 5m`) and the numbers 0 and 1 are left alone. Indicators are
//! then shared by many traders, but not all: a realistic plan. A variant that does not check
//! (it cannot happen with these factors, but a template may change) is drawn again, and after a
//! few failures the template's own rule is used.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use sift_core::{Interval, Tier};
use sift_engine::{Trader, TraderId};
use sift_rules::CheckOptions;
use sift_sim::Rng;
use sift_traders::{Symbols, TraderDef, builtin};

/// Share of traders whose numbers are varied; the others run the template as shipped.
const TUNED: f64 = 0.5;
/// Draws of a variant before falling back to the template's rule.
const ATTEMPTS: usize = 4;
const PERIOD_FACTORS: [f64; 4] = [0.8, 0.9, 1.1, 1.25];
const FRACTION_FACTORS: [f64; 4] = [0.98, 0.99, 1.01, 1.02];

/// A drawn trader as a stored definition: on 1m, over every symbol, enabled; a built-in
/// visible to `access_tier` and above when given.
pub(crate) fn definition(trader: &Trader, access_tier: Option<Tier>) -> TraderDef {
    TraderDef {
        name: trader.name.clone(),
        description: String::new(),
        interval: Interval::M1,
        rule: trader.program.source.clone(),
        symbols: Symbols::All,
        cooldown_bars: trader.cooldown_bars,
        enabled: true,
        category: None,
        tags: Vec::new(),
        access_tier,
    }
}

/// `count` traders with ids `0..count`, templates drawn uniformly, every rule checked for
/// `interval` (a template written for 5m runs on `interval` here).
///
/// # Errors
/// When the built-ins cannot be read or a template's own rule does not check on `interval`.
pub(crate) fn random_traders(
    rng: &mut Rng,
    count: usize,
    interval: Interval,
) -> anyhow::Result<Vec<Trader>> {
    let templates = builtin::all().context("reading the built-in traders")?;
    let options = CheckOptions::new(interval);
    (0..count)
        .map(|id| {
            let template = rng.pick(&templates);
            let tuned = rng.chance(TUNED);
            let varied = (0..ATTEMPTS)
                .take_while(|_| tuned)
                .find_map(|_| sift_rules::check(&vary(&template.rule, rng), &options).ok());
            let program = match varied {
                Some(program) => program,
                None => own_rule(template, &options)?,
            };
            Ok(Trader::new(
                TraderId(id as u64),
                format!("{} #{id}", template.name),
                Arc::new(program),
            )
            .with_cooldown(template.cooldown_bars))
        })
        .collect()
}

fn own_rule(template: &TraderDef, options: &CheckOptions) -> anyhow::Result<sift_rules::Program> {
    sift_rules::check(&template.rule, options).map_err(|diagnostics| {
        anyhow::anyhow!(
            "built-in {:?} does not check on {}: {}",
            template.name,
            options.interval,
            diagnostics
                .first()
                .map_or_else(String::new, |d| d.message.clone())
        )
    })
}

/// `rule` with its numbers varied as the module documentation says.
fn vary(rule: &str, rng: &mut Rng) -> String {
    let mut chosen: HashMap<&str, String> = HashMap::new();
    let mut out = String::with_capacity(rule.len() + 16);
    let mut last = 0;
    for (start, end) in numbers(rule) {
        let literal = &rule[start..end];
        let replacement = chosen
            .entry(literal)
            .or_insert_with(|| perturb(literal, rng));
        out.push_str(&rule[last..start]);
        out.push_str(replacement);
        last = end;
    }
    out.push_str(&rule[last..]);
    out
}

/// Byte ranges of the number literals that may vary: not in comments, not part of a name or an
/// interval (`m15`, `5m`, `1e-3`), not a history offset (`[1]`).
fn numbers(rule: &str) -> Vec<(usize, usize)> {
    let bytes = rule.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let after_word = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if !b.is_ascii_digit() || after_word {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let glued = i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_');
        let offset = rule[..start].trim_end().ends_with('[');
        if glued {
            // The rest of the word (`5m`, `1e3`) is skipped with it.
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
        } else if !offset {
            found.push((start, i));
        }
    }
    found
}

/// A varied spelling of `literal`, or `literal` itself.
fn perturb(literal: &str, rng: &mut Rng) -> String {
    let Ok(value) = literal.parse::<f64>() else {
        return literal.to_owned();
    };
    let whole = !literal.contains('.');
    if rng.chance(0.5) || (whole && value < 2.0) {
        return literal.to_owned();
    }
    if whole {
        let factor = *rng.pick(&PERIOD_FACTORS);
        return format!("{}", (value * factor).round().max(2.0));
    }
    let factor = *rng.pick(&FRACTION_FACTORS);
    let text = format!("{:.4}", value * factor);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_skip_comments_names_intervals_and_offsets() {
        let rule = "# rsi 14\nlet m15 = rsi(14) @ 15m > 50 and x[10] < 0.5 * sma(volume, 20)";
        let found: Vec<&str> = numbers(rule).iter().map(|&(a, b)| &rule[a..b]).collect();
        assert_eq!(found, ["14", "50", "0.5", "20"]);
    }

    #[test]
    fn variants_are_consistent_and_keep_small_numbers() {
        let mut rng = Rng::new(3);
        for _ in 0..50 {
            let varied = vary(
                "rsi(14) > rsi(14)[1] and rising(close, 1) and x > 0.995",
                &mut rng,
            );
            let parts: Vec<&str> = varied.split(" > ").collect();
            let first = parts[0].trim_start_matches("rsi(");
            assert!(parts[1].starts_with(&format!("rsi({first}")), "{varied}");
            assert!(varied.contains("[1]") && varied.contains("rising(close, 1)"));
        }
    }

    #[test]
    fn traders_check_and_vary() {
        let mut rng = Rng::new(9);
        let traders = random_traders(&mut rng, 200, Interval::M1).unwrap();
        assert_eq!(traders.len(), 200);
        assert!(traders.iter().all(|t| t.interval == Interval::M1));
        let mut rules: Vec<&str> = traders.iter().map(|t| t.program.source.as_str()).collect();
        rules.sort_unstable();
        rules.dedup();
        assert!(rules.len() > 50, "only {} distinct rules", rules.len());
        let again = random_traders(&mut Rng::new(9), 200, Interval::M1).unwrap();
        assert!(
            traders
                .iter()
                .zip(&again)
                .all(|(a, b)| a.program.source == b.program.source)
        );
    }
}
