//! Bytes after `<proceed/>` and before the TLS handshake come from whoever
//! sits on the path, never from the server (RFC 6120 §5.4.3.3: the next
//! bytes are the TLS handshake). Whether they share `<proceed/>`'s chunk or
//! come in the next one, the connection ends without reading them, and no
//! TLS upgrade is asked for on the dead connection.

// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Dir, Harness, Shape, Split, client_config};
use stanzio_stream::{ClientEvent, ConnectionError};

const INJECTED: &str = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";

fn injecting_after_proceed() -> common::Tamper {
    Box::new(|dir, bytes| {
        let proceed: &[u8] = b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
        if dir == Dir::ToClient && bytes.as_slice() == proceed {
            bytes.extend_from_slice(INJECTED.as_bytes());
        }
    })
}

#[test]
fn plaintext_in_the_same_chunk_as_proceed_ends_the_connection() {
    for split in [Split::Whole, Split::Pieces(vec![2000])] {
        let mut harness = Harness::new(client_config(1), Shape::prosody());
        harness.split = split;
        harness.tamper = Some(injecting_after_proceed());
        harness.drive();
        assert_eq!(
            harness.disconnect_error(),
            Some(&ConnectionError::PlaintextAfterProceed(INJECTED.len()))
        );
        // The adapter is not told to start TLS on a connection that is over.
        assert!(
            !harness
                .events
                .iter()
                .any(|e| matches!(e, ClientEvent::StartTls)),
            "{:#?}",
            harness.events
        );
        assert!(harness.client.tls().is_none());
        let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
        assert!(!wrote.contains("<auth"), "{wrote}");
    }
}

#[test]
fn plaintext_in_a_later_chunk_before_the_handshake_ends_the_connection() {
    // <proceed/> arrives alone; the test plays the adapter, which has not
    // finished the TLS handshake when the next bytes come in the clear.
    let mut harness = Harness::new(client_config(1), Shape::prosody());
    harness.auto_tls = false;
    harness.drive();
    assert!(
        matches!(harness.events.last(), Some(ClientEvent::StartTls)),
        "{:#?}",
        harness.events
    );
    let error = harness
        .client
        .handle_input(harness.now, INJECTED.as_bytes())
        .expect_err("plaintext before the TLS session");
    assert_eq!(
        error,
        ConnectionError::PlaintextAfterProceed(INJECTED.len())
    );
    assert!(harness.client.is_closed());
    // The error is sticky, and the late TLS session changes nothing.
    assert_eq!(
        harness.client.handle_input(harness.now, b" "),
        Err(ConnectionError::PlaintextAfterProceed(INJECTED.len()))
    );
    assert!(
        harness
            .client
            .tls_established(harness.now, common::tls13())
            .is_err()
    );
    let mut buf = Vec::new();
    assert_eq!(
        harness.client.poll_transmit(&mut buf),
        None,
        "nothing more is written"
    );
}
