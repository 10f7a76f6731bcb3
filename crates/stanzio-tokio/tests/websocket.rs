//! XMPP over WebSocket (RFC 7395) through tokio-tungstenite: login with
//! `-PLUS` over `wss://`, messages both ways with a TCP client, and the
//! `xmpp` subprotocol required.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // tests fail loudly

mod common;

use common::*;
use stanzio_sasl::{ChannelBindingType, HashAlgorithm, Mechanism};
use stanzio_stream::ClientEvent;
use stanzio_tokio::testing::TestServer;
use stanzio_tokio::{Client, ConnectOptions, Event, Target};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_login_and_messages() {
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let url = format!(
        "wss://localhost:{}/xmpp-websocket",
        server.websocket.unwrap().port()
    );
    let options = ConnectOptions::new(Target::domain(DOMAIN), pki.connector()).with_websocket(url);
    let mut juliet = Client::connect(client_config("juliet@localhost/ws", "r0m30"), options)
        .await
        .unwrap();
    let before = sm_enabled(&mut juliet).await;
    assert!(
        before.iter().any(|e| matches!(
            e,
            Event::Stream(ClientEvent::Authenticated {
                mechanism: Mechanism::Scram { plus: true, .. },
                channel_binding: Some(ChannelBindingType::TlsExporter),
            })
        )),
        "{before:#?}"
    );
    let mut romeo = login(&server, &pki, "romeo@localhost/tcp", "jul13t").await;
    sm_enabled(&mut romeo).await;
    for i in 0..10 {
        juliet
            .send(chat("romeo@localhost/tcp", &format!("over ws {i}")))
            .unwrap();
        romeo
            .send(chat("juliet@localhost/ws", &format!("over tcp {i}")))
            .unwrap();
    }
    for i in 0..10 {
        assert_eq!(next_body(&mut romeo).await, format!("over ws {i}"));
        assert_eq!(next_body(&mut juliet).await, format!("over tcp {i}"));
    }
    juliet.close().await;
    romeo.close().await;
    assert!(
        !server.log().iter().any(|e| matches!(
            e,
            stanzio_tokio::testing::ServerLog::Disconnected { failed: true, .. }
        )),
        "{:?}",
        server.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scram_hash_logs_in_over_websocket() {
    let pki = pki();
    for hash in HashAlgorithm::STRONGEST_FIRST {
        let server = server(&pki, config_with(vec![Mechanism::scram(hash, true)])).await;
        let url = format!("wss://localhost:{}/", server.websocket.unwrap().port());
        let options =
            ConnectOptions::new(Target::domain(DOMAIN), pki.connector()).with_websocket(url);
        let client = Client::connect(client_config("romeo@localhost", "jul13t"), options)
            .await
            .unwrap();
        client.close().await;
        assert!(
            server
                .log()
                .contains(&stanzio_tokio::testing::ServerLog::Authenticated {
                    account: "romeo@localhost".into(),
                    mechanism: Mechanism::scram(hash, true),
                })
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_without_the_xmpp_subprotocol_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let socket = tokio::net::TcpStream::connect(server.websocket.unwrap())
        .await
        .unwrap();
    let connector = tokio_rustls::TlsConnector::from(pki.connector().websocket_config());
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, socket).await.unwrap();
    tls.write_all(
        b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .unwrap();
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
}
