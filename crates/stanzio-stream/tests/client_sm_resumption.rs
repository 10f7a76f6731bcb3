//! Resumption (XEP-0198 §5): the state taken from a connection that died
//! with stanzas unacknowledged resumes on a new connection, which sends
//! what the server did not confirm before anything else; when the server
//! cannot resume, every stanza that may be lost comes back in one event
//! and a new session is bound.

// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Harness, Shape, client_config};
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::{ClientEvent, ConnectionError, ResumptionState};

const RESUMED: &str = "<resumed xmlns='urn:xmpp:sm:3' previd='c20tMQ==' h='{h}'/>";

fn chat(body: &str) -> Message {
    Message::chat("bob@localhost".parse().unwrap(), body).with_id(body)
}

fn ids(stanzas: &[Stanza]) -> Vec<&str> {
    stanzas.iter().filter_map(Stanza::id).collect()
}

/// A session that received one stanza, sent three, of which the server
/// acknowledged one, and then lost its transport.
fn broken_session() -> ResumptionState {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.server.answers_ack_requests = false;
    harness
        .inject("<message from='bob@localhost/x' type='chat' id='in1'><body>hi</body></message>");
    for body in ["m1", "m2", "m3"] {
        harness.client.send(chat(body)).unwrap();
    }
    harness.drive();
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='1'/>");
    assert!(harness.client.take_resumption().is_none(), "alive");
    harness.client.handle_transport_closed(harness.now);
    harness.drive();
    assert_eq!(
        harness.disconnect_error(),
        Some(&ConnectionError::UnexpectedEof)
    );
    let state = harness.client.take_resumption().expect("resumable");
    assert!(harness.client.take_resumption().is_none(), "taken once");
    state
}

#[test]
fn the_state_of_a_broken_session_holds_exactly_what_is_unacknowledged() {
    let state = broken_session();
    assert_eq!(state.id, "c20tMQ==");
    assert_eq!(state.jid.as_str(), "alice@localhost/smoke");
    assert_eq!(state.handled, 1);
    assert_eq!(state.sent, 3);
    assert_eq!(state.acked, 1);
    assert_eq!(ids(&state.unacked), ["m2", "m3"]);
}

#[test]
fn resumption_resends_what_the_server_did_not_confirm_first() {
    let state = broken_session();
    let mut harness = Harness::new(client_config(2).with_resumption(state), Shape::prosody());
    harness.server.resume_answer = Some(RESUMED.into());
    // The old server had handled m2 (but not acked it) when the link died.
    harness.server.handled = 2;
    harness.server.answers_ack_requests = false;
    harness.client.send(chat("m4")).unwrap();
    harness.drive();
    let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
    assert!(
        wrote.contains("<resume xmlns='urn:xmpp:sm:3' h='1' previd='c20tMQ=='/>"),
        "{wrote}"
    );
    assert!(!wrote.contains("xmpp-bind"), "no new bind: {wrote}");
    assert!(!wrote.contains("<enable"), "{wrote}");
    // m2 is confirmed by <resumed h='2'/>; m3 goes again, before m4.
    let acked: Vec<_> = harness
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Acked(stanza) => stanza.id(),
            _ => None,
        })
        .collect();
    assert_eq!(acked, ["m2"]);
    let received: Vec<_> = harness
        .server
        .received
        .iter()
        .map(|xml| {
            xml.split("id='")
                .nth(1)
                .and_then(|s| s.split('\'').next())
                .unwrap()
        })
        .collect();
    assert_eq!(received, ["m3", "m4"]);
    assert!(harness.events.iter().any(|e| matches!(
        e,
        ClientEvent::Online { resumed: true, jid } if jid.as_str() == "alice@localhost/smoke"
    )));
    assert_eq!(harness.client.stream_management(), Some((true, 2)));
    // Counting goes on from the old session: the server's h of 4 acks m3
    // and m4.
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='4'/>");
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    assert_eq!(harness.client.stream_management(), Some((true, 0)));
}

#[test]
fn a_failed_resumption_hands_back_every_unacked_stanza_and_binds_anew() {
    let state = broken_session();
    let mut harness = Harness::new(client_config(2).with_resumption(state), Shape::prosody());
    harness.drive();
    let failed: Vec<_> = harness
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::ResumptionFailed { unacked } => Some(ids(unacked)),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [vec!["m2", "m3"]]);
    assert!(
        harness
            .events
            .iter()
            .any(|e| matches!(e, ClientEvent::Online { resumed: false, .. }))
    );
    let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
    assert!(wrote.contains("xmpp-bind"), "{wrote}");
    // Nothing of the old session is sent again by the library: the
    // application decides.
    assert!(
        harness.server.received.is_empty(),
        "{:?}",
        harness.server.received
    );
}

