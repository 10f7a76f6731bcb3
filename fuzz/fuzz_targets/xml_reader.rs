//! Arbitrary bytes after a stream header, read whole and split at a point
//! the input chooses: never a panic, and both readings agree. The same
//! bytes as one WebSocket message must not panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stanzio_xml::{ContentNamespace, FrameReader, Limits, StreamReader};

const OPEN: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

fn read(input: &[u8], split: usize) -> Vec<String> {
    let limits = Limits::default().with_max_element_bytes(4096);
    let mut reader = StreamReader::new(limits);
    let mut seen = Vec::new();
    let (a, b) = input.split_at(split.min(input.len()));
    for piece in [a, b] {
        let mut piece = piece;
        loop {
            match reader.read(&mut piece) {
                Ok(Some(event)) => seen.push(format!("{event:?}")),
                Ok(None) => break,
                Err(error) => {
                    seen.push(format!("error {error:?}"));
                    return seen;
                }
            }
        }
    }
    seen
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, body)) = data.split_first() else {
        return;
    };
    let mut input = OPEN.to_vec();
    input.extend_from_slice(body);
    let split = OPEN.len() + usize::from(split) * body.len() / 256;
    assert_eq!(read(&input, input.len()), read(&input, split));
    let _ = FrameReader::new(Limits::default(), ContentNamespace::Client).read_message(body);
});
