//! Component mode (XEP-0114): the header names the component's domain in
//! `jabber:component:accept`, the handshake is the lowercase hex SHA-1 of
//! the stream id and the secret, and `not-authorized` is
//! `HandshakeRefused`.

// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{TestRng, epoch};
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::{ClientConfig, ClientConnection, ClientEvent, ConnectionError};

const SERVER_HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' from='bot.localhost' id='3BF96D32'>";

fn component() -> ClientConnection {
    let config = ClientConfig::component("bot.localhost".parse().unwrap(), "wunderbar", TestRng(1));
    ClientConnection::new(config, epoch()).unwrap()
}

fn transmit(client: &mut ClientConnection) -> String {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while client.poll_transmit(&mut buf).is_some() {
        out.extend_from_slice(&buf);
    }
    String::from_utf8(out).unwrap()
}

fn events(client: &mut ClientConnection) -> Vec<ClientEvent> {
    std::iter::from_fn(|| client.poll_event()).collect()
}

#[test]
fn the_handshake_is_the_hex_sha1_of_stream_id_and_secret() {
    let mut client = component();
    let now = epoch();
    assert_eq!(
        transmit(&mut client),
        "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='bot.localhost'>"
    );
    client.handle_input(now, SERVER_HEADER.as_bytes()).unwrap();
    // SHA-1("3BF96D32" + "wunderbar"), computed apart (Python hashlib).
    assert_eq!(
        transmit(&mut client),
        "<handshake>6a04bd1c15e93fa711bcb51b8aeb829058fb9630</handshake>"
    );
    assert!(events(&mut client).is_empty());
    client.handle_input(now, b"<handshake/>").unwrap();
    let online = events(&mut client);
    assert!(
        matches!(&online[..], [ClientEvent::Online { jid, resumed: false }] if jid.as_str() == "bot.localhost"),
        "{online:#?}"
    );
    // Stanzas flow both ways, with any address of the component's domain.
    client
        .handle_input(now, b"<message from='alice@localhost/x' to='echo@bot.localhost' type='chat'><body>hi</body></message>")
        .unwrap();
    let got = events(&mut client);
    assert!(
        matches!(&got[..], [ClientEvent::Stanza(Stanza::Message(_))]),
        "{got:#?}"
    );
    client
        .send(
            Message::chat("alice@localhost/x".parse().unwrap(), "hello")
                .with_from("echo@bot.localhost".parse().unwrap()),
        )
        .unwrap();
    let wrote = transmit(&mut client);
    assert!(
        wrote.starts_with("<message") && wrote.contains("from='echo@bot.localhost'"),
        "{wrote}"
    );
    // No stream management on a component stream: nothing but the stanza.
    assert!(!wrote.contains("urn:xmpp:sm"), "{wrote}");
}

#[test]
fn not_authorized_is_handshake_refused() {
    let mut client = component();
    let now = epoch();
    transmit(&mut client);
    client.handle_input(now, SERVER_HEADER.as_bytes()).unwrap();
    transmit(&mut client);
    let result = client.handle_input(
        now,
        b"<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>",
    );
    assert_eq!(result, Err(ConnectionError::HandshakeRefused));
    assert!(client.is_closed());
    assert_eq!(transmit(&mut client), "</stream:stream>");
    assert!(matches!(
        events(&mut client).last(),
        Some(ClientEvent::Disconnected(Some(
            ConnectionError::HandshakeRefused
        )))
    ));
}

#[test]
fn a_server_header_without_an_id_cannot_be_answered() {
    let mut client = component();
    transmit(&mut client);
    let header = SERVER_HEADER.replace(" id='3BF96D32'", "");
    let result = client.handle_input(epoch(), header.as_bytes());
    assert!(
        matches!(result, Err(ConnectionError::BadHeader(_))),
        "{result:?}"
    );
    assert!(!transmit(&mut client).contains("<handshake"));
}
