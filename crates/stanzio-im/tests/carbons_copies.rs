//! XEP-0280 over the IM server and clients: a resource that enabled
//! carbons gets `<received/>` copies of chat messages delivered to its
//! account's other resources and `<sent/>` copies of those they send,
//! unwrapped by its client because they come from the bare JID; one
//! without carbons gets none, and `<private/>` messages are not copied.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::ImEvent;
use stanzio_im::payload::CarbonDirection;
use stanzio_jid::FullJid;
use stanzio_stanza::{Message, Presence};
use stanzio_xml::Element;
use support::{Hub, jid};

fn carbons(events: &[ImEvent]) -> Vec<(CarbonDirection, Option<String>)> {
    events
        .iter()
        .filter_map(|e| match e {
            ImEvent::Carbon { direction, message } => {
                Some((*direction, message.body().map(str::to_owned)))
            }
            _ => None,
        })
        .collect()
}

/// Juliet on two resources (the chamber one with carbons), Romeo on one.
fn setup() -> (Hub, FullJid, FullJid, FullJid) {
    let mut hub = Hub::new("verona.lit", &["juliet", "romeo"]);
    let balcony = hub.log_in("juliet@verona.lit/balcony");
    let chamber = hub.log_in("juliet@verona.lit/chamber");
    let romeo = hub.log_in("romeo@verona.lit/orchard");
    let now = hub.now;
    hub.client(&chamber).set_carbons(now, true).unwrap();
    hub.run();
    assert!(hub.client(&chamber).carbons_enabled());
    assert!(!hub.client(&balcony).carbons_enabled());
    for j in [&balcony, &chamber, &romeo] {
        hub.take_events(j);
    }
    (hub, balcony, chamber, romeo)
}

#[test]
fn a_message_to_another_resource_is_copied_as_received() {
    let (mut hub, balcony, chamber, romeo) = setup();
    hub.client(&romeo).send_message(Message::chat(
        jid("juliet@verona.lit/balcony"),
        "Lady, by yonder blessed moon",
    ));
    hub.run();
    assert_eq!(
        carbons(&hub.take_events(&chamber)),
        [(
            CarbonDirection::Received,
            Some("Lady, by yonder blessed moon".into())
        )]
    );
    let balcony_events = hub.take_events(&balcony);
    assert!(carbons(&balcony_events).is_empty());
    assert!(
        balcony_events
            .iter()
            .any(|e| matches!(e, ImEvent::Message(_)))
    );
}

#[test]
fn a_message_sent_from_another_resource_is_copied_as_sent() {
    let (mut hub, balcony, chamber, romeo) = setup();
    hub.client(&balcony).send_message(Message::chat(
        jid("romeo@verona.lit"),
        "O, swear not by the moon",
    ));
    hub.run();
    assert_eq!(
        carbons(&hub.take_events(&chamber)),
        [(
            CarbonDirection::Sent,
            Some("O, swear not by the moon".into())
        )]
    );
    assert!(
        hub.take_events(&romeo)
            .iter()
            .any(|e| matches!(e, ImEvent::Message(_)))
    );
}

#[test]
fn private_messages_and_disabled_carbons_get_no_copy() {
    let (mut hub, balcony, chamber, _romeo) = setup();
    let private = Element::builder("private", "urn:xmpp:carbons:2")
        .build()
        .unwrap();
    hub.client(&balcony).send_message(
        Message::chat(jid("romeo@verona.lit"), "the inconstant moon").with_payload(private),
    );
    hub.run();
    assert!(carbons(&hub.take_events(&chamber)).is_empty());
    let now = hub.now;
    hub.client(&chamber).set_carbons(now, false).unwrap();
    hub.run();
    assert!(!hub.client(&chamber).carbons_enabled());
    hub.client(&balcony).send_message(Message::chat(
        jid("romeo@verona.lit"),
        "that monthly changes",
    ));
    hub.run();
    assert!(carbons(&hub.take_events(&chamber)).is_empty());
}

#[test]
fn an_unavailable_resource_gets_no_copy() {
    let (mut hub, balcony, chamber, _romeo) = setup();
    hub.client(&chamber).send_presence(Presence::unavailable());
    hub.run();
    hub.take_events(&chamber);
    hub.client(&balcony)
        .send_message(Message::chat(jid("romeo@verona.lit"), "in her circled orb"));
    hub.run();
    assert!(carbons(&hub.take_events(&chamber)).is_empty());
}
