//! XEP-0198 across a dropped connection, both machines: stanzas in flight
//! both ways when the transport dies are neither lost nor delivered twice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail loudly

use stanzio_jid::Jid;
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::testing::{Accounts, Pair, TestRng};
use stanzio_stream::{ClientConfig, ClientEvent, ServerConfig, ServerEvent};

fn client(seed: u64) -> ClientConfig {
    ClientConfig::new(
        "juliet@capulet.lit/balcony".parse().unwrap(),
        "r0m30",
        TestRng(seed),
    )
}

fn server() -> ServerConfig {
    ServerConfig::new(["capulet.lit"], b"pair secret".to_vec())
}

fn chat(to: &str, body: &str) -> Message {
    Message::chat(to.parse::<Jid>().unwrap(), body)
}

fn bodies_to_server(events: &[ServerEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Stanza(Stanza::Message(m)) => m.body().map(str::to_owned),
            _ => None,
        })
        .collect()
}

fn bodies_to_client(events: &[ClientEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Stanza(Stanza::Message(m)) => m.body().map(str::to_owned),
            _ => None,
        })
        .collect()
}

#[test]
fn stanzas_in_flight_both_ways_survive_a_dropped_connection_exactly_once() {
    let mut pair = Pair::new(client(1), server(), Accounts::new(&[("juliet", "r0m30")]));
    pair.drive();
    assert!(pair.is_online());
    assert_eq!(
        pair.client
            .stream_management()
            .map(|(resumable, _)| resumable),
        Some(true)
    );

    // Delivered and acknowledged before the drop.
    pair.client.send(chat("romeo@montague.lit", "c1")).unwrap();
    pair.server
        .send(chat("juliet@capulet.lit/balcony", "s1"))
        .unwrap();
    pair.drive();
    pair.client.request_ack();
    pair.drive();

    // In flight when the transport dies: written, never transmitted.
    pair.client.send(chat("romeo@montague.lit", "c2")).unwrap();
    pair.client.send(chat("romeo@montague.lit", "c3")).unwrap();
    pair.server
        .send(chat("juliet@capulet.lit/balcony", "s2"))
        .unwrap();
    pair.drop_connection();

    let state = pair.client.take_resumption().expect("a resumable session");
    assert_eq!(state.unacked.len(), 2, "c2 and c3 wait for an ack");
    assert_eq!(
        pair.kept.len(),
        1,
        "the server application kept the session"
    );

    pair.reconnect(client(2).with_resumption(state), server());
    pair.drive();
    assert!(pair.is_online(), "{:#?}", pair.client_events);
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Online { resumed: true, .. }))
    );
    assert!(
        pair.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Online { resumed: true, .. }))
    );
    assert_eq!(bodies_to_server(&pair.server_events), ["c1", "c2", "c3"]);
    assert_eq!(bodies_to_client(&pair.client_events), ["s1", "s2"]);
}

#[test]
fn an_expired_session_hands_every_unacked_stanza_back_and_binds_anew() {
    let mut pair = Pair::new(client(3), server(), Accounts::new(&[("juliet", "r0m30")]));
    pair.drive();
    pair.client
        .send(chat("romeo@montague.lit", "lost?"))
        .unwrap();
    pair.drop_connection();
    let state = pair.client.take_resumption().unwrap();
    pair.kept.clear(); // the resumption window closed
    pair.reconnect(client(4).with_resumption(state), server());
    pair.drive();
    assert!(pair.is_online());
    let handed_back: Vec<_> = pair
        .client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::ResumptionFailed { unacked } => Some(unacked.len()),
            _ => None,
        })
        .collect();
    assert_eq!(handed_back, [1]);
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Online { resumed: false, .. }))
    );
}

#[test]
fn acks_release_stanzas_on_both_sides() {
    let mut pair = Pair::new(client(5), server(), Accounts::new(&[("juliet", "r0m30")]));
    pair.drive();
    for i in 0..7 {
        pair.client
            .send(chat("romeo@montague.lit", &format!("m{i}")))
            .unwrap();
        pair.server
            .send(chat("juliet@capulet.lit/balcony", &format!("n{i}")))
            .unwrap();
    }
    pair.drive();
    pair.client.request_ack();
    pair.drive();
    let client_acked = pair
        .client_events
        .iter()
        .filter(|e| matches!(e, ClientEvent::Acked(_)))
        .count();
    let server_acked = pair
        .server_events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Acked(_)))
        .count();
    assert_eq!(client_acked, 7);
    // The server asks every 5 stanzas: at least those 5 came back acked.
    assert!(server_acked >= 5, "{server_acked}");
    assert_eq!(pair.client.stream_management(), Some((true, 0)));
}
