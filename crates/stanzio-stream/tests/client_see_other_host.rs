//! `see-other-host` (RFC 6120 §4.9.3.19): the host and port are reported
//! so that the adapter can reconnect there, and the stream is closed.

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
use stanzio_stream::ConnectionError;

const REDIRECT: &str = "<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>[2001:db8::9]:5223</see-other-host></stream:error>";

#[test]
fn see_other_host_on_an_established_session_is_reported_with_host_and_port() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    let mark = harness.client_wrote.len();
    harness.inject(&format!("{REDIRECT}</stream:stream>"));
    assert_eq!(
        harness.disconnect_error(),
        Some(&ConnectionError::SeeOtherHost {
            host: "2001:db8::9".into(),
            port: Some(5223)
        })
    );
    assert_eq!(harness.wrote_since(mark), "</stream:stream>");
    assert!(harness.client.is_closed());
}

#[test]
fn see_other_host_instead_of_the_first_features_is_reported() {
    // Servers redirect right after the header (RFC 6120 §4.9.1.2).
    let mut harness = Harness::new(client_config(1), Shape::ejabberd());
    let features = format!(
        "<stream:features>{}</stream:features>",
        harness.server.shape.features_plain
    );
    let redirect = REDIRECT.replace("[2001:db8::9]:5223", "xmpp.example.net");
    harness.tamper = Some(Box::new(move |dir, bytes| {
        if dir == Dir::ToClient {
            let text = String::from_utf8_lossy(bytes).replace(&features, &redirect);
            *bytes = text.into_bytes();
        }
    }));
    harness.drive();
    assert_eq!(
        harness.disconnect_error(),
        Some(&ConnectionError::SeeOtherHost {
            host: "xmpp.example.net".into(),
            port: None
        })
    );
    let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
    assert!(!wrote.contains("<starttls"), "{wrote}");
    assert!(wrote.ends_with("</stream:stream>"), "{wrote}");
}
