//! Over the stream pairs: Juliet and Romeo subscribe to each other, see
//! each other's presence and chat.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::ImEvent;
use stanzio_im::client::RosterChange;
use stanzio_im::payload::Subscription;
use stanzio_stanza::{Message, MessageType, Presence, Show, Thread};
use support::{friends, jid};

#[test]
fn both_end_with_subscription_both_and_see_each_other() {
    let mut router = friends();
    let (juliet, romeo) = (0, 1);
    for (side, contact) in [(juliet, "romeo@verona.lit"), (romeo, "juliet@verona.lit")] {
        let item = router
            .client(side)
            .roster()
            .get(&jid(contact))
            .cloned()
            .unwrap();
        assert_eq!(item.subscription, Subscription::Both, "{contact}");
        assert!(!item.ask);
        assert!(
            router.client(side).presence().is_available(&jid(contact)),
            "{contact} is seen"
        );
    }
    // The server's store agrees with both caches.
    let events = router.take_events(juliet);
    assert!(events.iter().any(|e| matches!(
        e,
        ImEvent::SubscriptionApproved { from } if from.as_str() == "romeo@verona.lit"
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        ImEvent::RosterPush { change: RosterChange::Updated { item, .. }, .. }
            if item.subscription == Subscription::Both
    )));
}

#[test]
fn presence_changes_reach_the_contact() {
    let mut router = friends();
    let (juliet, romeo) = (0, 1);
    router.client(romeo).send_presence(
        Presence::available()
            .with_show(Show::Away)
            .with_status(None, "in the orchard"),
    );
    router.drive();
    let best = router
        .client(juliet)
        .presence()
        .best(&jid("romeo@verona.lit"))
        .cloned()
        .unwrap();
    assert_eq!(best.jid.as_str(), "romeo@verona.lit/orchard");
    assert_eq!(best.show(), Some(Show::Away));
    assert_eq!(best.status(), Some("in the orchard"));
    router.client(romeo).send_presence(Presence::unavailable());
    router.drive();
    assert!(
        !router
            .client(juliet)
            .presence()
            .is_available(&jid("romeo@verona.lit"))
    );
}

#[test]
fn a_chat_message_arrives_with_its_thread() {
    let mut router = friends();
    let (juliet, romeo) = (0, 1);
    router.take_events(romeo);
    let mut message = Message::chat(jid("romeo@verona.lit"), "Wherefore art thou Romeo?");
    message.thread = Some(Thread::new("e0ffe42b28561960c6b12b944a092794b9683a38"));
    let id = router.client(juliet).send_message(message);
    router.drive();
    let received: Vec<Message> = router
        .take_events(romeo)
        .into_iter()
        .filter_map(|e| match e {
            ImEvent::Message(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(received.len(), 1);
    let m = &received[0];
    assert_eq!(m.type_, MessageType::Chat);
    assert_eq!(m.body(), Some("Wherefore art thou Romeo?"));
    assert_eq!(
        m.from.as_ref().unwrap().as_str(),
        "juliet@verona.lit/balcony"
    );
    assert_eq!(m.id.as_deref(), Some(id.as_str()));
    assert_eq!(
        m.thread.as_ref().unwrap().id.as_str(),
        "e0ffe42b28561960c6b12b944a092794b9683a38"
    );
}
