//! Sans-IO XMPP connection machines (work in progress).
#![forbid(unsafe_code)]

pub mod client;
pub mod elements;
pub mod ns;
pub mod server;
mod sm;
mod stanza;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;

pub use client::{
    ClientConfig, ClientConnection, ClientEvent, ConfigError, ConnectionError, KeepalivePolicy,
    SendError, SmPolicy, TlsMode, split_host_port,
};
pub use server::{
    PeerError, ServerCallError, ServerConfig, ServerConnection, ServerEvent, ServerSmPolicy,
    ServerTls,
};
pub use sm::{HandledCountTooHigh, ResumptionState};
pub use transport::Transport;
