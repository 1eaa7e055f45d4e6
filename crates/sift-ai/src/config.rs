//! `AiConfig`: which OpenAI-compatible endpoint drafts traders, and how hard to try.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

/// The AI drafting settings (section `[ai]`). Drafting is off until `base_url` and `model`
/// are set. Deserialize only: the API key is never written back out, and `Debug` redacts it.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AiConfig {
    /// The API root that serves `POST {base_url}/chat/completions`, e.g.
    /// `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1` (Ollama).
    pub base_url: String,
    /// The model name the endpoint knows.
    pub model: String,
    /// Sent as `Authorization: Bearer ...`; optional for local servers. A secret.
    pub api_key: Option<SecretString>,
    /// Time budget of one model call (one round), in milliseconds.
    pub timeout_ms: u64,
    /// Most model calls per draft: the first answer plus repairs.
    pub max_rounds: u32,
    pub temperature: f32,
    /// Most tokens the model may answer with per round.
    pub max_tokens: u32,
    /// How the model is asked for JSON.
    pub response_format: ResponseFormat,
    /// Drafts per minute per user.
    pub requests_per_minute: u32,
    /// Longest accepted request text, in characters.
    pub max_prompt_chars: usize,
}

/// The `response_format` sent with each request. Servers that ignore it are tolerated: the
/// answer is read from the first JSON object in the text, code fences or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseFormat {
    /// `{"type": "json_schema", ...}` with the draft's schema (OpenAI, Gemini, vLLM, Ollama).
    JsonSchema,
    /// `{"type": "json_object"}`, the most widely supported form.
    JsonObject,
    /// No `response_format` at all, for servers that reject it.
    None,
}

impl Default for AiConfig {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            model: String::new(),
            api_key: None,
            timeout_ms: 60_000,
            max_rounds: 3,
            temperature: 0.2,
            max_tokens: 1_024,
            response_format: ResponseFormat::JsonObject,
            requests_per_minute: 10,
            max_prompt_chars: 2_000,
        }
    }
}

impl AiConfig {
    /// Whether an endpoint and a model are set.
    pub fn is_configured(&self) -> bool {
        !self.base_url.trim().is_empty() && !self.model.trim().is_empty()
    }

    /// The time budget of one model call.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }
}

impl fmt::Debug for AiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AiConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("timeout_ms", &self.timeout_ms)
            .field("max_rounds", &self.max_rounds)
            .field("temperature", &self.temperature)
            .field("max_tokens", &self.max_tokens)
            .field("response_format", &self.response_format)
            .field("requests_per_minute", &self.requests_per_minute)
            .field("max_prompt_chars", &self.max_prompt_chars)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unconfigured_by_default_and_the_key_is_redacted() {
        assert!(!AiConfig::default().is_configured());
        let config: AiConfig = serde_json::from_str(
            r#"{"base_url": "http://127.0.0.1:1/v1", "model": "m", "api_key": "sk-hunter2"}"#,
        )
        .unwrap();
        assert!(config.is_configured());
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("[redacted]"),
            "{debug}"
        );
        assert_eq!(config.max_rounds, 3);
        assert!(serde_json::from_str::<AiConfig>(r#"{"modle": "m"}"#).is_err());
        let config: AiConfig =
            serde_json::from_str(r#"{"response_format": "json_schema"}"#).unwrap();
        assert_eq!(config.response_format, ResponseFormat::JsonSchema);
    }
}
