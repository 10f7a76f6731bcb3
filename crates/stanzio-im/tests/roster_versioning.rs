//! XEP-0237 roster versioning on both sides: a client with a cached roster
//! asks for changes since its version; an empty result means "unchanged"
//! and pushes bring what changed; the server answers that way when the
//! versions match.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::AccountStore;
use stanzio_im::client::Roster;
use stanzio_im::payload::{RosterItem, RosterQuery};
use stanzio_im::server::RosterEntry;
use stanzio_im::{ImClient, ImClientConfig, ImEvent};
use stanzio_stanza::{IqPayload, Stanza};
use stanzio_stream::testing::TestRng;
use support::{Hub, events, jid, stanza, start, transmitted};

/// The `ver` of the roster get `client` sent, and its id.
fn sent_get(client: &mut ImClient) -> (Option<String>, String) {
    let sent = transmitted(client);
    let [Stanza::Iq(iq)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    let IqPayload::Get(payload) = &iq.payload else {
        panic!()
    };
    (
        RosterQuery::from_element(payload.root()).unwrap().ver,
        iq.id.to_string(),
    )
}

#[test]
fn a_client_asks_with_its_cached_version_and_keeps_it_when_unchanged() {
    let cached = Roster::from_parts(
        Some("5e02d2fb58d78f38abb41ff50450a7a27a4c6712".into()),
        [RosterItem::new(jid("bob@localhost")).with_name("Bob")],
    );
    let config = ImClientConfig::new(jid("alice@localhost/smoke")).with_roster_versioning(true);
    let mut alice = ImClient::new(config, TestRng(3)).with_roster(cached.clone());
    alice.fetch_roster(start()).unwrap();
    let (ver, id) = sent_get(&mut alice);
    assert_eq!(
        ver.as_deref(),
        Some("5e02d2fb58d78f38abb41ff50450a7a27a4c6712")
    );
    // XEP-0237 §3: an empty result, as ejabberd sends it.
    alice.handle_stanza(stanza(&format!(
        "<iq to='alice@localhost/smoke' from='alice@localhost' type='result' id='{id}'/>"
    )));
    assert!(matches!(
        events(&mut alice).as_slice(),
        [ImEvent::RosterUnchanged { request }] if request.as_str() == id
    ));
    assert_eq!(alice.roster(), &cached);
}

#[test]
fn without_a_cache_the_version_is_empty_and_without_the_feature_absent() {
    let config = ImClientConfig::new(jid("alice@localhost/smoke")).with_roster_versioning(true);
    let mut alice = ImClient::new(config, TestRng(3));
    alice.fetch_roster(start()).unwrap();
    // XEP-0237 §3.1, as both recorded clients sent it: ver=''.
    assert_eq!(sent_get(&mut alice).0.as_deref(), Some(""));
    let mut plain = support::client("alice@localhost/smoke");
    plain.fetch_roster(start()).unwrap();
    assert_eq!(sent_get(&mut plain).0, None);
}

#[test]
fn a_full_result_replaces_the_cache() {
    let cached = Roster::from_parts(Some("1".into()), [RosterItem::new(jid("carol@localhost"))]);
    let config = ImClientConfig::new(jid("alice@localhost/smoke")).with_roster_versioning(true);
    let mut alice = ImClient::new(config, TestRng(3)).with_roster(cached);
    alice.fetch_roster(start()).unwrap();
    let (_, id) = sent_get(&mut alice);
    alice.handle_stanza(stanza(&format!(
        "<iq type='result' to='alice@localhost/smoke' id='{id}'><query ver='3' xmlns='jabber:iq:roster'>\
         <item jid='bob@localhost' subscription='to' name='Bob'><group>Friends</group></item></query></iq>"
    )));
    assert!(matches!(
        events(&mut alice).as_slice(),
        [ImEvent::RosterReceived { version: Some(v), .. }] if v == "3"
    ));
    assert_eq!(alice.roster().len(), 1);
    assert!(alice.roster().get(&jid("carol@localhost")).is_none());
    assert_eq!(alice.roster().version(), Some("3"));
}

#[test]
fn the_server_answers_a_current_version_with_an_empty_result() {
    let mut hub = Hub::new("localhost", &["alice", "bob"]);
    let alice = hub.log_in("alice@localhost/smoke");
    let now = hub.now;
    hub.client(&alice)
        .set_roster_item(now, RosterItem::new(jid("bob@localhost")).with_name("Bob"))
        .unwrap();
    hub.run();
    let version = hub.client(&alice).roster().version().map(str::to_owned);
    assert!(version.is_some());
    let roster = hub.client(&alice).roster().clone();
    hub.disconnect(&alice);

    // The next session starts from the persisted roster.
    let again = hub.connect("alice@localhost/smoke");
    let config = ImClientConfig::new(again.clone()).with_roster_versioning(true);
    hub.clients.insert(
        again.clone(),
        ImClient::new(config, TestRng(9)).with_roster(roster.clone()),
    );
    hub.delivered.clear();
    hub.client(&again).fetch_roster(now).unwrap();
    hub.run();
    assert!(matches!(
        hub.take_events(&again).as_slice(),
        [ImEvent::RosterUnchanged { .. }]
    ));
    let delivered = hub.take_delivered(&again);
    assert!(matches!(
        delivered.as_slice(),
        [Stanza::Iq(iq)] if matches!(iq.payload, IqPayload::Result(None))
    ));
    // A change since then: the full roster comes, with the new version.
    let mut carol = RosterEntry::new(jid("carol@localhost"));
    carol.in_roster = true;
    hub.store.put_roster_entry(&again.to_bare(), carol).unwrap();
    hub.client(&again).fetch_roster(now).unwrap();
    hub.run();
    let events = hub.take_events(&again);
    assert!(
        matches!(events.as_slice(), [ImEvent::RosterReceived { version: Some(v), .. }] if Some(v) != version.as_ref()),
        "{events:?}"
    );
    assert_eq!(hub.client(&again).roster().len(), 2);
}
