//! What the server lets a client be: stamped `from`, `invalid-from` for a
//! claimed address, nothing before authentication, no authzid by default.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)] // test helpers fail loudly; the tests without a pair read the clock once

use std::time::Instant;

use stanzio_jid::Jid;
use stanzio_sasl::Credentials;
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::testing::{Accounts, Pair, TestRng};
use stanzio_stream::{
    ClientConfig, PeerError, ServerConfig, ServerConnection, ServerEvent, ServerTls,
};

fn server() -> ServerConfig {
    ServerConfig::new(["capulet.lit"], b"pair secret".to_vec())
}

fn online_pair() -> Pair {
    let client = ClientConfig::new(
        "juliet@capulet.lit/balcony".parse().unwrap(),
        "r0m30",
        TestRng(1),
    );
    let mut pair = Pair::new(
        client,
        server(),
        Accounts::new(&[("juliet", "r0m30"), ("nurse", "n")]),
    );
    pair.drive();
    assert!(pair.is_online());
    pair
}

#[test]
fn a_stanza_without_from_is_stamped_with_the_full_jid() {
    let mut pair = online_pair();
    pair.client
        .send(Message::chat("romeo@montague.lit".parse().unwrap(), "hi"))
        .unwrap();
    pair.drive();
    let from = pair.server_events.iter().find_map(|e| match e {
        ServerEvent::Stanza(Stanza::Message(m)) => m.from.clone(),
        _ => None,
    });
    assert_eq!(from.unwrap().as_str(), "juliet@capulet.lit/balcony");
}

#[test]
fn a_spoofed_from_ends_the_stream_with_invalid_from() {
    let mut pair = online_pair();
    let spoof = Message::chat("romeo@montague.lit".parse().unwrap(), "it is I, the nurse")
        .with_from("nurse@capulet.lit/kitchen".parse::<Jid>().unwrap());
    pair.client.send(spoof).unwrap();
    pair.drive();
    assert!(
        matches!(pair.server.error(), Some(PeerError::InvalidFrom(claimed)) if claimed == "nurse@capulet.lit/kitchen")
    );
    // Nothing was routed.
    assert!(
        !pair
            .server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Stanza(_)))
    );
}

#[test]
fn a_stanza_before_authentication_is_refused_with_not_authorized() {
    let config = server().with_tls(ServerTls::DangerousPlaintext);
    let mut server = ServerConnection::new(config, TestRng(9), Instant::now());
    let input = b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='capulet.lit' version='1.0'><message to='romeo@montague.lit'><body>x</body></message>";
    let result = server.handle_input(Instant::now(), input);
    assert_eq!(result, Err(PeerError::NotAuthenticated));
    let mut out = Vec::new();
    let mut all = Vec::new();
    while server.poll_transmit(&mut out).is_some() {
        all.extend_from_slice(&out);
    }
    let text = String::from_utf8(all).unwrap();
    assert!(
        text.contains("<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
        "{text}"
    );
    let mut routed = false;
    while let Some(event) = server.poll_event() {
        routed |= matches!(event, ServerEvent::Stanza(_));
    }
    assert!(!routed);
}

#[test]
fn an_unknown_host_gets_host_unknown_after_the_reply_header() {
    let mut server = ServerConnection::new(server(), TestRng(9), Instant::now());
    let input = b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='montague.lit' version='1.0'>";
    assert_eq!(
        server.handle_input(Instant::now(), input),
        Err(PeerError::BadHeader("to"))
    );
    let mut out = Vec::new();
    server.poll_transmit(&mut out);
    let text = String::from_utf8(out).unwrap();
    // RFC 6120 §4.9.1.2: the header first, then the error.
    let header = text.find("<stream:stream").unwrap();
    let error = text.find("<host-unknown").unwrap();
    assert!(header < error, "{text}");
}

#[test]
fn plaintext_after_starttls_in_the_same_input_ends_the_stream_without_tls() {
    // RFC 6120 §5.4.3.3: after <starttls/> the client's next bytes are the
    // TLS handshake; a stanza there is plaintext injected by someone.
    let mut server = ServerConnection::new(server(), TestRng(9), Instant::now());
    let input = b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='capulet.lit' version='1.0'>\
        <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message to='romeo@montague.lit'/>";
    assert!(matches!(
        server.handle_input(Instant::now(), input),
        Err(PeerError::PlaintextAfterProceed(_))
    ));
    let events: Vec<ServerEvent> = std::iter::from_fn(|| server.poll_event()).collect();
    assert!(
        !events.iter().any(|e| matches!(e, ServerEvent::StartTls)),
        "the adapter must not start TLS on it: {events:?}"
    );
}

#[test]
fn an_authzid_for_another_account_is_refused_unless_the_caller_grants_it() {
    for grant in [false, true] {
        let client = ClientConfig::new("juliet@capulet.lit".parse().unwrap(), "r0m30", TestRng(2))
            .with_credentials(
                Credentials::password("juliet", "r0m30").with_authzid("nurse@capulet.lit"),
            );
        let mut pair = Pair::new(client, server(), Accounts::new(&[("juliet", "r0m30")]));
        pair.grant_authzid = grant;
        pair.drive();
        assert!(pair
            .server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::AuthorizationRequested { authzid, .. } if authzid == "nurse@capulet.lit")));
        assert_eq!(pair.client.is_online(), grant, "grant={grant}");
    }
}

#[test]
fn a_stream_ends_after_five_failed_authentications_not_before() {
    // RFC 6120 §6.4.5: retries are allowed up to a limit. Clients that
    // ignore XEP-0440 spend three attempts on -PLUS hashes first.
    let config = server().with_tls(ServerTls::DangerousPlaintext);
    let now = Instant::now();
    let mut server = ServerConnection::new(config, TestRng(9), now);
    let header = b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='capulet.lit' version='1.0'>";
    assert_eq!(server.handle_input(now, header), Ok(header.len()));
    // `n,,` alone is no client-first-message: malformed-request.
    let bad =
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>biws</auth>";
    let mut out = Vec::new();
    for attempt in 1..=4 {
        assert_eq!(
            server.handle_input(now, bad),
            Ok(bad.len()),
            "attempt {attempt}"
        );
        while server.poll_transmit(&mut out).is_some() {}
    }
    assert!(!server.is_closed());
    assert_eq!(
        server.handle_input(now, bad),
        Err(PeerError::TooManyAuthFailures)
    );
}
