//! Placeholder: being written.

/// A trading pair name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Symbol(String);
