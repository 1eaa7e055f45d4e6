//! Accounts and credentials: who the caller is ([`Caller`]), sessions, API tokens, CSRF,
//! passwords, and the first admin ([`ensure_admin`]).

pub mod account;
mod caller;
pub mod secret;

pub use account::{AccountError, AdminOutcome, create_account, ensure_admin};
pub use caller::Caller;
pub(crate) use caller::authenticate;
