//! The explicit `-PLUS` fallback (ejabberd 23 refuses tls-exporter) and
//! the cases where it must not happen: an account pinned to channel
//! binding (XEP-0474 §7 style: the `ChannelBindingMemory::Bound` an earlier
//! login reported), a policy without fallback, and a server whose XEP-0440
//! list named the type that failed. There a refused `-PLUS` means someone
//! is in the middle: no second `<auth/>` leaves.

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
use stanzio_sasl::{
    ChannelBindingMemory, ChannelBindingType, ClientPolicy, HashAlgorithm, Mechanism,
    SelectionError,
};
use stanzio_stream::{ClientEvent, ConnectionError};

const EXPORTER: ChannelBindingType = ChannelBindingType::TlsExporter;

fn sha512(plus: bool) -> Mechanism {
    Mechanism::scram(HashAlgorithm::Sha512, plus)
}

fn refused(harness: &Harness) -> &SelectionError {
    match harness.disconnect_error() {
        Some(ConnectionError::ChannelBindingFailed { reason, .. }) => reason,
        other => panic!("{other:?} {:#?}", harness.events),
    }
}

fn assert_one_attempt(harness: &Harness) {
    assert_eq!(harness.server.auths, ["SCRAM-SHA-512-PLUS"]);
    let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
    assert_eq!(wrote.matches("<auth ").count(), 1, "{wrote}");
    assert!(
        !harness
            .events
            .iter()
            .any(|e| matches!(e, ClientEvent::ChannelBindingFallback { .. }))
    );
    assert!(!harness.is_online());
    assert_eq!(harness.client.channel_binding_memory(), None);
}

#[test]
fn an_unknown_server_gets_one_fallback_which_is_reported_and_remembered() {
    let mut harness = Harness::new(client_config(1), Shape::ejabberd());
    harness.drive();
    assert!(harness.is_online(), "{:#?}", harness.events);
    assert_eq!(
        harness.server.auths,
        ["SCRAM-SHA-512-PLUS", "SCRAM-SHA-512"]
    );
    assert!(harness.events.iter().any(|e| matches!(
        e,
        ClientEvent::ChannelBindingFallback { rejected: EXPORTER, retry, remembered: false }
            if *retry == sha512(false)
    )));
    assert_eq!(
        harness.client.channel_binding_memory(),
        Some(ChannelBindingMemory::Rejected(EXPORTER))
    );
}

#[test]
fn a_remembered_rejection_skips_plus_and_says_so() {
    let config =
        client_config(1).with_channel_binding_memory(ChannelBindingMemory::Rejected(EXPORTER));
    let mut harness = Harness::new(config, Shape::ejabberd());
    harness.drive();
    assert!(harness.is_online(), "{:#?}", harness.events);
    assert_eq!(harness.server.auths, ["SCRAM-SHA-512"]);
    assert!(harness.events.iter().any(|e| matches!(
        e,
        ClientEvent::ChannelBindingFallback {
            rejected: EXPORTER,
            remembered: true,
            ..
        }
    )));
}

#[test]
fn a_pinned_account_never_retries_without_channel_binding() {
    let config =
        client_config(1).with_channel_binding_memory(ChannelBindingMemory::Bound(EXPORTER));
    let mut harness = Harness::new(config, Shape::ejabberd());
    harness.drive();
    assert_eq!(
        refused(&harness),
        &SelectionError::ChannelBindingPinned { kind: EXPORTER }
    );
    assert_one_attempt(&harness);
}

#[test]
fn a_policy_without_fallback_never_retries_without_channel_binding() {
    let mut policy = ClientPolicy::default();
    policy.channel_binding_fallback = false;
    let mut harness = Harness::new(client_config(1).with_sasl_policy(policy), Shape::ejabberd());
    harness.drive();
    assert_eq!(refused(&harness), &SelectionError::FallbackDisabled);
    assert_one_attempt(&harness);
}

#[test]
fn a_type_the_server_advertised_and_then_refused_is_not_retried_without_binding() {
    // XEP-0440 §3: the server says it binds tls-exporter; refusing it
    // anyway means the two ends do not see the same TLS session.
    let mut shape = Shape::ejabberd();
    shape.features_tls.push_str("<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/></sasl-channel-binding>");
    let mut harness = Harness::new(client_config(1), shape);
    harness.drive();
    assert_eq!(
        refused(&harness),
        &SelectionError::ChannelBindingAdvertised { kind: EXPORTER }
    );
    assert_one_attempt(&harness);
}

#[test]
fn a_pinned_account_logs_in_where_binding_works_and_stays_pinned() {
    let mut shape = Shape::ejabberd();
    shape.refuses_plus = false;
    let config =
        client_config(1).with_channel_binding_memory(ChannelBindingMemory::Bound(EXPORTER));
    let mut harness = Harness::new(config, shape);
    harness.drive();
    assert!(harness.is_online(), "{:#?}", harness.events);
    assert_eq!(harness.server.auths, ["SCRAM-SHA-512-PLUS"]);
    assert!(harness.events.iter().any(|e| matches!(
        e,
        ClientEvent::Authenticated {
            channel_binding: Some(EXPORTER),
            ..
        }
    )));
    assert_eq!(
        harness.client.channel_binding_memory(),
        Some(ChannelBindingMemory::Bound(EXPORTER))
    );
}
