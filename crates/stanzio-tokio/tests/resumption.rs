//! XEP-0198 resumption through the adapter: the TCP connection is cut
//! mid-conversation (both ends see it die), the client reconnects after a
//! jittered back-off, resumes the session, and every message of both
//! directions arrives exactly once, in order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // tests fail loudly

mod common;

use std::time::Duration;

use common::*;
use stanzio_stream::ClientEvent;
use stanzio_tokio::testing::{CutProxy, ServerLog, TestServer};
use stanzio_tokio::{Client, ConnectOptions, Endpoint, Event, Reconnect};

const N: usize = 40;

async fn bodies(client: &mut Client, count: usize) -> Vec<String> {
    let mut bodies = Vec::new();
    while bodies.len() < count {
        bodies.push(next_body(client).await);
    }
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_resumes_and_nothing_is_lost() {
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let proxy = CutProxy::start(server.starttls).await;
    let through_proxy = Endpoint::starttls("127.0.0.1", proxy.address.port());
    let options = ConnectOptions::new(target(through_proxy), pki.connector()).with_reconnect(
        Reconnect::new(|| client_config("juliet@localhost/balcony", "r0m30"))
            .with_delays(Duration::from_millis(50), Duration::from_millis(400)),
    );
    let mut juliet = Client::connect(client_config("juliet@localhost/balcony", "r0m30"), options)
        .await
        .unwrap();
    let mut romeo = login(&server, &pki, "romeo@localhost/orchard", "jul13t").await;

    // Both streams managed before anything is routed (see messages.rs).
    sm_enabled(&mut juliet).await;
    sm_enabled(&mut romeo).await;
    // The first half both ways, then the cut with messages in flight both
    // ways, then the second half sent while juliet is away.
    for i in 0..N / 2 {
        juliet
            .send(chat("romeo@localhost/orchard", &format!("j{i}")))
            .unwrap();
        romeo
            .send(chat("juliet@localhost/balcony", &format!("r{i}")))
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    proxy.cut();
    for i in N / 2..N {
        juliet
            .send(chat("romeo@localhost/orchard", &format!("j{i}")))
            .unwrap();
        romeo
            .send(chat("juliet@localhost/balcony", &format!("r{i}")))
            .unwrap();
    }

    let (event, before) = until(&mut juliet, |e| {
        matches!(e, Event::Stream(ClientEvent::Online { resumed: true, .. }))
    })
    .await;
    assert!(
        before
            .iter()
            .any(|e| matches!(e, Event::Reconnecting { attempt: 1, .. })),
        "{before:#?}"
    );
    assert!(
        !before
            .iter()
            .any(|e| matches!(e, Event::Stream(ClientEvent::Disconnected(_)))),
        "a loss followed by a reconnection is not reported as the end: {before:#?}"
    );
    let Event::Stream(ClientEvent::Online { jid, .. }) = event else {
        unreachable!()
    };
    assert_eq!(jid.as_str(), "juliet@localhost/balcony");

    // Messages that arrived before the cut came before `Online`; the rest
    // after it.
    let mut to_juliet: Vec<String> = before
        .iter()
        .filter_map(|e| match e {
            Event::Stream(ClientEvent::Stanza(stanzio_stanza::Stanza::Message(m))) => {
                m.body().map(str::to_owned)
            }
            _ => None,
        })
        .collect();
    let rest = N - to_juliet.len();
    to_juliet.extend(bodies(&mut juliet, rest).await);
    let expected: Vec<String> = (0..N).map(|i| format!("r{i}")).collect();
    assert_eq!(to_juliet, expected);
    assert_eq!(
        bodies(&mut romeo, N).await,
        (0..N).map(|i| format!("j{i}")).collect::<Vec<_>>()
    );

    // Nothing more comes: no duplicate in either direction.
    juliet.send(chat("romeo@localhost/orchard", "end")).unwrap();
    romeo.send(chat("juliet@localhost/balcony", "end")).unwrap();
    assert_eq!(next_body(&mut romeo).await, "end");
    assert_eq!(next_body(&mut juliet).await, "end");

    let log = server.log();
    assert!(
        log.contains(&ServerLog::Online {
            jid: "juliet@localhost/balcony".into(),
            resumed: true
        }),
        "{log:?}"
    );
    assert!(
        log.iter().any(|e| matches!(
            e,
            ServerLog::Disconnected {
                resumable: true,
                failed: true,
                ..
            }
        )),
        "{log:?}"
    );
    juliet.close().await;
    romeo.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_reconnect_policy_a_cut_is_the_end() {
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let proxy = CutProxy::start(server.starttls).await;
    let through_proxy = Endpoint::starttls("127.0.0.1", proxy.address.port());
    let mut juliet = connect("juliet@localhost", "r0m30", through_proxy, pki.connector())
        .await
        .unwrap();
    proxy.cut();
    let (event, _) = until(&mut juliet, |e| {
        matches!(e, Event::Stream(ClientEvent::Disconnected(_)))
    })
    .await;
    assert!(
        matches!(
            event,
            Event::Stream(ClientEvent::Disconnected(Some(
                stanzio_stream::ConnectionError::UnexpectedEof
            )))
        ),
        "{event:?}"
    );
    assert!(juliet.next_event().await.is_none());
    assert!(juliet.send(chat("romeo@localhost", "late")).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_during_the_back_off_ends_at_once() {
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let proxy = CutProxy::start(server.starttls).await;
    let through_proxy = Endpoint::starttls("127.0.0.1", proxy.address.port());
    let options = ConnectOptions::new(target(through_proxy), pki.connector()).with_reconnect(
        Reconnect::new(|| client_config("juliet@localhost/balcony", "r0m30"))
            .with_delays(Duration::from_secs(30), Duration::from_secs(30)),
    );
    let mut juliet = Client::connect(client_config("juliet@localhost/balcony", "r0m30"), options)
        .await
        .unwrap();
    sm_enabled(&mut juliet).await;
    proxy.cut();
    until(&mut juliet, |e| matches!(e, Event::Reconnecting { .. })).await;
    // The back-off is at least 15 s; close does not wait for it.
    tokio::time::timeout(Duration::from_secs(5), juliet.close())
        .await
        .expect("close ends the back-off");
    let online = server
        .log()
        .iter()
        .filter(|e| matches!(e, ServerLog::Online { .. }))
        .count();
    assert_eq!(
        online,
        1,
        "no new connection after close: {:?}",
        server.log()
    );
}
