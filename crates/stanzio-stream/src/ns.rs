//! The XML namespaces of stream negotiation, stream management and the
//! component protocol, in one place.
//!
//! The stream, framing, content and error namespaces belong to the layers
//! below and are re-exported from there, so every crate compares against
//! the same strings.

pub use stanzio_stanza::{NS_CLIENT, NS_COMPONENT_ACCEPT, NS_SERVER, NS_STANZAS, NS_STREAM_ERRORS};
pub use stanzio_xml::{NS_FRAMING, NS_STREAM};

/// STARTTLS: `<starttls/>`, `<proceed/>`, `<failure/>` (RFC 6120 §5.4).
pub const NS_TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";

/// SASL negotiation: `<mechanisms/>`, `<auth/>`, `<challenge/>`,
/// `<response/>`, `<success/>`, `<failure/>`, `<abort/>` (RFC 6120 §6.4).
pub const NS_SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";

/// Resource binding: the `<bind/>` feature and IQ payload (RFC 6120 §7).
pub const NS_BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";

/// Legacy session establishment (RFC 3921 §3), which RFC 6121 Appendix E
/// removed but servers still advertise.
pub const NS_SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";

/// Stream management, version 3 (XEP-0198 §2). Version 2 (`urn:xmpp:sm:2`),
/// which Prosody and ejabberd still offer beside it, is not spoken.
pub const NS_SM: &str = "urn:xmpp:sm:3";

/// SASL channel-binding type capability (XEP-0440 §2).
pub const NS_SASL_CB: &str = "urn:xmpp:sasl-cb:0";

/// Stream limits advertisement (XEP-0478 §3.1).
pub const NS_STREAM_LIMITS: &str = "urn:xmpp:stream-limits:0";

/// Roster versioning stream feature (XEP-0237 §2.1).
pub const NS_ROSTER_VERSIONING: &str = "urn:xmpp:features:rosterver";

/// XMPP ping (XEP-0199 §3).
pub const NS_PING: &str = "urn:xmpp:ping";

/// The content namespace of a component stream the server initiates
/// (XEP-0114 §3, note); its `<handshake/>` is in this namespace.
pub const NS_COMPONENT_CONNECT: &str = "jabber:component:connect";
