//! Integration tests of the API: `router(state)` over a real store, driven without a socket.

mod access;
mod auth;
mod common;
mod hostile;
mod market;
mod stream;
mod system;
