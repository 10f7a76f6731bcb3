//! The stream-management queue is bounded (XEP-0198 §4: sent stanzas are
//! kept until acknowledged): one more than `max_unacked` is a caller
//! error, `SendError::QueueFull`, that changes nothing; acks make room.

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
use stanzio_stream::{SendError, SmPolicy};

fn chat(n: usize) -> Message {
    Message::chat("bob@localhost".parse().unwrap(), format!("m{n}"))
}

#[test]
fn a_full_unacked_queue_refuses_without_changing_anything() {
    let mut policy = SmPolicy::default();
    policy.max_unacked = 3;
    policy.ack_every = 100;
    let mut harness = Harness::online(
        client_config(1).with_stream_management(Some(policy)),
        Shape::prosody(),
    );
    harness.server.answers_ack_requests = false;
    for n in 0..3 {
        harness.client.send(chat(n)).unwrap();
    }
    harness.drive();
    let wrote = harness.client_wrote.len();
    let deadline = harness.client.poll_timeout();
    assert_eq!(harness.client.send(chat(3)), Err(SendError::QueueFull));
    harness.drive();
    assert_eq!(harness.client_wrote.len(), wrote, "nothing written");
    assert_eq!(harness.client.stream_management(), Some((true, 3)));
    assert_eq!(harness.client.poll_timeout(), deadline);
    assert_eq!(harness.server.received.len(), 3);
    assert!(harness.events.is_empty(), "{:#?}", harness.events);
    // An ack makes room; the refused stanza was not counted, so the
    // server's count matches.
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='3'/>");
    harness.client.send(chat(3)).unwrap();
    harness.drive();
    assert_eq!(harness.server.received.len(), 4);
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='4'/>");
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    assert_eq!(harness.client.stream_management(), Some((true, 0)));
}

#[test]
fn stanzas_queued_before_online_are_bounded_too() {
    let mut policy = SmPolicy::default();
    policy.max_unacked = 2;
    let mut harness = Harness::new(
        client_config(1).with_stream_management(Some(policy)),
        Shape::prosody(),
    );
    harness.client.send(chat(0)).unwrap();
    harness.client.send(chat(1)).unwrap();
    assert_eq!(harness.client.send(chat(2)), Err(SendError::QueueFull));
    harness.drive();
    assert!(harness.is_online());
    assert_eq!(harness.server.received.len(), 2);
}
