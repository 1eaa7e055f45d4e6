//! The crate's errors.

/// Why the notifier cannot start.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// A setting is out of range.
    #[error("{0}")]
    Config(String),
    /// The HTTP client could not be built.
    #[error("building the http client: {0}")]
    Client(#[source] reqwest::Error),
    /// The key sealing channel secrets is malformed, or its file cannot be read or written.
    #[error("{0}")]
    Key(String),
}

/// A stored channel secret that cannot be opened (see [`crate::sealed`]). An AEAD cannot
/// tell a wrong key from a tampered value: both are [`UnsealError::WrongKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UnsealError {
    /// Sealed with another key (or altered since).
    #[error("cannot decrypt channel secret: wrong notify.secret_key?")]
    WrongKey,
    /// Starts like a sealed value but is not one (bad base64, too short).
    #[error("cannot decrypt channel secret: not a valid sealed value")]
    Malformed,
}

/// A channel's `config` (or name) that cannot be used; `field` names the offending key
/// (`config.url`, `config.chat_id`...), `message` is safe to show the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ChannelConfigError {
    pub field: String,
    pub message: String,
}

impl ChannelConfigError {
    pub(crate) fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}
