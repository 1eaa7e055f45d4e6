//! Channel secrets sealed at rest: the webhook signing secret, the Telegram bot token and the
//! webhook and Discord URLs (which carry tokens) are stored encrypted under a server key.
//!
//! A sealed value is the text `v1:` followed by the standard base64 of a random 96-bit nonce
//! and the ChaCha20-Poly1305 ciphertext with its tag. The associated data names the field
//! (`telegram.bot_token`, `discord.url`, `channel.secret`...), so a sealed value cannot be moved
//! to another field. A value without the prefix is read as it is: channels stored before
//! sealing existed keep working.
//!
//! The key ([`SecretKey`]) is `notify.secret_key` (the base64 of 32 bytes) or, when that is
//! unset, the one in `<data_dir>/notify.key`, generated on first start (mode 0600). Every
//! process that creates channels or sends notifications over the same database needs the
//! same key; values sealed under a lost key cannot be recovered (recreate the channels).

use std::fmt;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use secrecy::ExposeSecret;
use serde_json::Value;
use sift_store::ChannelKind;
use tracing::{info, warn};

use crate::config::NotifyConfig;
use crate::error::{NotifyError, UnsealError};

/// What starts a sealed value.
pub const SEALED_PREFIX: &str = "v1:";
/// The key file's name in the data directory.
pub const KEY_FILE: &str = "notify.key";
/// The associated data of a channel's `secret` (the webhook signing secret).
const SECRET_CONTEXT: &str = "channel.secret";
/// Key length in bytes.
const KEY_LEN: usize = 32;
/// The Poly1305 tag's length in bytes.
const TAG_LEN: usize = 16;

/// Whether `text` is a sealed value (else it is plain text stored before sealing).
pub fn is_sealed(text: &str) -> bool {
    text.starts_with(SEALED_PREFIX)
}

