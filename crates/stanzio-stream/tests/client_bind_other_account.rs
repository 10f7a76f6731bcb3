//! A bind result for another account than the one that authenticated (RFC
//! 6120 §7.6.1: the server binds a resource to *this* account): the client
//! refuses the address instead of speaking as someone else.

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
fn a_jid_of_another_account_is_refused() {
    for bound in ["mallory@localhost/smoke", "alice@evil.example/smoke"] {
        let mut harness = Harness::new(client_config(1), Shape::prosody());
        harness.server.bound_jid = bound.into();
        harness.drive();
        match harness.disconnect_error() {
            Some(ConnectionError::BoundToOtherAccount(jid)) => assert_eq!(jid.as_str(), bound),
            other => panic!("{other:?} {:#?}", harness.events),
        }
        assert!(!harness.is_online());
        assert_eq!(harness.client.jid(), None);
        assert_eq!(harness.server.stream_errors.len(), 1);
        assert!(harness.server.stream_errors[0].contains("<undefined-condition"));
    }
}

#[test]
fn another_resource_of_the_same_account_is_accepted() {
    // RFC 6120 §7.7.2.2: the server may override the requested resource.
    let mut harness = Harness::new(client_config(1), Shape::prosody());
    harness.server.bound_jid = "alice@localhost/server-chosen".into();
    harness.drive();
    assert!(harness.is_online(), "{:#?}", harness.events);
    assert_eq!(
        harness.client.jid().map(|jid| jid.as_str()),
        Some("alice@localhost/server-chosen")
    );
}

fn anonymous_shape() -> Shape {
    let mut shape = Shape::prosody();
    shape.features_tls = "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>ANONYMOUS</mechanism></mechanisms>".into();
    shape.mechanisms = vec![stanzio_sasl::Mechanism::Anonymous];
    shape
}

fn anonymous_config() -> stanzio_stream::ClientConfig {
    stanzio_stream::ClientConfig::new("localhost".parse().unwrap(), "", common::TestRng(1))
        .with_credentials(stanzio_sasl::Credentials::Anonymous { trace: None })
}

#[test]
fn an_anonymous_login_takes_the_account_the_server_assigns() {
    // RFC 4505 / XEP-0175: the server makes up the localpart; only the
    // domain is known beforehand.
    let mut harness = Harness::new(anonymous_config(), anonymous_shape());
    harness.server.bound_jid = "5f2a9c@localhost/r".into();
    harness.drive();
    assert!(harness.is_online(), "{:#?}", harness.events);
    assert_eq!(
        harness.client.jid().map(|jid| jid.as_str()),
        Some("5f2a9c@localhost/r")
    );
    // RFC 6120 §4.7.1: `from` names the account; without a localpart
    // there is none to name (`from='localhost'` would be the server).
    let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
    assert!(!wrote.contains("from="), "{wrote}");
}

#[test]
fn an_anonymous_login_on_another_domain_is_refused() {
    let mut harness = Harness::new(anonymous_config(), anonymous_shape());
    harness.server.bound_jid = "5f2a9c@evil.example/r".into();
    harness.drive();
    assert!(
        matches!(
            harness.disconnect_error(),
            Some(ConnectionError::BoundToOtherAccount(_))
        ),
        "{:#?}",
        harness.events
    );
}