#[test]
fn a_failed_resumption_with_h_hands_back_only_what_was_not_handled() {
    // XEP-0198 §5: <failed/> may carry h.
    let state = broken_session();
    let mut harness = Harness::new(client_config(2).with_resumption(state), Shape::prosody());
    harness.server.resume_answer = Some("<failed xmlns='urn:xmpp:sm:3' h='{h}'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>".into());
    harness.server.handled = 2;
    harness.drive();
    assert!(
        harness
            .events
            .iter()
            .any(|e| matches!(e, ClientEvent::Acked(s) if s.id() == Some("m2")))
    );
    let failed: Vec<_> = harness
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::ResumptionFailed { unacked } => Some(ids(unacked)),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [vec!["m3"]]);
    assert!(harness.is_online());
}

#[test]
fn counters_wrap_across_a_resumption() {
    // XEP-0198 §4: h is an xs:unsignedInt and wraps to 0.
    let mut state = broken_session();
    state.handled = u32::MAX;
    state.sent = 1;
    state.acked = u32::MAX;
    let mut harness = Harness::new(client_config(2).with_resumption(state), Shape::prosody());
    harness.server.resume_answer =
        Some("<resumed xmlns='urn:xmpp:sm:3' previd='c20tMQ==' h='0'/>".into());
    harness.drive();
    assert!(harness.is_online(), "{:#?}", harness.events);
    // h=0 acknowledged m2 (u32::MAX -> 0); m3 went again.
    assert_eq!(harness.server.received.len(), 1);
    assert!(harness.server.received[0].contains("id='m3'"));
    // One stanza in: the client's count wraps from 2^32-1 to 0.
    harness.inject("<message from='bob@localhost/x' type='chat'><body>x</body></message><r xmlns='urn:xmpp:sm:3'/>");
    assert_eq!(harness.server.acks, [0]);
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='1'/>");
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    assert_eq!(harness.client.stream_management(), Some((true, 0)));
}

#[test]
fn resumption_state_of_another_account_is_refused() {
    let state = broken_session();
    let config = stanzio_stream::ClientConfig::new(
        "bob@localhost".parse().unwrap(),
        "x",
        common::TestRng(1),
    )
    .with_resumption(state);
    assert_eq!(
        stanzio_stream::ClientConnection::new(config, common::epoch()).unwrap_err(),
        stanzio_stream::ConfigError::ResumptionForOtherAccount("alice@localhost".into())
    );
}

#[test]
fn a_reconnect_that_fails_before_resuming_keeps_the_state() {
    let state = broken_session();
    let mut harness = Harness::new(
        client_config(2).with_resumption(state.clone()),
        Shape::prosody(),
    );
    let starttls = harness.server.shape.features_plain.clone();
    harness.tamper = Some(Box::new(move |dir, bytes| {
        if dir == common::Dir::ToClient {
            *bytes = String::from_utf8_lossy(bytes)
                .replace(&starttls, "")
                .into_bytes();
        }
    }));
    harness.drive();
    assert_eq!(
        harness.disconnect_error(),
        Some(&ConnectionError::TlsNotOffered)
    );
    assert_eq!(harness.client.take_resumption(), Some(state));
}

#[test]
fn a_reconnect_that_dies_while_resuming_keeps_the_state() {
    let state = broken_session();
    let mut harness = Harness::new(
        client_config(2).with_resumption(state.clone()),
        Shape::prosody(),
    );
    // The server never answers <resume/>.
    harness.server.resume_answer = Some(String::new());
    harness.drive();
    let wrote = String::from_utf8_lossy(&harness.client_wrote).into_owned();
    assert!(wrote.contains("<resume "), "{wrote}");
    harness.client.handle_transport_closed(harness.now);
    harness.drive();
    assert_eq!(harness.client.take_resumption(), Some(state));
}

#[test]
fn closing_while_resuming_hands_the_stanzas_back() {
    let state = broken_session();
    let mut harness = Harness::new(client_config(2).with_resumption(state), Shape::prosody());
    harness.server.resume_answer = Some(String::new());
    harness.drive();
    harness.client.close();
    harness.drive();
    let undelivered: Vec<_> = harness
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Undelivered { stanzas } => Some(ids(stanzas)),
            _ => None,
        })
        .collect();
    assert_eq!(undelivered, [vec!["m2", "m3"]], "{:#?}", harness.events);
}

#[test]
fn a_resumed_count_too_high_hands_the_stanzas_back() {
    let state = broken_session();
    let mut harness = Harness::new(client_config(2).with_resumption(state), Shape::prosody());
    harness.server.resume_answer =
        Some("<resumed xmlns='urn:xmpp:sm:3' previd='c20tMQ==' h='9'/>".into());
    harness.drive();
    assert!(matches!(
        harness.disconnect_error(),
        Some(ConnectionError::HandledCountTooHigh(_))
    ));
    let undelivered: Vec<_> = harness
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Undelivered { stanzas } => Some(ids(stanzas)),
            _ => None,
        })
        .collect();
    assert_eq!(undelivered, [vec!["m2", "m3"]], "{:#?}", harness.events);
}
