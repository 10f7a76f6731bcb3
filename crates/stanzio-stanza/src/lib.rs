//! Typed XMPP stanzas — [`Message`], [`Presence`], [`Iq`] — and the errors
//! of RFC 6120: [`StanzaError`] (§8.3) and [`StreamError`] (§4.9).
//!
//! Stanzas are read straight from the [`stanzio_xml::Element`] the stream
//! reader yields and written straight into a [`stanzio_xml::XmlWriter`].
//!
//! ```
//! use stanzio_stanza::{Stanza, Message, StreamContext};
//! use stanzio_xml::{ContentNamespace, Limits, StreamEvent, StreamReader, StreamWriter};
//!
//! let mut reader = StreamReader::new(Limits::default());
//! let mut input: &[u8] = b"<stream:stream xmlns='jabber:client' \
//!     xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en'>\
//!     <message from='romeo@example.net/orchard' to='juliet@example.com' type='chat'>\
//!     <body>Art thou not Romeo?</body>\
//!     <active xmlns='http://jabber.org/protocol/chatstates'/></message>";
//! let Some(StreamEvent::Header(header)) = reader.read(&mut input)? else { unreachable!() };
//! // The stream says what its stanzas mean: content namespace, language.
//! let ctx = StreamContext::from_header(&header, ContentNamespace::Client);
//! let Some(StreamEvent::Element(element)) = reader.read(&mut input)? else { unreachable!() };
//!
//! let Stanza::Message(message) = Stanza::from_element(&element, &ctx)? else {
//!     unreachable!()
//! };
//! assert_eq!(message.body(), Some("Art thou not Romeo?"));
//! assert_eq!(message.lang.as_deref(), Some("en"));
//! // The chat state nobody typed is kept as it was; xmpp-parsers can read it.
//! let state = message.payload("active", "http://jabber.org/protocol/chatstates").unwrap();
//! let _: minidom::Element = state.to_minidom();
//!
//! let reply = Message::chat(message.from.clone().unwrap(), "Neither, fair saint.");
//! let mut out = Vec::new();
//! let mut writer = StreamWriter::new(ContentNamespace::Client).element(&mut out);
//! Stanza::from(reply).write_to(&mut writer);
//! writer.finish()?;
//! assert_eq!(
//!     out,
//!     b"<message to='romeo@example.net/orchard' type='chat'><body>Neither, fair saint.</body></message>"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is typed, what is kept
//!
//! The common fields are typed: addresses ([`stanzio_jid::Jid`]), `id`,
//! `type`, `xml:lang`, bodies, subjects, thread, show, status, priority and
//! errors. Every other child element is a *payload*, kept in document order
//! exactly as it arrived, and every other attribute an
//! [`ExtensionAttribute`], so that reading a stanza and writing it again gives
//! the same XML (RFC 6120 §8.4: extended content is routed unchanged).
//!
//! Payloads are views ([`stanzio_xml::ElementRef`]) into a stanzio
//! [`Element`](stanzio_xml::Element), not `minidom::Element`s: one flat
//! arena (three allocations, whatever its size). A received message or
//! presence keeps all its payloads in *one* such arena ([`Payloads`]), a
//! copy of its payload children taken once; a minidom tree would cost an allocation
//! per name, namespace, attribute map and child list. Ids, languages and
//! texts are [`CompactString`]s, inline up to 24 bytes. Typed parsing is
//! the hot path of every connection, so it takes the cheap form, and the
//! conversion is one call for those who want xmpp-parsers:
//! [`ElementRef::to_minidom`](stanzio_xml::ElementRef::to_minidom) one way,
//! `Element::from(&minidom_element)` the other. The benchmarks
//! `benches/stanza.rs` and `benches/stanza_memory.rs` measure the
//! difference.
//!
//! # The stream a stanza came on
//!
//! Parsing takes a [`StreamContext`]: a stanza must be in the stream's
//! content namespace (RFC 6120 §4.8.2; a `jabber:server` message on a
//! client stream is an `invalid-namespace` stream error, not a message),
//! inherits the stream's `xml:lang`, and on a server's client stream is
//! answered at the address the server verified, never at the `from` the
//! client wrote.
//!
//! # Languages
//!
//! A stanza without `xml:lang` has the stream's (RFC 6120 §4.7.4), and its
//! `lang` field says so. Texts are kept in a [`LangMap`] under the
//! `xml:lang` written on each element; an element without one has the
//! language of its stanza, and that *effective* language is what must
//! differ between two bodies, subjects or statuses (RFC 6121 §5.2.3).
//!
//! # Bad input
//!
//! Nothing here panics on any input. A malformed stanza is a
//! [`StanzaParseError`] naming what is wrong and where ([`Malformed`]),
//! with the `id`, addresses and `type` needed to answer it:
//! [`StanzaParseError::error_reply`] builds the error stanza
//! (`jid-malformed`, `bad-request`), or `None` where RFC 6120 forbids an
//! answer. An element that is not a stanza of the stream at all asks for a
//! stream error ([`StanzaParseError::stream_error`]).
//!
//! ```
//! use stanzio_stanza::{Condition, Stanza, StreamContext};
//! use stanzio_xml::{ContentNamespace, Element};
//!
//! let element = Element::builder("iq", "jabber:client")
//!     .attr("id", "x1")
//!     .attr("type", "get")
//!     .attr("from", "juliet@example.com/balcony")
//!     .build()?;
//! let ctx = StreamContext::new(ContentNamespace::Client);
//! let error = Stanza::from_element(&element, &ctx).unwrap_err();
//! assert_eq!(error.condition(), Some(Condition::BadRequest));
//! let Some(Stanza::Iq(reply)) = error.error_reply() else { unreachable!() };
//! assert_eq!(reply.id, "x1");
//! assert_eq!(reply.to.unwrap().as_str(), "juliet@example.com/balcony");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod attributes;
mod children;
mod context;
mod error_body;
mod fields;
mod iq;
mod message;
mod parse_error;
mod payloads;
mod presence;
mod stanza_error;
mod stream_error;
mod text;
mod value_names;

