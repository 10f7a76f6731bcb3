//! Reading a stanza element: checking that it is a stanza of this stream,
//! and the rules its text-only child elements share.

use std::borrow::Cow;

use stanzio_xml::{ContentNamespace, Element, ElementRef};

use crate::StanzaKind;
use crate::context::StreamContext;
use crate::parse_error::{Malformed, StanzaParseError};

/// The element a stanza is read from: the [`Element`] the stream reader
/// yielded (`&element`), or any [`ElementRef`], such as a message
/// forwarded inside another (XEP-0297).
#[derive(Debug, Clone, Copy)]
pub struct StanzaSource<'a> {
    root: ElementRef<'a>,
}

impl<'a> StanzaSource<'a> {
    /// The stanza element.
    pub fn root(&self) -> ElementRef<'a> {
        self.root
    }
}

impl<'a> From<&'a Element> for StanzaSource<'a> {
    fn from(document: &'a Element) -> Self {
        StanzaSource {
            root: document.root(),
        }
    }
}

impl<'a> From<ElementRef<'a>> for StanzaSource<'a> {
    fn from(root: ElementRef<'a>) -> Self {
        StanzaSource { root }
    }
}

/// Reads `source` as a stanza of `kind` on the stream `ctx` with `parse`,
/// and turns what `parse` finds malformed into an error that can be
/// answered.
///
/// An element of another name or namespace is not a stanza
/// (`unsupported-stanza-type`, RFC 6120 §4.9.3.24); one in a content
/// namespace other than the stream's is refused too: RFC 6120 §4.8.2 puts
/// every first-level element in the stream's content namespace, so a
/// `jabber:server` message on a client stream is an `invalid-namespace`
/// (§4.9.3.10), never a message of this client.
pub(crate) fn read_stanza<'a, T>(
    source: StanzaSource<'a>,
    kind: StanzaKind,
    ctx: &StreamContext,
    parse: impl FnOnce(StanzaSource<'a>) -> Result<T, Malformed>,
) -> Result<T, StanzaParseError> {
    let element = source.root();
    if element.name() != kind.as_str() {
        return Err(StanzaParseError::not_a_stanza(element));
    }
    match ContentNamespace::from_uri(element.ns()) {
        None => Err(StanzaParseError::not_a_stanza(element)),
        Some(found) if found != ctx.ns => Err(StanzaParseError::WrongNamespace {
            kind,
            found,
            expected: ctx.ns,
        }),
        Some(_) => {
            parse(source).map_err(|reason| StanzaParseError::invalid(element, kind, reason, ctx))
        }
    }
}

/// The text of `child`, an element that holds character data only
/// (`element` names it in the error): a child element inside is refused
/// rather than read past and lost.
pub(crate) fn text_only<'a>(
    child: ElementRef<'a>,
    element: &'static str,
) -> Result<Cow<'a, str>, Malformed> {
    if child.children().next().is_some() {
        return Err(Malformed::ChildElements { element });
    }
    Ok(child.text())
}

/// `text` without the XML white space (XML 1.0 §2.3 S: space, tab, CR, LF)
/// around it, as the `xs:token` of `<show/>` and the `xs:byte` of
/// `<priority/>` collapse it (RFC 6121 Appendix A). Other Unicode white
/// space (no-break, ideographic) is content.
pub(crate) fn trim_xml_space(text: &str) -> &str {
    text.trim_matches([' ', '\t', '\n', '\r'])
}
