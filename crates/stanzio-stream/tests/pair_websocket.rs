//! RFC 7395 both ways: `<open/>`, one element per message, no STARTTLS and
//! no white-space keepalives, `<close/>`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail loudly

use std::cell::RefCell;
use std::rc::Rc;

use stanzio_jid::Jid;
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::testing::{Accounts, Direction, Pair, TestRng};
use stanzio_stream::{ClientConfig, ClientEvent, ServerConfig, ServerEvent};

#[test]
fn a_websocket_session_logs_in_chats_and_closes() {
    let client = ClientConfig::new(
        "juliet@capulet.lit/balcony".parse().unwrap(),
        "r0m30",
        TestRng(1),
    );
    let server = ServerConfig::new(["capulet.lit"], b"s".to_vec());
    let mut pair = Pair::websocket(client, server, Accounts::new(&[("juliet", "r0m30")]));
    let messages = Rc::new(RefCell::new(Vec::new()));
    let seen = messages.clone();
    pair.tamper = Some(Box::new(move |direction, buf| {
        seen.borrow_mut()
            .push((direction, String::from_utf8_lossy(buf).into_owned()));
    }));
    pair.drive();
    assert!(pair.is_online(), "{:#?}", pair.client_events);
    pair.client
        .send(Message::chat(
            "romeo@montague.lit".parse::<Jid>().unwrap(),
            "over a socket",
        ))
        .unwrap();
    pair.drive();
    assert!(pair.server_events.iter().any(|e| matches!(e, ServerEvent::Stanza(Stanza::Message(m)) if m.body() == Some("over a socket"))));
    pair.advance(std::time::Duration::from_secs(200));
    pair.client.close();
    pair.drive();
    assert!(
        pair.client.is_closed() && pair.client.error().is_none(),
        "{:?}",
        pair.client.error()
    );
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Disconnected(None)))
    );

    let messages = messages.borrow();
    let first = &messages[0];
    assert_eq!(first.0, Direction::ToServer);
    assert!(
        first
            .1
            .starts_with("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'"),
        "{}",
        first.1
    );
    assert!(
        messages
            .iter()
            .any(|(d, m)| *d == Direction::ToClient && m.starts_with("<open "))
    );
    for (_, message) in messages.iter() {
        assert!(
            !message.contains("starttls"),
            "no STARTTLS over WebSocket: {message}"
        );
        assert!(
            !message.trim().is_empty(),
            "no white-space keepalive over WebSocket"
        );
        // One element per message: it starts with '<' and holds one root.
        assert!(message.starts_with('<'), "{message}");
        assert!(!message.starts_with("<?xml"), "{message}");
    }
    assert!(
        messages
            .iter()
            .any(|(d, m)| *d == Direction::ToServer && m.starts_with("<close "))
    );
    assert!(messages.iter().any(|(_, m)| {
        m.contains("<stream:features xmlns:stream='http://etherx.jabber.org/streams'")
    }));
}
