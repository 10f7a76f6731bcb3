//! CVE-2015-8688 class: any entity can address an IQ set with a roster
//! query to a client. RFC 6121 §2.1.6 accepts a roster push only without
//! `from` or from the user's bare JID; anything else must not touch the
//! roster. The genuine pushes are the ones Prosody 0.12 and ejabberd 23.01
//! sent in the recorded sessions (tests/data/prosody-alice-s2c.xml and
//! tests/data/ejabberd-alice-s2c.xml in this repository): Prosody without
//! `from` and with integer versions, ejabberd from the bare JID with SHA-1
//! versions.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::ImEvent;
use stanzio_im::client::RosterChange;
use stanzio_im::payload::Subscription;
use stanzio_stanza::{Condition, IqPayload, Stanza};
use support::{client, events, jid, stanza, transmitted};

/// Prosody's push of Bob, as recorded.
const PROSODY_PUSH: &str = "<iq type='set' id='XLYS_nH_bWG_'><query ver='1' xmlns='jabber:iq:roster'>\
    <item jid='bob@localhost' subscription='none' name='Bob'><group>Friends</group></item></query></iq>";

/// ejabberd's push of Bob with a pending request, as recorded.
const EJABBERD_PUSH: &str = "<iq to='alice@localhost/smoke' from='alice@localhost' type='set' \
    id='push13987850459975893270'><query ver='a25dd90290e8ff9162a12d88f9d141398bd9d60b' \
    xmlns='jabber:iq:roster'><item ask='subscribe' subscription='none' name='Bob' jid='bob@localhost'>\
    <group>Friends</group></item></query></iq>";

/// The same push with another `from`.
fn spoofed(push: &str, from: &str) -> Stanza {
    let mut stanza = stanza(push);
    let Stanza::Iq(iq) = &mut stanza else {
        panic!()
    };
    iq.from = Some(jid(from));
    stanza
}

/// What the client answered to the push `id`: `Ok` for a result,
/// `Err(condition)` for an error.
fn answer(sent: &[Stanza], id: &str) -> Result<(), Condition> {
    let replies: Vec<_> = sent
        .iter()
        .filter_map(|s| match s {
            Stanza::Iq(iq) if iq.id.as_str() == id => Some(iq),
            _ => None,
        })
        .collect();
    assert_eq!(replies.len(), 1, "one answer to {id}: {sent:?}");
    match &replies[0].payload {
        IqPayload::Result(None) => Ok(()),
        IqPayload::Error { error, .. } => Err(error.condition.clone()),
        other => panic!("not an answer: {other:?}"),
    }
}

#[test]
fn prosody_push_without_from_is_applied() {
    let mut alice = client("alice@localhost/smoke");
    alice.handle_stanza(stanza(PROSODY_PUSH));
    assert_eq!(answer(&transmitted(&mut alice), "XLYS_nH_bWG_"), Ok(()));
    let item = alice.roster().get(&jid("bob@localhost")).unwrap();
    assert_eq!(item.name.as_deref(), Some("Bob"));
    assert_eq!(item.groups, ["Friends"]);
    assert_eq!(alice.roster().version(), Some("1"));
    assert!(matches!(
        events(&mut alice).as_slice(),
        [ImEvent::RosterPush { change: RosterChange::Added(_), version: Some(v) }] if v == "1"
    ));
}

#[test]
fn ejabberd_push_from_the_bare_jid_is_applied() {
    let mut alice = client("alice@localhost/smoke");
    alice.handle_stanza(stanza(EJABBERD_PUSH));
    assert_eq!(
        answer(&transmitted(&mut alice), "push13987850459975893270"),
        Ok(())
    );
    let item = alice.roster().get(&jid("bob@localhost")).unwrap();
    assert!(item.ask);
    assert_eq!(item.subscription, Subscription::None);
    assert_eq!(
        alice.roster().version(),
        Some("a25dd90290e8ff9162a12d88f9d141398bd9d60b")
    );
}

#[test]
fn the_same_pushes_from_anyone_else_are_dropped_and_reported() {
    for push in [PROSODY_PUSH, EJABBERD_PUSH] {
        // A stranger, a contact, the server, another of the user's own
        // resources and the user's own full JID: none is "no from" or the
        // bare JID.
        for from in [
            "mallory@evil.example",
            "bob@localhost",
            "localhost",
            "alice@localhost/other",
            "alice@localhost/smoke",
        ] {
            let mut alice = client("alice@localhost/smoke");
            let spoof = spoofed(push, from);
            let Stanza::Iq(iq) = &spoof else { panic!() };
            let id = iq.id.to_string();
            alice.handle_stanza(spoof);
            assert!(alice.roster().is_empty(), "{from}: the roster is untouched");
            assert_eq!(alice.roster().version(), None, "{from}");
            assert_eq!(
                answer(&transmitted(&mut alice), &id),
                Err(Condition::ServiceUnavailable),
                "{from}"
            );
            let reported = events(&mut alice);
            assert!(
                matches!(
                    reported.as_slice(),
                    [ImEvent::SpoofedRosterPush { from: f }] if f.as_str() == from
                ),
                "{from}: {reported:?}"
            );
        }
    }
}

#[test]
fn a_spoofed_removal_does_not_remove() {
    let mut alice = client("alice@localhost/smoke");
    alice.handle_stanza(stanza(PROSODY_PUSH));
    // ejabberd's recorded removal of Bob, from someone else.
    let removal = "<iq to='alice@localhost/smoke' from='alice@localhost' type='set' \
        id='push3938027626988302319'><query ver='5e02d2fb58d78f38abb41ff50450a7a27a4c6712' \
        xmlns='jabber:iq:roster'><item subscription='remove' jid='bob@localhost'/></query></iq>";
    alice.handle_stanza(spoofed(removal, "bob@localhost"));
    assert!(alice.roster().get(&jid("bob@localhost")).is_some());
    // The genuine one removes.
    alice.handle_stanza(stanza(removal));
    assert!(alice.roster().is_empty());
    let reported = events(&mut alice);
    assert!(matches!(
        reported.as_slice(),
        [
            ImEvent::RosterPush {
                change: RosterChange::Added(_),
                ..
            },
            ImEvent::SpoofedRosterPush { .. },
            ImEvent::RosterPush {
                change: RosterChange::Removed(_),
                ..
            },
        ]
    ));
}
