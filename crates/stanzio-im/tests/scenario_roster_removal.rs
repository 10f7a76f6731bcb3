//! Over the stream pairs: Juliet removes Romeo from her roster; RFC 6121
//! §2.5.2 cancels both subscriptions, so each stops seeing the other and
//! Romeo's roster shows Juliet with subscription none.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::AccountStore;
use stanzio_im::ImEvent;
use stanzio_im::client::RosterChange;
use stanzio_im::payload::Subscription;
use stanzio_im::subscription::SubscriptionState;
use support::{friends, jid};

const JULIET: usize = 0;
const ROMEO: usize = 1;

#[test]
fn removal_cancels_both_subscriptions() {
    let mut router = friends();
    router.take_events(JULIET);
    router.take_events(ROMEO);
    let now = router.now(JULIET);
    let request = router
        .client(JULIET)
        .remove_roster_item(now, jid("romeo@verona.lit"))
        .unwrap();
    router.drive();

    let juliet = router.take_events(JULIET);
    assert!(
        juliet
            .iter()
            .any(|e| matches!(e, ImEvent::RequestCompleted { request: r } if *r == request))
    );
    assert!(juliet.iter().any(|e| matches!(
        e,
        ImEvent::RosterPush { change: RosterChange::Removed(item), .. } if item.jid.as_str() == "romeo@verona.lit"
    )));
    assert!(
        router
            .client(JULIET)
            .roster()
            .get(&jid("romeo@verona.lit"))
            .is_none()
    );
    assert!(
        !router
            .client(JULIET)
            .presence()
            .is_available(&jid("romeo@verona.lit"))
    );

    let romeo = router.take_events(ROMEO);
    assert!(romeo.iter().any(|e| matches!(e, ImEvent::ContactUnsubscribed { from } if from.as_str() == "juliet@verona.lit")));
    assert!(romeo.iter().any(|e| matches!(e, ImEvent::SubscriptionRevoked { from } if from.as_str() == "juliet@verona.lit")));
    let item = router
        .client(ROMEO)
        .roster()
        .get(&jid("juliet@verona.lit"))
        .cloned()
        .unwrap();
    assert_eq!(item.subscription, Subscription::None);
    assert!(!item.ask);
    assert!(
        !router
            .client(ROMEO)
            .presence()
            .is_available(&jid("juliet@verona.lit"))
    );

    // The server's store says the same.
    let juliet_account = router.account(JULIET);
    let romeo_account = router.account(ROMEO);
    assert_eq!(
        router
            .store
            .roster_entry(&juliet_account, &romeo_account)
            .unwrap(),
        None
    );
    let kept = router
        .store
        .roster_entry(&romeo_account, &juliet_account)
        .unwrap()
        .unwrap();
    assert_eq!(kept.state, SubscriptionState::None);

    // Removing again is an error (RFC 6121 §2.5.3).
    let again = router
        .client(JULIET)
        .remove_roster_item(now, jid("romeo@verona.lit"))
        .unwrap();
    router.drive();
    assert!(router.take_events(JULIET).iter().any(|e| matches!(
        e,
        ImEvent::RequestFailed { request, failure: stanzio_im::client::RequestFailure::Error(error) }
            if *request == again && error.condition == stanzio_stanza::Condition::ItemNotFound
    )));
}
