//! Helpers shared by the reader tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(dead_code)] // each test file uses part of this

use stanzio_xml::{Limits, ReadError, StreamEvent, StreamReader};

/// A client stream header.
pub const OPEN: &str = "<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

/// Reads everything in `input` with `chunk`-byte pieces; the events until the
/// first error, and that error.
pub fn read_chunked(
    limits: Limits,
    input: &[u8],
    chunk: usize,
) -> (Vec<StreamEvent>, Option<ReadError>) {
    let mut reader = StreamReader::new(limits);
    let mut events = Vec::new();
    for piece in input.chunks(chunk.max(1)) {
        let mut piece = piece;
        loop {
            match reader.read(&mut piece) {
                Ok(Some(event)) => events.push(event),
                Ok(None) => break,
                Err(e) => return (events, Some(e)),
            }
        }
        assert!(
            piece.is_empty(),
            "Ok(None) must mean all input was consumed"
        );
    }
    (events, None)
}

/// Reads `input` in one piece and in one-byte pieces, checks both agree,
/// and returns the result.
pub fn read_all(input: &[u8]) -> (Vec<StreamEvent>, Option<ReadError>) {
    read_with(Limits::default(), input)
}

/// [`read_all`] with these limits.
pub fn read_with(limits: Limits, input: &[u8]) -> (Vec<StreamEvent>, Option<ReadError>) {
    let whole = read_chunked(limits, input, input.len());
    let bytewise = read_chunked(limits, input, 1);
    assert_eq!(whole, bytewise, "one-byte splits must give the same events");
    whole
}

/// The error reading `OPEN` followed by `body` ends with.
pub fn error_after_open(body: &str) -> ReadError {
    let input = format!("{OPEN}{body}");
    let (events, error) = read_all(input.as_bytes());
    assert!(
        matches!(events.first(), Some(StreamEvent::Header(_))),
        "{events:?}"
    );
    error.unwrap_or_else(|| panic!("no error for {body:?}; events {events:?}"))
}
