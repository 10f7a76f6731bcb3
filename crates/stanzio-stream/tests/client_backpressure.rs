//! Backpressure: one `handle_input` stops consuming once
//! `max_pending_events` events wait, leaving the rest with the caller, so
//! a flood of tiny stanzas never queues unbounded work and none is lost;
//! output waiting for `poll_transmit` is bounded by `max_pending_output`.

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
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::{ClientEvent, SendError};

const STANZAS: usize = 10_000;
const MAX_EVENTS: usize = 16;

#[test]
fn a_chunk_of_ten_thousand_stanzas_is_consumed_in_bounded_steps_without_loss() {
    let mut harness = Harness::online(
        client_config(1).with_max_pending_events(MAX_EVENTS),
        Shape::prosody(),
    );
    let chunk: String = (0..STANZAS)
        .map(|n| format!("<presence from='bob@localhost/x' id='{n}'/>"))
        .collect();
    let chunk = chunk.as_bytes();
    let mut offset = 0;
    let mut ids = Vec::new();
    let mut calls = 0;
    while offset < chunk.len() {
        let consumed = harness
            .client
            .handle_input(harness.now, &chunk[offset..])
            .unwrap();
        calls += 1;
        offset += consumed;
        let mut pending = 0;
        while let Some(event) = harness.client.poll_event() {
            pending += 1;
            match event {
                ClientEvent::Stanza(Stanza::Presence(presence)) => {
                    ids.push(presence.id.unwrap().to_string());
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(pending <= MAX_EVENTS, "{pending} events queued by one call");
        if offset < chunk.len() {
            assert_eq!(pending, MAX_EVENTS, "stopped early");
        }
    }
    assert!(calls >= STANZAS / MAX_EVENTS, "{calls} calls");
    let expected: Vec<String> = (0..STANZAS).map(|n| n.to_string()).collect();
    assert_eq!(ids, expected);
    // Every one of them was counted for stream management.
    harness.inject("<r xmlns='urn:xmpp:sm:3'/>");
    assert_eq!(harness.server.acks, [STANZAS as u32]);
}

#[test]
fn a_full_event_queue_consumes_nothing_until_drained() {
    let mut harness = Harness::online(
        client_config(1).with_max_pending_events(MAX_EVENTS),
        Shape::prosody(),
    );
    let chunk: String = (0..MAX_EVENTS * 2)
        .map(|n| format!("<presence from='bob@localhost/x' id='{n}'/>"))
        .collect();
    let first = harness
        .client
        .handle_input(harness.now, chunk.as_bytes())
        .unwrap();
    assert!(first < chunk.len());
    // The application does not drain: the peer's next bytes wait.
    assert_eq!(
        harness
            .client
            .handle_input(harness.now, &chunk.as_bytes()[first..])
            .unwrap(),
        0
    );
    while harness.client.poll_event().is_some() {}
    let second = harness
        .client
        .handle_input(harness.now, &chunk.as_bytes()[first..])
        .unwrap();
    assert_eq!(first + second, chunk.len());
}

#[test]
fn output_beyond_max_pending_output_is_refused_until_transmitted() {
    const MAX_OUTPUT: usize = 4096;
    let mut harness = Harness::online(
        client_config(1)
            .with_stream_management(None)
            .with_max_pending_output(MAX_OUTPUT),
        Shape::prosody(),
    );
    let message = || Message::chat("bob@localhost".parse().unwrap(), "y".repeat(100));
    let mut sent = 0;
    let refused = loop {
        match harness.client.send(message()) {
            Ok(()) => sent += 1,
            Err(error) => break error,
        }
        assert!(sent < 1000, "never refused");
    };
    assert_eq!(refused, SendError::QueueFull);
    let mut buf = Vec::new();
    let mut pending = 0;
    while let Some(n) = harness.client.poll_transmit(&mut buf) {
        pending += n;
        harness.server.feed(&buf);
    }
    // At most one stanza beyond the bound.
    assert!(
        (MAX_OUTPUT..MAX_OUTPUT + 200).contains(&pending),
        "{pending}"
    );
    assert_eq!(harness.server.received.len(), sent);
    // Transmitted: room again.
    harness.client.send(message()).unwrap();
}
