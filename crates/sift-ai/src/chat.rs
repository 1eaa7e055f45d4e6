//! A client for OpenAI-compatible `POST {base_url}/chat/completions`.
//!
//! Request (the fields Sift sends):
//!
//! ```json
//! {"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 1024,
//!  "messages": [{"role": "system", "content": "..."}, {"role": "user", "content": "..."}],
//!  "response_format": {"type": "json_object"}}
//! ```
//!
//! Response (the fields Sift reads): `{"choices": [{"message": {"content": "..."}}]}`.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{AiConfig, ResponseFormat};
use crate::error::DraftError;

/// Largest response body read, so a misbehaving endpoint cannot exhaust memory.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Debug, Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
}

/// The HTTP side of drafting: one call is one round.
#[derive(Debug, Clone)]
pub(crate) struct ChatClient {
    http: reqwest::Client,
    url: String,
}

impl ChatClient {
    pub(crate) fn new(config: &AiConfig) -> Result<Self, DraftError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout())
            .connect_timeout(config.timeout().min(Duration::from_secs(10)))
            .build()
            .map_err(|e| DraftError::Unreachable(e.to_string()))?;
        let url = format!("{}/chat/completions", config.base_url.trim_end_matches('/'));
        Ok(Self { http, url })
    }

    /// Sends the conversation and returns the text of the first choice.
    pub(crate) async fn complete(
        &self,
        config: &AiConfig,
        messages: &[Message],
    ) -> Result<String, DraftError> {
        let mut body = json!({
            "model": config.model,
            "messages": messages,
            "temperature": config.temperature,
            "max_tokens": config.max_tokens,
        });
        match config.response_format {
            ResponseFormat::JsonObject => {
                body["response_format"] = json!({ "type": "json_object" });
            }
            ResponseFormat::JsonSchema => {
                body["response_format"] = json!({
                    "type": "json_schema",
                    "json_schema": { "name": "trader_draft", "strict": true, "schema": schema() },
                });
            }
            ResponseFormat::None => {}
        }
        let mut request = self.http.post(&self.url).json(&body);
        if let Some(key) = &config.api_key {
            request = request.bearer_auth(key.expose_secret());
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after_secs = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            return Err(DraftError::RateLimited { retry_after_secs });
        }
        if !status.is_success() {
            return Err(DraftError::Upstream {
                status: status.as_u16(),
            });
        }
        let bytes = read_limited(response).await?;
        let completion: Completion = serde_json::from_slice(&bytes)
            .map_err(|e| DraftError::BadResponse(format!("not a chat completion: {e}")))?;
        completion
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .ok_or_else(|| DraftError::BadResponse("no choice with content".to_owned()))
    }
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, DraftError> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if out.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(DraftError::BadResponse(format!(
                "response larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn transport(e: reqwest::Error) -> DraftError {
    if e.is_timeout() {
        DraftError::Timeout
    } else {
        // Without the URL: it is configuration, and may carry credentials.
        DraftError::Unreachable(e.without_url().to_string())
    }
}

/// The JSON schema of an answer.
pub(crate) fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": { "type": "string" },
            "description": { "type": "string" },
            "interval": { "type": "string" },
            "rule": { "type": "string" },
        },
        "required": ["name", "description", "interval", "rule"],
        "additionalProperties": false,
    })
}
