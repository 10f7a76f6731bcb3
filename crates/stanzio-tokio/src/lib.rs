//! The stanzio XMPP machines on tokio with rustls.
//!
//! - [`Client`]: connects by JID (DNS SRV `_xmpp-client._tcp` and
//!   `_xmpps-client._tcp` mixed by priority and weight, RFC 6120 §3.2 and
//!   XEP-0368, else the domain on 5222; or an explicit endpoint), runs
//!   STARTTLS or direct TLS with the certificate checked against the
//!   domain, hands the machine its channel-binding data, keeps its timers,
//!   and reconnects with stream resumption on request ([`Reconnect`]).
//!   With the `websocket` feature it also speaks RFC 7395.
//! - Server accept helpers: [`accept_c2s`] (STARTTLS),
//!   [`accept_direct_tls`], [`accept_component`] (XEP-0114) and, with
//!   `websocket`, [`accept_websocket`]; each feeds a
//!   [`ServerConnection`](stanzio_stream::ServerConnection) and answers its
//!   questions through the application's [`Accounts`].
//! - TLS setup, SRV ordering and the OS random source come from
//!   stanzio-blocking and are re-exported here.
//!
//! A task owns each socket and pumps its machine in the order the
//! machines require: feed input, write everything `poll_transmit` gives,
//! collect `poll_event`, sleep until `poll_timeout`. Every protocol
//! decision stays in the machines.
//!
//! Logging goes through `tracing`: connection steps at `debug`, stanza
//! content only at `trace`, credentials never.
//!
//! A server accepting client streams:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use stanzio_jid::{BareJid, FullJid};
//! use stanzio_sasl::{Mechanism, StoredCredentials};
//! use stanzio_stanza::Condition;
//! use stanzio_stream::{ServerConfig, ServerEvent};
//! use stanzio_tokio::{Accounts, ServerTlsSettings, accept_c2s};
//!
//! struct Directory;
//!
//! impl Accounts for Directory {
//!     async fn credentials(&self, user: &str, _: &str, _: Mechanism) -> Option<StoredCredentials> {
//!         None // look the stored SCRAM record up here
//!     }
//!     async fn bind(&self, account: &BareJid, resource: Option<&str>) -> Result<FullJid, Condition> {
//!         FullJid::from_parts(account.node(), account.domain(), resource.unwrap_or("web"))
//!             .map_err(|_| Condition::BadRequest)
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let tls = ServerTlsSettings::from_pem_files("cert.pem", "key.pem")?.build()?;
//! let config = ServerConfig::new(["example.com"], b"a stable secret".to_vec());
//! let accounts = Arc::new(Directory);
//! let listener = tokio::net::TcpListener::bind("[::]:5222").await?;
//! loop {
//!     let (socket, _) = listener.accept().await?;
//!     let mut session = accept_c2s(socket, config.clone(), &tls, accounts.clone()).await;
//!     tokio::spawn(async move {
//!         while let Some(event) = session.next_event().await {
//!             if let ServerEvent::Stanza(stanza) = event {
//!                 // route it
//!             }
//!         }
//!     });
//! }
//! # }
//! ```
//!
//! Channel binding: `tls-exporter` (RFC 9266) and `tls-server-end-point`
//! (RFC 5929 §4.1); rustls has no `tls-unique`. See [`tls`].
#![forbid(unsafe_code)]

mod client;
#[cfg(feature = "dns")]
mod dns;
mod handshake;
mod link;
mod server;
#[cfg(feature = "websocket")]
mod websocket;

#[cfg(feature = "testing")]
pub mod testing;

pub use client::{Client, ConnectOptions, Event, Reconnect};
#[cfg(feature = "dns")]
pub use dns::{resolve, resolve_with, system_resolver};
/// The resolver crate, for [`resolve_with`] and
/// [`ConnectOptions::with_resolver`].
#[cfg(feature = "dns")]
pub use hickory_resolver;
pub use server::{
    Accounts, ServerSession, SessionHandle, accept_c2s, accept_component, accept_direct_tls,
};
pub use stanzio_blocking::tls;
pub use stanzio_blocking::{
    Acceptor, ClientTlsSettings, Connector, Endpoint, Error, OsRng, ServerTlsSettings, Target,
    TlsSetupError, srv,
};
#[cfg(feature = "websocket")]
pub use websocket::{SUBPROTOCOL, accept_websocket};