use std::fmt;

use stanzio_jid::Jid;
use stanzio_xml::XmlWriter;

pub use attributes::ExtensionAttribute;
pub use children::StanzaSource;
pub use context::StreamContext;
pub use iq::{Iq, IqPayload, IqType};
pub use message::{Message, MessageType, Thread};
pub use parse_error::{InvalidStanza, Malformed, StanzaParseError, UnknownValue};
pub use payloads::Payloads;
pub use presence::{Presence, PresenceType, Show};
pub use stanza_error::{Condition, ErrorType, StanzaError};
pub use stream_error::{StreamCondition, StreamError};
pub use text::{LangMap, MAX_LANGS};

/// `jabber:client`, the content namespace of client streams (RFC 6120 §4.8.2).
pub const NS_CLIENT: &str = "jabber:client";
/// `jabber:server`, the content namespace of server streams.
pub const NS_SERVER: &str = "jabber:server";
/// `jabber:component:accept` (XEP-0114 §3).
pub const NS_COMPONENT_ACCEPT: &str = "jabber:component:accept";
/// The namespace of stanza error conditions and text (RFC 6120 §8.3.2).
pub const NS_STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
/// The namespace of stream error conditions and text (RFC 6120 §4.9.2).
pub const NS_STREAM_ERRORS: &str = "urn:ietf:params:xml:ns:xmpp-streams";
/// The string type of ids, languages and texts: up to 24 bytes inline, so
/// the common short ones cost no allocation.
pub use compact_str::CompactString;
pub use stanzio_xml::{NS_STREAM, NS_XML};

/// The three kinds of stanza (RFC 6120 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StanzaKind {
    /// `<message/>`.
    Message,
    /// `<presence/>`.
    Presence,
    /// `<iq/>`.
    Iq,
}

impl StanzaKind {
    /// The element name.
    pub fn as_str(self) -> &'static str {
        match self {
            StanzaKind::Message => "message",
            StanzaKind::Presence => "presence",
            StanzaKind::Iq => "iq",
        }
    }
}

impl fmt::Display for StanzaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Any stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stanza {
    /// `<message/>`.
    Message(Message),
    /// `<presence/>`.
    Presence(Presence),
    /// `<iq/>`.
    Iq(Iq),
}

