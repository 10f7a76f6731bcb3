//! Arbitrary bytes after a client stream header: every top-level element
//! goes through `Nonza::from_element` without panicking, errors say how to
//! answer them, and every element that reads as a nonza is written, read
//! and parsed again, and must come back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stanzio_stream::elements::Nonza;
use stanzio_xml::{ContentNamespace, Element, Limits, StreamEvent, StreamReader, StreamWriter};

const OPEN: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

fn elements(input: &[u8]) -> Vec<Element> {
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

fuzz_target!(|data: &[u8]| {
    let mut stream = OPEN.to_vec();
    stream.extend_from_slice(data);
    for element in elements(&stream) {
        let nonza = match Nonza::from_element(element.root()) {
            None => continue,
            Some(Err(error)) => {
                let _ = (
                    error.stream_condition(),
                    error.sasl_failure(),
                    error.to_string(),
                );
                continue;
            }
            Some(Ok(nonza)) => nonza,
        };
        let mut written = OPEN.to_vec();
        let mut w = StreamWriter::new(ContentNamespace::Client).element(&mut written);
        nonza.write_to(&mut w);
        w.finish().expect("a nonza read from the wire is writable");
        let again = elements(&written);
        assert_eq!(again.len(), 1, "one element written");
        assert_eq!(
            Nonza::from_element(again[0].root()),
            Some(Ok(nonza)),
            "{}",
            String::from_utf8_lossy(&written)
        );
    }
});
