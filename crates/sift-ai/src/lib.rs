//! Drafting traders from plain English with any OpenAI-compatible chat-completions endpoint
//! (OpenAI, Gemini's compatible endpoint, OpenRouter, a local Ollama or vLLM).
//!
//! The model is given the rule language reference generated from the registries and worked
//! examples, and asked for a JSON object `{name, description, interval, rule}`. Its rule is
//! checked with `sift_rules`; when it does not check, the diagnostics are sent back for
//! another round, at most [`AiConfig::max_rounds`]. A [`Draft`] is returned only when its
//! rule checks; its explanation comes from [`sift_rules::explain()`], not from the model.
//!
//! # Layout
//! - [`config`]: [`AiConfig`] (the API key is a secret, redacted in `Debug`).
//! - [`chat`]: the HTTP client and wire messages.
//! - `prompt`: the system message (reference, rules, examples) and the user message.
//! - `answer`: reading the JSON object out of the model's text.
//! - [`drafter`]: [`Drafter::draft`], the repair loop.
//! - [`error`]: [`DraftError`] and [`Rejection`].
//! - `fake` (feature `fake`): a local chat-completions server for tests.

mod answer;
pub mod chat;
pub mod config;
pub mod drafter;
pub mod error;
#[cfg(feature = "fake")]
pub mod fake;
mod prompt;

pub use config::{AiConfig, ResponseFormat};
pub use drafter::{DEFAULT_INTERVAL, Draft, Drafter, Needs, Warmup};
pub use error::{DraftError, Rejection};
