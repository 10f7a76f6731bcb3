//! The stanzio XMPP machines on blocking `std::net` sockets with rustls,
//! and the runtime-free pieces every stanzio adapter shares.
//!
//! - [`Client`]: a [`ClientConnection`](stanzio_stream::ClientConnection)
//!   on a TCP socket, STARTTLS or direct TLS (XEP-0368), with read
//!   timeouts taken from the machine's `poll_timeout`. No thread, no async
//!   runtime.
//! - [`tls`]: rustls configurations (ring provider, webpki roots plus your
//!   own CA, certificate names checked against the JID's domain) and the
//!   channel-binding data a finished handshake gives the machine
//!   (`tls-exporter`, RFC 9266; `tls-server-end-point`, RFC 5929 §4.1;
//!   rustls has no `tls-unique`).
//! - [`srv`]: the order of DNS SRV records (RFC 6120 §3.2, XEP-0368); the
//!   lookup itself is in stanzio-tokio. This crate connects to the explicit
//!   endpoint of a [`Target`], or to the domain on port 5222 (RFC 6120
//!   §3.2.2).
//! - [`OsRng`]: the operating system's random source for the machines.
//!
//! The adapters own the socket, TLS, the clock and randomness; every
//! protocol decision stays in the machines. After every call that changes
//! the machine, the adapter writes what `poll_transmit` gives, collects
//! `poll_event`, and sleeps no longer than `poll_timeout`.
//!
//! Logging goes through `tracing`: connection steps at `debug`, stanza
//! content only at `trace`, credentials never.
#![forbid(unsafe_code)]

mod client;
mod end_point;
mod error;
mod rng;
pub mod srv;
pub mod tls;

pub use client::{Client, Target, event_name};
pub use end_point::tls_server_end_point;
pub use error::Error;
pub use rng::OsRng;
pub use srv::Endpoint;
pub use tls::{Acceptor, ClientTlsSettings, Connector, ServerTlsSettings, TlsSetupError};
