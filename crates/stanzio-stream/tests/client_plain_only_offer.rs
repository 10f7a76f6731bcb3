//! A server (or a MITM rewriting its features) that offers only PLAIN,
//! while the default policy forbids PLAIN: the client ends the connection
//! with `NoMechanism` and no credential-bearing byte leaves it.

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
use stanzio_sasl::SelectionError;
use stanzio_stream::ConnectionError;

const PLAIN_ONLY: &str = "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>";

#[test]
fn plain_only_offer_with_plain_disallowed_sends_no_credential() {
    for shape in [Shape::prosody(), Shape::ejabberd()] {
        let real = shape.features_tls.clone();
        let mut harness = Harness::new(client_config(1), shape);
        harness.tamper = Some(Box::new(move |dir, bytes| {
            if dir == Dir::ToClient {
                let text = String::from_utf8_lossy(bytes).replace(&real, PLAIN_ONLY);
                *bytes = text.into_bytes();
            }
        }));
        harness.drive();
        match harness.disconnect_error() {
            Some(ConnectionError::NoMechanism(SelectionError::NoAcceptableMechanism {
                offered,
            })) => assert_eq!(offered, &["PLAIN".to_owned()]),
            other => panic!("{other:?}"),
        }
        let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
        assert!(!wrote.contains("<auth"), "{wrote}");
        assert!(!wrote.contains("<response"), "{wrote}");
        assert!(!wrote.contains(PASSWORD), "{wrote}");
        assert!(harness.server.auths.is_empty());
        assert!(wrote.ends_with("</stream:stream>"), "{wrote}");
    }
}

#[test]
fn the_same_offer_is_used_when_the_policy_allows_plain() {
    // The counterpart: the refusal above comes from the policy, not from
    // a client that cannot speak PLAIN.
    let mut policy = stanzio_sasl::ClientPolicy::default();
    policy.allow_plain = true;
    let mut shape = Shape::prosody();
    shape.features_tls = PLAIN_ONLY.into();
    let harness = Harness::new(client_config(1).with_sasl_policy(policy), shape);
    let mut harness = harness;
    harness.drive();
    assert!(harness.is_online(), "{:#?}", harness.events);
    assert_eq!(harness.server.auths, ["PLAIN"]);
}
