//! Nothing is lost silently: when a connection ends, every stanza the
//! application gave it that may not have reached the server comes back in
//! one `Undelivered` event, unless a resumable session keeps it for
//! `take_resumption`.
// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Dir, Harness, Shape, client_config};
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::{ClientEvent, ConnectionError};

fn chat(id: &str) -> Message {
    Message::chat("bob@localhost".parse().unwrap(), id).with_id(id)
}

/// The ids of the `Undelivered` events, and whether `Disconnected`
/// followed right after.
fn undelivered(harness: &Harness) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (n, event) in harness.events.iter().enumerate() {
        if let ClientEvent::Undelivered { stanzas } = event {
            assert!(
                matches!(
                    harness.events.get(n + 1),
                    Some(ClientEvent::Disconnected(_))
                ),
                "{:#?}",
                harness.events
            );
            found.push(
                stanzas
                    .iter()
                    .filter_map(Stanza::id)
                    .map(str::to_owned)
                    .collect(),
            );
        }
    }
    found
}

#[test]
fn stanzas_queued_before_a_failed_login_are_handed_back() {
    let mut harness = Harness::new(client_config(1), Shape::prosody());
    harness.client.send(chat("q1")).unwrap();
    harness.client.send(chat("q2")).unwrap();
    let starttls = harness.server.shape.features_plain.clone();
    harness.tamper = Some(Box::new(move |dir, bytes| {
        if dir == Dir::ToClient {
            *bytes = String::from_utf8_lossy(bytes)
                .replace(&starttls, "")
                .into_bytes();
        }
    }));
    harness.drive();
    assert_eq!(
        harness.disconnect_error(),
        Some(&ConnectionError::TlsNotOffered)
    );
    assert_eq!(undelivered(&harness), [["q1", "q2"]]);
}

#[test]
fn unacked_stanzas_of_a_session_without_resumption_are_handed_back() {
    let mut harness = Harness::new(client_config(1), Shape::prosody());
    harness.server.enabled = Some("<enabled xmlns='urn:xmpp:sm:3'/>".into());
    harness.server.answers_ack_requests = false;
    harness.drive();
    assert_eq!(harness.client.stream_management(), Some((false, 0)));
    harness.client.send(chat("m1")).unwrap();
    harness.client.send(chat("m2")).unwrap();
    harness.drive();
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='1'/>");
    harness.client.handle_transport_closed(harness.now);
    harness.drive();
    assert_eq!(undelivered(&harness), [["m2"]]);
    assert!(harness.client.take_resumption().is_none());
}

#[test]
fn a_clean_close_hands_back_what_the_server_never_acknowledged() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.server.answers_ack_requests = false;
    harness.client.send(chat("m1")).unwrap();
    harness.drive();
    harness.client.close();
    harness.drive();
    assert!(matches!(
        harness.events.last(),
        Some(ClientEvent::Disconnected(None))
    ));
    assert_eq!(undelivered(&harness), [["m1"]]);
    assert!(harness.client.take_resumption().is_none());
}

#[test]
fn a_resumable_session_keeps_its_unacked_stanzas_for_resumption() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.server.answers_ack_requests = false;
    harness.client.send(chat("m1")).unwrap();
    harness.drive();
    harness.client.handle_transport_closed(harness.now);
    harness.drive();
    assert!(undelivered(&harness).is_empty(), "{:#?}", harness.events);
    let state = harness.client.take_resumption().unwrap();
    assert_eq!(state.unacked.len(), 1);
}

#[test]
fn a_session_without_stream_management_hands_back_only_what_it_never_sent() {
    let mut harness = Harness::new(
        client_config(1).with_stream_management(None),
        Shape::prosody(),
    );
    harness.drive();
    harness.client.send(chat("m1")).unwrap();
    harness.drive();
    harness.client.handle_transport_closed(harness.now);
    harness.drive();
    // Written to the transport, and nothing can tell what became of it.
    assert!(undelivered(&harness).is_empty(), "{:#?}", harness.events);
}
