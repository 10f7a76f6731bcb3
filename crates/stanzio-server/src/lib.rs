//! stanzio-server: a small real XMPP server built only from stanzio's
//! public APIs: one TOML file ([`config`]), SQLite storage behind a trait
//! ([`storage`]).
#![forbid(unsafe_code)]

pub mod config;
pub mod storage;
