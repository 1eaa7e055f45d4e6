//! The store's operations, one module per concept, written once for both backends against
//! [`crate::sql`].

pub(crate) mod accounts;
pub(crate) mod close;
pub(crate) mod misc;
pub(crate) mod notify;
pub(crate) mod signals;
pub(crate) mod traders;
