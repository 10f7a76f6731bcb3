//! Arbitrary bytes after a stream header: every element the reader yields
//! is parsed as a stanza without panicking; a stanza that parses is
//! written, read and parsed again, and must come back equal. Error replies
//! must be writable stanzas too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stanzio_stanza::{Stanza, StreamContext};
use stanzio_xml::{ContentNamespace, Limits, StreamEvent, StreamReader, StreamWriter};

const OPEN: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en'>";

fn elements(input: &[u8]) -> Vec<stanzio_xml::Element> {
    let mut reader = StreamReader::new(Limits::default().with_max_element_bytes(8192));
    let mut input = input;
    let mut found = Vec::new();
    while let Ok(Some(event)) = reader.read(&mut input) {
        if let StreamEvent::Element(element) = event {
            found.push(element);
        }
    }
    found
}

/// The stream `OPEN` opens.
fn context() -> StreamContext {
    StreamContext::new(ContentNamespace::Client).with_lang("en")
}

fn reparse(stanza: &Stanza) -> Stanza {
    let mut stream = OPEN.to_vec();
    let mut w = StreamWriter::new(ContentNamespace::Client).element(&mut stream);
    stanza.write_to(&mut w);
    w.finish().expect("a parsed stanza is writable");
    let again = elements(&stream);
    assert_eq!(again.len(), 1, "one stanza written");
    Stanza::from_element(&again[0], &context()).expect("a written stanza parses")
}

/// `stanza` as a stream with `OPEN`'s `xml:lang` reads it back: a stanza
/// built without a language (an error reply) inherits the stream's
/// (RFC 6120 §4.7.4).
fn inheriting(mut stanza: Stanza) -> Stanza {
    let lang = match &mut stanza {
        Stanza::Message(message) => &mut message.lang,
        Stanza::Presence(presence) => &mut presence.lang,
        Stanza::Iq(iq) => &mut iq.lang,
    };
    lang.get_or_insert_with(|| "en".into());
    stanza
}

fuzz_target!(|data: &[u8]| {
    let mut stream = OPEN.to_vec();
    stream.extend_from_slice(data);
    for element in elements(&stream) {
        match Stanza::from_element(&element, &context()) {
            Ok(stanza) => assert_eq!(reparse(&stanza), stanza),
            Err(error) => {
                if let Some(reply) = error.error_reply() {
                    assert_eq!(reparse(&reply), inheriting(reply));
                }
            }
        }
    }
});
