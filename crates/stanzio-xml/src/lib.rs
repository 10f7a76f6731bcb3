//! The XML layer of stanzio: an incremental reader for one XMPP stream
//! (RFC 6120 §4) and a writer, both sans-IO.
//!
//! * [`StreamReader`] takes bytes in any split and yields [`StreamEvent`]s:
//!   the stream header, one [`Element`] per complete top-level element, white
//!   space keepalives, the end of the stream. It stops right after each event,
//!   so at STARTTLS or a SASL restart the caller knows exactly which bytes are
//!   left (see [`StreamReader::read`]).
//! * [`FrameReader`] reads XMPP over WebSocket (RFC 7395), one message at a
//!   time.
//! * [`StreamWriter`] writes headers and elements into a caller-owned
//!   `Vec<u8>`.
//!
//! Every limit is set at construction ([`Limits`]); breaking one is a
//! [`ReadError`] whose [`condition`](ReadError::condition) is
//! `policy-violation`. Every XML error maps to the RFC 6120 §4.9.3 condition
//! to send, and errors are sticky.
//!
//! ```
//! use stanzio_xml::{Limits, StreamEvent, StreamReader};
//!
//! let mut reader = StreamReader::new(Limits::default());
//! let mut input: &[u8] = b"<stream:stream xmlns='jabber:client' \
//!     xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\
//!     <message to='juliet@example.com'><body>Hi</body></message> ";
//! let mut events = Vec::new();
//! while let Some(event) = reader.read(&mut input)? {
//!     events.push(event);
//! }
//! assert!(matches!(&events[0], StreamEvent::Header(h) if h.version.as_deref() == Some("1.0")));
//! let StreamEvent::Element(message) = &events[1] else { panic!() };
//! assert_eq!(message.attr("to"), Some("juliet@example.com"));
//! assert_eq!(message.ns(), "jabber:client");
//! assert!(matches!(events[2], StreamEvent::Whitespace));
//! # Ok::<(), stanzio_xml::ReadError>(())
//! ```
#![forbid(unsafe_code)]

mod element;
mod error;
mod limits;
mod reader;
mod writer;

pub use element::{Attribute, Element, ElementBuilder, ElementRef, NS_XML, Node, Nodes};
pub use error::{BuildError, Limit, ReadError, XmlCondition};
pub use limits::Limits;
pub use reader::{FrameEvent, FrameReader, StreamEvent, StreamReader};
pub use writer::{StreamWriter, XmlWriter};

/// The stream namespace, `http://etherx.jabber.org/streams` (RFC 6120 §11.2).
pub const NS_STREAM: &str = "http://etherx.jabber.org/streams";

/// The RFC 7395 framing namespace of `<open/>` and `<close/>`.
pub const NS_FRAMING: &str = "urn:ietf:params:xml:ns:xmpp-framing";

/// The content namespace a stream declares as its default (RFC 6120 §4.8.2,
/// XEP-0114 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentNamespace {
    /// `jabber:client`: client-to-server streams.
    Client,
    /// `jabber:server`: server-to-server streams.
    Server,
    /// `jabber:component:accept`: a component connecting to a server.
    ComponentAccept,
    /// `jabber:component:connect`: a server connecting to a component.
    ComponentConnect,
}

impl ContentNamespace {
    /// The namespace URI.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentNamespace::Client => "jabber:client",
            ContentNamespace::Server => "jabber:server",
            ContentNamespace::ComponentAccept => "jabber:component:accept",
            ContentNamespace::ComponentConnect => "jabber:component:connect",
        }
    }

    /// The content namespace named by `uri`, if it is one.
    pub fn from_uri(uri: &str) -> Option<Self> {
        [
            Self::Client,
            Self::Server,
            Self::ComponentAccept,
            Self::ComponentConnect,
        ]
        .into_iter()
        .find(|ns| ns.as_str() == uri)
    }
}

/// The attributes of a stream header (RFC 6120 §4.7) or RFC 7395 `<open/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHeader {
    /// `to`, as sent (JID preparation is the stream layer's job).
    pub to: Option<String>,
    /// `from`, as sent.
    pub from: Option<String>,
    /// `id`: the stream id, set by the receiving entity.
    pub id: Option<String>,
    /// `version`, such as `1.0`; absent means pre-1.0 (RFC 6120 §4.7.5).
    pub version: Option<String>,
    /// `xml:lang`, the default language of the stream.
    pub lang: Option<String>,
    /// The content namespace declared as the default, or `None` when the
    /// header declares none: with "prefix-free canonicalization" (RFC 6120
    /// §4.8.2, `<stream xmlns='http://etherx.jabber.org/streams'>`) every
    /// top-level element declares its own namespace.
    pub ns: Option<ContentNamespace>,
}
