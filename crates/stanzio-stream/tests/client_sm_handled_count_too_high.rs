//! An `<a h/>` acknowledging more stanzas than the client sent (XEP-0198
//! §6): the stream ends with `undefined-condition` and
//! `<handled-count-too-high/>`, and the application learns the figures.

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
use stanzio_stream::{ConnectionError, HandledCountTooHigh};

#[test]
fn an_ack_above_what_was_sent_is_a_stream_error() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.server.answers_ack_requests = false;
    for n in 0..2 {
        harness
            .client
            .send(Message::chat(
                "bob@localhost".parse().unwrap(),
                format!("m{n}"),
            ))
            .unwrap();
    }
    harness.drive();
    assert_eq!(harness.client.stream_management(), Some((true, 2)));
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='3'/>");
    assert_eq!(
        harness.disconnect_error(),
        Some(&ConnectionError::HandledCountTooHigh(HandledCountTooHigh {
            h: 3,
            send_count: 2
        }))
    );
    assert_eq!(
        harness.server.stream_errors.len(),
        1,
        "{:?}",
        harness.server.stream_errors
    );
    let error = &harness.server.stream_errors[0];
    assert!(error.contains("<undefined-condition"), "{error}");
    assert!(
        error.contains("<handled-count-too-high xmlns='urn:xmpp:sm:3' h='3' send-count='2'/>"),
        "{error}"
    );
    assert!(harness.server.closed);
    // Resumption stays possible: the two stanzas are still unacknowledged.
    let state = harness
        .client
        .take_resumption()
        .expect("a resumable session");
    assert_eq!(state.unacked.len(), 2);
}

#[test]
fn an_ack_of_exactly_what_was_sent_is_fine() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.server.answers_ack_requests = false;
    harness
        .client
        .send(Message::chat("bob@localhost".parse().unwrap(), "m"))
        .unwrap();
    harness.drive();
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='1'/>");
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    assert_eq!(harness.client.stream_management(), Some((true, 0)));
}
