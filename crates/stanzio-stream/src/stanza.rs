//! Reading stanzas in their stream's context: the one place where the
//! connection machines call the stanza layer's parser.

use stanzio_stanza::{Stanza, StanzaParseError, StreamContext, StreamError};
use stanzio_xml::ElementRef;

/// Why an element read as a stanza on this stream is refused.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not a stanza of this stream (another content namespace, RFC 6120
    /// §4.9.3.10, or no stanza at all): the stream error to send.
    Stream(Box<StreamError>),
    /// A stanza of this stream that breaks the rules.
    Invalid(StanzaParseError),
}

/// Whether a top-level element is one of the three stanzas of RFC 6120 §8,
/// in whatever namespace.
pub(crate) fn is_stanza_name(element: ElementRef<'_>) -> bool {
    matches!(element.name(), "message" | "presence" | "iq")
}

/// Reads a top-level element of this stream as a stanza.
pub(crate) fn parse(element: ElementRef<'_>, context: &StreamContext) -> Result<Stanza, Refusal> {
    Stanza::from_element(element, context).map_err(|error| match error.stream_error() {
        Some(stream_error) => Refusal::Stream(Box::new(stream_error)),
        None => Refusal::Invalid(error),
    })
}

/// Reads back a stanza this library wrote itself (a stored resumption
/// state), always in `jabber:client`.
#[cfg(feature = "serde")]
pub(crate) fn parse_own(element: ElementRef<'_>) -> Result<Stanza, StanzaParseError> {
    let context = StreamContext::new(stanzio_xml::ContentNamespace::Client);
    Stanza::from_element(element, &context)
}
