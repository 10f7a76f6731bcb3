//! A server-first-message whose nonce does not extend the client's (RFC
//! 5802 §5.1 `r`): a replayed or forged challenge. The client aborts and
//! sends no proof.

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
use stanzio_stream::ConnectionError;

/// Rewrites `r=` of a SCRAM challenge to a nonce of the attacker's.
fn forge_nonce(bytes: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let Some(start) = text.find("<challenge") else {
        return;
    };
    let open_end = start + text[start..].find('>').unwrap() + 1;
    let close = open_end + text[open_end..].find("</challenge>").unwrap();
    let decoded = BASE64.decode(&text[open_end..close]).unwrap();
    let message = String::from_utf8(decoded).unwrap();
    let forged: Vec<String> = message
        .split(',')
        .map(|part| match part.strip_prefix("r=") {
            Some(_) => "r=attackerchosennonce0123456789".to_owned(),
            None => part.to_owned(),
        })
        .collect();
    let encoded = BASE64.encode(forged.join(","));
    *bytes = format!("{}{}{}", &text[..open_end], encoded, &text[close..]).into_bytes();
}

#[test]
fn a_server_nonce_not_extending_the_client_nonce_aborts_the_exchange() {
    for shape in [Shape::prosody(), Shape::ejabberd()] {
        let mut harness = Harness::new(client_config(1), shape);
        harness.tamper = Some(Box::new(|dir, bytes| {
            if dir == Dir::ToClient {
                forge_nonce(bytes);
            }
        }));
        harness.drive();
        assert_eq!(
            harness.disconnect_error(),
            Some(&ConnectionError::Sasl(ClientError::NonceMismatch)),
            "{:#?}",
            harness.events
        );
        let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
        assert!(!wrote.contains("<response"), "{wrote}");
        assert!(wrote.contains("<abort "), "{wrote}");
        assert!(!harness.is_online());
    }
}
