//! stanzio-server: a small real XMPP server built only from stanzio's
//! public APIs (work in progress: storage first).
#![forbid(unsafe_code)]

pub mod storage;
