//! XMPP over WebSocket (RFC 7395): `<open/>` and `<close/>` frame the
//! stream, every `poll_transmit` output is one message holding one
//! element, TLS comes from `wss://` (never STARTTLS), no white-space
//! keepalive, and `see-other-uri` is reported.

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
use stanzio_stanza::Message;
use stanzio_stream::{ClientEvent, ConnectionError};
use stanzio_xml::{ContentNamespace, FrameReader, Limits};

fn online() -> Harness {
    let mut harness = Harness::websocket(client_config(1), Shape::prosody());
    harness.drive();
    assert!(harness.is_online(), "{:#?}", harness.events);
    assert!(
        harness.server.xml_errors.is_empty(),
        "{:?}",
        harness.server.xml_errors
    );
    harness
}

fn text(message: &[u8]) -> String {
    String::from_utf8_lossy(message).into_owned()
}

#[test]
fn login_frames_one_element_per_message_without_starttls() {
    let harness = online();
    let messages: Vec<String> = harness.client_messages.iter().map(|m| text(m)).collect();
    // TLS came from wss:// before the first byte, so the header names the
    // account at once (RFC 6120 §4.7.1).
    let open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='alice@localhost' to='localhost' version='1.0'/>";
    assert_eq!(messages[0], open);
    // The stream restarts after SASL with a new <open/> (RFC 7395 §3.5).
    let opens: Vec<&String> = messages
        .iter()
        .filter(|m| m.starts_with("<open "))
        .collect();
    assert_eq!(opens, [open, open], "{messages:#?}");
    assert!(
        !messages.iter().any(|m| m.contains("starttls")),
        "{messages:#?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("stream:stream")),
        "{messages:#?}"
    );
    // One element per message: each is a whole document that a frame
    // reader takes (it refuses two elements, or a part of one).
    let mut reader = FrameReader::new(Limits::default(), ContentNamespace::Client);
    for message in &messages {
        assert!(reader.read_message(message.as_bytes()).is_ok(), "{message}");
    }
    let mut reader = FrameReader::new(Limits::default(), ContentNamespace::Client);
    assert!(
        reader
            .read_message(b"<r xmlns='urn:xmpp:sm:3'/><r xmlns='urn:xmpp:sm:3'/>")
            .is_err()
    );
    assert!(messages.iter().any(|m| m.starts_with("<auth ")));
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("<iq ") && m.contains("xmlns='jabber:client'")),
        "{messages:#?}"
    );
}

#[test]
fn stanzas_and_stream_management_work_over_messages() {
    let mut harness = online();
    for n in 0..5 {
        harness
            .client
            .send(Message::chat(
                "bob@localhost".parse().unwrap(),
                format!("m{n}"),
            ))
            .unwrap();
    }
    harness.drive();
    assert_eq!(harness.server.received.len(), 5);
    assert_eq!(harness.server.ack_requests, 1);
    assert_eq!(
        harness
            .events
            .iter()
            .filter(|e| matches!(e, ClientEvent::Acked(_)))
            .count(),
        5
    );
    harness.inject("<message from='bob@localhost/x' type='chat'><body>hi</body></message>");
    assert_eq!(harness.stanzas().len(), 1);
}

#[test]
fn close_is_a_close_element_and_the_servers_close_ends_it() {
    let mut harness = online();
    let messages = harness.client_messages.len();
    harness.client.close();
    harness.drive();
    let tail: Vec<String> = harness.client_messages[messages..]
        .iter()
        .map(|m| text(m))
        .collect();
    assert_eq!(
        tail,
        [
            "<a xmlns='urn:xmpp:sm:3' h='0'/>",
            "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"
        ]
    );
    assert!(harness.client.is_closed());
    assert!(matches!(
        harness.events.last(),
        Some(ClientEvent::Disconnected(None))
    ));
}

#[test]
fn see_other_uri_is_reported() {
    let mut harness = online();
    harness.inject("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='wss://other.example/xmpp-websocket'/>");
    assert_eq!(
        harness.disconnect_error(),
        Some(&ConnectionError::SeeOtherUri(
            "wss://other.example/xmpp-websocket".into()
        ))
    );
}

#[test]
fn no_whitespace_keepalive_ever() {
    let mut harness = online();
    let messages = harness.client_messages.len();
    harness.advance(Duration::from_secs(3600));
    for message in &harness.client_messages[messages..] {
        assert!(
            !message.iter().all(u8::is_ascii_whitespace),
            "a keepalive message"
        );
    }
}
