//! `<success/>` whose SCRAM server signature (RFC 5802 §5.1 `v`) is wrong:
//! the peer does not know the password, whatever it claims. The client
//! does not take the success, opens no new stream and never binds.

// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{Dir, Harness, Shape, client_config};
use stanzio_sasl::ClientError;
use stanzio_stream::{ClientEvent, ConnectionError};

fn forge_signature(bytes: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let Some(start) = text.find("<success") else {
        return;
    };
    let open_end = start + text[start..].find('>').unwrap() + 1;
    let close = open_end + text[open_end..].find("</success>").unwrap();
    let forged = BASE64.encode(format!("v={}", BASE64.encode([0x42u8; 20])));
    *bytes = format!("{}{}{}", &text[..open_end], forged, &text[close..]).into_bytes();
}

#[test]
fn a_wrong_server_signature_is_not_a_login() {
    let mut harness = Harness::new(client_config(1), Shape::prosody());
    harness.tamper = Some(Box::new(|dir, bytes| {
        if dir == Dir::ToClient {
            forge_signature(bytes);
        }
    }));
    harness.drive();
    assert!(
        matches!(
            harness.disconnect_error(),
            Some(ConnectionError::Sasl(ClientError::ServerSignatureMismatch))
        ),
        "{:#?}",
        harness.events
    );
    assert!(
        !harness
            .events
            .iter()
            .any(|e| matches!(e, ClientEvent::Authenticated { .. }))
    );
    let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
    // One header before TLS, one after; none after the forged success.
    assert_eq!(wrote.matches("<stream:stream").count(), 2, "{wrote}");
    assert!(!wrote.contains("xmpp-bind"), "{wrote}");
    assert!(wrote.ends_with("</stream:stream>"), "{wrote}");
    assert!(!harness.is_online());
}
