//! Where the client goes next: `see-other-host` (RFC 6120 §4.9.3.19) and
//! the XEP-0198 resumption `location`, followed with a [`Reconnect`]
//! policy; the certificate is still checked against the JID's domain.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // tests fail loudly

mod common;

use std::time::Duration;

use common::*;
use stanzio_stream::{ClientEvent, ConnectionError};
use stanzio_tokio::testing::{CutProxy, TestServer};
use stanzio_tokio::{Client, ConnectOptions, Endpoint, Event, Reconnect};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server that answers every stream with `see-other-host` naming `to`.
async fn redirector(to: std::net::SocketAddr) -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut header = Vec::new();
            let mut buf = [0u8; 1024];
            while !String::from_utf8_lossy(&header).contains("<stream:stream")
                || !header.ends_with(b">")
            {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                header.extend_from_slice(&buf[..n]);
            }
            let answer = format!(
                "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
                 xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='r1' \
                 version='1.0'><stream:error><see-other-host \
                 xmlns='urn:ietf:params:xml:ns:xmpp-streams'>{to}</see-other-host>\
                 </stream:error></stream:stream>"
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
        }
    });
    Endpoint::starttls("127.0.0.1", port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn see_other_host_is_followed_with_a_reconnect_policy() {
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let redirecting = redirector(server.starttls).await;
    let options = ConnectOptions::new(target(redirecting), pki.connector()).with_reconnect(
        Reconnect::new(|| client_config("juliet@localhost", "r0m30"))
            .with_delays(Duration::from_millis(50), Duration::from_millis(200)),
    );
    let mut juliet = Client::connect(client_config("juliet@localhost", "r0m30"), options)
        .await
        .unwrap();
    let (_, before) = until(&mut juliet, |e| {
        matches!(e, Event::Stream(ClientEvent::Online { .. }))
    })
    .await;
    assert!(
        before.iter().any(|e| matches!(
            e,
            Event::Reconnecting {
                attempt: 1,
                delay: Duration::ZERO,
                reason: stanzio_tokio::Error::Connection(ConnectionError::SeeOtherHost { .. }),
            }
        )),
        "{before:#?}"
    );
    juliet.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn see_other_host_without_a_policy_is_reported() {
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let redirecting = redirector(server.starttls).await;
    let error = connect("juliet@localhost", "r0m30", redirecting, pki.connector())
        .await
        .unwrap_err();
    let stanzio_tokio::Error::Connection(ConnectionError::SeeOtherHost { host, port }) = error
    else {
        panic!("{error:?}");
    };
    assert_eq!(host, "127.0.0.1");
    assert_eq!(port, Some(server.starttls.port()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumption_goes_to_the_advertised_location() {
    let pki = pki();
    let server = TestServer::builder(DOMAIN, pki.acceptor())
        .user("juliet", "r0m30")
        .advertise_location()
        .start()
        .await;
    let proxy = CutProxy::start(server.starttls).await;
    let options = ConnectOptions::new(
        target(Endpoint::starttls("127.0.0.1", proxy.address.port())),
        pki.connector(),
    )
    .with_reconnect(
        Reconnect::new(|| client_config("juliet@localhost/balcony", "r0m30"))
            .with_delays(Duration::from_millis(50), Duration::from_millis(200))
            .with_max_attempts(3),
    );
    let mut juliet = Client::connect(client_config("juliet@localhost/balcony", "r0m30"), options)
        .await
        .unwrap();
    let (event, _) = until(&mut juliet, |e| {
        matches!(
            e,
            Event::Stream(ClientEvent::StreamManagementEnabled { .. })
        )
    })
    .await;
    let Event::Stream(ClientEvent::StreamManagementEnabled { location, .. }) = event else {
        unreachable!()
    };
    assert_eq!(location, Some(server.starttls.to_string()));
    // The path the client came by is gone for good: only the location
    // can take the resumption.
    drop(proxy);
    let (_, before) = until(&mut juliet, |e| {
        matches!(e, Event::Stream(ClientEvent::Online { resumed: true, .. }))
    })
    .await;
    assert!(
        before
            .iter()
            .all(|e| !matches!(e, Event::Reconnecting { attempt: 2.., .. })),
        "the first attempt resumes: {before:#?}"
    );
    juliet.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirection_to_nowhere_reports_why() {
    let pki = pki();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = dead.local_addr().unwrap();
    drop(dead);
    let redirecting = redirector(nowhere).await;
    let options = ConnectOptions::new(target(redirecting), pki.connector()).with_reconnect(
        Reconnect::new(|| client_config("juliet@localhost", "r0m30"))
            .with_delays(Duration::from_millis(10), Duration::from_millis(20))
            .with_max_attempts(2),
    );
    let error = Client::connect(client_config("juliet@localhost", "r0m30"), options)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, stanzio_tokio::Error::Connect { source, .. }
            if source.kind() == std::io::ErrorKind::ConnectionRefused),
        "{error:?}"
    );
}
