//! A malformed IQ request (RFC 6120 §8.2.3: a get or set has exactly one
//! payload): the client answers the error RFC 6120 §8.3 names, reports a
//! diagnostic, and the session goes on.

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
use stanzio_stream::ClientEvent;

#[test]
fn an_invalid_iq_get_is_answered_with_an_error_and_the_session_goes_on() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.inject("<iq type='get' id='bad1' from='localhost' to='alice@localhost/smoke'/>");
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    assert!(
        harness
            .events
            .iter()
            .any(|e| matches!(e, ClientEvent::InvalidStanza(_))),
        "{:#?}",
        harness.events
    );
    let reply = harness.server.received.last().expect("an error reply");
    assert!(reply.starts_with("<iq"), "{reply}");
    assert!(reply.contains("type='error'"), "{reply}");
    assert!(reply.contains("id='bad1'"), "{reply}");
    assert!(reply.contains("to='localhost'"), "{reply}");
    assert!(reply.contains("<bad-request"), "{reply}");
    // Still up: the next stanza arrives as usual.
    harness.inject(
        "<message from='bob@localhost/x' type='chat' id='m1'><body>still here</body></message>",
    );
    assert_eq!(harness.stanzas().len(), 1, "{:#?}", harness.events);
    assert!(harness.client.is_online());
}

#[test]
fn an_invalid_iq_result_is_reported_without_a_reply() {
    // RFC 6120 §8.3.1: errors are never answered for a result or error.
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    let received = harness.server.received.len();
    harness.inject("<iq type='result' from='localhost'/>");
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    assert!(
        harness
            .events
            .iter()
            .any(|e| matches!(e, ClientEvent::InvalidStanza(_))),
        "{:#?}",
        harness.events
    );
    assert_eq!(harness.server.received.len(), received);
}
