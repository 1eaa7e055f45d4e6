//! The route handlers, one module per resource, and the router that joins them with their
//! OpenAPI description.

pub(crate) mod activity;
pub(crate) mod admin;
pub(crate) mod ai;
pub(crate) mod auth;
pub(crate) mod channels;
pub(crate) mod evaluate;
pub(crate) mod market;
pub(crate) mod rules;
pub(crate) mod signals;
pub(crate) mod system;
pub(crate) mod traders;
