//! A bind result whose JID does not parse (RFC 6120 §7.6.1, RFC 7622): the
//! client cannot know its address, so it ends the stream with an error and
//! never reports itself online.

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
use stanzio_stream::ConnectionError;
use stanzio_stream::elements::ElementError;

#[test]
fn a_bound_jid_that_does_not_parse_ends_the_connection() {
    for shape in [Shape::prosody(), Shape::ejabberd()] {
        let mut harness = Harness::new(client_config(1), shape);
        harness.server.bound_jid = "@@bad".into();
        harness.drive();
        assert!(
            matches!(
                harness.disconnect_error(),
                Some(ConnectionError::Malformed(ElementError::InvalidJid { value, .. })) if value == "@@bad"
            ),
            "{:#?}",
            harness.events
        );
        assert!(!harness.is_online());
        assert!(harness.client.is_closed());
        assert_eq!(harness.client.jid(), None);
        // The server is told why, and the stream is closed.
        assert_eq!(harness.server.stream_errors.len(), 1);
        assert!(harness.server.stream_errors[0].contains("<undefined-condition"));
        assert!(harness.server.closed);
        // Nothing after the bind request: no SM, no stanza.
        let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
        assert!(!wrote.contains("<enable"), "{wrote}");
    }
}

#[test]
fn a_bare_bound_jid_is_refused_too() {
    // RFC 6120 §7.6.1: the result is a full JID.
    let mut harness = Harness::new(client_config(1), Shape::prosody());
    harness.server.bound_jid = "alice@localhost".into();
    harness.drive();
    assert!(
        matches!(
            harness.disconnect_error(),
            Some(ConnectionError::Malformed(ElementError::InvalidJid { .. }))
        ),
        "{:#?}",
        harness.events
    );
    assert!(!harness.is_online());
}
