//! A MITM removes a mechanism from the server's list so that the client
//! picks a weaker one; the server's XEP-0474 `h` (a hash of the list it
//! really sent) gives it away and the client aborts before its proof.

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
use stanzio_sasl::ClientError;
use stanzio_stream::ConnectionError;

#[test]
fn a_mechanism_list_altered_on_the_path_is_detected_by_the_xep_0474_hash() {
    let mut shape = Shape::prosody();
    shape.downgrade_protection = true;
    let mut harness = Harness::new(client_config(1), shape);
    harness.tamper = Some(Box::new(|dir, bytes| {
        if dir == Dir::ToClient {
            let text = String::from_utf8_lossy(bytes).replace("<mechanism>PLAIN</mechanism>", "");
            *bytes = text.into_bytes();
        }
    }));
    harness.drive();
    assert!(
        matches!(
            harness.disconnect_error(),
            Some(ConnectionError::Sasl(ClientError::DowngradeDetected { .. }))
        ),
        "{:#?}",
        harness.events
    );
    let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
    // The client-final-message (with the proof) never left; the exchange
    // was aborted (RFC 6120 §6.4.3).
    assert!(!wrote.contains("<response"), "{wrote}");
    assert!(
        wrote.contains("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
        "{wrote}"
    );
    assert!(!harness.is_online());
}

#[test]
fn the_untouched_list_passes_the_same_check() {
    let mut shape = Shape::prosody();
    shape.downgrade_protection = true;
    let mut harness = Harness::new(client_config(1), shape);
    harness.drive();
    assert!(harness.is_online(), "{:#?}", harness.events);
}
