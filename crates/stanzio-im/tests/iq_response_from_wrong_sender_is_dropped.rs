//! CVE-2014-0364 class: a client that matches IQ responses on `id` alone
//! takes an answer from whoever guesses or sees the id. Responses are
//! matched on `id` and sender (RFC 6120 §8.1.2.1, §10.3.3): a response from
//! anyone else is dropped and reported, and the request keeps waiting for
//! its genuine answer. The genuine answers are the roster and disco#info
//! results Prosody 0.12 and ejabberd 23.01 sent in the recorded sessions
//! (tests/data/*-alice-s2c.xml in this repository), with the recorded id
//! replaced by the one this client drew.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::ImEvent;
use stanzio_im::client::{DropReason, RequestFailure};
use stanzio_im::payload::DiscoInfo;
use stanzio_stanza::Stanza;
use support::{client, events, jid, stanza, start, transmitted};

/// The id of the one request `client` sent.
fn sent_id(client: &mut stanzio_im::ImClient) -> String {
    let sent = transmitted(client);
    let [Stanza::Iq(iq)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    iq.id.to_string()
}

/// Prosody's answer to the roster get, as recorded: no `from`.
const PROSODY_ROSTER: &str = "<iq type='result' to='alice@localhost/smoke' \
    id='701e51a388094939a384f8d222e0a0c4'><query ver='1' xmlns='jabber:iq:roster'/></iq>";

/// ejabberd's answer to the roster get, as recorded: from the bare JID.
const EJABBERD_ROSTER: &str = "<iq xml:lang='en' to='alice@localhost/smoke' from='alice@localhost' \
    type='result' id='215a6468d1ea4fe99d6c5f36b566d590'>\
    <query ver='5e02d2fb58d78f38abb41ff50450a7a27a4c6712' xmlns='jabber:iq:roster'/></iq>";

/// Prosody's disco#info of the server, as recorded (features shortened).
const PROSODY_DISCO: &str = "<iq type='result' from='localhost' to='alice@localhost/smoke' \
    id='25d889dd44694ab48db3961aad6a4a44'><query xmlns='http://jabber.org/protocol/disco#info'>\
    <identity type='im' category='server' name='Prosody'/><feature var='urn:xmpp:blocking'/>\
    <feature var='urn:xmpp:carbons:2'/></query></iq>";

fn with_id(xml: &str, recorded: &str, id: &str) -> Stanza {
    stanza(&xml.replace(recorded, id))
}

fn with_from(xml: &str, recorded: &str, id: &str, from: Option<&str>) -> Stanza {
    let mut s = with_id(xml, recorded, id);
    let Stanza::Iq(iq) = &mut s else { panic!() };
    iq.from = from.map(jid);
    s
}

#[test]
fn roster_results_of_both_servers_are_accepted() {
    for (xml, recorded, version) in [
        (PROSODY_ROSTER, "701e51a388094939a384f8d222e0a0c4", "1"),
        (
            EJABBERD_ROSTER,
            "215a6468d1ea4fe99d6c5f36b566d590",
            "5e02d2fb58d78f38abb41ff50450a7a27a4c6712",
        ),
    ] {
        let mut alice = client("alice@localhost/smoke");
        alice.fetch_roster(start()).unwrap();
        let id = sent_id(&mut alice);
        alice.handle_stanza(with_id(xml, recorded, &id));
        let reported = events(&mut alice);
        assert!(
            matches!(
                reported.as_slice(),
                [ImEvent::RosterReceived { request, version: Some(v) }]
                    if request.as_str() == id && v == version
            ),
            "{reported:?}"
        );
        assert_eq!(alice.roster().version(), Some(version));
    }
}

#[test]
fn a_roster_result_from_anyone_else_is_dropped_and_the_request_waits() {
    let now = start();
    let mut alice = client("alice@localhost/smoke");
    alice.fetch_roster(now).unwrap();
    let id = sent_id(&mut alice);
    for spoofer in [
        "mallory@evil.example",
        "bob@localhost",
        "bob@localhost/smoke",
        "alice@localhost/other",
    ] {
        let spoof = with_from(
            EJABBERD_ROSTER,
            "215a6468d1ea4fe99d6c5f36b566d590",
            &id,
            Some(spoofer),
        );
        alice.handle_stanza(spoof);
        let reported = events(&mut alice);
        assert!(
            matches!(
                reported.as_slice(),
                [ImEvent::Dropped {
                    reason: DropReason::ResponseFromWrongSender { expected: None },
                    ..
                }]
            ),
            "{spoofer}: {reported:?}"
        );
        assert_eq!(alice.roster().version(), None, "{spoofer}");
    }
    // Still pending: the genuine answer is taken, and the deadline stays.
    assert!(alice.poll_timeout().is_some());
    alice.handle_stanza(with_id(
        EJABBERD_ROSTER,
        "215a6468d1ea4fe99d6c5f36b566d590",
        &id,
    ));
    assert!(matches!(
        events(&mut alice).as_slice(),
        [ImEvent::RosterReceived { .. }]
    ));
    assert_eq!(alice.poll_timeout(), None);
}

#[test]
fn a_request_to_the_server_is_answered_only_by_the_server() {
    let mut alice = client("alice@localhost/smoke");
    alice
        .query_disco_info(start(), jid("localhost"), None)
        .unwrap();
    let id = sent_id(&mut alice);
    let recorded = "25d889dd44694ab48db3961aad6a4a44";
    // Neither no `from` (that is the account, not the server) nor the
    // account's bare JID answers for the server.
    for spoofer in [
        None,
        Some("alice@localhost"),
        Some("evil.example"),
        Some("mallory@localhost"),
    ] {
        alice.handle_stanza(with_from(PROSODY_DISCO, recorded, &id, spoofer));
        let reported = events(&mut alice);
        assert!(
            matches!(
                reported.as_slice(),
                [ImEvent::Dropped { reason: DropReason::ResponseFromWrongSender { expected: Some(e) }, .. }]
                    if e.as_str() == "localhost"
            ),
            "{spoofer:?}: {reported:?}"
        );
    }
    alice.handle_stanza(with_id(PROSODY_DISCO, recorded, &id));
    let reported = events(&mut alice);
    let [
        ImEvent::DiscoInfo {
            request,
            from,
            info,
        },
    ] = reported.as_slice()
    else {
        panic!("{reported:?}")
    };
    assert_eq!(request.as_str(), id);
    assert_eq!(from.as_ref().unwrap().as_str(), "localhost");
    assert!(info.has_feature("urn:xmpp:carbons:2"));
    assert_eq!(info.identities[0].name.as_deref(), Some("Prosody"));
    let _: &DiscoInfo = info;
}

#[test]
fn a_request_to_a_contact_is_answered_only_by_that_contact() {
    let mut alice = client("alice@localhost/smoke");
    let ping = stanzio_im::payload::Ping.to_element();
    alice
        .send_request(start(), Some(jid("bob@localhost/smoke")), false, ping)
        .unwrap();
    let id = sent_id(&mut alice);
    let result = |from: Option<&str>| {
        let from = from.map_or(String::new(), |f| format!(" from='{f}'"));
        stanza(&format!("<iq type='result' id='{id}'{from}/>"))
    };
    for spoofer in [
        None,
        Some("bob@localhost"),
        Some("bob@localhost/other"),
        Some("localhost"),
        Some("alice@localhost"),
    ] {
        alice.handle_stanza(result(spoofer));
        assert!(
            matches!(
                events(&mut alice).as_slice(),
                [ImEvent::Dropped {
                    reason: DropReason::ResponseFromWrongSender { .. },
                    ..
                }]
            ),
            "{spoofer:?}"
        );
    }
    alice.handle_stanza(result(Some("bob@localhost/smoke")));
    assert!(matches!(
        events(&mut alice).as_slice(),
        [ImEvent::IqResult { request, payload: None }] if request.as_str() == id
    ));
}

#[test]
fn an_unknown_id_and_a_late_answer_are_dropped() {
    let now = start();
    let mut alice = client("alice@localhost/smoke");
    alice.handle_stanza(with_id(
        PROSODY_ROSTER,
        "701e51a388094939a384f8d222e0a0c4",
        "guessed",
    ));
    assert!(matches!(
        events(&mut alice).as_slice(),
        [ImEvent::Dropped {
            reason: DropReason::UnsolicitedResponse,
            ..
        }]
    ));
    alice.ping(now, None).unwrap();
    let id = sent_id(&mut alice);
    let deadline = alice.poll_timeout().unwrap();
    alice.handle_timeout(deadline);
    assert!(matches!(
        events(&mut alice).as_slice(),
        [ImEvent::RequestFailed { request, failure: RequestFailure::Timeout }]
            if request.as_str() == id
    ));
    alice.handle_stanza(stanza(&format!("<iq type='result' id='{id}'/>")));
    assert!(matches!(
        events(&mut alice).as_slice(),
        [ImEvent::Dropped {
            reason: DropReason::UnsolicitedResponse,
            ..
        }]
    ));
}
