//! The STARTTLS exchange (RFC 6120 §5.4.2): `<starttls/>`, then
//! `<proceed/>` or `<failure/>`.

use stanzio_xml::{ElementRef, XmlWriter};

use super::ElementError;
use crate::ns::NS_TLS;

/// One element of the STARTTLS exchange, all empty and in
/// `urn:ietf:params:xml:ns:xmpp-tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsElement {
    /// `<starttls/>`: the client asks to start TLS (RFC 6120 §5.4.2.1).
    StartTls,
    /// `<proceed/>`: the server agrees; both sides start the TLS handshake
    /// right after it (§5.4.2.3), and any byte after it in the clear is an
    /// attack, never data.
    Proceed,
    /// `<failure/>`: the server refuses and closes the stream (§5.4.2.2).
    Failure,
}

impl TlsElement {
    /// The element's local name.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsElement::StartTls => "starttls",
            TlsElement::Proceed => "proceed",
            TlsElement::Failure => "failure",
        }
    }

    /// Reads a STARTTLS element. Children (such as a `<required/>` sent by
    /// mistake on the request) are ignored.
    ///
    /// # Errors
    ///
    /// [`ElementError::Unexpected`] for any other element.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, ElementError> {
        if element.ns() != NS_TLS {
            return Err(ElementError::unexpected(element));
        }
        match element.name() {
            "starttls" => Ok(TlsElement::StartTls),
            "proceed" => Ok(TlsElement::Proceed),
            "failure" => Ok(TlsElement::Failure),
            _ => Err(ElementError::unexpected(element)),
        }
    }

    /// Writes the element.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        w.start(self.as_str(), NS_TLS);
        w.end();
    }
}