impl Stanza {
    /// Reads a top-level element received on the stream `ctx` as a
    /// stanza: `message`, `presence` or `iq` in the stream's content
    /// namespace (RFC 6120 §4.8.2), inheriting the stream's `xml:lang`
    /// (§4.7.4). `element` is the reader's `&Element`, or an `ElementRef`
    /// ([`StanzaSource`]).
    ///
    /// # Errors
    ///
    /// [`StanzaParseError::NotAStanza`] for any other element,
    /// [`StanzaParseError::WrongNamespace`] for a stanza in another content
    /// namespace, [`StanzaParseError::Invalid`] for a stanza that breaks
    /// the rules.
    pub fn from_element<'a>(
        element: impl Into<StanzaSource<'a>>,
        ctx: &StreamContext,
    ) -> Result<Stanza, StanzaParseError> {
        let source = element.into();
        match source.root().name() {
            "message" => Message::from_element(source, ctx).map(Stanza::Message),
            "presence" => Presence::from_element(source, ctx).map(Stanza::Presence),
            "iq" => Iq::from_element(source, ctx).map(Stanza::Iq),
            _ => Err(StanzaParseError::not_a_stanza(source.root())),
        }
    }

    /// Writes the stanza in the writer's content namespace.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        match self {
            Stanza::Message(message) => message.write_to(w),
            Stanza::Presence(presence) => presence.write_to(w),
            Stanza::Iq(iq) => iq.write_to(w),
        }
    }

    /// Which kind of stanza this is.
    pub fn kind(&self) -> StanzaKind {
        match self {
            Stanza::Message(_) => StanzaKind::Message,
            Stanza::Presence(_) => StanzaKind::Presence,
            Stanza::Iq(_) => StanzaKind::Iq,
        }
    }

    /// `from` (not named `from`, which would shadow [`From::from`]).
    pub fn from_jid(&self) -> Option<&Jid> {
        match self {
            Stanza::Message(m) => m.from.as_ref(),
            Stanza::Presence(p) => p.from.as_ref(),
            Stanza::Iq(iq) => iq.from.as_ref(),
        }
    }

    /// `to`.
    pub fn to_jid(&self) -> Option<&Jid> {
        match self {
            Stanza::Message(m) => m.to.as_ref(),
            Stanza::Presence(p) => p.to.as_ref(),
            Stanza::Iq(iq) => iq.to.as_ref(),
        }
    }

    /// `id`.
    pub fn id(&self) -> Option<&str> {
        match self {
            Stanza::Message(m) => m.id.as_deref(),
            Stanza::Presence(p) => p.id.as_deref(),
            Stanza::Iq(iq) => Some(&iq.id),
        }
    }

    /// The error stanza that answers this one, received on the stream
    /// `ctx` (addressed to its verified sender, else back to `from`), or
    /// `None` where RFC 6120 forbids an answer (an error stanza, §8.3.1; an
    /// IQ response, §8.2.3).
    pub fn error_reply(&self, error: StanzaError, ctx: &StreamContext) -> Option<Stanza> {
        match self {
            Stanza::Message(m) => m.error_reply(error, ctx).map(Stanza::Message),
            Stanza::Presence(p) => p.error_reply(error, ctx).map(Stanza::Presence),
            Stanza::Iq(iq) => iq.error_reply(error, ctx).map(Stanza::Iq),
        }
    }
}

impl From<Message> for Stanza {
    fn from(message: Message) -> Self {
        Stanza::Message(message)
    }
}

impl From<Presence> for Stanza {
    fn from(presence: Presence) -> Self {
        Stanza::Presence(presence)
    }
}

impl From<Iq> for Stanza {
    fn from(iq: Iq) -> Self {
        Stanza::Iq(iq)
    }
}

#[cfg(test)]
mod tests {
    use stanzio_xml::Element;

    use super::*;

    fn jid(s: &str) -> Jid {
        s.parse().unwrap()
    }

    #[test]
    fn the_common_attributes_of_every_kind_are_read_alike() {
        let ping = Element::builder("ping", "urn:xmpp:ping").build().unwrap();
        let mut presence = Presence::available().with_to(jid("b@example.com"));
        presence.from = Some(jid("a@example.net/x"));
        presence.id = Some("p1".into());
        let stanzas = [
            Stanza::from(
                Message::chat(jid("b@example.com"), "hi")
                    .with_from(jid("a@example.net/x"))
                    .with_id("m1"),
            ),
            Stanza::from(presence),
            Stanza::from(
                Iq::get("q1", ping)
                    .with_to(jid("b@example.com"))
                    .with_from(jid("a@example.net/x")),
            ),
        ];
        for (stanza, (kind, id)) in stanzas.iter().zip([
            (StanzaKind::Message, "m1"),
            (StanzaKind::Presence, "p1"),
            (StanzaKind::Iq, "q1"),
        ]) {
            assert_eq!(stanza.kind(), kind);
            assert_eq!(stanza.id(), Some(id));
            assert_eq!(stanza.from_jid(), Some(&jid("a@example.net/x")));
            assert_eq!(stanza.to_jid(), Some(&jid("b@example.com")));
        }
        let bare = Stanza::from(Message::new(MessageType::Normal));
        assert_eq!(
            (bare.id(), bare.from_jid(), bare.to_jid()),
            (None, None, None)
        );
    }
}
