//! RFC 6121 §3.4: a user pre-approves a contact; the contact's later
//! request is approved by the server without asking the user. A client
//! whose server does not offer it refuses to send one.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::AccountStore;
use stanzio_im::ImEvent;
use stanzio_im::client::CommandError;
use stanzio_im::payload::Subscription;
use stanzio_im::subscription::SubscriptionState;
use support::{Hub, client, jid};

#[test]
fn a_pre_approved_request_is_approved_by_the_server() {
    let mut hub = Hub::new("verona.lit", &["juliet", "romeo"]);
    let juliet = hub.log_in("juliet@verona.lit/balcony");
    let romeo = hub.log_in("romeo@verona.lit/orchard");
    hub.client(&juliet)
        .preapprove(jid("romeo@verona.lit"))
        .unwrap();
    hub.run();
    let item = hub
        .client(&juliet)
        .roster()
        .get(&jid("romeo@verona.lit"))
        .cloned()
        .unwrap();
    assert!(item.approved, "the push shows approved='true'");
    assert_eq!(item.subscription, Subscription::None);
    hub.take_events(&juliet);

    hub.client(&romeo).subscribe(jid("juliet@verona.lit"));
    hub.run();
    // Juliet is not asked.
    assert!(
        !hub.take_events(&juliet)
            .iter()
            .any(|e| matches!(e, ImEvent::SubscriptionRequest { .. }))
    );
    let item = hub
        .client(&juliet)
        .roster()
        .get(&jid("romeo@verona.lit"))
        .cloned()
        .unwrap();
    assert_eq!(item.subscription, Subscription::From);
    assert!(!item.approved, "a pre-approval is used once");
    // Romeo is approved and sees Juliet.
    assert!(
        hub.take_events(&romeo)
            .iter()
            .any(|e| matches!(e, ImEvent::SubscriptionApproved { from } if from.as_str() == "juliet@verona.lit"))
    );
    assert!(
        hub.client(&romeo)
            .presence()
            .is_available(&jid("juliet@verona.lit"))
    );
    let entry = hub
        .store
        .roster_entry(&jid("romeo@verona.lit"), &jid("juliet@verona.lit"))
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, SubscriptionState::To);
}

#[test]
fn a_pre_approval_can_be_cancelled() {
    let mut hub = Hub::new("verona.lit", &["juliet", "romeo"]);
    let juliet = hub.log_in("juliet@verona.lit/balcony");
    let romeo = hub.log_in("romeo@verona.lit/orchard");
    hub.client(&juliet)
        .preapprove(jid("romeo@verona.lit"))
        .unwrap();
    hub.run();
    hub.client(&juliet).deny(jid("romeo@verona.lit"));
    hub.run();
    assert!(
        !hub.client(&juliet)
            .roster()
            .get(&jid("romeo@verona.lit"))
            .unwrap()
            .approved
    );
    hub.take_events(&juliet);
    hub.client(&romeo).subscribe(jid("juliet@verona.lit"));
    hub.run();
    assert!(
        hub.take_events(&juliet)
            .iter()
            .any(|e| matches!(e, ImEvent::SubscriptionRequest { from, .. } if from.as_str() == "romeo@verona.lit"))
    );
    assert_eq!(
        hub.client(&juliet).subscription_requests(),
        [jid::<stanzio_jid::BareJid>("romeo@verona.lit")]
    );
}

#[test]
fn without_the_feature_the_client_refuses() {
    let mut juliet = client("juliet@verona.lit/balcony");
    assert_eq!(
        juliet.preapprove(jid("romeo@verona.lit")),
        Err(CommandError::PreApprovalUnsupported)
    );
    assert!(juliet.poll_transmit().is_none());
}
