//! Wire helpers shared by the `elements_*` tests: write a value the way a
//! connection does, read elements the way a connection does.
#![allow(dead_code)] // each test file uses its own subset

use stanzio_xml::{
    ContentNamespace, Element, FrameEvent, FrameReader, Limits, StreamEvent, StreamReader,
    StreamWriter, XmlWriter,
};

/// The header a server sends on a client stream (RFC 6120 §4.7).
pub const SERVER_HEADER: &str = "<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='s1' version='1.0'>";

/// What `write` puts on a TCP client stream, as text.
pub fn written(write: impl FnOnce(&mut XmlWriter<'_>)) -> String {
    written_in(ContentNamespace::Client, write)
}

/// What `write` puts on a TCP stream with content namespace `ns`.
pub fn written_in(ns: ContentNamespace, write: impl FnOnce(&mut XmlWriter<'_>)) -> String {
    let mut out = Vec::new();
    let mut w = StreamWriter::new(ns).element(&mut out);
    write(&mut w);
    w.finish().expect("the value is writable");
    String::from_utf8(out).expect("the writer writes UTF-8")
}

/// What `write` puts into one RFC 7395 WebSocket message.
pub fn written_websocket(write: impl FnOnce(&mut XmlWriter<'_>)) -> String {
    let mut out = Vec::new();
    let mut w = StreamWriter::websocket(ContentNamespace::Client).element(&mut out);
    write(&mut w);
    w.finish().expect("the value is writable");
    String::from_utf8(out).expect("the writer writes UTF-8")
}

/// The top-level elements of `body` on a client stream.
pub fn elements(body: &str) -> Vec<Element> {
    elements_after(SERVER_HEADER, body)
}

/// The top-level elements of `body` on a stream opened by `header`.
pub fn elements_after(header: &str, body: &str) -> Vec<Element> {
    let mut reader = StreamReader::new(Limits::default());
    let stream = format!("{header}{body}");
    let mut input = stream.as_bytes();
    let mut found = Vec::new();
    while let Some(event) = reader.read(&mut input).expect("well-formed test input") {
        if let StreamEvent::Element(element) = event {
            found.push(element);
        }
    }
    found
}

/// The one top-level element of `body` on a client stream.
pub fn element(body: &str) -> Element {
    let mut found = elements(body);
    assert_eq!(found.len(), 1, "exactly one element in {body}");
    found.remove(0)
}

/// The element of one RFC 7395 message.
pub fn websocket_element(message: &str) -> Element {
    let mut reader = FrameReader::new(Limits::default(), ContentNamespace::Client);
    let open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>";
    assert!(matches!(
        reader.read_message(open.as_bytes()),
        Ok(FrameEvent::Open(_))
    ));
    match reader.read_message(message.as_bytes()) {
        Ok(FrameEvent::Element(element)) => element,
        other => panic!("{message} is not one element: {other:?}"),
    }
}
