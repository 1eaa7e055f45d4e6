//! The conversation that asks for a draft: a system message with the language reference
//! (generated from the registries, so it cannot drift), the rules of the answer and worked
//! examples; a user message with the request.

use std::sync::OnceLock;

use sift_core::Interval;

use crate::chat::{Message, Role};

/// A worked example: a request and the answer wanted. Every rule here is checked by a test.
pub(crate) struct Example {
    pub(crate) request: &'static str,
    pub(crate) interval: &'static str,
    pub(crate) answer: &'static str,
}

pub(crate) const EXAMPLES: &[Example] = &[
    Example {
        request: "RSI oversold but only while the hourly trend is up",
        interval: "15m",
        answer: r#"{"name": "Oversold in an uptrend", "description": "RSI(14) below 30 on 15m while the 1h close is above its 200 EMA.", "interval": "15m", "rule": "let uptrend = close @ 1h > ema(200) @ 1h\nrsi(14) < 30 and uptrend"}"#,
    },
    Example {
        request: "golden cross of the 50 and 200 SMA with volume at least twice the average",
        interval: "1h",
        answer: r#"{"name": "Golden cross on volume", "description": "SMA(50) crosses above SMA(200) on a bar with more than twice the 20-bar average volume.", "interval": "1h", "rule": "crossover(sma(50), sma(200)) and volume > 2 * sma(volume, 20)"}"#,
    },
    Example {
        request: "price breaks above the upper Bollinger band after a squeeze",
        interval: "5m",
        answer: r#"{"name": "Bollinger squeeze breakout", "description": "The close crosses above the upper band after the band width was at a 50-bar low.", "interval": "5m", "rule": "crossover(close, bb(20, 2).upper) and bb(20, 2).width[1] <= lowest(bb(20, 2).width, 50)[1]"}"#,
    },
];

/// Rules of the answer, before the reference.
const INSTRUCTIONS: &str = "\
You write screening rules for Sift, a crypto market screener. A user describes a setup in \
words; you answer with a trader: a short name, a one-sentence description, the candle \
interval it runs on, and a rule in Sift's rule language (NOT JavaScript, NOT Pine Script).

Answer with exactly one JSON object and nothing else:
{\"name\": string, \"description\": string, \"interval\": string, \"rule\": string}

Rules of the rule language that are easy to get wrong:
- Use only the series, ticker values, indicators and functions listed in the reference \
below; nothing else exists. Unknown names are errors.
- Indicator parameters are number literals: `rsi(14)`, `bb(20, 2)`; a different input \
series goes first: `sma(volume, 20)`. Indicators with several outputs need a field: \
`bb(20, 2).upper`, `macd(12, 26, 9).hist`.
- Another timeframe is written with `@`: `close @ 1h > ema(200) @ 1h`. Nothing needs to \
be declared.
- `x[1]` is the previous bar's value. Comparisons do not chain: write `a < b and b < c`.
- `let name = expr` lines come first, the last line is the condition.
- The interval is one of: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M.

If the answer does not check, you are sent the checker's diagnostics; fix the rule then.
";

/// The system message, built once.
pub(crate) fn system() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut text = String::from(INSTRUCTIONS);
        text.push_str("\n# Examples\n");
        for e in EXAMPLES {
            text.push_str(&format!(
                "\nRequest: {}\nInterval: {}\nAnswer: {}\n",
                e.request, e.interval, e.answer
            ));
        }
        text.push_str("\n# Reference\n\n");
        text.push_str(&sift_rules::reference_markdown());
        text
    })
}

/// The user's request; `interval` when the user fixed one.
pub(crate) fn user(request: &str, interval: Option<Interval>) -> String {
    let interval = match interval {
        Some(i) => i.to_string(),
        None => "choose the one that fits the request best".to_owned(),
    };
    format!("Request: {}\nInterval: {interval}", request.trim())
}

/// The opening conversation.
pub(crate) fn conversation(request: &str, interval: Option<Interval>) -> Vec<Message> {
    vec![
        Message::new(Role::System, system()),
        Message::new(Role::User, user(request, interval)),
    ]
}

#[cfg(test)]
mod tests {
    use sift_indicators::registry;
    use sift_rules::{CheckOptions, check};

    use super::*;

    #[test]
    fn worked_examples_check() {
        for e in EXAMPLES {
            let answer = crate::answer::parse(e.answer).unwrap();
            let interval: Interval = e.interval.parse().unwrap();
            assert_eq!(answer.interval.as_deref(), Some(e.interval));
            let result = check(&answer.rule, &CheckOptions::new(interval));
            assert!(result.is_ok(), "{}: {result:?}", answer.rule);
        }
    }

    #[test]
    fn the_system_message_has_every_builtin_and_indicator() {
        let text = system();
        for def in registry::all() {
            assert!(text.contains(&format!("`{}(", def.name)), "{}", def.name);
        }
        for b in sift_rules::builtins::all() {
            assert!(text.contains(&format!("`{}", b.signature())), "{}", b.name);
        }
        assert!(text.contains("JSON object"));
    }
}
