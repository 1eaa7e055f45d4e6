//! Integration tests of the API: `router(state)` over a real store, driven without a socket.

mod access;
mod ai;
mod auth;
mod channels;
mod common;
mod hostile;
mod market;
mod stream;
mod system;
