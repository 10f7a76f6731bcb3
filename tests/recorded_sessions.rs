//! Real wire data: both directions of two accounts' sessions with Prosody
//! 0.12 and ejabberd 23.01 (captured after TLS by slixmpp), read in any
//! split, across the STARTTLS and SASL restarts; every stanza types, and
//! written back it reads as the same value.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use stanzio_stanza::{Stanza, StreamContext};
use stanzio_xml::{ContentNamespace, Element, Limits, StreamEvent, StreamReader, StreamWriter};

const NS_TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
const NS_SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";

const SESSIONS: &[(&str, &[u8])] = &[
    (
        "prosody alice s2c",
        include_bytes!("data/prosody-alice-s2c.xml"),
    ),
    (
        "prosody alice c2s",
        include_bytes!("data/prosody-alice-c2s.xml"),
    ),
    (
        "prosody bob s2c",
        include_bytes!("data/prosody-bob-s2c.xml"),
    ),
    (
        "prosody bob c2s",
        include_bytes!("data/prosody-bob-c2s.xml"),
    ),
    (
        "ejabberd alice s2c",
        include_bytes!("data/ejabberd-alice-s2c.xml"),
    ),
    (
        "ejabberd alice c2s",
        include_bytes!("data/ejabberd-alice-c2s.xml"),
    ),
    (
        "ejabberd bob s2c",
        include_bytes!("data/ejabberd-bob-s2c.xml"),
    ),
    (
        "ejabberd bob c2s",
        include_bytes!("data/ejabberd-bob-c2s.xml"),
    ),
];

#[derive(Debug, PartialEq)]
enum Seen {
    Header(Option<String>),
    Stanza(Box<Stanza>),
    Nonza(Element),
    End,
}

/// Whether the stream restarts after `element`, as the reader of that
/// direction sees it: a client after `<proceed/>` and SASL `<success/>`, a
/// server after `<starttls/>` and the last SASL `<response/>` (these
/// sessions use SCRAM, whose success follows the second response).
fn restarts_after(element: &Element) -> bool {
    element.is("proceed", NS_TLS)
        || element.is("success", NS_SASL)
        || element.is("starttls", NS_TLS)
        || element.is("response", NS_SASL)
}

/// Reads a recorded stream in `chunk`-byte pieces, restarting where the
/// protocol does (the recording was taken after TLS, so the bytes after the
/// STARTTLS exchange are the new stream).
fn read(bytes: &[u8], chunk: usize) -> Vec<Seen> {
    let mut reader = StreamReader::new(Limits::default());
    let mut seen = Vec::new();
    let mut ctx = StreamContext::new(ContentNamespace::Client);
    for piece in bytes.chunks(chunk) {
        let mut piece = piece;
        while let Some(event) = reader.read(&mut piece).expect("recorded stream reads") {
            match event {
                StreamEvent::Header(header) => {
                    ctx = StreamContext::from_header(&header, ContentNamespace::Client);
                    seen.push(Seen::Header(header.id));
                }
                StreamEvent::Element(element) => {
                    let restart = restarts_after(&element);
                    match Stanza::from_element(&element, &ctx) {
                        Ok(stanza) => seen.push(Seen::Stanza(Box::new(stanza))),
                        Err(_) => seen.push(Seen::Nonza(element)),
                    }
                    if restart {
                        reader.restart();
                    }
                }
                StreamEvent::End => seen.push(Seen::End),
                _ => {}
            }
        }
    }
    reader.eof().expect("recorded stream ends cleanly");
    seen
}

#[test]
fn every_recorded_stream_reads_the_same_in_any_split() {
    for (name, bytes) in SESSIONS {
        let whole = read(bytes, bytes.len());
        for chunk in [1, 2, 3, 7, 64, 1000] {
            assert_eq!(read(bytes, chunk), whole, "{name} in {chunk}-byte pieces");
        }
        let headers = whole
            .iter()
            .filter(|s| matches!(s, Seen::Header(_)))
            .count();
        assert_eq!(headers, 3, "{name}: initial, after STARTTLS, after SASL");
        assert_eq!(whole.last(), Some(&Seen::End), "{name}");
    }
}

#[test]
fn every_recorded_stanza_types_and_survives_a_round_trip() {
    let writer = StreamWriter::new(ContentNamespace::Client);
    let mut total = 0;
    for (name, bytes) in SESSIONS {
        for seen in read(bytes, bytes.len()) {
            let Seen::Stanza(stanza) = seen else { continue };
            total += 1;
            let mut out = Vec::new();
            let mut w = writer.element(&mut out);
            stanza.write_to(&mut w);
            w.finish().unwrap();
            let mut stream = b"<stream:stream xmlns='jabber:client' \
                xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en'>"
                .to_vec();
            stream.extend_from_slice(&out);
            stream.extend_from_slice(b"</stream:stream>");
            let again = read(&stream, stream.len());
            assert_eq!(
                again.get(1),
                Some(&Seen::Stanza(stanza)),
                "{name}: {}",
                String::from_utf8_lossy(&out)
            );
        }
    }
    // 95 `<iq>`, `<message>` and `<presence>` elements stand in the eight
    // recordings (counted with grep); one that failed to type would show up
    // as a nonza and lower the count.
    assert_eq!(total, 95);
}

#[test]
fn nonzas_are_the_negotiation_elements() {
    for (name, bytes) in SESSIONS {
        for seen in read(bytes, bytes.len()) {
            let Seen::Nonza(element) = seen else { continue };
            assert!(
                matches!(
                    element.name(),
                    "features"
                        | "starttls"
                        | "proceed"
                        | "auth"
                        | "challenge"
                        | "response"
                        | "success"
                ),
                "{name}: unexpected top-level element {element:?}"
            );
        }
    }
}
