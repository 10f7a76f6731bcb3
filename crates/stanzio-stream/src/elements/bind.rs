//! The IQ payloads of resource binding (RFC 6120 §7) and of legacy session
//! establishment (RFC 3921 §3).
//!
//! These travel inside `<iq/>` stanzas, so besides `write_to` each has
//! `to_element`, the form [`stanzio_stanza::Iq::set`] takes.

use stanzio_jid::FullJid;
use stanzio_xml::{Element, ElementBuilder, ElementRef, XmlWriter};

use super::{ElementError, expect, quote};
use crate::ns::{NS_BIND, NS_SESSION};

/// Builds an element from constant names and text a JID or the caller
/// vouches for. Should a text hold a character XML cannot carry, the result
/// is the empty [`Element::default`], which every writer refuses
/// (`BuildError::InvalidName`), so the mistake surfaces where the stanza is
/// written and never reaches the wire.
fn build(builder: ElementBuilder) -> Element {
    builder.build().unwrap_or_default()
}

/// A resource-binding request: the `<bind/>` payload of an IQ-set (RFC 6120
/// §7.5 and §7.6).
///
/// ```
/// use stanzio_stanza::{Iq, IqPayload};
/// use stanzio_stream::elements::bind::BindRequest;
///
/// let request = BindRequest { resource: Some("balcony".into()) };
/// let iq = Iq::set("bind_1", request.to_element());
/// let IqPayload::Set(payload) = &iq.payload else { unreachable!() };
/// assert_eq!(BindRequest::from_element(payload.root())?, request);
/// # Ok::<(), stanzio_stream::elements::ElementError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindRequest {
    /// `<resource/>`: the resourcepart the client would like (§7.7), as
    /// sent; the server prepares and may change it. `None` asks the server
    /// to generate one (§7.6).
    pub resource: Option<String>,
}

impl BindRequest {
    /// Reads `<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>`.
    ///
    /// # Errors
    ///
    /// [`ElementError::Unexpected`] for another element.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, ElementError> {
        expect(element, "bind", NS_BIND)?;
        Ok(BindRequest {
            resource: element
                .get_child("resource", NS_BIND)
                .map(|resource| resource.text().into_owned()),
        })
    }

    /// Writes the payload.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        w.start("bind", NS_BIND);
        if let Some(resource) = &self.resource {
            w.start("resource", NS_BIND);
            w.text(resource);
            w.end();
        }
        w.end();
    }

    /// The payload as an element for an IQ-set. A valid RFC 7622
    /// resourcepart always fits; a resource with a character XML cannot
    /// carry gives an empty element, which every writer refuses
    /// (`BuildError::InvalidName`), so the mistake surfaces where the IQ is
    /// written and never reaches the wire.
    pub fn to_element(&self) -> Element {
        let mut bind = Element::builder("bind", NS_BIND);
        if let Some(resource) = &self.resource {
            bind = bind.child(build(Element::builder("resource", NS_BIND).text(resource)));
        }
        build(bind)
    }
}

/// The `<bind/>` payload of the IQ-result: the full JID the server bound
/// (RFC 6120 §7.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindResult {
    /// The bound full JID.
    pub jid: FullJid,
}

impl BindResult {
    /// Reads `<bind><jid>…</jid></bind>`.
    ///
    /// # Errors
    ///
    /// [`ElementError::Unexpected`] for another element,
    /// [`ElementError::MissingChild`] without `<jid/>`,
    /// [`ElementError::InvalidJid`] when its text is not a full JID.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, ElementError> {
        expect(element, "bind", NS_BIND)?;
        let jid = element
            .get_child("jid", NS_BIND)
            .ok_or(ElementError::MissingChild {
                element: "bind",
                child: "jid",
            })?
            .text();
        let jid = FullJid::new(&jid).map_err(|source| ElementError::InvalidJid {
            element: "jid",
            value: quote(&jid),
            source,
        })?;
        Ok(BindResult { jid })
    }

    /// Writes the payload.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        w.start("bind", NS_BIND);
        w.start("jid", NS_BIND);
        w.text(self.jid.as_str());
        w.end();
        w.end();
    }

    /// The payload as an element for the IQ-result. A prepared JID holds no
    /// character XML cannot carry, so this always succeeds.
    pub fn to_element(&self) -> Element {
        build(Element::builder("bind", NS_BIND).child(build(
            Element::builder("jid", NS_BIND).text(self.jid.as_str()),
        )))
    }
}

/// The `<session/>` payload of the legacy session request (RFC 3921 §3),
/// for servers that still list it without `<optional/>`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Session;

impl Session {
    /// Reads `<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>`.
    ///
    /// # Errors
    ///
    /// [`ElementError::Unexpected`] for another element.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, ElementError> {
        expect(element, "session", NS_SESSION).map(|()| Session)
    }

    /// Writes the payload.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        w.start("session", NS_SESSION);
        w.end();
    }

    /// The payload as an element for the IQ-set.
    pub fn to_element(&self) -> Element {
        build(Element::builder("session", NS_SESSION))
    }
}
