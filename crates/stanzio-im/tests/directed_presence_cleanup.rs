//! RFC 6121 §4.6: presence sent straight to someone outside the
//! subscriptions is remembered, and when the sender goes unavailable or
//! its session ends, that someone gets unavailable too (§4.6.3).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_jid::Jid;
use stanzio_stanza::{Presence, PresenceType, Stanza};
use support::{Hub, jid};

fn presences_from(delivered: &[Stanza], from: &str) -> Vec<PresenceType> {
    delivered
        .iter()
        .filter_map(|s| match s {
            Stanza::Presence(p) if p.from.as_ref().is_some_and(|f| f.as_str() == from) => {
                Some(p.type_)
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_recipient_of_directed_presence_sees_the_sender_leave() {
    for by_unavailable in [true, false] {
        let mut hub = Hub::new("verona.lit", &["juliet", "nurse"]);
        let juliet = hub.log_in("juliet@verona.lit/balcony");
        let nurse = hub.log_in("nurse@verona.lit/kitchen");
        hub.delivered.clear();
        let to: Jid = jid("nurse@verona.lit/kitchen");
        hub.client(&juliet)
            .send_presence(Presence::available().with_to(to.clone()));
        hub.run();
        assert_eq!(
            hub.client(&juliet).directed_presences(),
            std::slice::from_ref(&to)
        );
        assert_eq!(
            presences_from(&hub.take_delivered(&nurse), "juliet@verona.lit/balcony"),
            [PresenceType::Available]
        );
        assert!(
            hub.client(&nurse)
                .presence()
                .is_available(&jid("juliet@verona.lit"))
        );
        if by_unavailable {
            hub.client(&juliet).send_presence(Presence::unavailable());
            hub.run();
            assert!(hub.client(&juliet).directed_presences().is_empty());
        } else {
            hub.disconnect(&juliet);
        }
        assert_eq!(
            presences_from(&hub.take_delivered(&nurse), "juliet@verona.lit/balcony"),
            [PresenceType::Unavailable],
            "by unavailable: {by_unavailable}"
        );
        assert!(
            !hub.client(&nurse)
                .presence()
                .is_available(&jid("juliet@verona.lit"))
        );
    }
}

#[test]
fn a_directed_unavailable_ends_the_bookkeeping() {
    let mut hub = Hub::new("verona.lit", &["juliet", "nurse"]);
    let juliet = hub.log_in("juliet@verona.lit/balcony");
    let nurse = hub.log_in("nurse@verona.lit/kitchen");
    let to: Jid = jid("nurse@verona.lit");
    hub.client(&juliet)
        .send_presence(Presence::available().with_to(to.clone()));
    hub.client(&juliet)
        .send_presence(Presence::unavailable().with_to(to));
    hub.run();
    assert!(hub.client(&juliet).directed_presences().is_empty());
    hub.delivered.clear();
    hub.disconnect(&juliet);
    // Nothing more: the nurse had the unavailable already.
    assert!(presences_from(&hub.take_delivered(&nurse), "juliet@verona.lit/balcony").is_empty());
}

/// RFC 6121 §4.5.2: a session that only sent directed presence never
/// announced itself to the contacts, so its end concerns only the
/// directed presence.
#[test]
fn a_session_never_available_ends_only_its_directed_presence() {
    let mut hub = Hub::new("verona.lit", &["juliet", "romeo", "nurse"]);
    let juliet = hub.log_in("juliet@verona.lit/balcony");
    let romeo = hub.log_in("romeo@verona.lit/orchard");
    let nurse = hub.log_in("nurse@verona.lit/kitchen");
    hub.client(&romeo).subscribe(jid("juliet@verona.lit"));
    hub.run();
    hub.client(&juliet).approve(jid("romeo@verona.lit"));
    hub.run();
    let quiet = hub.connect("juliet@verona.lit/quiet");
    hub.client(&quiet)
        .send_presence(Presence::available().with_to(jid("nurse@verona.lit/kitchen")));
    hub.run();
    hub.delivered.clear();
    hub.disconnect(&quiet);
    assert_eq!(
        presences_from(&hub.take_delivered(&nurse), "juliet@verona.lit/quiet"),
        [PresenceType::Unavailable]
    );
    for other in [&romeo, &juliet] {
        assert!(
            presences_from(&hub.take_delivered(other), "juliet@verona.lit/quiet").is_empty(),
            "{other}"
        );
    }
}
