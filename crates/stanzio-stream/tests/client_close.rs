//! The closing handshake (RFC 6120 §4.4): `close()` acknowledges what was
//! received (XEP-0198), sends `</stream:stream>` and waits for the
//! server's, at most the close timeout; a close the server starts is
//! answered; nothing is ever written after our `</stream:stream>`.

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
use stanzio_stream::{ClientEvent, ConnectionError, SendError};

const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

fn online_with_two_stanzas_received() -> Harness {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.inject("<message from='bob@localhost/x' type='chat' id='1'><body>a</body></message><message from='bob@localhost/x' type='chat' id='2'><body>b</body></message>");
    assert_eq!(harness.stanzas().len(), 2);
    harness
}

#[test]
fn close_acks_then_ends_the_stream_and_waits_for_the_server() {
    let mut harness = online_with_two_stanzas_received();
    harness.server.answers_close = false;
    let mark = harness.client_wrote.len();
    harness.client.close();
    harness.drive();
    assert_eq!(
        harness.wrote_since(mark),
        "<a xmlns='urn:xmpp:sm:3' h='2'/></stream:stream>"
    );
    assert_eq!(harness.server.acks, [2]);
    // Waiting: not closed until the server's close comes.
    assert!(!harness.client.is_closed());
    assert!(!harness.disconnected());
    assert_eq!(
        harness
            .client
            .send(Message::chat("bob@localhost".parse().unwrap(), "late")),
        Err(SendError::Closed)
    );
    // Nothing answers an ack request or a ping any more: our stream is
    // over, only the server's goes on.
    harness.inject("<r xmlns='urn:xmpp:sm:3'/><iq type='get' id='p1' from='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert_eq!(
        harness.wrote_since(mark),
        "<a xmlns='urn:xmpp:sm:3' h='2'/></stream:stream>"
    );
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    // Stanzas the server sent before its close still arrive (§4.4).
    harness.inject("<message from='bob@localhost/x' type='chat' id='3'><body>c</body></message></stream:stream>");
    assert_eq!(harness.stanzas().len(), 3, "{:#?}", harness.events);
    assert!(harness.client.is_closed());
    assert!(matches!(
        harness.events.last(),
        Some(ClientEvent::Disconnected(None))
    ));
    // The clean close ends the session: nothing to resume.
    assert!(harness.client.take_resumption().is_none());
    assert_eq!(
        harness.wrote_since(mark),
        "<a xmlns='urn:xmpp:sm:3' h='2'/></stream:stream>"
    );
}

#[test]
fn a_server_answering_the_close_ends_the_connection_cleanly() {
    let mut harness = online_with_two_stanzas_received();
    harness.client.close();
    harness.drive();
    assert!(harness.client.is_closed());
    assert!(matches!(
        harness.events.last(),
        Some(ClientEvent::Disconnected(None))
    ));
    assert_eq!(harness.client.poll_timeout(), None);
}

#[test]
fn the_close_timeout_ends_a_close_the_server_never_answers() {
    let mut harness = online_with_two_stanzas_received();
    harness.server.answers_close = false;
    harness.client.close();
    harness.drive();
    assert_eq!(
        harness.client.poll_timeout(),
        Some(harness.now + CLOSE_TIMEOUT)
    );
    harness.advance(CLOSE_TIMEOUT - Duration::from_secs(1));
    assert!(!harness.disconnected());
    harness.advance(Duration::from_secs(1));
    assert_eq!(
        harness.disconnect_error(),
        Some(&ConnectionError::Timeout("the closing handshake"))
    );
}

#[test]
fn a_close_the_server_starts_is_answered() {
    let mut harness = online_with_two_stanzas_received();
    let mark = harness.client_wrote.len();
    harness.inject("</stream:stream>");
    assert_eq!(
        harness.wrote_since(mark),
        "<a xmlns='urn:xmpp:sm:3' h='2'/></stream:stream>"
    );
    assert!(harness.client.is_closed());
    assert!(matches!(
        harness.events.last(),
        Some(ClientEvent::Disconnected(None))
    ));
}

#[test]
fn nothing_is_written_after_our_close_even_when_the_server_errs() {
    // A stream error instead of the close: answered by nothing, since our
    // `</stream:stream>` is out already (RFC 6120 §4.4).
    let mut harness = online_with_two_stanzas_received();
    harness.server.answers_close = false;
    let mark = harness.client_wrote.len();
    harness.client.close();
    harness.drive();
    harness.inject("<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>");
    assert!(matches!(
        harness.disconnect_error(),
        Some(ConnectionError::StreamError(_))
    ));
    assert_eq!(
        harness.wrote_since(mark),
        "<a xmlns='urn:xmpp:sm:3' h='2'/></stream:stream>"
    );
    // Bad XML while closing: no stream error after our close either.
    let mut harness = online_with_two_stanzas_received();
    harness.server.answers_close = false;
    let mark = harness.client_wrote.len();
    harness.client.close();
    harness.drive();
    harness.inject("<message><</message>");
    assert!(matches!(
        harness.disconnect_error(),
        Some(ConnectionError::Xml(_))
    ));
    assert_eq!(
        harness.wrote_since(mark),
        "<a xmlns='urn:xmpp:sm:3' h='2'/></stream:stream>"
    );
}

#[test]
fn close_before_the_tls_handshake_writes_nothing_in_the_clear() {
    // After <proceed/> the plaintext stream is gone (RFC 6120 §5.4.3.3):
    // nothing may be written until the new stream over TLS.
    let mut harness = Harness::new(client_config(1), Shape::prosody());
    harness.auto_tls = false;
    harness.drive();
    assert!(matches!(harness.events.last(), Some(ClientEvent::StartTls)));
    let mark = harness.client_wrote.len();
    harness.client.close();
    harness.drive();
    assert_eq!(harness.wrote_since(mark), "");
    assert!(harness.client.is_closed());
    assert!(matches!(
        harness.events.last(),
        Some(ClientEvent::Disconnected(None))
    ));
}
