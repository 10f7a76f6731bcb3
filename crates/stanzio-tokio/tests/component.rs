//! An external component (XEP-0114) through the adapter: the handshake
//! with the shared secret, messages to its domain delivered to it, its
//! answers routed back; a wrong secret refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // tests fail loudly

mod common;

use common::*;
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::{ClientConfig, ClientEvent, ConnectionError};
use stanzio_tokio::testing::TestServer;
use stanzio_tokio::{Client, ConnectOptions, Endpoint, Event, OsRng, Target};

fn config() -> stanzio_stream::ServerConfig {
    TestServer::default_config(DOMAIN).with_component(&bare("echo.localhost"), "s3cr3t")
}

async fn component(server: &TestServer, secret: &str) -> Result<Client, stanzio_tokio::Error> {
    let domain = bare("echo.localhost");
    let target = Target::domain("echo.localhost")
        .with_endpoint(Endpoint::starttls("127.0.0.1", server.component.port()));
    let options = ConnectOptions::new(target, pki().connector());
    Client::connect(
        ClientConfig::component(domain, secret, OsRng::new()),
        options,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_answers_messages_to_its_domain() {
    let pki = pki();
    let server = server(&pki, config()).await;
    let mut echo = component(&server, "s3cr3t").await.unwrap();
    assert_eq!(echo.jid().as_str(), "echo.localhost");
    let mut juliet = login(&server, &pki, "juliet@localhost/balcony", "r0m30").await;
    sm_enabled(&mut juliet).await;
    juliet.send(chat("bot@echo.localhost", "hello")).unwrap();
    let (event, _) = until(&mut echo, |e| {
        matches!(e, Event::Stream(ClientEvent::Stanza(Stanza::Message(_))))
    })
    .await;
    let Event::Stream(ClientEvent::Stanza(Stanza::Message(message))) = event else {
        unreachable!()
    };
    assert_eq!(message.body(), Some("hello"));
    let sender = message.from.clone().unwrap();
    assert_eq!(sender.as_str(), "juliet@localhost/balcony");
    echo.send(Message::chat(sender, "echo: hello").with_from(jid("bot@echo.localhost")))
        .unwrap();
    assert_eq!(next_body(&mut juliet).await, "echo: hello");
    echo.close().await;
    juliet.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_component_secret_is_refused() {
    let pki = pki();
    let server = server(&pki, config()).await;
    let error = component(&server, "guess").await.unwrap_err();
    assert!(
        matches!(
            error,
            stanzio_tokio::Error::Connection(ConnectionError::HandshakeRefused)
        ),
        "{error:?}"
    );
}
