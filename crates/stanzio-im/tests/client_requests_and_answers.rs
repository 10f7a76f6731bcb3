//! What an `ImClient` answers by itself, what it leaves to the
//! application, and how its requests end: XEP-0030 disco#info and
//! XEP-0199 ping answered, other requests handed over (RFC 6120 §8.2.3:
//! every request gets an answer), limits on requests and caches, and
//! malformed answers reported rather than applied.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::client::{CommandError, DropReason, RequestFailure};
use stanzio_im::payload::DiscoInfo;
use stanzio_im::{ImClient, ImClientConfig, ImEvent};
use stanzio_stanza::{Condition, IqPayload, Stanza, StanzaError};
use stanzio_stream::testing::TestRng;
use support::{client, events, jid, stanza, start, transmitted};

fn only_iq(sent: Vec<Stanza>) -> stanzio_stanza::Iq {
    let [Stanza::Iq(iq)] = <[Stanza; 1]>::try_from(sent).unwrap() else {
        panic!()
    };
    iq
}

#[test]
fn disco_info_and_ping_are_answered() {
    let mut config = ImClientConfig::new(jid("juliet@capulet.lit/balcony"));
    config.features.push("urn:xmpp:receipts".into());
    // Named twice (the client answers ping itself): advertised once, as
    // XEP-0030 §3.1 requires and the reader below checks.
    config.features.push("urn:xmpp:ping".into());
    let mut juliet = ImClient::new(config, TestRng(1));
    juliet.handle_stanza(stanza(
        "<iq type='get' id='d1' from='romeo@montague.lit/orchard'>\
         <query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    ));
    let answer = only_iq(transmitted(&mut juliet));
    assert_eq!(answer.id.as_str(), "d1");
    assert_eq!(
        answer.to.as_ref().unwrap().as_str(),
        "romeo@montague.lit/orchard"
    );
    let IqPayload::Result(Some(payload)) = &answer.payload else {
        panic!("{answer:?}")
    };
    let info = DiscoInfo::from_element(payload.root()).unwrap();
    assert_eq!(info.identities[0].category, "client");
    for feature in [
        "http://jabber.org/protocol/disco#info",
        "urn:xmpp:ping",
        "urn:xmpp:receipts",
    ] {
        assert!(info.has_feature(feature), "{feature}");
    }
    juliet.handle_stanza(stanza(
        "<iq type='get' id='p1' from='capulet.lit'><ping xmlns='urn:xmpp:ping'/></iq>",
    ));
    let pong = only_iq(transmitted(&mut juliet));
    assert!(matches!(pong.payload, IqPayload::Result(None)));
    assert_eq!(pong.to.as_ref().unwrap().as_str(), "capulet.lit");
    assert!(events(&mut juliet).is_empty());
}

#[test]
fn other_requests_go_to_the_application_which_answers_them() {
    let mut juliet = client("juliet@capulet.lit/balcony");
    for xml in [
        "<iq type='get' id='v1' from='romeo@montague.lit/orchard'><query xmlns='jabber:iq:version'/></iq>",
        // A node of disco#info (XEP-0115 caps) is the application's.
        "<iq type='get' id='v2' from='romeo@montague.lit/orchard'>\
         <query xmlns='http://jabber.org/protocol/disco#info' node='http://example/caps#abc'/></iq>",
    ] {
        juliet.handle_stanza(stanza(xml));
        assert!(transmitted(&mut juliet).is_empty());
        let reported = events(&mut juliet);
        let [ImEvent::IqRequest(request)] = reported.as_slice() else {
            panic!("{reported:?}")
        };
        juliet.reply(
            request,
            Err(StanzaError::new(Condition::ServiceUnavailable)),
        );
        let answer = only_iq(transmitted(&mut juliet));
        assert_eq!(answer.id, request.id);
        assert_eq!(
            answer.to.as_ref().unwrap().as_str(),
            "romeo@montague.lit/orchard"
        );
        assert!(matches!(
            answer.payload,
            IqPayload::Error { ref error, .. } if error.condition == Condition::ServiceUnavailable
        ));
    }
}

#[test]
fn requests_in_flight_are_bounded() {
    let mut config = ImClientConfig::new(jid("juliet@capulet.lit/balcony"));
    config.max_pending_requests = 2;
    let mut juliet = ImClient::new(config, TestRng(1));
    let now = start();
    juliet.ping(now, None).unwrap();
    juliet.ping(now, None).unwrap();
    assert_eq!(
        juliet.ping(now, None),
        Err(CommandError::TooManyRequests(2))
    );
    assert_eq!(transmitted(&mut juliet).len(), 2);
    assert_eq!(juliet.block(now, vec![]), Err(CommandError::NothingToBlock));
    // A timeout frees room.
    juliet.handle_timeout(juliet.poll_timeout().unwrap());
    assert_eq!(events(&mut juliet).len(), 2);
    assert!(juliet.ping(now, None).is_ok());
}

#[test]
fn answers_that_break_a_limit_or_the_format_are_refused() {
    let mut config = ImClientConfig::new(jid("juliet@capulet.lit/balcony"));
    config.max_roster_items = 1;
    let mut juliet = ImClient::new(config, TestRng(1));
    let now = start();
    let too_big = juliet.fetch_roster(now).unwrap();
    let malformed = juliet.fetch_roster(now).unwrap();
    let no_blocklist = juliet.fetch_blocklist(now).unwrap();
    transmitted(&mut juliet);
    juliet.handle_stanza(stanza(&format!(
        "<iq type='result' id='{too_big}'><query xmlns='jabber:iq:roster'>\
         <item jid='a@capulet.lit'/><item jid='b@capulet.lit'/></query></iq>"
    )));
    juliet.handle_stanza(stanza(&format!(
        "<iq type='result' id='{malformed}'><query xmlns='jabber:iq:roster'>\
         <item jid='a@capulet.lit/full'/></query></iq>"
    )));
    juliet.handle_stanza(stanza(&format!("<iq type='result' id='{no_blocklist}'/>")));
    let reported = events(&mut juliet);
    assert!(
        matches!(
            reported.as_slice(),
            [
                ImEvent::RequestFailed { request: a, failure: RequestFailure::LimitExceeded(_) },
                ImEvent::RequestFailed { request: b, failure: RequestFailure::MalformedResponse(_) },
                ImEvent::RequestFailed { request: c, failure: RequestFailure::MalformedResponse(_) },
            ] if *a == too_big && *b == malformed && *c == no_blocklist
        ),
        "{reported:?}"
    );
    assert!(juliet.roster().is_empty());
}

#[test]
fn a_push_with_two_items_is_refused() {
    let mut juliet = client("juliet@capulet.lit/balcony");
    juliet.handle_stanza(stanza(
        "<iq type='set' id='p'><query xmlns='jabber:iq:roster' ver='9'>\
         <item jid='a@capulet.lit'/><item jid='b@capulet.lit'/></query></iq>",
    ));
    let answer = only_iq(transmitted(&mut juliet));
    assert!(matches!(
        answer.payload,
        IqPayload::Error { ref error, .. } if error.condition == Condition::BadRequest
    ));
    assert!(matches!(
        events(&mut juliet).as_slice(),
        [ImEvent::Dropped {
            reason: DropReason::Malformed(_),
            ..
        }]
    ));
    assert!(juliet.roster().is_empty());
    assert_eq!(juliet.roster().version(), None);
}

#[test]
fn subscription_stanzas_become_events() {
    let mut juliet = client("juliet@capulet.lit/balcony");
    for xml in [
        "<presence type='subscribe' from='romeo@montague.lit' to='juliet@capulet.lit'/>",
        "<presence type='subscribed' from='romeo@montague.lit'/>",
        "<presence type='unsubscribed' from='romeo@montague.lit'/>",
        "<presence type='unsubscribe' from='romeo@montague.lit'/>",
        "<presence type='probe' from='capulet.lit'/>",
        "<presence type='subscribe'/>",
    ] {
        juliet.handle_stanza(stanza(xml));
    }
    let reported = events(&mut juliet);
    assert!(
        matches!(
            reported.as_slice(),
            [
                ImEvent::SubscriptionRequest { from: a, .. },
                ImEvent::SubscriptionApproved { from: b },
                ImEvent::SubscriptionRevoked { from: c },
                ImEvent::ContactUnsubscribed { from: d },
                ImEvent::Dropped { reason: DropReason::Probe, .. },
                ImEvent::Dropped { reason: DropReason::Malformed(_), .. },
            ] if [a, b, c, d].iter().all(|j| j.as_str() == "romeo@montague.lit")
        ),
        "{reported:?}"
    );
    // The unsubscribe withdrew the request.
    assert!(juliet.subscription_requests().is_empty());
    juliet.handle_stanza(stanza(
        "<presence type='subscribe' from='romeo@montague.lit/orchard'/>",
    ));
    assert_eq!(juliet.subscription_requests().len(), 1);
    juliet.approve(jid("romeo@montague.lit"));
    assert!(juliet.subscription_requests().is_empty());
}

#[test]
fn presence_errors_and_bare_unavailable_end_tracked_resources() {
    let mut juliet = client("juliet@capulet.lit/balcony");
    for xml in [
        "<presence from='romeo@montague.lit/orchard'><priority>1</priority></presence>",
        "<presence from='romeo@montague.lit/garden'/>",
        "<presence from='nurse@capulet.lit/kitchen'/>",
    ] {
        juliet.handle_stanza(stanza(xml));
    }
    assert_eq!(juliet.presence().len(), 3);
    // Prosody's unavailable from the bare JID, as recorded.
    juliet.handle_stanza(stanza(
        "<presence from='romeo@montague.lit' to='juliet@capulet.lit' type='unavailable'/>",
    ));
    assert!(!juliet.presence().is_available(&jid("romeo@montague.lit")));
    juliet.handle_stanza(stanza(
        "<presence type='error' from='nurse@capulet.lit/kitchen'>\
         <error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>",
    ));
    assert!(juliet.presence().is_empty());
    let reported = events(&mut juliet);
    assert!(matches!(
        reported.last(),
        Some(ImEvent::PresenceError { from: Some(f), error }) if f.as_str() == "nurse@capulet.lit/kitchen"
            && matches!(error.condition, Condition::Gone(_))
    ));
}

#[test]
fn an_error_message_is_tied_to_the_message_only_by_its_recipient() {
    let mut juliet = client("juliet@capulet.lit/balcony");
    let id = juliet.send_message(stanzio_stanza::Message::chat(
        jid("romeo@montague.lit"),
        "hello",
    ));
    transmitted(&mut juliet);
    let error = |from: &str| {
        stanza(&format!(
            "<message type='error' id='{id}' from='{from}'><error type='cancel'>\
             <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"
        ))
    };
    juliet.handle_stanza(error("mallory@evil.example"));
    juliet.handle_stanza(error("romeo@montague.lit/orchard"));
    let reported = events(&mut juliet);
    assert!(
        matches!(
            reported.as_slice(),
            [
                ImEvent::Dropped { reason: DropReason::UnmatchedError, .. },
                ImEvent::MessageFailed { id: i, to, error },
            ] if *i == id && to.as_str() == "romeo@montague.lit"
                && error.condition == Condition::ServiceUnavailable
        ),
        "{reported:?}"
    );
}
