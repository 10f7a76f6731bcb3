//! The resumption state survives a process restart (feature `serde`):
//! serialized and read back it is the same value, and a connection built
//! from it resumes.

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
use stanzio_stream::{ClientEvent, ResumptionState};

#[test]
fn resumption_state_round_trips_through_json_and_resumes() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.server.answers_ack_requests = false;
    harness
        .client
        .send(Message::chat("bob@localhost".parse().unwrap(), "ünïcode & <xml>").with_id("m1"))
        .unwrap();
    harness.drive();
    harness.client.handle_transport_closed(harness.now);
    let state = harness.client.take_resumption().expect("resumable");
    let json = serde_json::to_string(&state).unwrap();
    let back: ResumptionState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, state);

    let mut harness = Harness::new(client_config(2).with_resumption(back), Shape::prosody());
    harness.server.resume_answer =
        Some("<resumed xmlns='urn:xmpp:sm:3' previd='c20tMQ==' h='0'/>".into());
    harness.drive();
    assert!(
        harness
            .events
            .iter()
            .any(|e| matches!(e, ClientEvent::Online { resumed: true, .. }))
    );
    assert_eq!(harness.server.received.len(), 1);
    assert!(
        harness.server.received[0].contains("ünïcode &amp; &lt;xml&gt;"),
        "{:?}",
        harness.server.received
    );
}

#[test]
fn a_stored_state_with_a_broken_stanza_is_refused() {
    let json = r#"{"id":"x","location":null,"jid":"alice@localhost/smoke","handled":0,"sent":1,"acked":0,"unacked":["<message><body>"]}"#;
    assert!(serde_json::from_str::<ResumptionState>(json).is_err());
}
