//! XEP-0280 Message Carbons (`urn:xmpp:carbons:2`) with the XEP-0297
//! forwarding wrapper (`urn:xmpp:forward:0`).

use stanzio_stanza::{Message, Stanza, StreamContext};
use stanzio_xml::{
    ContentNamespace, Element, ElementRef, Limits, StreamEvent, StreamReader, StreamWriter,
};

use super::{PayloadError, expect, unexpected};
use crate::{NS_CARBONS, NS_FORWARD};

/// The IQ-set payloads that turn carbons on and off (XEP-0280 §4, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CarbonsCommand {
    /// `<enable/>`.
    Enable,
    /// `<disable/>`.
    Disable,
}

impl CarbonsCommand {
    /// The element name.
    pub fn as_str(self) -> &'static str {
        match self {
            CarbonsCommand::Enable => "enable",
            CarbonsCommand::Disable => "disable",
        }
    }

    /// Reads `<enable/>` or `<disable/>`.
    ///
    /// # Errors
    ///
    /// [`PayloadError::UnexpectedElement`] for anything else.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, PayloadError> {
        match (element.ns(), element.name()) {
            (NS_CARBONS, "enable") => Ok(CarbonsCommand::Enable),
            (NS_CARBONS, "disable") => Ok(CarbonsCommand::Disable),
            _ => Err(unexpected(element, "enable|disable", NS_CARBONS)),
        }
    }

    /// Writes the element.
    pub fn to_element(self) -> Element {
        element_without_content(self.as_str(), NS_CARBONS)
    }
}

/// Whether a carbon copies a message the user received or one another of
/// the user's resources sent (XEP-0280 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CarbonDirection {
    /// `<received/>`: a message to one of the user's other resources (or
    /// to the bare JID, delivered elsewhere).
    Received,
    /// `<sent/>`: a message one of the user's other resources sent.
    Sent,
}

impl CarbonDirection {
    /// The element name.
    pub fn as_str(self) -> &'static str {
        match self {
            CarbonDirection::Received => "received",
            CarbonDirection::Sent => "sent",
        }
    }
}

/// A carbon copy: `<received/>` or `<sent/>` wrapping a XEP-0297
/// `<forwarded/>` message.
///
/// Reading one says nothing about whether it may be trusted: only a
/// wrapper from the user's own bare JID may be unwrapped (XEP-0280 §11);
/// [`ImClient`](crate::ImClient) checks that before it reads one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carbon {
    /// Received or sent.
    pub direction: CarbonDirection,
    /// The forwarded message.
    pub message: Message,
}

impl Carbon {
    /// Reads `<received/>` or `<sent/>`.
    ///
    /// # Errors
    ///
    /// [`PayloadError`] for another element, a missing or repeated
    /// `<forwarded/>`, or a forwarded stanza that is no valid
    /// `jabber:client` message.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, PayloadError> {
        let direction = match (element.ns(), element.name()) {
            (NS_CARBONS, "received") => CarbonDirection::Received,
            (NS_CARBONS, "sent") => CarbonDirection::Sent,
            _ => return Err(unexpected(element, "received|sent", NS_CARBONS)),
        };
        let forwarded = only_child(element, direction.as_str())?;
        expect(forwarded, "forwarded", NS_FORWARD)?;
        // XEP-0297 §3: the stanza, optionally after a <delay/>.
        let mut message = None;
        for child in forwarded.children() {
            if child.is("delay", crate::NS_DELAY) {
                continue;
            }
            if message.replace(child).is_some() {
                return Err(PayloadError::UnexpectedChild {
                    element: "forwarded",
                    child: child.name().to_owned(),
                });
            }
        }
        let message = message.ok_or(PayloadError::MissingChild {
            element: "forwarded",
            child: "message",
        })?;
        // Forwarded stanzas are qualified by `jabber:client` (XEP-0297 §3).
        let ctx = StreamContext::new(ContentNamespace::Client);
        let message = Message::from_element(message, &ctx)
            .map_err(|error| PayloadError::Forwarded(error.to_string()))?;
        Ok(Carbon { direction, message })
    }

    /// Writes the wrapper with the message inside.
    ///
    /// # Errors
    ///
    /// [`PayloadError`] if the message cannot be written.
    pub fn to_element(&self) -> Result<Element, PayloadError> {
        let forwarded = Element::builder("forwarded", NS_FORWARD)
            .child(message_element(&self.message)?)
            .build()?;
        Ok(Element::builder(self.direction.as_str(), NS_CARBONS)
            .child(forwarded)
            .build()?)
    }
}

