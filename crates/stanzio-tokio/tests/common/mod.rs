//! Helpers shared by the tokio adapter's tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::time::Duration;

use stanzio_jid::Jid;
use stanzio_sasl::Mechanism;
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::{ClientConfig, ClientEvent, ServerConfig};
use stanzio_tokio::testing::{TestPki, TestServer};
use stanzio_tokio::{Client, Connector, Endpoint, Event, OsRng, Target};

pub const DOMAIN: &str = "localhost";

pub fn pki() -> TestPki {
    TestPki::new(&[DOMAIN])
}

/// A server offering only `mechanisms`.
pub fn config_with(mechanisms: Vec<Mechanism>) -> ServerConfig {
    let mut sasl = stanzio_sasl::ServerConfig::new(b"test secret".to_vec());
    sasl.mechanisms = mechanisms;
    ServerConfig::new([DOMAIN], b"test secret".to_vec()).with_sasl(sasl)
}

pub async fn server(pki: &TestPki, config: ServerConfig) -> TestServer {
    TestServer::builder(DOMAIN, pki.acceptor())
        .user("juliet", "r0m30")
        .user("romeo", "jul13t")
        .config(config)
        .start()
        .await
}

pub fn jid(s: &str) -> Jid {
    s.parse().unwrap()
}

pub fn bare(s: &str) -> stanzio_jid::BareJid {
    s.parse().unwrap()
}

pub fn client_config(account: &str, password: &str) -> ClientConfig {
    ClientConfig::new(jid(account), password, OsRng::new())
}

pub fn target(endpoint: Endpoint) -> Target {
    Target::domain(DOMAIN).with_endpoint(endpoint)
}

pub fn starttls(server: &TestServer) -> Endpoint {
    Endpoint::starttls("127.0.0.1", server.starttls.port())
}

/// Waits for the next event, at most 10 s.
pub async fn next(client: &mut Client) -> Event {
    tokio::time::timeout(Duration::from_secs(10), client.next_event())
        .await
        .expect("an event within 10 s")
        .expect("the client is still running")
}

/// Takes events until one matches, returning it and those before.
pub async fn until(
    client: &mut Client,
    mut wanted: impl FnMut(&Event) -> bool,
) -> (Event, Vec<Event>) {
    let mut before = Vec::new();
    loop {
        let event = next(client).await;
        if wanted(&event) {
            return (event, before);
        }
        before.push(event);
    }
}

/// The next chat body the client receives.
pub async fn next_body(client: &mut Client) -> String {
    let (event, _) = until(client, |e| {
        matches!(e, Event::Stream(ClientEvent::Stanza(Stanza::Message(m))) if m.body().is_some())
    })
    .await;
    match event {
        Event::Stream(ClientEvent::Stanza(Stanza::Message(message))) => {
            message.body().unwrap().to_owned()
        }
        _ => unreachable!(),
    }
}

pub fn chat(to: &str, body: &str) -> Message {
    Message::chat(jid(to), body)
}

/// A server for `DOMAIN` with the default test configuration.
pub async fn default_server(pki: &TestPki) -> TestServer {
    server(pki, TestServer::default_config(DOMAIN)).await
}

/// Connects `account` through `endpoint` with `tls`.
pub async fn connect(
    account: &str,
    password: &str,
    endpoint: Endpoint,
    tls: Connector,
) -> Result<Client, stanzio_tokio::Error> {
    let options = stanzio_tokio::ConnectOptions::new(target(endpoint), tls);
    Client::connect(client_config(account, password), options).await
}

/// Logs `account` in to `server` over STARTTLS, trusting the test CA.
pub async fn login(server: &TestServer, pki: &TestPki, account: &str, password: &str) -> Client {
    connect(account, password, starttls(server), pki.connector())
        .await
        .unwrap()
}

/// Waits until stream management is on (XEP-0198 `<enabled/>`), keeping
/// the events before it.
pub async fn sm_enabled(client: &mut Client) -> Vec<Event> {
    let (_, before) = until(client, |e| {
        matches!(
            e,
            Event::Stream(ClientEvent::StreamManagementEnabled { .. })
        )
    })
    .await;
    before
}
