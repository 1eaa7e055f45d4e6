//! The drafting loop: ask, check, send the diagnostics back, at most `max_rounds` times.

use serde::Serialize;
use sift_core::Interval;
use sift_rules::{CheckOptions, Condition, Diagnostic, Program};
use sift_traders::definition::{MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};
use tracing::{debug, instrument};

use crate::answer;
use crate::chat::{ChatClient, Message, Role};
use crate::config::AiConfig;
use crate::error::{DraftError, Rejection};
use crate::prompt;

/// The interval used when neither the user nor the model names a valid one.
pub const DEFAULT_INTERVAL: Interval = Interval::M15;

/// A trader drafted from words, whose rule checks. Nothing is saved.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    pub name: String,
    pub description: String,
    pub interval: Interval,
    pub rule: String,
    /// Each top-level condition in plain English, from the checked program (not from the
    /// model).
    pub explanation: Vec<Condition>,
    /// The explanation as one paragraph.
    pub summary: String,
    pub needs: Needs,
    /// Checker warnings about the rule (it is valid).
    pub warnings: Vec<Diagnostic>,
    /// Model calls used, 1 when the first answer checked.
    pub rounds: u32,
}

/// What the rule needs before its first evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Needs {
    /// Every timeframe the rule reads, shortest first.
    pub timeframes: Vec<Interval>,
    /// Closed candles needed per timeframe.
    pub warmup: Vec<Warmup>,
}

/// Warm-up of one timeframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Warmup {
    pub interval: Interval,
    pub bars: u32,
}

impl Needs {
    /// What `program` needs.
    pub fn of(program: &Program) -> Self {
        Self {
            timeframes: program.timeframes.clone(),
            warmup: program
                .warmup
                .iter()
                .map(|&(interval, bars)| Warmup { interval, bars })
                .collect(),
        }
    }
}

/// Drafts traders with the configured endpoint. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Drafter {
    config: AiConfig,
    client: ChatClient,
}

impl Drafter {
    /// A drafter for `config`; [`DraftError::NotConfigured`] without an endpoint and model.
    pub fn new(config: AiConfig) -> Result<Self, DraftError> {
        if !config.is_configured() {
            return Err(DraftError::NotConfigured);
        }
        let client = ChatClient::new(&config)?;
        Ok(Self { config, client })
    }

    pub fn config(&self) -> &AiConfig {
        &self.config
    }

    /// Drafts a trader for `request`, on `interval` when given (else the model chooses).
    ///
    /// Each round the answer is parsed and its rule checked; a rejected answer is sent back
    /// with the reason (the rendered diagnostics) for another round, at most
    /// `max_rounds` rounds. Transport failures (timeout, 429, 5xx) end the draft at once.
    #[instrument(skip_all, fields(model = %self.config.model))]
    pub async fn draft(
        &self,
        request: &str,
        interval: Option<Interval>,
    ) -> Result<Draft, DraftError> {
        let mut messages = prompt::conversation(request, interval);
        let rounds = self.config.max_rounds.max(1);
        let mut last = None;
        for round in 1..=rounds {
            let text = self.client.complete(&self.config, &messages).await?;
            match accept(&text, interval) {
                Ok(mut draft) => {
                    draft.rounds = round;
                    return Ok(draft);
                }
                Err(rejection) => {
                    debug!(round, reason = %rejection.message(), "answer rejected");
                    messages.push(Message::new(Role::Assistant, text));
                    messages.push(Message::new(Role::User, rejection.feedback()));
                    last = Some(rejection);
                }
            }
        }
        Err(DraftError::Unchecked {
            rounds,
            last: last.unwrap_or(Rejection::MissingField { field: "rule" }),
        })
    }
}

/// One answer as a draft, or why it is rejected. `fixed` is the user's interval, which wins
/// over the model's.
pub(crate) fn accept(text: &str, fixed: Option<Interval>) -> Result<Draft, Rejection> {
    let answer = answer::parse(text)?;
    let interval = match (fixed, answer.interval.as_deref().map(str::trim)) {
        (Some(i), _) => i,
        (None, Some(raw)) if !raw.is_empty() => {
            raw.parse().map_err(|_| Rejection::BadInterval {
                value: raw.to_owned(),
            })?
        }
        (None, _) => DEFAULT_INTERVAL,
    };
    let rule = answer.rule.trim().to_owned();
    let program =
        sift_rules::check(&rule, &CheckOptions::new(interval)).map_err(|diagnostics| {
            Rejection::Rule {
                rule: rule.clone(),
                interval,
                diagnostics,
            }
        })?;
    let explanation = sift_rules::explain(&program);
    let name = clip(answer.name.as_deref().unwrap_or(""), MAX_NAME_CHARS);
    Ok(Draft {
        name: if name.is_empty() {
            "Drafted trader".to_owned()
        } else {
            name
        },
        description: clip(
            answer.description.as_deref().unwrap_or(""),
            MAX_DESCRIPTION_CHARS,
        ),
        interval,
        summary: explanation.summary(interval),
        explanation: explanation.conditions,
        needs: Needs::of(&program),
        warnings: program.warnings.clone(),
        rule,
        rounds: 0,
    })
}

/// `text` trimmed and cut to at most `max` characters.
fn clip(text: &str, max: usize) -> String {
    text.trim()
        .chars()
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use sift_rules::Code;

    use super::*;

    #[test]
    fn accepts_a_checked_answer_and_explains_it_itself() {
        let text = r#"{"name": " Dip ", "description": "d", "interval": "1h",
            "rule": "rsi(14) < 30", "explanation": "ignored"}"#;
        let draft = accept(text, None).unwrap();
        assert_eq!(draft.name, "Dip");
        assert_eq!(draft.interval, Interval::H1);
        assert_eq!(
            draft.explanation[0].meaning,
            "RSI(14) on the 1h candles is below 30"
        );
        assert_eq!(draft.needs.timeframes, [Interval::H1]);
        let fixed = accept(text, Some(Interval::M5)).unwrap();
        assert_eq!(fixed.interval, Interval::M5, "the user's interval wins");
    }

    #[test]
    fn rejects_bad_rules_and_intervals() {
        let err = accept(r#"{"interval": "1h", "rule": "rsx(14) < 30"}"#, None).unwrap_err();
        let Rejection::Rule { diagnostics, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(diagnostics[0].code, Code::UnknownName);
        let feedback = err.feedback();
        assert!(
            feedback.contains("error[E0008]: unknown function or indicator `rsx`"),
            "{feedback}"
        );
        assert!(feedback.contains("did you mean `rsi`?"), "{feedback}");
        assert!(feedback.contains("1 | rsx(14) < 30"), "{feedback}");
        assert_eq!(
            accept(r#"{"interval": "7m", "rule": "close > open"}"#, None).unwrap_err(),
            Rejection::BadInterval {
                value: "7m".to_owned()
            }
        );
        let default = accept(r#"{"rule": "close > open"}"#, None).unwrap();
        assert_eq!(default.interval, DEFAULT_INTERVAL);
        assert_eq!(default.name, "Drafted trader");
    }
}
