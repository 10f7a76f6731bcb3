//! SASL EXTERNAL with a TLS client certificate (RFC 6120 §6.3.4,
//! XEP-0178): the connector presents it, the acceptor verifies it against
//! its client roots and hands it to the machine, the application maps it
//! to an account.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // tests fail loudly

mod common;

use common::*;
use stanzio_sasl::{Credentials, Mechanism};
use stanzio_stream::{ClientEvent, ConnectionError};
use stanzio_tokio::testing::{TestPki, TestServer};
use stanzio_tokio::{Client, ConnectOptions, Event, OsRng};

fn external_config() -> stanzio_stream::ServerConfig {
    config_with(vec![
        Mechanism::External,
        Mechanism::scram(stanzio_sasl::HashAlgorithm::Sha256, true),
    ])
}

fn external_client() -> stanzio_stream::ClientConfig {
    stanzio_stream::ClientConfig::new(jid("juliet@localhost"), "", OsRng::new())
        .with_credentials(Credentials::External { authzid: None })
}

async fn start(pki: &TestPki, known: Option<&[u8]>) -> TestServer {
    let acceptor = pki
        .server_settings()
        .with_client_certificates(pki.roots())
        .build()
        .unwrap();
    let mut builder = TestServer::builder(DOMAIN, acceptor).config(external_config());
    if let Some(der) = known {
        builder = builder.certificate(der, "juliet");
    }
    builder.start().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_logs_in_with_external() {
    let pki = pki();
    let (chain, key) = pki.client_certificate("juliet@localhost");
    let server = start(&pki, Some(chain[0].as_ref())).await;
    let tls = pki
        .client_settings()
        .with_client_certificate(chain, key)
        .build()
        .unwrap();
    let mut client = Client::connect(
        external_client(),
        ConnectOptions::new(target(starttls(&server)), tls),
    )
    .await
    .unwrap();
    assert!(client.jid().as_str().starts_with("juliet@localhost/"));
    let (event, _) = until(&mut client, |e| {
        matches!(e, Event::Stream(ClientEvent::Authenticated { .. }))
    })
    .await;
    assert!(
        matches!(
            event,
            Event::Stream(ClientEvent::Authenticated {
                mechanism: Mechanism::External,
                ..
            })
        ),
        "{event:?}"
    );
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_certificate_is_not_authorized() {
    let pki = pki();
    let (chain, key) = pki.client_certificate("juliet@localhost");
    let server = start(&pki, None).await;
    let tls = pki
        .client_settings()
        .with_client_certificate(chain, key)
        .build()
        .unwrap();
    let error = Client::connect(
        external_client(),
        ConnectOptions::new(target(starttls(&server)), tls),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            stanzio_tokio::Error::Connection(ConnectionError::AuthenticationFailed(_))
        ),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_certificate_external_is_not_offered() {
    let pki = pki();
    let server = start(&pki, None).await;
    let error = Client::connect(
        external_client(),
        ConnectOptions::new(target(starttls(&server)), pki.connector()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            stanzio_tokio::Error::Connection(ConnectionError::NoMechanism(_))
        ),
        "{error:?}"
    );
}
