//! XEP-0478 stream limits: a stanza larger than the server's advertised
//! `max-bytes` is refused as a caller error and nothing is written.

// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Harness, Shape, client_config};
use stanzio_stanza::Message;
use stanzio_stream::{ClientEvent, SendError};

fn limited() -> Shape {
    let mut shape = Shape::prosody();
    shape
        .features_authenticated
        .push_str("<limits xmlns='urn:xmpp:stream-limits:0'><max-bytes>1000</max-bytes><idle-seconds>600</idle-seconds></limits>");
    shape
}

fn message(body_len: usize) -> Message {
    Message::chat("bob@localhost".parse().unwrap(), "x".repeat(body_len))
}

#[test]
fn a_stanza_over_max_bytes_is_refused_and_nothing_is_written() {
    let mut harness = Harness::online(client_config(1), limited());
    harness.server.answers_ack_requests = false;
    let wrote = harness.client_wrote.len();
    match harness.client.send(message(2000)) {
        Err(SendError::TooLarge { size, limit: 1000 }) => assert!(size > 2000, "{size}"),
        other => panic!("{other:?}"),
    }
    harness.drive();
    assert_eq!(harness.client_wrote.len(), wrote);
    assert_eq!(harness.client.stream_management(), Some((true, 0)));
    // Just below the limit goes out, and counts.
    harness.client.send(message(900)).unwrap();
    harness.drive();
    assert_eq!(harness.server.received.len(), 1);
    assert_eq!(harness.client.stream_management(), Some((true, 1)));
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='1'/>");
    assert!(!harness.disconnected(), "{:#?}", harness.events);
}

#[test]
fn a_large_stanza_queued_before_the_limits_were_known_is_reported() {
    let mut harness = Harness::new(client_config(1), limited());
    harness.client.send(message(2000)).unwrap();
    harness.client.send(message(10)).unwrap();
    harness.drive();
    assert!(harness.is_online());
    assert!(harness.events.iter().any(|e| matches!(
        e,
        ClientEvent::Refused {
            error: SendError::TooLarge { limit: 1000, .. }
        }
    )));
    assert_eq!(harness.server.received.len(), 1);
}

#[test]
fn without_limits_the_same_stanza_goes_out() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.client.send(message(2000)).unwrap();
    harness.drive();
    assert_eq!(harness.server.received.len(), 1);
}
