//! Sans-IO XMPP connection machines (work in progress).
#![forbid(unsafe_code)]

pub mod client;
pub mod elements;
pub mod ns;
mod sm;
mod stanza;
mod transport;

pub use client::{
    ClientConfig, ClientConnection, ClientEvent, ConfigError, ConnectionError, KeepalivePolicy,
    SendError, SmPolicy, TlsMode,
};
pub use sm::{HandledCountTooHigh, ResumptionState};
pub use transport::Transport;
