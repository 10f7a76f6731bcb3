//! The server's storage per account is bounded: strangers' subscription
//! requests cannot grow a roster without end, nor a client its roster or
//! blocklist (refused with `resource-constraint`).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::payload::RosterItem;
use stanzio_im::{AccountStore, ImEvent, ImServerConfig};
use stanzio_stanza::Condition;
use support::{Hub, jid};

fn limited() -> Hub {
    let mut config = ImServerConfig::new(["verona.lit"]);
    config.max_roster_entries = 2;
    config.max_blocklist_items = 1;
    Hub::with_config(config, "verona.lit", &["juliet", "a", "b", "c"])
}

fn refused(events: &[ImEvent]) -> bool {
    events.iter().any(|e| {
        matches!(
            e,
            ImEvent::RequestFailed { failure: stanzio_im::client::RequestFailure::Error(error), .. }
                if error.condition == Condition::ResourceConstraint
        )
    })
}

#[test]
fn requests_beyond_the_limit_are_dropped() {
    let mut hub = limited();
    let juliet = hub.log_in("juliet@verona.lit/balcony");
    for stranger in ["a", "b", "c"] {
        let full = hub.log_in(&format!("{stranger}@verona.lit/x"));
        hub.client(&full).subscribe(jid("juliet@verona.lit"));
        hub.run();
    }
    let (_, entries) = hub.store.roster(&jid("juliet@verona.lit")).unwrap();
    assert_eq!(entries.len(), 2);
    let asked: Vec<String> = hub
        .take_events(&juliet)
        .into_iter()
        .filter_map(|e| match e {
            ImEvent::SubscriptionRequest { from, .. } => Some(from.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(asked, ["a@verona.lit", "b@verona.lit"]);
}

#[test]
fn a_roster_or_blocklist_beyond_the_limit_is_refused() {
    let mut hub = limited();
    let juliet = hub.log_in("juliet@verona.lit/balcony");
    let now = hub.now;
    for contact in ["a@verona.lit", "b@verona.lit"] {
        hub.client(&juliet)
            .set_roster_item(now, RosterItem::new(jid(contact)))
            .unwrap();
    }
    hub.run();
    assert!(!refused(&hub.take_events(&juliet)));
    hub.client(&juliet)
        .set_roster_item(now, RosterItem::new(jid("c@verona.lit")))
        .unwrap();
    hub.run();
    assert!(refused(&hub.take_events(&juliet)));
    // Changing an item already there is no growth.
    hub.client(&juliet)
        .set_roster_item(now, RosterItem::new(jid("a@verona.lit")).with_name("A"))
        .unwrap();
    hub.run();
    assert!(!refused(&hub.take_events(&juliet)));
    assert_eq!(hub.client(&juliet).roster().len(), 2);

    hub.client(&juliet)
        .block(now, vec![jid("x@evil.example"), jid("y@evil.example")])
        .unwrap();
    hub.run();
    assert!(refused(&hub.take_events(&juliet)));
    assert!(hub.client(&juliet).blocklist().is_empty());
    assert!(
        hub.store
            .blocklist(&jid("juliet@verona.lit"))
            .unwrap()
            .is_empty()
    );
}
