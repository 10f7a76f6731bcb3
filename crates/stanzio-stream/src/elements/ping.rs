//! XMPP ping (XEP-0199): the `<ping/>` payload of an IQ-get, answered by
//! an empty IQ-result (§3).

use stanzio_xml::{Element, ElementRef};

use crate::ns::NS_PING;

/// `<ping xmlns='urn:xmpp:ping'/>`, for `stanzio_stanza::Iq::get`.
///
/// ```
/// use stanzio_stanza::{Iq, IqPayload};
/// use stanzio_stream::elements::ping::{is_ping, ping_payload};
///
/// let iq = Iq::get("c2s1", ping_payload());
/// let IqPayload::Get(payload) = &iq.payload else { unreachable!() };
/// assert!(is_ping(payload.root()));
/// ```
pub fn ping_payload() -> Element {
    Element::builder("ping", NS_PING)
        .build()
        // A constant, valid name always builds.
        .unwrap_or_default()
}

/// Whether `payload` is a XEP-0199 ping. Attributes and children, which
/// the XEP does not define, are ignored.
pub fn is_ping(payload: ElementRef<'_>) -> bool {
    payload.is("ping", NS_PING)
}
