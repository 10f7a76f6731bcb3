//! XEP-0199 XMPP Ping: `<ping xmlns='urn:xmpp:ping'/>`.

use stanzio_xml::{Element, ElementRef};

use super::carbons::element_without_content;
use super::{PayloadError, expect};
use crate::NS_PING;

/// `<ping/>` (XEP-0199 §3): answered with an empty result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ping;

impl Ping {
    /// Reads `<ping/>`; anything inside is ignored, as nothing is defined
    /// there.
    ///
    /// # Errors
    ///
    /// [`PayloadError::UnexpectedElement`] for another element.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, PayloadError> {
        expect(element, "ping", NS_PING).map(|()| Ping)
    }

    /// Writes `<ping/>`.
    pub fn to_element(self) -> Element {
        element_without_content("ping", NS_PING)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_is_read_and_written() {
        assert_eq!(Ping::from_element(Ping.to_element().root()), Ok(Ping));
        let other = Element::builder("ping", "urn:xmpp:pong").build().unwrap();
        assert!(Ping::from_element(other.root()).is_err());
    }
}
