//! Sans-IO instant messaging for XMPP (RFC 6121 and the XEPs around it),
//! for clients and for servers: pure logic over typed stanzas
//! ([`stanzio_stanza`]).
//!
//! Nothing here does I/O, reads a clock or draws random numbers on its
//! own: incoming stanzas and the application's commands go in, stanzas to
//! send and typed events come out, time is an argument (`now: Instant`)
//! and randomness (IQ ids) comes from the caller's
//! [`CryptoRng`](rand_core::CryptoRng).
//!
//! # Origin checks
//!
//! Every check on who sent a stanza lives in this crate, so no application
//! can forget one: a roster push is accepted only without `from` or from
//! the user's bare JID (RFC 6121 §2.1.6), a blocklist push the same way, a
//! carbon only from the user's bare JID (XEP-0280 §11), an IQ response
//! only from the entity the request went to (RFC 6120 §8.1.2.1,
//! §10.3.3). A stanza that fails its check never becomes the event it
//! pretends to be: it becomes [`ImEvent::SpoofedRosterPush`] or
//! [`ImEvent::Dropped`], for logs.
//!
//! # Client side: [`ImClient`]
//!
//! One client resource: IQ tracking with timeouts, the roster with
//! XEP-0237 versioning, presence of every contact's resources,
//! subscriptions, messages, XEP-0191 blocking, XEP-0280 carbons, XEP-0030
//! disco#info and XEP-0199 ping.
//!
//! # Server side: [`ImServer`]
//!
//! The IM part of a server: the RFC 6121 Appendix A subscription state
//! machine ([`subscription::transition`], a pure function), presence
//! broadcast and probes, the RFC 6121 §8 delivery rules
//! ([`server::route_message`], also pure), XEP-0191 enforcement, roster
//! management with versions, carbons copies and disco#info, over a
//! caller-owned [`AccountStore`].
//!
//! # The run loop
//!
//! Both machines are fed and drained the same way: after every input
//! (`handle_stanza`, `handle_timeout`) or command, drain what they queued
//! (`poll_transmit` or `poll_output`, then `poll_event`) before the next
//! input, and sleep no longer than `poll_timeout`. In a client, the stanzas
//! come from the stream layer (`stanzio_stream::ClientEvent::Stanza`) and
//! go back to it (`ClientConnection::send`); in a server, each bound
//! session's `ServerEvent::Stanza` goes to [`ImServer::handle_stanza`] and
//! each [`server::ServerOutput::Deliver`] to that session's `send`. Here
//! both run in memory:
//!
//! ```
//! use std::time::Instant;
//! use stanzio_im::server::ServerOutput;
//! use stanzio_im::{ImClient, ImClientConfig, ImEvent, ImServer, ImServerConfig, MemoryStore};
//! use stanzio_jid::FullJid;
//! use stanzio_stanza::Presence;
//! # struct Rng(u64);
//! # impl rand_core::RngCore for Rng {
//! #     fn next_u32(&mut self) -> u32 { self.next_u64() as u32 }
//! #     fn next_u64(&mut self) -> u64 { self.0 += 1; self.0 }
//! #     fn fill_bytes(&mut self, d: &mut [u8]) { for b in d { *b = self.next_u64() as u8 } }
//! # }
//! # impl rand_core::CryptoRng for Rng {}
//! # let now = Instant::now();
//!
//! let mut store = MemoryStore::new();
//! store.add_account("juliet@capulet.lit".parse()?);
//! let mut server = ImServer::new(ImServerConfig::new(["capulet.lit"]));
//! let juliet: FullJid = "juliet@capulet.lit/balcony".parse()?;
//! server.session_started(juliet.clone());
//! let mut client = ImClient::new(ImClientConfig::new(juliet.clone()), Rng(1));
//!
//! let request = client.fetch_roster(now)?;
//! client.send_presence(Presence::available());
//! loop {
//!     let mut moved = false;
//!     while let Some(stanza) = client.poll_transmit() {
//!         moved = true;
//!         server.handle_stanza(&mut store, &juliet, stanza);
//!     }
//!     while let Some(output) = server.poll_output() {
//!         moved = true;
//!         if let ServerOutput::Deliver { to, stanza } = output {
//!             assert_eq!(to, juliet);
//!             client.handle_stanza(stanza);
//!         }
//!     }
//!     if !moved {
//!         break;
//!     }
//! }
//! assert_eq!(
//!     client.poll_event(),
//!     Some(ImEvent::RosterReceived { request, version: None })
//! );
//! // The server reflects her own presence (RFC 6121 §4.2.2).
//! assert!(matches!(client.poll_event(), Some(ImEvent::Presence(_))));
//! assert!(client.presence().is_available(&juliet.to_bare()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Payloads
//!
//! [`payload`] reads and writes the elements both sides speak: roster
//! queries, blocking commands, carbons, disco#info, ping and the
//! privacy-list push.
#![forbid(unsafe_code)]

pub mod client;
pub mod payload;
pub mod server;
pub mod subscription;

pub use client::{ImClient, ImClientConfig, ImEvent};
pub use server::{AccountStore, ImServer, ImServerConfig, MemoryStore};

/// `jabber:iq:roster` (RFC 6121 §2).
pub const NS_ROSTER: &str = "jabber:iq:roster";
/// `urn:xmpp:features:rosterver`: the stream feature of roster versioning
/// (XEP-0237 §2).
pub const NS_ROSTER_VERSIONING: &str = "urn:xmpp:features:rosterver";
/// `urn:xmpp:features:pre-approval`: the stream feature of subscription
/// pre-approval (RFC 6121 §3.4).
pub const NS_PRE_APPROVAL: &str = "urn:xmpp:features:pre-approval";
/// `urn:xmpp:blocking` (XEP-0191).
pub const NS_BLOCKING: &str = "urn:xmpp:blocking";
/// `urn:xmpp:blocking:errors`: the application error `<blocked/>`
/// (XEP-0191 §3.3).
pub const NS_BLOCKING_ERRORS: &str = "urn:xmpp:blocking:errors";
/// `urn:xmpp:carbons:2` (XEP-0280).
pub const NS_CARBONS: &str = "urn:xmpp:carbons:2";
/// `urn:xmpp:forward:0` (XEP-0297).
pub const NS_FORWARD: &str = "urn:xmpp:forward:0";
/// `urn:xmpp:delay` (XEP-0203), which a forwarded stanza may carry.
pub const NS_DELAY: &str = "urn:xmpp:delay";
/// `urn:xmpp:hints` (XEP-0334): `<no-copy/>` keeps a message out of
/// carbons.
pub const NS_HINTS: &str = "urn:xmpp:hints";
/// `http://jabber.org/protocol/disco#info` (XEP-0030).
pub const NS_DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
/// `urn:xmpp:ping` (XEP-0199).
pub const NS_PING: &str = "urn:xmpp:ping";
/// `jabber:iq:privacy` (XEP-0016).
pub const NS_PRIVACY: &str = "jabber:iq:privacy";
/// `msgoffline` (XEP-0160): the disco feature of offline storage.
pub const FEATURE_MSGOFFLINE: &str = "msgoffline";
