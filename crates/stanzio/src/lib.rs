//! stanzio: sans-IO XMPP. Every machine takes bytes, time and randomness in
//! and hands bytes, typed events and the next deadline out; it owns no
//! socket, thread, clock or TLS stack. The adapters (`stanzio-tokio`,
//! `stanzio-blocking`) put them on real sockets with rustls; a custom loop
//! is a few lines, as below.
//!
//! This crate re-exports the workspace's crates under one name and adds
//! [`Client`]: a client stream ([`stream::ClientConnection`]) and the
//! client IM logic ([`im::ImClient`]: roster, presence, subscriptions,
//! messages, blocking, carbons, IQ tracking) as one machine.
//!
//! # A custom run loop
//!
//! The loop is the same over a TCP socket, a WebSocket or, here, a server
//! machine in memory. After every call that changes anything, drain
//! `poll_transmit`, then `poll_event`, then ask `poll_timeout`.
//!
//! ```
//! use std::time::Instant;
//! use stanzio::stream::testing::{tls13, Accounts, TestRng};
//! use stanzio::stream::{ClientConfig, ServerConfig, ServerConnection, ServerEvent};
//! use stanzio::{Client, Event};
//! use stanzio::im::ImEvent;
//! use stanzio::stanza::{Message, Presence};
//!
//! # #[allow(clippy::disallowed_methods)]
//! let now = Instant::now();
//! let config = ClientConfig::new("juliet@capulet.lit/balcony".parse()?, "r0m30", TestRng(1));
//! let mut client = Client::new(config, TestRng(2), now)?;
//! // The peer: a server machine with one account (over TCP it would be
//! // the socket).
//! let mut server = ServerConnection::new(ServerConfig::new(["capulet.lit"], b"k".to_vec()), TestRng(3), now);
//! let mut accounts = Accounts::new(&[("juliet", "r0m30")]);
//!
//! let mut buf = Vec::new();
//! let mut online = false;
//! for _ in 0..100 {
//!     // 1. Bytes out (a socket write).
//!     while client.poll_transmit(&mut buf).is_some() {
//!         let mut rest = &buf[..];
//!         while !rest.is_empty() {
//!             let n = server.handle_input(now, rest)?;
//!             rest = &rest[n..];
//!             # while let Some(event) = server.poll_event() {
//!             #     match event {
//!             #         ServerEvent::StartTls => server.tls_established(now, tls13())?,
//!             #         ServerEvent::CredentialsNeeded { username, mechanism, .. } => {
//!             #             server.provide_credentials(accounts.record(&username, mechanism))?
//!             #         }
//!             #         ServerEvent::BindRequested { account, requested } => server.bind(Ok(
//!             #             stanzio::jid::FullJid::from_parts(account.node(), account.domain(),
//!             #                 requested.as_deref().unwrap_or("r"))?,
//!             #         ))?,
//!             #         _ => {}
//!             #     }
//!             # }
//!         }
//!     }
//!     // 2. Bytes in (a socket read): feed what was not consumed again.
//!     while server.poll_transmit(&mut buf).is_some() {
//!         let mut rest = &buf[..];
//!         while !rest.is_empty() {
//!             let n = client.handle_input(now, rest)?;
//!             rest = &rest[n..];
//!             // 3. Events.
//!             while let Some(event) = client.poll_event() {
//!                 match event {
//!                     Event::Stream(stanzio::stream::ClientEvent::StartTls) => {
//!                         // Start TLS on the socket here; then:
//!                         client.tls_established(now, tls13())?;
//!                     }
//!                     Event::Stream(stanzio::stream::ClientEvent::Online { .. }) => {
//!                         online = true;
//!                         let im = client.im().expect("online");
//!                         im.send_presence(Presence::available());
//!                         im.send_message(Message::chat("romeo@montague.lit".parse()?, "Hi!"));
//!                     }
//!                     Event::Im(ImEvent::Message(message)) => println!("{:?}", message.body()),
//!                     _ => {}
//!                 }
//!             }
//!         }
//!     }
//!     // 4. The next deadline: call `handle_timeout` when it passes.
//!     let _deadline = client.poll_timeout();
//!     if online && client.poll_transmit(&mut buf).is_none() { break; }
//! }
//! assert!(online);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod client;

pub use client::{Client, Event};

/// The IM logic, client and server: `stanzio-im`.
pub use stanzio_im as im;
/// JIDs (RFC 7622): `stanzio-jid`.
pub use stanzio_jid as jid;
/// SASL mechanisms: `stanzio-sasl`.
pub use stanzio_sasl as sasl;
/// Typed stanzas and errors: `stanzio-stanza`.
pub use stanzio_stanza as stanza;
/// The connection machines: `stanzio-stream`.
pub use stanzio_stream as stream;
/// The XML stream reader and writer: `stanzio-xml`.
pub use stanzio_xml as xml;
