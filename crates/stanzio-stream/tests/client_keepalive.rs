//! Keepalives (RFC 6120 §4.6.1): a single space after `whitespace_interval`
//! without sending, on TCP only (never on a WebSocket, RFC 7395 §3.8); the
//! server's XEP-0199 ping is answered by the client itself.

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
use stanzio_stream::KeepalivePolicy;

const INTERVAL: Duration = Duration::from_secs(90);

fn keepalive_only() -> KeepalivePolicy {
    let mut keepalive = KeepalivePolicy::default();
    keepalive.ping_interval = None;
    keepalive
}

fn spaces(wrote: &str) -> usize {
    wrote.matches(' ').count()
}

#[test]
fn a_space_goes_out_after_the_interval_without_sending() {
    assert_eq!(
        KeepalivePolicy::default().whitespace_interval,
        Some(INTERVAL)
    );
    // Without stream management, whose ack requests are sending too.
    let mut harness = Harness::online(
        client_config(1)
            .with_keepalive(keepalive_only())
            .with_stream_management(None),
        Shape::prosody(),
    );
    let mark = harness.client_wrote.len();
    harness.advance(INTERVAL - Duration::from_secs(1));
    assert_eq!(harness.wrote_since(mark), "");
    harness.advance(Duration::from_secs(1));
    assert_eq!(harness.wrote_since(mark), " ");
    harness.advance(INTERVAL * 2);
    assert_eq!(harness.wrote_since(mark), "   ");
    // Sending postpones the next space.
    harness.advance(INTERVAL / 2);
    harness
        .client
        .send(Message::chat("bob@localhost".parse().unwrap(), "x"))
        .unwrap();
    harness.drive();
    let mark = harness.client_wrote.len();
    harness.advance(INTERVAL - Duration::from_secs(1));
    assert!(
        !harness.wrote_since(mark).starts_with(' '),
        "{}",
        harness.wrote_since(mark)
    );
    harness.advance(Duration::from_secs(1));
    assert!(
        harness.wrote_since(mark).ends_with(' '),
        "{}",
        harness.wrote_since(mark)
    );
    assert!(!harness.disconnected());
}

#[test]
fn no_space_when_turned_off() {
    let mut keepalive = keepalive_only();
    keepalive.whitespace_interval = None;
    let mut harness = Harness::online(client_config(1).with_keepalive(keepalive), Shape::prosody());
    let mark = harness.client_wrote.len();
    harness.advance(INTERVAL * 10);
    assert_eq!(spaces(&harness.wrote_since(mark)), 0);
    assert_eq!(harness.client.poll_timeout(), None);
}

#[test]
fn never_a_space_on_a_websocket() {
    let mut harness = Harness::websocket(client_config(1), Shape::prosody());
    harness.drive();
    assert!(harness.is_online(), "{:#?}", harness.events);
    let messages = harness.client_messages.len();
    harness.advance(INTERVAL * 10);
    for message in &harness.client_messages[messages..] {
        assert!(
            message.starts_with(b"<"),
            "{}",
            String::from_utf8_lossy(message)
        );
    }
    assert!(!harness.disconnected(), "{:#?}", harness.events);
}

#[test]
fn the_servers_ping_is_answered_and_not_reported() {
    let mut harness = Harness::online(client_config(1), Shape::ejabberd());
    harness.inject("<iq type='get' id='s2c1' from='localhost' to='alice@localhost/smoke'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert!(harness.stanzas().is_empty(), "{:#?}", harness.events);
    let pong = harness.server.received.last().expect("a pong");
    assert!(pong.starts_with("<iq"), "{pong}");
    assert!(
        pong.contains("type='result'")
            && pong.contains("id='s2c1'")
            && pong.contains("to='localhost'"),
        "{pong}"
    );
    assert!(!pong.contains("<ping"), "{pong}");
}
