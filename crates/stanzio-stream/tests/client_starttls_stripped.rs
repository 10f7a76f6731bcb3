//! STARTTLS stripped by whoever sits on the path (RFC 6120 §5.3.1, RFC 7590
//! §3.1): the client refuses to go on in the clear, and neither a SASL
//! exchange nor anything naming the account ever leaves it.

// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Dir, Harness, PASSWORD, Shape, client_config};
use stanzio_stream::ConnectionError;

fn stripped(shape: Shape) -> Harness {
    let starttls = shape.features_plain.clone();
    let mut harness = Harness::new(client_config(1), shape);
    harness.tamper = Some(Box::new(move |dir, bytes| {
        if dir == Dir::ToClient {
            let text = String::from_utf8_lossy(bytes).replace(&starttls, "");
            *bytes = text.into_bytes();
        }
    }));
    harness.drive();
    harness
}

#[test]
fn features_without_starttls_end_the_connection_before_any_credential() {
    for shape in [Shape::prosody(), Shape::ejabberd()] {
        let harness = stripped(shape);
        assert_eq!(
            harness.disconnect_error(),
            Some(&ConnectionError::TlsNotOffered)
        );
        assert!(harness.client.is_closed());
        let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
        // Nothing of SASL, nothing of the account: the header has no
        // `from` before TLS (RFC 6120 §4.7.1).
        assert!(!wrote.contains("<auth"), "{wrote}");
        assert!(!wrote.contains("alice"), "{wrote}");
        assert!(!wrote.contains(PASSWORD), "{wrote}");
        assert!(!wrote.contains("<starttls"), "{wrote}");
        // The stream ends politely with the reason.
        assert!(wrote.contains("<policy-violation"), "{wrote}");
        assert!(wrote.ends_with("</stream:stream>"), "{wrote}");
        assert_eq!(harness.server.stream_errors.len(), 1);
        assert!(harness.server.auths.is_empty());
    }
}
