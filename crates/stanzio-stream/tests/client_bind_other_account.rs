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
