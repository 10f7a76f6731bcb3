//! Two tokio clients exchange messages through the test server over
//! STARTTLS: both directions arrive, in order, with the server-stamped
//! sender.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // tests fail loudly

mod common;

use common::*;
use stanzio_stream::ClientEvent;
use stanzio_tokio::Event;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_flow_both_ways_in_order() {
    let pki = pki();
    let server = default_server(&pki).await;
    let mut juliet = login(&server, &pki, "juliet@localhost/balcony", "r0m30").await;
    let mut romeo = login(&server, &pki, "romeo@localhost/orchard", "jul13t").await;
    // Wait until both streams are managed, so that every message below is
    // counted by stream management (stanzas before <enabled/> are not:
    // see the test below).
    sm_enabled(&mut juliet).await;
    sm_enabled(&mut romeo).await;
    for i in 0..20 {
        juliet
            .send(chat("romeo@localhost/orchard", &format!("j{i}")))
            .unwrap();
        romeo
            .send(chat("juliet@localhost/balcony", &format!("r{i}")))
            .unwrap();
    }
    for i in 0..20 {
        assert_eq!(next_body(&mut romeo).await, format!("j{i}"));
        assert_eq!(next_body(&mut juliet).await, format!("r{i}"));
    }
    // The sender is the one the server verified (RFC 6120 §8.1.2.1).
    juliet
        .send(chat("romeo@localhost/orchard", "who am I?"))
        .unwrap();
    let (event, _) = until(&mut romeo, |e| {
        matches!(e, Event::Stream(ClientEvent::Stanza(_)))
    })
    .await;
    let Event::Stream(ClientEvent::Stanza(stanza)) = event else {
        unreachable!()
    };
    assert_eq!(
        stanza.from_jid().map(|j| j.as_str()),
        Some("juliet@localhost/balcony")
    );
    juliet.close().await;
    romeo.close().await;
    // Both closed cleanly.
    let log = server.log();
    let failures = log
        .iter()
        .filter(|e| {
            matches!(
                e,
                stanzio_tokio::testing::ServerLog::Disconnected { failed: true, .. }
            )
        })
        .count();
    assert_eq!(failures, 0, "{log:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_a_ping_sent_through_the_adapter() {
    use stanzio_stanza::{Iq, IqPayload, Stanza};
    let pki = pki();
    let server = default_server(&pki).await;
    let mut juliet = login(&server, &pki, "juliet@localhost", "r0m30").await;
    let ping = stanzio_xml::Element::builder("ping", "urn:xmpp:ping")
        .build()
        .unwrap();
    juliet
        .send(Iq::get("p1", ping).with_to(jid("localhost")))
        .unwrap();
    let (event, _) = until(&mut juliet, |e| {
        matches!(e, Event::Stream(ClientEvent::Stanza(Stanza::Iq(_))))
    })
    .await;
    let Event::Stream(ClientEvent::Stanza(Stanza::Iq(iq))) = event else {
        unreachable!()
    };
    assert_eq!(iq.id, "p1");
    assert!(matches!(iq.payload, IqPayload::Result(_)));
    juliet.close().await;
}

/// XEP-0198 §4: the client's inbound count starts when it *receives*
/// `<enabled/>`; the server's outbound count when it sends it. Messages the
/// server delivers right after bind (offline messages) come before it and
/// must not be counted: a client counting from its own `<enable/>` would
/// close with an `h` above the server's count, which the server ends with
/// `handled-count-too-high`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stanzas_delivered_before_enabled_are_not_counted() {
    let pki = pki();
    let server = default_server(&pki).await;
    let mut juliet = login(&server, &pki, "juliet@localhost", "r0m30").await;
    // Romeo is offline: these wait on the server and come right after his
    // bind, before his <enable/> arrives.
    for i in 0..3 {
        juliet
            .send(chat("romeo@localhost", &format!("early {i}")))
            .unwrap();
    }
    sm_enabled(&mut juliet).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut romeo = login(&server, &pki, "romeo@localhost/orchard", "jul13t").await;
    for i in 0..3 {
        assert_eq!(next_body(&mut romeo).await, format!("early {i}"));
    }
    romeo.close().await;
    juliet.close().await;
    let log = server.log();
    assert!(
        !log.iter().any(|e| matches!(
            e,
            stanzio_tokio::testing::ServerLog::Disconnected { failed: true, .. }
        )),
        "{log:?}"
    );
}
