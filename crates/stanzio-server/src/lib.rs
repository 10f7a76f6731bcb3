//! stanzio-server: a small real XMPP server built only from stanzio's
//! public APIs, small enough to read in an afternoon.
//!
//! - [`config`] — the one TOML file;
//! - [`storage`] — accounts (SCRAM records, never a password), rosters,
//!   blocklists and offline messages in SQLite behind a trait;
//! - [`store`] — that storage seen by the IM logic of `stanzio-im`;
//! - [`hub`] — what all sessions share: routing, detached resumable
//!   sessions, components;
//! - [`server`] — listeners (STARTTLS, direct TLS, WebSocket, components)
//!   and one task per connection, through `stanzio-tokio`;
//! - [`tls`] — the configured certificate, or one generated at start.
//!
//! What it does not do (yet): server-to-server federation, MUC, MAM.
#![forbid(unsafe_code)]

pub mod config;
pub mod hub;
pub mod server;
pub mod storage;
pub mod store;
pub mod tls;

pub use config::Config;
pub use server::{RunningServer, StartError, start};
pub use storage::{SqliteStorage, Storage};
