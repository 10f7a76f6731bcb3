//! A stanza in `jabber:server` on a client stream (RFC 6120 §4.9.3.10):
//! not a stanza of this stream at all, so the stream ends with
//! `invalid-namespace` instead of the stanza reaching the application.

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

#[test]
fn a_jabber_server_stanza_on_a_client_stream_is_invalid_namespace() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.inject("<message xmlns='jabber:server' from='bob@localhost/x' to='alice@localhost/smoke' type='chat'><body>hi</body></message>");
    assert!(
        matches!(
            harness.disconnect_error(),
            Some(ConnectionError::Unexpected { name, ns, .. }) if name == "message" && ns == "jabber:server"
        ),
        "{:#?}",
        harness.events
    );
    assert!(harness.stanzas().is_empty());
    assert_eq!(harness.server.stream_errors.len(), 1);
    assert!(
        harness.server.stream_errors[0].contains("<invalid-namespace"),
        "{:?}",
        harness.server.stream_errors
    );
    assert!(harness.server.closed);
}
