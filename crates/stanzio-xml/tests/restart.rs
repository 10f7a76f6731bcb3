//! STARTTLS and SASL restarts: the reader stops right after the element
//! that changes the stream and says which bytes are left.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::OPEN;
use stanzio_xml::{Limits, StreamEvent, StreamReader};

fn read_until_element(reader: &mut StreamReader, input: &mut &[u8]) -> StreamEvent {
    loop {
        match reader.read(input).unwrap() {
            Some(StreamEvent::Element(e)) => return StreamEvent::Element(e),
            Some(_) => continue,
            None => panic!("no element"),
        }
    }
}

#[test]
fn bytes_after_proceed_are_left_unconsumed() {
    // A man in the middle may append cleartext after <proceed/>: the caller
    // must see it instead of it being parsed as part of the TLS stream.
    let input = format!(
        "{OPEN}<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message>injected</message>"
    );
    for split in 1..input.len() {
        let (a, b) = input.as_bytes().split_at(split);
        let mut reader = StreamReader::new(Limits::default());
        let mut proceed = None;
        let mut left = Vec::new();
        for piece in [a, b] {
            let mut piece = piece;
            if proceed.is_some() {
                left.extend_from_slice(piece);
                continue;
            }
            while let Some(event) = reader.read(&mut piece).unwrap() {
                if let StreamEvent::Element(e) = event {
                    assert_eq!(e.name(), "proceed");
                    proceed = Some(e);
                    break;
                }
            }
            if proceed.is_some() {
                left.extend_from_slice(piece);
            }
        }
        assert!(proceed.is_some(), "split {split}");
        assert_eq!(left, b"<message>injected</message>", "split {split}");
    }
}

#[test]
fn restart_after_sasl_success_reads_the_new_stream() {
    let input = format!(
        "{OPEN}<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>\n{}<iq type='result' id='b'/>",
        OPEN.replace("to='example.com'", "to='other.example'")
    );
    let mut reader = StreamReader::new(Limits::default());
    let mut bytes = input.as_bytes();
    let StreamEvent::Element(success) = read_until_element(&mut reader, &mut bytes) else {
        unreachable!()
    };
    assert_eq!(success.ns(), "urn:ietf:params:xml:ns:xmpp-sasl");
    reader.restart();
    let Some(StreamEvent::Header(header)) = reader.read(&mut bytes).unwrap() else {
        panic!("expected a new header")
    };
    assert_eq!(header.to.as_deref(), Some("other.example"));
    let StreamEvent::Element(iq) = read_until_element(&mut reader, &mut bytes) else {
        unreachable!()
    };
    assert_eq!(iq.attr("id"), Some("b"));
    assert!(bytes.is_empty());
}

#[test]
fn without_restart_a_second_header_is_an_element_error() {
    // The new header inside the old stream is just an unclosed element.
    let input = format!("{OPEN}{OPEN}");
    let mut reader = StreamReader::new(Limits::default());
    let mut bytes = input.as_bytes();
    assert!(matches!(
        reader.read(&mut bytes),
        Ok(Some(StreamEvent::Header(_)))
    ));
    assert_eq!(reader.read(&mut bytes), Ok(None));
    assert!(reader.eof().is_err());
}

#[test]
fn a_restarted_stream_may_begin_with_an_xml_declaration() {
    let input = format!(
        "{OPEN}<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><?xml version='1.0' standalone='yes'?>{OPEN}"
    );
    let mut reader = StreamReader::new(Limits::default());
    let mut bytes = input.as_bytes();
    read_until_element(&mut reader, &mut bytes);
    reader.restart();
    assert!(matches!(
        reader.read(&mut bytes),
        Ok(Some(StreamEvent::Header(_)))
    ));
}