/// The one child element of `element`.
fn only_child<'a>(
    element: ElementRef<'a>,
    name: &'static str,
) -> Result<ElementRef<'a>, PayloadError> {
    let mut children = element.children();
    match (children.next(), children.next()) {
        (Some(child), None) => Ok(child),
        (None, _) => Err(PayloadError::MissingChild {
            element: name,
            child: "forwarded",
        }),
        (Some(_), Some(extra)) => Err(PayloadError::UnexpectedChild {
            element: name,
            child: extra.name().to_owned(),
        }),
    }
}

/// `<name xmlns=ns/>`.
pub(crate) fn element_without_content(name: &str, ns: &str) -> Element {
    // Both come from this crate's constants, which are valid names.
    Element::builder(name, ns)
        .build()
        .unwrap_or_else(|_| Element::default())
}

/// The `<message xmlns='jabber:client'/>` element of `message`, for a
/// wrapper: written as a client stream writes it and read back, so the
/// element is exactly what `Message::write_to` produces.
fn message_element(message: &Message) -> Result<Element, PayloadError> {
    const OPEN: &[u8] = b"<stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams'>";
    let mut bytes = OPEN.to_vec();
    let mut writer = StreamWriter::new(ContentNamespace::Client).element(&mut bytes);
    Stanza::Message(message.clone()).write_to(&mut writer);
    writer.finish()?;
    // The limits only need to fit what was just written, with the
    // reader's own room on top.
    let room = bytes.len().saturating_mul(2).saturating_add(4096);
    let mut reader = StreamReader::new(
        Limits::default()
            .with_max_element_bytes(room)
            .with_max_buffered_bytes(room),
    );
    let mut input = bytes.as_slice();
    loop {
        match reader.read(&mut input) {
            Ok(Some(StreamEvent::Element(element))) => return Ok(element),
            Ok(Some(_)) => continue,
            Ok(None) => return Err(PayloadError::Forwarded("nothing was written".into())),
            Err(error) => return Err(PayloadError::Forwarded(error.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use stanzio_stanza::MessageType;

    use super::*;

    #[test]
    fn the_xep_0280_received_example_is_read() {
        // XEP-0280 §6, Example 11, as elements.
        let inner = Element::builder("message", "jabber:client")
            .attr("from", "juliet@capulet.example/balcony")
            .attr("to", "romeo@montague.example/garden")
            .attr("type", "chat")
            .child(
                Element::builder("body", "jabber:client")
                    .text("What man art thou that, thus bescreen'd in night, so stumblest on my counsel?")
                    .build()
                    .unwrap(),
            )
            .child(
                Element::builder("thread", "jabber:client")
                    .text("0e3141cd80894871a68e6fe6b1ec56fa")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let received = Element::builder("received", NS_CARBONS)
            .child(
                Element::builder("forwarded", NS_FORWARD)
                    .child(inner)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let carbon = Carbon::from_element(received.root()).unwrap();
        assert_eq!(carbon.direction, CarbonDirection::Received);
        assert_eq!(carbon.message.type_, MessageType::Chat);
        assert_eq!(
            carbon.message.thread.as_ref().map(|t| t.id.as_str()),
            Some("0e3141cd80894871a68e6fe6b1ec56fa")
        );
        let again = Carbon::from_element(carbon.to_element().unwrap().root()).unwrap();
        assert_eq!(again, carbon);
    }

    #[test]
    fn a_wrapper_without_exactly_one_message_is_refused() {
        let empty = Element::builder("sent", NS_CARBONS)
            .child(Element::builder("forwarded", NS_FORWARD).build().unwrap())
            .build()
            .unwrap();
        assert!(matches!(
            Carbon::from_element(empty.root()),
            Err(PayloadError::MissingChild { .. })
        ));
        let bare = Element::builder("sent", NS_CARBONS).build().unwrap();
        assert!(Carbon::from_element(bare.root()).is_err());
        let iq = Element::builder("sent", NS_CARBONS)
            .child(
                Element::builder("forwarded", NS_FORWARD)
                    .child(Element::builder("iq", "jabber:client").build().unwrap())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert!(matches!(
            Carbon::from_element(iq.root()),
            Err(PayloadError::Forwarded(_))
        ));
    }

    #[test]
    fn commands_round_trip() {
        for c in [CarbonsCommand::Enable, CarbonsCommand::Disable] {
            assert_eq!(CarbonsCommand::from_element(c.to_element().root()), Ok(c));
        }
        let private = element_without_content("private", NS_CARBONS);
        assert!(CarbonsCommand::from_element(private.root()).is_err());
    }
}
