//! The stream a stanza arrived on, which says what the stanza means.

use stanzio_jid::{FullJid, Jid};
use stanzio_xml::{ContentNamespace, StreamHeader};

/// What a stanza means depends on its stream: the content namespace every
/// stanza on it must be in (RFC 6120 §4.8.2), the language of whatever
/// carries no `xml:lang` (§4.7.4) and, on a server's client stream, the
/// address the server verified for the client (the full JID it bound,
/// §7; §8.1.2.1). Parsing and every reply take it.
///
/// The verified sender matters for replies: a client can write any `from`,
/// so an error reply addressed to the claimed `from` would let it aim
/// bounces at anyone. With a sender set, every reply goes to the sender.
///
/// ```
/// use stanzio_stanza::{Condition, Stanza, StanzaError, StreamContext};
/// use stanzio_xml::{ContentNamespace, Element};
///
/// let bound = "juliet@example.com/balcony".parse()?;
/// let ctx = StreamContext::new(ContentNamespace::Client).with_sender(bound);
/// let forged = Element::builder("message", "jabber:client")
///     .attr("from", "victim@example.net/home")
///     .attr("id", "m1")
///     .build()?;
/// let stanza = Stanza::from_element(&forged, &ctx)?;
/// let bounce = stanza.error_reply(StanzaError::new(Condition::NotAllowed), &ctx).unwrap();
/// assert_eq!(bounce.to_jid().unwrap().as_str(), "juliet@example.com/balcony");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamContext {
    /// The content namespace the stream declared (RFC 6120 §4.8.2).
    pub ns: ContentNamespace,
    /// The stream's `xml:lang` (RFC 6120 §4.7.4).
    pub lang: Option<String>,
    /// On a server's client stream, the full JID bound to the client
    /// (RFC 6120 §7); replies go there, never to a claimed `from`.
    pub sender: Option<FullJid>,
}

impl StreamContext {
    /// A stream in content namespace `ns`, without `xml:lang` or verified
    /// sender.
    pub fn new(ns: ContentNamespace) -> Self {
        StreamContext {
            ns,
            lang: None,
            sender: None,
        }
    }

    /// The context of the stream the peer's `header` opens on a connection
    /// in content namespace `ns`: the header's `xml:lang`. (The namespace
    /// is the connection's: a header may leave it out and qualify every
    /// stanza instead, RFC 6120 §4.8.2.)
    pub fn from_header(header: &StreamHeader, ns: ContentNamespace) -> Self {
        StreamContext {
            ns,
            lang: header.lang.clone(),
            sender: None,
        }
    }

    /// Sets the stream's `xml:lang`.
    pub fn with_lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    /// Sets the verified sender: the full JID bound to the client.
    pub fn with_sender(mut self, sender: FullJid) -> Self {
        self.sender = Some(sender);
        self
    }

    /// Where a reply to a stanza claiming to be from `claimed` goes.
    pub(crate) fn reply_to(&self, claimed: Option<&Jid>) -> Option<Jid> {
        reply_address(self.sender.as_ref(), claimed)
    }
}

/// The verified `sender` if there is one, else the `claimed` address.
pub(crate) fn reply_address(sender: Option<&FullJid>, claimed: Option<&Jid>) -> Option<Jid> {
    sender
        .map(|sender| Jid::clone(sender))
        .or_else(|| claimed.cloned())
}
