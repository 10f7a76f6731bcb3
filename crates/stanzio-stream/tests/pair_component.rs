//! XEP-0114 both ways: a component and the server's acceptor.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail loudly

use stanzio_jid::{BareJid, Jid};
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::testing::{Pair, TestRng};
use stanzio_stream::{
    ClientConfig, ClientEvent, ConnectionError, PeerError, ServerConfig, ServerEvent,
};

fn domain() -> BareJid {
    "echo.capulet.lit".parse().unwrap()
}

fn pair(secret: &str) -> Pair {
    let client = ClientConfig::component(domain(), secret, TestRng(1));
    let server =
        ServerConfig::new(["capulet.lit"], b"s".to_vec()).with_component(&domain(), "s3cr3t");
    let mut pair = Pair::component(client, server);
    pair.drive();
    pair
}

#[test]
fn the_right_secret_brings_the_component_online() {
    let mut pair = pair("s3cr3t");
    assert!(
        pair.is_online(),
        "{:#?} {:#?}",
        pair.client_events,
        pair.server_events
    );
    assert_eq!(pair.server.jid().unwrap().as_str(), "echo.capulet.lit");
    // Stanzas from inside the component's domain, with a `to`, flow.
    let reply = Message::chat("juliet@capulet.lit/balcony".parse::<Jid>().unwrap(), "echo")
        .with_from("bot@echo.capulet.lit".parse::<Jid>().unwrap());
    pair.client.send(reply).unwrap();
    pair.server
        .send(
            Message::chat("bot@echo.capulet.lit".parse::<Jid>().unwrap(), "hi")
                .with_from("juliet@capulet.lit/balcony".parse::<Jid>().unwrap()),
        )
        .unwrap();
    pair.drive();
    assert!(
        pair.server_events.iter().any(
            |e| matches!(e, ServerEvent::Stanza(Stanza::Message(m)) if m.body() == Some("echo"))
        )
    );
    assert!(
        pair.client_events.iter().any(
            |e| matches!(e, ClientEvent::Stanza(Stanza::Message(m)) if m.body() == Some("hi"))
        )
    );
}

#[test]
fn a_wrong_secret_is_not_authorized() {
    let pair = pair("guess");
    assert!(!pair.client.is_online());
    assert_eq!(pair.server.error(), Some(&PeerError::HandshakeRefused));
    assert_eq!(
        pair.client.error(),
        Some(&ConnectionError::HandshakeRefused)
    );
}

#[test]
fn a_component_speaking_for_another_domain_gets_invalid_from() {
    let mut pair = pair("s3cr3t");
    let spoof = Message::chat(
        "juliet@capulet.lit".parse::<Jid>().unwrap(),
        "from elsewhere",
    )
    .with_from("admin@capulet.lit".parse::<Jid>().unwrap());
    pair.client.send(spoof).unwrap();
    pair.drive();
    assert!(matches!(
        pair.server.error(),
        Some(PeerError::InvalidFrom(_))
    ));
}