/// The key sealing channel secrets. Cheap to clone; `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey(Arc<LessSafeKey>);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self::from_array(random_key())
    }

    /// The key `text` encodes: the standard base64 of 32 bytes (`openssl rand -base64 32`);
    /// `None` when it is not.
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text.trim()).ok()?;
        Some(Self::from_array(bytes.try_into().ok()?))
    }

    /// The key a server uses: `notify.secret_key` when set, else the one kept in
    /// `<data_dir>/notify.key` (created on first use).
    ///
    /// # Errors
    /// [`NotifyError::Key`] when the setting or the file is not a key, or the file cannot be
    /// read or created.
    pub fn resolve(config: &NotifyConfig, data_dir: &Path) -> Result<Self, NotifyError> {
        match &config.secret_key {
            Some(text) => Self::from_base64(text.expose_secret()).ok_or_else(|| {
                NotifyError::Key(format!("notify.secret_key: {}", crate::config::KEY_FORMAT))
            }),
            None => Self::load_or_create(&data_dir.join(KEY_FILE)),
        }
    }

    /// The key in the file at `path` (base64, one line), generated and written (mode 0600,
    /// never overwritten) when there is none.
    ///
    /// # Errors
    /// [`NotifyError::Key`] naming the file.
    pub fn load_or_create(path: &Path) -> Result<Self, NotifyError> {
        let io = |doing: &str, err: std::io::Error| {
            NotifyError::Key(format!("{doing} {}: {err}", path.display()))
        };
        match fs::read_to_string(path) {
            Ok(text) => return read_key_file(path, &text),
            Err(err) if err.kind() == ErrorKind::NotFound => {}
            Err(err) => return Err(io("reading", err)),
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| io("creating the directory of", e))?;
        }
        let bytes = random_key();
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = match options.open(path) {
            Ok(file) => file,
            // Another process was first: use its key.
            Err(err) if err.kind() == ErrorKind::AlreadyExists => {
                let text = fs::read_to_string(path).map_err(|e| io("reading", e))?;
                return read_key_file(path, &text);
            }
            Err(err) => return Err(io("creating", err)),
        };
        let written = file
            .write_all(format!("{}\n", STANDARD.encode(bytes)).as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(err) = written {
            // Half a key would fail every later start: leave no file.
            let _ = fs::remove_file(path);
            return Err(io("writing", err));
        }
        info!(path = %path.display(), "generated the key sealing channel secrets");
        Ok(Self::from_array(bytes))
    }

    /// `plain` sealed, with `context` (what the value is) as associated data.
    pub fn seal(&self, plain: &str, context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut data = plain.as_bytes().to_vec();
        if self
            .0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .is_err()
        {
            // ChaCha20-Poly1305 refuses only inputs of hundreds of GiB.
            unreachable!("sealing a {} byte secret failed", plain.len());
        }
        let mut raw = Vec::with_capacity(NONCE_LEN + data.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&data);
        format!("{SEALED_PREFIX}{}", STANDARD.encode(raw))
    }

    /// The plain text of `stored`, sealed with `context`; a value that is not sealed (stored
    /// before sealing) is returned as it is.
    ///
    /// # Errors
    /// [`UnsealError::WrongKey`] when sealed under another key or altered,
    /// [`UnsealError::Malformed`] when not a sealed value after all.
    pub fn open(&self, stored: &str, context: &str) -> Result<String, UnsealError> {
        let Some(body) = stored.strip_prefix(SEALED_PREFIX) else {
            return Ok(stored.to_owned());
        };
        let mut raw = STANDARD.decode(body).map_err(|_| UnsealError::Malformed)?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(UnsealError::Malformed);
        }
        let (nonce, sealed) = raw.split_at_mut(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| UnsealError::Malformed)?;
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(context.as_bytes()), sealed)
            .map_err(|_| UnsealError::WrongKey)?;
        String::from_utf8(plain.to_vec()).map_err(|_| UnsealError::Malformed)
    }

    /// A channel's `config` with its secret field (a URL, a bot token) sealed; already sealed
    /// values are kept.
    pub fn seal_config(&self, kind: ChannelKind, config: &Value) -> Value {
        let field = secret_field(kind);
        let mut sealed = config.clone();
        if let Some(slot) = sealed.get_mut(field) {
            if let Some(text) = slot.as_str().filter(|t| !is_sealed(t)) {
                *slot = Value::String(self.seal(text, &context(kind, field)));
            }
        }
        sealed
    }

    /// A channel's `config` with its secret field opened (plain values kept).
    ///
    /// # Errors
    /// As [`SecretKey::open`].
    pub fn open_config(&self, kind: ChannelKind, config: &Value) -> Result<Value, UnsealError> {
        let field = secret_field(kind);
        let mut opened = config.clone();
        if let Some(slot) = opened.get_mut(field) {
            if let Some(text) = slot.as_str() {
                *slot = Value::String(self.open(text, &context(kind, field))?);
            }
        }
        Ok(opened)
    }

    /// A channel's `secret` (the webhook signing secret) sealed.
    pub fn seal_secret(&self, secret: &str) -> String {
        self.seal(secret, SECRET_CONTEXT)
    }

    /// A channel's stored `secret` opened (a plain one kept).
    ///
    /// # Errors
    /// As [`SecretKey::open`].
    pub fn open_secret(&self, stored: &str) -> Result<String, UnsealError> {
        self.open(stored, SECRET_CONTEXT)
    }

    fn from_array(bytes: [u8; KEY_LEN]) -> Self {
        match UnboundKey::new(&CHACHA20_POLY1305, &bytes) {
            Ok(key) => Self(Arc::new(LessSafeKey::new(key))),
            Err(_) => unreachable!("any 32 bytes make a ChaCha20-Poly1305 key"),
        }
    }
}

/// The field of a channel's `config` that holds its secret.
fn secret_field(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Webhook | ChannelKind::Discord => "url",
        ChannelKind::Telegram => "bot_token",
    }
}

fn context(kind: ChannelKind, field: &str) -> String {
    format!("{}.{field}", kind.as_str())
}

fn random_key() -> [u8; KEY_LEN] {
    let mut bytes = [0u8; KEY_LEN];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

fn read_key_file(path: &Path, text: &str) -> Result<SecretKey, NotifyError> {
    #[cfg(unix)]
    if let Ok(meta) = fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            warn!(path = %path.display(), "the key file is readable by other users: chmod 600 it");
        }
    }
    SecretKey::from_base64(text).ok_or_else(|| {
        NotifyError::Key(format!("{}: {}", path.display(), crate::config::KEY_FORMAT))
    })
}

#[cfg(test)]
mod tests;
