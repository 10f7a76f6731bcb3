//! Stream management acks (XEP-0198 §4) on an established session: each
//! acknowledged stanza is reported, `<r/>` goes out every `ack_every`
//! stanzas and once a stanza waited `ack_after`, and the server's `<r/>`
//! is answered with the number of stanzas handled, counting mod 2^32.

// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{Harness, Shape, client_config};
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::{ClientEvent, SmPolicy};

fn chat(n: usize) -> Message {
    Message::chat("bob@localhost".parse().unwrap(), format!("m{n}")).with_id(format!("m{n}"))
}

fn acked_ids(harness: &Harness) -> Vec<String> {
    harness
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Acked(stanza) => stanza.id().map(str::to_owned),
            _ => None,
        })
        .collect()
}

#[test]
fn every_ack_every_stanzas_an_ack_request_goes_out_and_each_stanza_is_acked() {
    assert_eq!(SmPolicy::default().ack_every, 5);
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    for n in 0..4 {
        harness.client.send(chat(n)).unwrap();
    }
    harness.drive();
    assert_eq!(harness.server.ack_requests, 0);
    assert_eq!(harness.client.stream_management(), Some((true, 4)));
    assert!(acked_ids(&harness).is_empty());
    harness.client.send(chat(4)).unwrap();
    harness.drive();
    assert_eq!(harness.server.ack_requests, 1);
    assert_eq!(acked_ids(&harness), ["m0", "m1", "m2", "m3", "m4"]);
    assert_eq!(harness.client.stream_management(), Some((true, 0)));
    for n in 5..15 {
        harness.client.send(chat(n)).unwrap();
    }
    harness.drive();
    assert_eq!(harness.server.ack_requests, 3);
    assert_eq!(acked_ids(&harness).len(), 15);
}

#[test]
fn a_stanza_waiting_ack_after_gets_an_ack_request() {
    let ack_after = SmPolicy::default().ack_after;
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.client.send(chat(0)).unwrap();
    harness.drive();
    harness.advance(ack_after - Duration::from_millis(1));
    assert_eq!(harness.server.ack_requests, 0);
    harness.advance(Duration::from_millis(1));
    assert_eq!(harness.server.ack_requests, 1);
    assert_eq!(acked_ids(&harness), ["m0"]);
    // Nothing waits: no more requests.
    harness.advance(ack_after * 3);
    assert_eq!(harness.server.ack_requests, 1);
}

#[test]
fn the_servers_ack_request_is_answered_with_the_stanzas_handled() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.inject("<message from='bob@localhost/x' type='chat'><body>1</body></message><presence from='bob@localhost/x'/><iq type='set' id='push1' from='alice@localhost'><query xmlns='jabber:iq:roster'/></iq><r xmlns='urn:xmpp:sm:3'/>");
    assert_eq!(harness.server.acks, [3]);
    // A ping the client answers itself is a stanza handled too.
    harness.inject("<iq type='get' id='ping1' from='localhost'><ping xmlns='urn:xmpp:ping'/></iq><r xmlns='urn:xmpp:sm:3'/>");
    assert_eq!(harness.server.acks, [3, 4]);
    // The pong counts on the client's side.
    harness.drive();
    assert_eq!(harness.client.stream_management(), Some((true, 1)));
}

#[test]
fn an_old_ack_acknowledges_nothing_new() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.server.answers_ack_requests = false;
    for n in 0..3 {
        harness.client.send(chat(n)).unwrap();
    }
    harness.drive();
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='2'/>");
    assert_eq!(acked_ids(&harness), ["m0", "m1"]);
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='1'/>");
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='2'/>");
    assert_eq!(acked_ids(&harness), ["m0", "m1"]);
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    harness.inject("<a xmlns='urn:xmpp:sm:3' h='3'/>");
    assert_eq!(acked_ids(&harness), ["m0", "m1", "m2"]);
    let _: Option<&Stanza> = None;
}

/// XEP-0198 §4: the client counts the server's stanzas from the moment it
/// receives `<enabled/>`, not from its own `<enable/>`. ejabberd sends a
/// hibernated session's stanzas between the two; counting them made the
/// client's `h` run ahead and ejabberd end the stream ("acknowledged more
/// stanzas than sent").
#[test]
fn stanzas_before_enabled_are_not_counted() {
    let mut harness = Harness::new(client_config(1), Shape::ejabberd());
    harness.server.enabled = Some(
        "<message from='bob@localhost/x' type='chat'><body>from before</body></message>\
         <enabled xmlns='urn:xmpp:sm:3' id='c20tMQ==' resume='true' max='300'/>"
            .into(),
    );
    harness.drive();
    assert!(harness.is_online());
    harness.inject("<message from='bob@localhost/x' type='chat'><body>after</body></message><r xmlns='urn:xmpp:sm:3'/>");
    assert_eq!(harness.server.acks, [1]);
}
